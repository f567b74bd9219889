// One signal at a random point of an embedded run, many times: SIGINT to the process group (Ctrl-C in
// a terminal), SIGTERM to npm alone (a job runner stopping a command), SIGKILL to the runner itself.
// After a SIGINT or SIGTERM the run exits 130/143 within 30 s, writes summary.md listing every case of
// the selection, and leaves no process and no simulator state dir; after a SIGKILL no process and no
// state dir are left either. The points come from a seeded generator (PIC_RELIABILITY_SEED, printed in
// the case names); PIC_RELIABILITY_SAMPLES=full runs the whole plan (30 SIGINT, 10 SIGTERM, 10 SIGKILL),
// the default a sample that keeps CI within its time.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSeededRandom } from '@pod-identity-conformance/sim';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { survivors, watchDescendants } from './process-tree.ts';
import { childEnv, inRunSlot, REPO, scratchDir, waitFor } from './suite-run.ts';

const FULL = process.env.PIC_RELIABILITY_SAMPLES === 'full';
const PLAN = FULL ? { SIGINT: 30, SIGTERM: 10, SIGKILL: 10 } : { SIGINT: 3, SIGTERM: 1, SIGKILL: 2 };
const SEED = Number(process.env.PIC_RELIABILITY_SEED ?? Date.now() % 100_000);
/** Signals land between the start and well into the run (an embedded run takes 15-30 s). */
const EARLIEST_MS = 0;
/** From its process start to its first statement (where it starts recording signals). */
const RUNNER_LOADING_MS = 300;
const LATEST_MS = 18_000;
const EXIT_BOUND_MS = 30_000;
const CASE_TIMEOUT_MS = 120_000;

// The simulator's seeded generator, so that a failing point can be replayed.
const random = createSeededRandom(SEED);
const points = (signal: keyof typeof PLAN) =>
  Array.from({ length: PLAN[signal] }, (_, index) => ({
    signal,
    index,
    atMs: Math.round(EARLIEST_MS + random() * (LATEST_MS - EARLIEST_MS)),
  }));

/** The run's own temp dir: the simulator's state dirs (pic-sim-*, pic-kube-*) are made there. */
async function stateDirsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /^pic-(sim|kube)-/.test(name));
}

let selectionSize: number | undefined;
/** How many cases the selection has, as --list counts them. */
async function casesInSelection(): Promise<number> {
  if (selectionSize === undefined) {
    const listed = await execa('node', ['scripts/conformance.ts', '--suite', 'pod-identity', '--list'], {
      cwd: REPO,
      env: childEnv(),
      extendEnv: false,
    });
    const match = /pod-identity \(\d+ files, (\d+) cases\)/.exec(listed.stdout);
    selectionSize = Number(match?.[1]);
  }
  return selectionSize;
}

function startRun(signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL', dir: string, reportDir: string) {
  // SIGKILL goes to the runner itself, so it is started without npm in between.
  const argv = signal === 'SIGKILL' ? ['node', 'scripts/conformance.ts'] : ['npm', 'test', '--'];
  const [command, ...args] = argv as [string, ...string[]];
  return execa(command, [...args, '--suite', 'pod-identity', '--report-dir', reportDir], {
    cwd: REPO,
    env: childEnv({ TMPDIR: dir }),
    extendEnv: false,
    reject: false,
    detached: true,
  });
}

describe.concurrent(`one signal at a random point of an embedded run (seed ${SEED})`, () => {
  it.for([...points('SIGINT'), ...points('SIGTERM'), ...points('SIGKILL')])(
    '$signal #$index at $atMs ms',
    { timeout: CASE_TIMEOUT_MS },
    ({ signal, atMs }, { onTestFinished }) =>
      inRunSlot(async () => {
        const scratch = await scratchDir();
        onTestFinished(() => scratch.remove());
        const child = startRun(signal, scratch.dir, scratch.reportDir);
        const watcher = watchDescendants(child.pid!, 20);
        // Points count from the moment the runner's process is up (not npm's own start, before which
        // a signal ends npm itself, with nothing started).
        if (signal !== 'SIGKILL') {
          await waitFor(
            'the runner process',
            async () => (watcher.seen().some((p) => p.command === 'node') ? true : undefined),
            30_000,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, RUNNER_LOADING_MS + atMs));
        if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT');
        // Not child.kill(): execa follows it with SIGKILL after 5 s.
        else process.kill(child.pid!, signal);
        const sentAt = Date.now();
        const result = await child;
        const exitedAfterMs = Date.now() - sentAt;
        const started = await watcher.stop();

        expect(await survivors(started), 'processes of the run left').toEqual([]);
        expect(await stateDirsIn(scratch.dir), 'simulator state dirs left').toEqual([]);
        if (signal === 'SIGKILL') {
          expect(result.signal).toBe('SIGKILL');
          return;
        }
        expect(exitedAfterMs, result.stderr).toBeLessThan(EXIT_BOUND_MS);
        // A point past the end of a fast run finds it finished: then it passed.
        if (result.exitCode === 0) {
          expect(result.stdout).toMatch(/0 failed/);
          return;
        }
        expect(result.exitCode, result.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
        // A signal while Node is still loading the runner (before its first statement) ends it by the
        // signal's default action: then nothing was started or created, and there is nothing to report.
        const summaryPath = join(scratch.reportDir, 'summary.md');
        if (!existsSync(summaryPath)) {
          expect(result.stderr, 'the runner had not handled the signal').not.toContain('received');
          expect(existsSync(scratch.reportDir), 'nothing was written').toBe(false);
          return;
        }
        const summary = await readFile(summaryPath, 'utf8');
        expect(summary).toContain(`interrupted (${signal})`);
        const total = Number(/\*\*Totals:\*\* (\d+) cases/.exec(summary)?.[1]);
        expect(total, 'every case of the selection is listed').toBe(await casesInSelection());
        expect(summary).not.toMatch(/\| not deleted/);
      }),
  );
});
