// @actions/workflow-parser, loadable under Node's native ESM loader. Its schema is imported as
// `import schema from "../workflow-v1.0.min.json"` without `with { type: 'json' }`, which Node refuses
// (vitest leaves node_modules to Node). A load hook serves those two JSON files as modules instead.

import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const SCHEMA_FILE = /\/@actions\/workflow-parser\/dist\/(workflow|action)-v[\d.]+\.min\.json$/;

registerHooks({
  load(url, context, nextLoad) {
    if (!SCHEMA_FILE.test(url)) return nextLoad(url, context);
    return {
      format: 'module',
      source: `export default ${readFileSync(fileURLToPath(url), 'utf8')};`,
      shortCircuit: true,
    };
  },
});

export const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import(
  '@actions/workflow-parser'
);
