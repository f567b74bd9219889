import { describe, expect, it } from 'vitest';
import { reportOnlyTeardown } from '../../runner/teardown.ts';
import { loadOutstandingTeardown, TARGETS } from '../../targets/index.ts';
import { TARGET_NAMES } from '../../targets/target.ts';

describe('target registry', () => {
  it('has a factory for every target name', () => {
    expect(Object.keys(TARGETS).sort()).toEqual([...TARGET_NAMES].sort());
  });
});

describe('loadOutstandingTeardown', () => {
  it("uses the fixtures' teardownOutstanding when it exists, else one that only reports", async () => {
    const warnings: string[] = [];
    const teardown = await loadOutstandingTeardown((line) => warnings.push(line));
    const fixtures = await import('../../fixtures/teardown.ts').catch(() => undefined);
    expect(teardown).toBe(fixtures?.teardownOutstanding ?? reportOnlyTeardown);
    expect(warnings).toEqual([]);
  });

  it('reports every record as not deleted when no deleter is available', async () => {
    const record = {
      event: 'created' as const,
      id: 'i',
      kind: 'pod',
      ref: { name: 'p' },
      runId: 'r',
      at: 'now',
    };
    const results = await reportOnlyTeardown({} as never, [record]);
    expect(results).toEqual([
      { record, ok: false, error: 'no deleter is available in this installation; run the janitor' },
    ]);
  });
});
