// Appends records to a run ledger from its own process: the ledger test runs several at once.
// Usage: node test/runner/ledger-writer.ts <ledger path> <writer name> <count>

import { RunLedger } from '../../helpers/ledger.ts';

const [path, writer, count] = process.argv.slice(2);
const ledger = new RunLedger(path!);
for (let i = 0; i < Number(count); i++) {
  const record = await ledger.recordCreated({
    kind: 'fake',
    ref: { writer: writer!, index: String(i), padding: 'x'.repeat(200) },
  });
  if (i % 2 === 1) await ledger.recordDeleted(record.id);
}
