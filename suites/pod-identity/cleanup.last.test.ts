// Runs after every other file of the run: nothing carrying this run's id is left on the target —
// no IAM role under the tool's path, no association, no namespace, no bucket — and the run ledger
// has no outstanding entry.

import { describe, expect, it } from 'vitest';
import { findToolResources } from '../../fixtures/inventory.ts';
import { useSuiteRun } from '../../helpers/suite.ts';

describe('cleanup', () => {
  const suite = useSuiteRun();

  it('after teardown nothing carrying the run id remains', async (ctx) => {
    const { info, run } = suite;
    if (info.keep) ctx.skip('--keep was given: resources are kept on purpose');

    const outstanding = await run.ledger.outstanding();
    expect(
      outstanding.map((r) => `${r.kind} ${JSON.stringify(r.ref)}`),
      'ledger entries never torn down',
    ).toEqual([]);

    const left = await findToolResources(run, { runId: info.runId });
    expect(
      left.map((item) => `${item.kind} ${item.name}`),
      `resources tagged ${info.runId} still on the target`,
    ).toEqual([]);
  });
});
