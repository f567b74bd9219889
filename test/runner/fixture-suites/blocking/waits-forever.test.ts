import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixtureLedger, fixtureTarget } from '../../fixture-support.ts';

const WAIT_MS = 60_000;

it('records a fake resource, then waits for a condition that never comes', {
  timeout: WAIT_MS * 2,
}, async () => {
  const info = fixtureTarget();
  await fixtureLedger(info).recordCreated({ kind: 'fake-thing', ref: { name: 'blocked' } });
  // Nobody creates this file: the runner is interrupted while the case polls for it.
  const never = join(info.reportDir, 'never-created');
  const deadline = Date.now() + WAIT_MS;
  let found = false;
  while (!found && Date.now() < deadline) {
    found = await access(never).then(
      () => true,
      () => false,
    );
    if (!found) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(found).toBe(true);
});
