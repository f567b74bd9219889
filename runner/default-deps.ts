// The real dependencies of a conformance run: the target registry, the repository's suites, the
// fixtures' teardown, the process's environment, streams and signals.

import { fileURLToPath } from 'node:url';
import { loadOutstandingTeardown, TARGETS } from '../targets/index.ts';
import { SUITES_ROOT } from '../vitest.config.ts';
import type { RunnerDeps } from './run-conformance.ts';

export function defaultDeps(): RunnerDeps {
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  return {
    targets: TARGETS,
    suitesRoot: SUITES_ROOT,
    packageRoot: fileURLToPath(new URL('..', import.meta.url)),
    teardown: async (info, records) => (await loadOutstandingTeardown(warn))(info, records),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    forceExit: (code) => process.exit(code),
  };
}
