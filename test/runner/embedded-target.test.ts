import type { SimHandle, SimOptions } from '@pod-identity-conformance/sim';
import { awsCliDirectory } from '@pod-identity-conformance/sim';
import { describe, expect, it } from 'vitest';
import type { RunSettings } from '../../runner/settings.ts';
import {
  createEmbeddedTarget,
  EMBEDDED_POD_IMAGE,
  embeddedCapabilities,
  harnessToolDirs,
} from '../../targets/embedded.ts';
import { AWS_SERVICES, CAPABILITY_NAMES } from '../../targets/target.ts';

const settings: RunSettings = {
  suites: ['pod-identity'],
  target: 'embedded',
  reportDir: '/tmp/pic-reports',
  keep: true,
  region: 'eu-west-3',
  cluster: 'sim-cluster',
};

function fakeSim(options: SimOptions, closed: string[]): SimHandle {
  return {
    kubeconfigPath: '/tmp/sim/kubeconfig',
    kubeconfigYaml: 'apiVersion: v1',
    awsEndpointUrl: 'http://127.0.0.1:45678',
    adminCredentials: { accessKeyId: 'AKIASIMADMIN00000000', secretAccessKey: 'sim-admin-secret' },
    accountId: '000000000000',
    region: options.region ?? 'us-east-1',
    podSandbox: { enabled: true, reason: 'pods run in their own namespaces' },
    cluster: {
      name: options.clusterName ?? 'pic-sim',
      arn: 'arn:aws:eks:eu-west-3:000000000000:cluster/sim-cluster',
    },
    close: async () => {
      closed.push('sim');
    },
  };
}

describe('embedded target', () => {
  it('starts the simulator with the run settings and describes it as TargetInfo', async () => {
    const started: SimOptions[] = [];
    const closed: string[] = [];
    const target = await createEmbeddedTarget(settings, 'pic-202611281000-abcde', async (options) => {
      started.push(options);
      return fakeSim(options, closed);
    });
    expect(started).toEqual([
      { region: 'eu-west-3', clusterName: 'sim-cluster', podToolDirs: harnessToolDirs() },
    ]);
    const { info } = target;
    expect(info).toMatchObject({
      name: 'embedded',
      region: 'eu-west-3',
      accountId: '000000000000',
      cluster: { name: 'sim-cluster' },
      credentials: { accessKeyId: 'AKIASIMADMIN00000000', secretAccessKey: 'sim-admin-secret' },
      kubeconfigPath: '/tmp/sim/kubeconfig',
      pod: {
        image: EMBEDDED_POD_IMAGE,
        command: ['sleep', '86400'],
        imagePullPolicy: 'IfNotPresent',
        env: {},
      },
      runId: 'pic-202611281000-abcde',
      reportDir: '/tmp/pic-reports',
      keep: true,
      waitTimeoutMs: 60_000,
    });
    expect(Object.keys(info.endpoints).sort()).toEqual([...AWS_SERVICES].sort());
    for (const service of AWS_SERVICES) expect(info.endpoints[service]).toBe('http://127.0.0.1:45678');
    expect(Object.keys(info.capabilities).sort()).toEqual([...CAPABILITY_NAMES].sort());
    // The AWS CLI is available to pods exactly when the simulator's pod runtime finds one.
    expect(info.capabilities.podAwsCli.available).toBe((await awsCliDirectory()) !== undefined);
    // Plain data: it crosses into the vitest workers.
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    await target.close();
    expect(closed).toEqual(['sim']);
  });

  it('leaves region and cluster to the simulator when not given, and stores --pod-image', async () => {
    const started: SimOptions[] = [];
    const target = await createEmbeddedTarget(
      { suites: [], target: 'embedded', reportDir: '/r', keep: false, podImage: 'mirror.example/aws-cli:2' },
      'pic-202611281000-abcde',
      async (options) => {
        started.push(options);
        return fakeSim(options, []);
      },
    );
    expect(started).toEqual([{ podToolDirs: harnessToolDirs() }]);
    expect(target.info.region).toBe('us-east-1');
    expect(target.info.pod.image).toBe('mirror.example/aws-cli:2');
  });

  it('passes --pod-sandbox to the simulator and marks the podSandbox capability from its answer', async () => {
    const started: SimOptions[] = [];
    const target = await createEmbeddedTarget(
      { suites: [], target: 'embedded', reportDir: '/r', keep: false, podSandbox: 'off' },
      'pic-202611281000-abcde',
      async (options) => {
        started.push(options);
        return {
          ...fakeSim(options, []),
          podSandbox: { enabled: false, reason: 'pod sandbox switched off' },
        };
      },
    );
    expect(started).toEqual([{ podSandbox: 'off', podToolDirs: harnessToolDirs() }]);
    expect(target.info.capabilities.podSandbox).toEqual({
      available: false,
      reason: "the simulator's pod sandbox switched off",
    });
  });

  it('declares what the simulator can and cannot do, with reasons', () => {
    const withCli = embeddedCapabilities('/usr/bin');
    expect(withCli.iamEnforcement.available).toBe(true);
    expect(withCli.sessionTags.available).toBe(true);
    expect(withCli.podSdkProbe.available).toBe(true);
    expect(withCli.podAwsCli).toEqual({ available: true, reason: expect.stringContaining('/usr/bin') });
    const withoutCli = embeddedCapabilities(undefined);
    expect(withoutCli.podAwsCli.available).toBe(false);
    expect(withoutCli.podAwsCli.reason).toContain('no aws');
  });
});
