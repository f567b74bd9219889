// What a run prints while it runs, piped as in CI: a timestamped line when a file's set-up starts and
// ends (with what it created), one per case, one when the file ends (with what it deleted), the
// teardown; with --verbose also every resource and every wait.

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { childEnv, inRunSlot, REPO, scratchDir } from './suite-run.ts';

const RUN_TIMEOUT_MS = 180_000;
const TIME = '\\d{2}:\\d{2}:\\d{2}';

describe.concurrent('progress lines of npm test, piped', () => {
  it.for([false, true])('--verbose %s', { timeout: RUN_TIMEOUT_MS }, (verbose, { onTestFinished }) =>
    inRunSlot(async () => {
      const scratch = await scratchDir();
      onTestFinished(() => scratch.remove());
      const run = await execa(
        'node',
        [
          'scripts/conformance.ts',
          '--suite',
          'pod-identity',
          '--file',
          'mutation',
          '--report-dir',
          scratch.reportDir,
          ...(verbose ? ['--verbose'] : []),
        ],
        { cwd: REPO, env: childEnv(), extendEnv: false, reject: false },
      );
      expect(run.exitCode, run.stderr).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(new RegExp(`^${TIME} ▶ pod-identity/mutation\\.test\\.ts: set-up$`, 'm'));
      expect(out).toMatch(
        new RegExp(
          `^${TIME} {3}pod-identity/mutation\\.test\\.ts: set-up done in [\\d.]+ s; created .*\\d namespace`,
          'm',
        ),
      );
      expect(out).toMatch(new RegExp(`^${TIME} {3}✓ mutation › .+ \\([\\d.]+ s\\)$`, 'm'));
      expect(out).toMatch(new RegExp(`^${TIME} {3}pod-identity/mutation\\.test\\.ts: teardown$`, 'm'));
      expect(out).toMatch(
        new RegExp(
          `^${TIME} ■ pod-identity/mutation\\.test\\.ts: 6 passed, 0 failed, 0 skipped in [\\d.]+ s; deleted \\d+`,
          'm',
        ),
      );
      const resourceLines = /^\d{2}:\d{2}:\d{2} {5}\+ namespace pic-/m;
      const waitLines = /^\d{2}:\d{2}:\d{2} {5}done waiting for /m;
      if (verbose) {
        expect(out).toMatch(resourceLines);
        expect(out).toMatch(waitLines);
      } else {
        expect(out).not.toMatch(resourceLines);
        expect(out).not.toMatch(waitLines);
      }
    }),
  );
});
