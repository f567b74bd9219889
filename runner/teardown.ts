// The seam between the runner and the resource deleters: after a run (and on Ctrl-C/SIGTERM) the runner
// hands whatever the run ledger still lists to an OutstandingTeardown, which deletes each record newest
// first and reports per record. fixtures/teardown.ts provides the real one.

import type { LedgerRecord } from '../helpers/ledger.ts';
import type { TargetInfo } from '../targets/target.ts';

export interface TeardownResult {
  record: LedgerRecord;
  ok: boolean;
  error?: string;
}

export type OutstandingTeardown = (info: TargetInfo, records: LedgerRecord[]) => Promise<TeardownResult[]>;

/** Used when no deleters can be loaded: deletes nothing and reports every record as still there. */
export const reportOnlyTeardown: OutstandingTeardown = async (_info, records) =>
  records.map((record) => ({
    record,
    ok: false,
    error: 'no deleter is available in this installation; run the janitor',
  }));
