// The real conformance runner, with this folder's fixture suites instead of suites/ (spawned by the
// tests, so vitest does not run inside vitest). Everything else, targets included, is the real thing.

import { fileURLToPath } from 'node:url';
import { defaultDeps } from '../../../runner/default-deps.ts';
import { runConformance } from '../../../runner/run-conformance.ts';

export const FIXTURE_SUITES_ROOT = fileURLToPath(new URL('./fixture-suites', import.meta.url));

process.exit(
  await runConformance(process.argv.slice(2), { ...defaultDeps(), suitesRoot: FIXTURE_SUITES_ROOT }),
);
