import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerPathFor, RunLedger } from '../../helpers/ledger.ts';

const run = promisify(execFile);
const WRITER = new URL('./ledger-writer.ts', import.meta.url).pathname;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pic-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RunLedger', () => {
  it('writes created and deleted events as JSON lines and lists what is outstanding, newest first', async () => {
    const path = ledgerPathFor(join(dir, 'reports'), 'pic-202611280930-ab1cd');
    expect(path).toBe(join(dir, 'reports', 'ledger-pic-202611280930-ab1cd.jsonl'));
    const ledger = new RunLedger(path);
    const role = await ledger.recordCreated({ kind: 'iam-role', ref: { name: 'role-a' } });
    const bucket = await ledger.recordCreated({ kind: 's3-bucket', ref: { name: 'bucket-b' } });
    const pod = await ledger.recordCreated({ kind: 'pod', ref: { namespace: 'ns', name: 'p' } });
    await ledger.recordDeleted(bucket.id);

    expect(role).toMatchObject({
      event: 'created',
      kind: 'iam-role',
      ref: { name: 'role-a' },
      runId: 'pic-202611280930-ab1cd',
    });
    expect(new Date(role.at).toISOString()).toBe(role.at);
    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['created', 'created', 'created', 'deleted']);
    expect(lines[3]).toEqual({ event: 'deleted', id: bucket.id, at: expect.any(String) });

    const outstanding = await new RunLedger(path).outstanding();
    expect(outstanding.map((r) => r.id)).toEqual([pod.id, role.id]);
  });

  it('has nothing outstanding before its file exists', async () => {
    expect(await new RunLedger(join(dir, 'none', 'ledger-x.jsonl')).outstanding()).toEqual([]);
  });

  it('ignores a torn last line and recovers a record appended after a torn one', async () => {
    const path = join(dir, 'ledger-pic-202611280930-zzzzz.jsonl');
    const ledger = new RunLedger(path);
    const first = await ledger.recordCreated({ kind: 'namespace', ref: { name: 'a' } });
    await appendFile(path, '{"event":"created","id":"torn","ki');
    const second = await ledger.recordCreated({ kind: 'namespace', ref: { name: 'b' } });
    await appendFile(path, '{"event":"deleted","id":"');
    expect((await ledger.outstanding()).map((r) => r.id)).toEqual([second.id, first.id]);
  });

  it('keeps every line whole when several processes append at once', async () => {
    const path = join(dir, 'ledger-pic-202611280930-conc1.jsonl');
    const writers = ['w1', 'w2', 'w3', 'w4'];
    const perWriter = 40;
    await Promise.all(writers.map((w) => run(process.execPath, [WRITER, path, w, String(perWriter)])));
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(writers.length * perWriter * 1.5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const outstanding = await new RunLedger(path).outstanding();
    expect(outstanding).toHaveLength((writers.length * perWriter) / 2);
    for (const w of writers) {
      // Within one writer the newest record comes first.
      const indexes = outstanding.filter((r) => r.ref.writer === w).map((r) => Number(r.ref.index));
      expect(indexes).toEqual([...indexes].sort((a, b) => b - a));
      expect(indexes.every((i) => i % 2 === 0)).toBe(true);
    }
  });
});
