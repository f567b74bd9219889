// Golden tests of the IRSA mutation, in the style of amazon-eks-pod-identity-webhook's testdata: each
// `irsa-mutation/<case>.pod.yaml` is an input pod, `<case>.expected.yaml` the pod EKS would store. The
// settings (region, the service account's annotations) sit in the pod annotation
// testing.eks.amazonaws.com/settings (JSON). To rewrite the expected files after a deliberate change:
// UPDATE_GOLDEN=1, then review the diff.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type IrsaMutationSettings, mutatePodForIrsa } from '../../eks/irsa-mutation.ts';

const dir = join(import.meta.dirname, 'irsa-mutation');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.pod.yaml'))
  .map((f) => f.slice(0, -'.pod.yaml'.length))
  .sort();

function settingsFor(pod: V1Pod): IrsaMutationSettings {
  return JSON.parse(pod.metadata?.annotations?.['testing.eks.amazonaws.com/settings'] ?? '{}');
}

describe('mutatePodForIrsa golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of cases) {
    it(name, () => {
      const input = parse(readFileSync(join(dir, `${name}.pod.yaml`), 'utf8')) as V1Pod;
      const frozen = structuredClone(input);
      const output = mutatePodForIrsa(input, settingsFor(input));
      const expectedPath = join(dir, `${name}.expected.yaml`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedPath, stringify(output));
      expect(output).toEqual(parse(readFileSync(expectedPath, 'utf8')));
      // Pure: the input is not modified.
      expect(input).toEqual(frozen);
    });
  }
});
