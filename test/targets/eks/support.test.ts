import { describe, expect, it } from 'vitest';
import { MINIMUM_PLATFORM_VERSIONS, podIdentitySupport } from '../../../targets/eks/support.ts';

describe('Pod Identity support by Kubernetes and platform version (spec §4.6)', () => {
  it('lists the minimum platform version of every Kubernetes version from 1.24 to 1.31', () => {
    expect(MINIMUM_PLATFORM_VERSIONS).toEqual({
      '1.24': 13,
      '1.25': 10,
      '1.26': 9,
      '1.27': 8,
      '1.28': 4,
      '1.29': 1,
      '1.30': 2,
      '1.31': 4,
    });
  });

  it.each([
    ['1.24', 'eks.13', true],
    ['1.24', 'eks.12', false],
    ['1.25', 'eks.10', true],
    ['1.25', 'eks.9', false],
    ['1.26', 'eks.9', true],
    ['1.26', 'eks.8', false],
    ['1.27', 'eks.8', true],
    ['1.27', 'eks.7', false],
    ['1.28', 'eks.4', true],
    ['1.28', 'eks.3', false],
    ['1.29', 'eks.1', true],
    ['1.30', 'eks.2', true],
    ['1.30', 'eks.1', false],
    ['1.31', 'eks.4', true],
    ['1.31', 'eks.3', false],
    ['1.31', 'eks.40', true],
    ['1.32', 'eks.1', true],
    ['1.33', '', true],
    ['2.0', 'eks.1', true],
    ['1.23', 'eks.20', false],
    ['1.10', 'eks.1', false],
  ])('Kubernetes %s platform %s: supported %s', (kubernetes, platform, supported) => {
    expect(podIdentitySupport(kubernetes, platform).supported).toBe(supported);
  });

  it('compares platform versions as numbers, not text (eks.10 is after eks.9)', () => {
    expect(podIdentitySupport('1.26', 'eks.10').supported).toBe(true);
    expect(podIdentitySupport('1.24', 'eks.9').supported).toBe(false);
  });

  it('says what to do when the version is too old', () => {
    expect(podIdentitySupport('1.28', 'eks.3').reason).toContain('older than eks.4');
    expect(podIdentitySupport('1.23', 'eks.20').reason).toContain(
      'upgrade the cluster to 1.24 (eks.13) or later',
    );
  });

  it('cannot decide (not a failure) when a version is unreadable', () => {
    expect(podIdentitySupport('latest', 'eks.1').supported).toBe('unknown');
    expect(podIdentitySupport('1.28', 'custom').supported).toBe('unknown');
  });
});
