import { describe, expect, it } from 'vitest';
import { fixtureTarget } from '../../fixture-support.ts';

describe('credentials', () => {
  it('compares the runner secret with another value', () => {
    const info = fixtureTarget();
    // The assertion message and diff carry the target's secret: the reports must not.
    expect({ secretAccessKey: info.credentials?.secretAccessKey }).toEqual({
      secretAccessKey: 'something-else',
    });
  });

  it('passes next to the failure', () => {
    expect(true).toBe(true);
  });
});
