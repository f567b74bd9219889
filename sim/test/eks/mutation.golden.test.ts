// Golden tests of the pod identity mutation, in the style of amazon-eks-pod-identity-webhook's
// testdata: each `<case>.pod.yaml` is an input pod, `<case>.expected.yaml` the pod EKS would store.
// Per-case settings sit in the pod annotation testing.eks.amazonaws.com/settings (JSON). To rewrite
// the expected files after a deliberate change: UPDATE_GOLDEN=1, then review the diff.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { mutatePodForPodIdentity, type PodIdentityMutationSettings } from '../../eks/mutation.ts';

const dir = join(import.meta.dirname, 'mutation');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.pod.yaml'))
  .map((f) => f.slice(0, -'.pod.yaml'.length))
  .sort();

function settingsFor(pod: V1Pod): PodIdentityMutationSettings {
  const overrides = JSON.parse(pod.metadata?.annotations?.['testing.eks.amazonaws.com/settings'] ?? '{}');
  const settings: Record<string, unknown> = {
    region: 'us-west-2',
    jitteredExpirationSeconds: 80000,
    ...overrides,
  };
  for (const [key, value] of Object.entries(settings)) if (value === null) delete settings[key];
  return settings as unknown as PodIdentityMutationSettings;
}

describe('mutatePodForPodIdentity golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const name of cases) {
    it(name, () => {
      const input = parse(readFileSync(join(dir, `${name}.pod.yaml`), 'utf8')) as V1Pod;
      const frozen = structuredClone(input);
      const output = mutatePodForPodIdentity(input, settingsFor(input));
      const expectedPath = join(dir, `${name}.expected.yaml`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedPath, stringify(output));
      expect(output).toEqual(parse(readFileSync(expectedPath, 'utf8')));
      // Pure: the input is not modified.
      expect(input).toEqual(frozen);
    });
  }
});
