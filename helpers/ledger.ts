// The run ledger: an append-only JSON-lines file of what a run created and what it deleted, so whatever
// is still outstanding can be torn down after the run, on Ctrl-C, or by the janitor, from the file alone.
//
// Several vitest worker processes append to one file at the same time. Each event is one line written
// with a single write() on a descriptor opened with O_APPEND, which Linux keeps whole for small writes,
// and is fsynced before the call returns, so a record exists on disk before the resource does.

import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { progressOrigin } from './progress.ts';

export interface LedgerRecord {
  event: 'created';
  id: string;
  /** Resource kind, e.g. "iam-role"; the teardown picks its deleter by it. */
  kind: string;
  /** Enough to find and delete the resource later. */
  ref: Record<string, string>;
  runId: string;
  /** ISO 8601 time of the record. */
  at: string;
  /** The suite file that created it, when known (for the progress lines). */
  origin?: string;
}

export interface LedgerDeletion {
  event: 'deleted';
  id: string;
  at: string;
}

type LedgerEvent = LedgerRecord | LedgerDeletion;

const LEDGER_FILE = /^ledger-(.+)\.jsonl$/;

/** Where a run's ledger lives: `<reportDir>/ledger-<runId>.jsonl`. */
export function ledgerPathFor(reportDir: string, runId: string): string {
  return join(reportDir, `ledger-${runId}.jsonl`);
}

export class RunLedger {
  readonly path: string;
  readonly runId: string;

  /** `runId` defaults to the one in the file name (`ledger-<runId>.jsonl`). */
  constructor(path: string, runId?: string) {
    this.path = path;
    this.runId = runId ?? LEDGER_FILE.exec(basename(path))?.[1] ?? '';
  }

  /** Appends a "created" event and returns it once it is on disk. */
  async recordCreated(entry: { kind: string; ref: Record<string, string> }): Promise<LedgerRecord> {
    const record: LedgerRecord = {
      event: 'created',
      id: randomUUID(),
      kind: entry.kind,
      ref: { ...entry.ref },
      runId: this.runId,
      at: new Date().toISOString(),
      ...(progressOrigin() ? { origin: progressOrigin() } : {}),
    };
    await this.append(record);
    return record;
  }

  async recordDeleted(id: string): Promise<void> {
    await this.append({ event: 'deleted', id, at: new Date().toISOString() });
  }

  /** Records created and not (yet) deleted, newest first: the order to delete them in. */
  async outstanding(): Promise<LedgerRecord[]> {
    const created = new Map<string, LedgerRecord>();
    for (const event of await this.events()) {
      if (event.event === 'created') created.set(event.id, event);
      else created.delete(event.id);
    }
    return [...created.values()].reverse();
  }

  /** Every readable event in file order; none when the file does not exist yet. */
  async events(): Promise<LedgerEvent[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const events: LedgerEvent[] = [];
    for (const line of text.split('\n')) {
      const event = parseLedgerLine(line);
      if (event) events.push(event);
    }
    return events;
  }

  private async append(event: LedgerEvent): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    await mkdir(dirname(this.path), { recursive: true });
    const file = await open(this.path, 'a');
    try {
      const { bytesWritten } = await file.write(line);
      if (bytesWritten !== line.length) {
        throw new Error(
          `appending to the run ledger ${this.path} wrote ${bytesWritten} of ${line.length} bytes; check free disk space`,
        );
      }
      await file.sync();
    } finally {
      await file.close();
    }
  }
}

/**
 * One ledger line, or undefined when it is not a whole event. A writer that died mid-write leaves a torn
 * line; the next append then starts on the same line, so the last `{"event":` on a line is tried too.
 */
export function parseLedgerLine(line: string): LedgerEvent | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  for (const candidate of [trimmed, trimmed.slice(trimmed.lastIndexOf('{"event":'))]) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (isLedgerEvent(value)) return value;
    } catch {
      // not a whole event: try the next candidate
    }
  }
  return undefined;
}

function isLedgerEvent(value: unknown): value is LedgerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { event?: unknown; id?: unknown; kind?: unknown; ref?: unknown };
  if (typeof event.id !== 'string') return false;
  if (event.event === 'deleted') return true;
  return event.event === 'created' && typeof event.kind === 'string' && typeof event.ref === 'object';
}
