import { describe, expect, it } from 'vitest';
import { newRunId, RUN_ID_PATTERN } from '../../helpers/run-id.ts';

describe('newRunId', () => {
  it('is pic-<utc yyyymmddhhmm>-<5 lowercase alphanumerics>', () => {
    const id = newRunId(new Date('2026-11-28T07:05:59.999Z'));
    expect(id).toMatch(/^pic-202611280705-[a-z0-9]{5}$/);
    expect(id).toMatch(RUN_ID_PATTERN);
  });

  it('uses UTC and zero-pads every field', () => {
    expect(newRunId(new Date('2027-01-02T03:04:00Z'))).toMatch(/^pic-202701020304-/);
  });

  it('differs between runs started in the same minute', () => {
    const at = new Date('2026-11-28T07:05:00Z');
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(at)));
    expect(ids.size).toBeGreaterThan(45);
  });
});
