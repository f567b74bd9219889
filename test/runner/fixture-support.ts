// Shared by the runner's fixture suites (test/runner/fixture-suites): they run inside the conformance
// runner, started by test/runner/fixture-runner.ts, never by the project's own test run.

import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ledgerPathFor, RunLedger } from '../../helpers/ledger.ts';
import type { TargetInfo } from '../../targets/target.ts';

export function fixtureTarget(): TargetInfo {
  const info = inject('target');
  if (!info) throw new Error('fixture suites run only under test/runner/fixture-runner.ts');
  return info;
}

export function fixtureLedger(info: TargetInfo): RunLedger {
  return new RunLedger(ledgerPathFor(info.reportDir, info.runId));
}

/** Appends `<event> <file> <epoch ms>` to order.log in the report dir: the ordering test reads it. */
export async function recordOrder(event: 'start' | 'end', file: string): Promise<void> {
  const info = fixtureTarget();
  await appendFile(join(info.reportDir, 'order.log'), `${event} ${file} ${Date.now()}\n`);
}

export interface OrderEntry {
  event: string;
  file: string;
  at: number;
}

export function parseOrderLog(text: string): OrderEntry[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, file, at] = line.split(' ');
      return { event: event!, file: file!, at: Number(at) };
    });
}
