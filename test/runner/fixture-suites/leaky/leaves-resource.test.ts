import { expect, it } from 'vitest';
import { fixtureLedger, fixtureTarget } from '../../fixture-support.ts';

it('creates one fake resource and leaves it behind', async () => {
  const ledger = fixtureLedger(fixtureTarget());
  const tidy = await ledger.recordCreated({ kind: 'fake-thing', ref: { name: 'tidy' } });
  await ledger.recordDeleted(tidy.id);
  const leaked = await ledger.recordCreated({ kind: 'fake-thing', ref: { name: 'leaked' } });
  expect(leaked.id).not.toBe(tidy.id);
});
