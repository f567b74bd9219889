import { describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES, TARGET_NAMES } from '../targets/target.ts';

describe('target interface', () => {
  it('names the three targets and the capabilities suites can skip on', () => {
    expect(TARGET_NAMES).toEqual(['embedded', 'localstack', 'eks']);
    expect(CAPABILITY_NAMES).toContain('iamEnforcement');
  });
});
