import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { fixtureTarget, parseOrderLog, recordOrder } from '../../fixture-support.ts';

beforeAll(() => recordOrder('start', 'ordering/checks.last'));

it('starts after every other file of the run has ended', async () => {
  const log = parseOrderLog(await readFile(join(fixtureTarget().reportDir, 'order.log'), 'utf8'));
  const others = new Set(log.filter((e) => e.file !== 'ordering/checks.last').map((e) => e.file));
  const ended = new Set(log.filter((e) => e.event === 'end').map((e) => e.file));
  expect([...others].filter((file) => !ended.has(file))).toEqual([]);
});
