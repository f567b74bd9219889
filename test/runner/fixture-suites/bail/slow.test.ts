import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixtureLedger, fixtureTarget } from '../../fixture-support.ts';

it('is running when the other file fails, and finishes', async () => {
  const info = fixtureTarget();
  await fixtureLedger(info).recordCreated({ kind: 'fake-thing', ref: { name: 'bail-slow' } });
  await writeFile(join(info.reportDir, 'slow-started'), '');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await writeFile(join(info.reportDir, 'slow-finished'), '');
  expect(true).toBe(true);
});

it('would start after the failure', () => {
  expect(true).toBe(true);
});
