import { describe, expect, it } from 'vitest';
import { podManifest } from '../../../fixtures/pod.ts';
import type { RunContext } from '../../../fixtures/run-context.ts';
import {
  EKS_POD_COMMAND,
  EKS_POD_IMAGE,
  eksPodSettings,
  parseNodeSelector,
  parseToleration,
} from '../../../targets/eks/pod-settings.ts';
import type { TargetInfo } from '../../../targets/target.ts';

describe('eks pod settings', () => {
  it('defaults to the pinned AWS CLI v2 image, a sleep that outlives the run, IfNotPresent and no extra env', () => {
    const pod = eksPodSettings({});
    expect(EKS_POD_IMAGE).toMatch(/^public\.ecr\.aws\/aws-cli\/aws-cli:2\.\d+\.\d+$/);
    expect(pod).toEqual({
      image: EKS_POD_IMAGE,
      command: ['sleep', 'infinity'],
      imagePullPolicy: 'IfNotPresent',
      env: {},
    });
    // The image's entrypoint is `aws`: the command must replace it with something the image has.
    expect(EKS_POD_COMMAND[0]).toBe('sleep');
    // The isolation cases must see whether IMDS hands out the node role: IMDS is not disabled.
    expect(pod.env).not.toHaveProperty('AWS_EC2_METADATA_DISABLED');
  });

  it('puts --pod-image, --node-selector and --toleration into the pods the fixtures create', () => {
    const pod = eksPodSettings({
      podImage: 'registry.example/tools:1',
      nodeSelector: ['kubernetes.io/arch=arm64', 'pool=ci'],
      tolerations: ['dedicated=ci:NoSchedule', 'spot:NoExecute', 'gpu'],
    });
    const info = { runId: 'pic-202611281000-abcde', pod } as TargetInfo;
    const manifest = podManifest({ info } as RunContext, {
      namespace: 'ns',
      name: 'app',
      serviceAccountName: 'app',
    });
    expect(manifest.spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64', pool: 'ci' });
    expect(manifest.spec?.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
      { key: 'gpu', operator: 'Exists' },
    ]);
    const container = manifest.spec?.containers[0];
    expect(container?.image).toBe('registry.example/tools:1');
    expect(container?.command).toEqual(['sleep', 'infinity']);
    expect(container?.imagePullPolicy).toBe('IfNotPresent');
    expect(container?.env).toEqual([]);
  });

  it.each([
    ['pool', 'is not KEY=VALUE'],
    ['=x', 'is not KEY=VALUE'],
    ['bad key!=x', 'is not a valid label key'],
    ['pool=not valid', 'is not a valid label value'],
  ])('refuses the node selector %s', (text, problem) => {
    expect(parseNodeSelector(text)).toContain(problem);
  });

  it.each([
    ['dedicated=ci:Sometimes', 'is not one of NoSchedule, PreferNoSchedule, NoExecute'],
    ['bad key:NoSchedule', 'is not a valid taint key'],
    ['k=bad value:NoSchedule', 'is not a valid taint value'],
  ])('refuses the toleration %s', (text, problem) => {
    expect(parseToleration(text)).toContain(problem);
  });

  it('reads key=value (every effect) and a prefixed key', () => {
    expect(parseToleration('example.com/team=a')).toEqual({
      key: 'example.com/team',
      operator: 'Equal',
      value: 'a',
    });
    expect(parseToleration('node.kubernetes.io/unschedulable:PreferNoSchedule')).toEqual({
      key: 'node.kubernetes.io/unschedulable',
      operator: 'Exists',
      effect: 'PreferNoSchedule',
    });
  });
});
