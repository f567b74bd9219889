// The suite under a seeded fault profile (`npm test -- --chaos SEED`: throttling, 5xx and dropped
// connections on the AWS and EKS endpoints, API server 429/500 and slow reads, propagation delays,
// agent errors and restarts): every case still passes, the ledger ends empty, and nothing is left.
// PIC_CHAOS_SEEDS=full runs 20 consecutive seeds from PIC_CHAOS_FIRST_SEED (default 1); the default is
// two of them, chosen by the day, so that CI covers the range over time within its budget.

import { readdir } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { survivors, watchDescendants } from './process-tree.ts';
import { childEnv, collectRun, inRunSlot, REPO, scratchDir } from './suite-run.ts';

const FIRST = Number(process.env.PIC_CHAOS_FIRST_SEED ?? 1);
const ALL = Array.from({ length: 20 }, (_, index) => FIRST + index);
const day = Math.floor(Date.now() / 86_400_000);
const SEEDS =
  process.env.PIC_CHAOS_SEEDS === 'full' ? ALL : [ALL[day % ALL.length]!, ALL[(day + 10) % ALL.length]!];
const RUN_TIMEOUT_MS = 300_000;

describe.concurrent('the suite under chaos', () => {
  it.for(SEEDS)(
    '--chaos %i: every case passes and nothing is left',
    { timeout: RUN_TIMEOUT_MS },
    (seed, { onTestFinished }) =>
      inRunSlot(async () => {
        const scratch = await scratchDir();
        onTestFinished(() => scratch.remove());
        const child = execa(
          'npm',
          [
            'test',
            '--',
            '--suite',
            'pod-identity',
            '--chaos',
            String(seed),
            '--report-dir',
            scratch.reportDir,
          ],
          {
            cwd: REPO,
            env: childEnv({ TMPDIR: scratch.dir }),
            extendEnv: false,
            reject: false,
            detached: true,
          },
        );
        const watcher = watchDescendants(child.pid!);
        const run = await collectRun(child, scratch.reportDir);
        const started = await watcher.stop();

        const notPassed = run.cases.filter((c) => c.status !== 'passed');
        expect(notPassed, run.stderr).toEqual([]);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stdout).toContain(`chaos seed ${seed}`);
        expect(run.outstanding).toEqual([]);
        expect(await survivors(started)).toEqual([]);
        expect((await readdir(scratch.dir)).filter((name) => /^pic-(sim|kube)-/.test(name))).toEqual([]);
      }),
  );
});
