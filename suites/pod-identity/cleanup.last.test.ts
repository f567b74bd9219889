// Runs after every other file of the run: nothing carrying this run's id is left on the target —
// no IAM role under the tool's path, no association, no namespace, no bucket — and the run ledger
// has no outstanding entry.

import {
  eventually,
  findToolResources,
  type InventoryItem,
  NotYet,
  useSuiteRun,
  WaitTimeout,
} from 'pod-identity-conformance/suite';
import { describe, expect, it } from 'vitest';

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

    // IAM and S3 listings lag behind deletes by seconds: ask again for a while before calling it a leak.
    let left: InventoryItem[] = [];
    await eventually(
      `no resource tagged ${info.runId} listed`,
      async () => {
        left = await findToolResources(run, { runId: info.runId });
        if (left.length > 0) throw new NotYet(`${left.length} still listed`);
      },
      { timeoutMs: Math.min(info.waitTimeoutMs, 30_000), intervalMs: 1_000 },
    ).catch((error: unknown) => {
      if (!(error instanceof WaitTimeout)) throw error;
    });
    expect(
      left.map((item) => `${item.kind} ${item.name}`),
      `resources tagged ${info.runId} still on the target`,
    ).toEqual([]);
  });
});
