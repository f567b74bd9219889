// The janitor's real dependencies: the target registry, the repository's suites folder (settings are
// resolved exactly as the runner resolves them), the process's environment, streams and clock.

import { TARGETS } from '../targets/index.ts';
import { SUITES_ROOT } from '../vitest.config.ts';
import type { JanitorDeps } from './run-janitor.ts';

export function janitorDeps(): JanitorDeps {
  return {
    targets: TARGETS,
    suitesRoot: SUITES_ROOT,
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
  };
}
