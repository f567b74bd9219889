// The progress reporter's reading of what workers write: heartbeats of long waits always, the waits
// themselves and every resource only with --verbose.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../runner/progress.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function reporterReading(verbose: boolean) {
  dir = await mkdtemp(join(tmpdir(), 'pic-progress-'));
  const lines: string[] = [];
  const ledgerPath = join(dir, 'ledger.jsonl');
  const progressPath = join(dir, 'progress.jsonl');
  const origin = '/repo/suites/pod-identity/credentials.test.ts';
  await writeFile(
    ledgerPath,
    `${JSON.stringify({ event: 'created', id: '1', kind: 'namespace', ref: { name: 'pic-x-credentials' }, runId: 'r', at: '', origin })}\n`,
  );
  const events = [
    { type: 'wait-start', what: 'pod pic-x/app Running', timeoutMs: 120_000 },
    { type: 'wait-heartbeat', what: 'pod pic-x/app Running', elapsedMs: 40_000, timeoutMs: 120_000 },
    { type: 'wait-end', what: 'pod pic-x/app Running', elapsedMs: 41_000, ok: true },
  ];
  await writeFile(
    progressPath,
    `${events.map((e) => JSON.stringify({ ...e, origin, at: 0 })).join('\n')}\n{"partial`,
  );
  const reporter = new ProgressReporter({
    ledgerPath,
    progressPath,
    tty: true,
    verbose,
    fileName: (id) => id.replace('/repo/suites/', ''),
    write: (line) => lines.push(line),
  });
  await reporter.onTestRunEnd();
  return lines;
}

describe('ProgressReporter', () => {
  it('prints the heartbeat of a long wait, naming the file', async () => {
    expect(await reporterReading(false)).toEqual([
      '    waiting for pod pic-x/app Running: 40 s of 120 s [pod-identity/credentials.test.ts]',
    ]);
  });

  it('with --verbose, also every resource and the start and end of every wait (a partial line waits)', async () => {
    expect(await reporterReading(true)).toEqual([
      '    + namespace pic-x-credentials [pod-identity/credentials.test.ts]',
      '    waiting for pod pic-x/app Running (up to 120 s) [pod-identity/credentials.test.ts]',
      '    waiting for pod pic-x/app Running: 40 s of 120 s [pod-identity/credentials.test.ts]',
      '    done waiting for pod pic-x/app Running after 41 s [pod-identity/credentials.test.ts]',
    ]);
  });
});
