// `npm test -- --suite pod-identity` itself (the real CLI, the embedded target, the real fixtures):
// a passing run leaves nothing in its ledger, and a run interrupted while it holds resources tears them
// all down before the simulator closes, reports the teardown, exits 130/143 and leaves no process behind.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RunLedger } from '../../helpers/ledger.ts';
import { survivors, watchDescendants } from './process-tree.ts';
import { childEnv, collectRun, inRunSlot, ledgerPath, REPO, scratchDir, waitFor } from './suite-run.ts';

const FULL_RUN_TIMEOUT_MS = 240_000;
const INTERRUPTED_RUN_TIMEOUT_MS = 150_000;

/** A scratch directory removed when the case ends (cases here run concurrently). */
async function newScratch(onTestFinished: (fn: () => Promise<void>) => void) {
  const scratch = await scratchDir();
  onTestFinished(() => scratch.remove());
  return scratch;
}

/** `npm test -- --suite pod-identity`, in its own process group (as a terminal runs a command). */
function startNpmTest(reportDir: string) {
  return execa('npm', ['test', '--', '--suite', 'pod-identity', '--report-dir', reportDir], {
    cwd: REPO,
    env: childEnv(),
    extendEnv: false,
    reject: false,
    detached: true,
  });
}

describe.concurrent('npm test -- --suite pod-identity on the embedded target', () => {
  it(
    'a passing run leaves its ledger with no outstanding entry and no process behind',
    {
      timeout: FULL_RUN_TIMEOUT_MS,
    },
    ({ onTestFinished }) =>
      inRunSlot(async () => {
        const { reportDir } = await newScratch(onTestFinished);
        const child = startNpmTest(reportDir);
        const watcher = watchDescendants(child.pid!);
        const run = await collectRun(child, reportDir);
        const started = await watcher.stop();

        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.cases.filter((c) => c.status !== 'passed')).toEqual([]);
        expect(run.fileErrors).toEqual([]);
        expect(run.cases.length).toBeGreaterThanOrEqual(29);
        expect(run.created.length, 'the run created resources').toBeGreaterThan(0);
        expect(run.outstanding).toEqual([]);
        expect(run.stderr).not.toContain('were still listed in the run ledger');
        expect(
          started.some((p) => p.command === 'sleep'),
          'pods ran as processes of the run',
        ).toBe(true);
        expect(await survivors(started)).toEqual([]);
      }),
  );

  describe.each([
    { signal: 'SIGINT' as const, code: 130, toGroup: true, to: 'the process group, as Ctrl-C in a terminal' },
    {
      signal: 'SIGTERM' as const,
      code: 143,
      toGroup: false,
      to: 'npm alone, as a job runner stops a command',
    },
  ])('$signal sent to $to', ({ signal, code, toGroup }) => {
    it(
      `tears down every resource in the ledger before the simulator closes, reports it and exits ${code}`,
      {
        timeout: INTERRUPTED_RUN_TIMEOUT_MS,
      },
      ({ onTestFinished }) =>
        inRunSlot(async () => {
          const { reportDir } = await newScratch(onTestFinished);
          const child = startNpmTest(reportDir);
          const watcher = watchDescendants(child.pid!);
          const ledgerFile = await waitFor(
            'the run ledger to record a pod',
            async () => {
              const path = await ledgerPath(reportDir);
              const events = path ? await new RunLedger(path).events() : [];
              return events.some((e) => e.event === 'created' && e.kind === 'pod') ? path : undefined;
            },
            90_000,
          );
          const holding = await new RunLedger(ledgerFile).outstanding();
          if (toGroup) process.kill(-child.pid!, signal);
          // Not child.kill(): execa follows it with SIGKILL after 5 s.
          else process.kill(child.pid!, signal);
          const run = await collectRun(child, reportDir);
          const started = await watcher.stop();

          expect(run.exitCode, run.stderr).toBe(code);
          expect(holding.length, 'resources existed when the signal came').toBeGreaterThan(0);
          // Every record is marked deleted, and a deletion is only recorded once the simulator confirmed the
          // resource gone: the teardown ran before the simulator closed.
          expect(run.created.length).toBeGreaterThanOrEqual(holding.length);
          expect(run.outstanding).toEqual([]);
          expect(run.stderr).toContain(`${signal} received: stopping the run and deleting what it created`);

          const summary = await readFile(join(reportDir, 'summary.md'), 'utf8');
          expect(summary).toContain(`# Pod Identity conformance: interrupted (${signal})`);
          expect(summary).toContain('## Teardown');
          expect(summary).not.toMatch(/\| not deleted/);
          if (toGroup) {
            // Ctrl-C reaches the vitest workers too and ends them where they stand: what they held is
            // deleted by the runner, from the ledger, and listed.
            expect(summary).toContain(`Deleted after ${signal}, from the run ledger`);
            expect(run.stderr).toMatch(
              /(\d+) resource\(s\) were still listed in the run ledger: \1 deleted, 0 not/,
            );
          } else {
            // Only the runner hears it: it cancels the run, whose files tear down what they created, then
            // deletes whatever the ledger still lists.
            expect(summary).toMatch(
              new RegExp(
                `Deleted after ${signal}, from the run ledger|Nothing was left to delete after ${signal}`,
              ),
            );
          }

          expect(started.length, 'the run started processes').toBeGreaterThan(0);
          expect(await survivors(started)).toEqual([]);
        }),
    );
  });
});
