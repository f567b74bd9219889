import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixtureTarget } from '../../fixture-support.ts';

/** How many times this file has run in this run (--repeat), counted in the report dir. */
async function repetition(): Promise<number> {
  const counter = join(fixtureTarget().reportDir, 'flaky-count');
  const count = Number(await readFile(counter, 'utf8').catch(() => '0')) + 1;
  await writeFile(counter, String(count));
  return count;
}

it('fails in the second repetition only', async () => {
  expect(await repetition()).not.toBe(2);
});

it('always passes', () => {
  expect(true).toBe(true);
});
