import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixtureTarget } from '../../fixture-support.ts';

it('fails once the slow case of the other file is running', async () => {
  // The slow file marks that its case has started: the failure then comes while that case runs.
  const started = join(fixtureTarget().reportDir, 'slow-started');
  const deadline = Date.now() + 30_000;
  while (
    Date.now() < deadline &&
    !(await access(started).then(
      () => true,
      () => false,
    ))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect('the failure --bail stops at').toBe('no failure');
});
