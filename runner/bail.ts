// --bail, shared by the runner (which writes the marker at the first failure, vitest-session.ts), the
// vitest workers' test runner (bail-runner.ts, which starts nothing once it exists) and the report
// (run-controls.ts, which tells the cases it kept from running).

import { join } from 'node:path';

/** The note of a case --bail kept from starting: vitest reports it skipped, the report `not run`. */
export const BAIL_NOTE = 'not run: --bail stopped the run at the first failed case';

/** The file whose existence means "a case failed: start nothing more", in the run's report dir. */
export function bailMarkerPath(reportDir: string, runId: string): string {
  return join(reportDir, `.bail-${runId}`);
}
