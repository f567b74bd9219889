// createEksTarget in-process against the simulator: what it refuses before touching AWS, the TargetInfo
// it hands to the workers, and the token file it keeps fresh until close().

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimHandle } from '@pod-identity-conformance/sim';
import { startSim } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NotYet } from '../../../helpers/eventually.ts';
import { ConfigurationError } from '../../../runner/errors.ts';
import type { RunSettings } from '../../../runner/settings.ts';
import { EKS_POD_IMAGE } from '../../../targets/eks/pod-settings.ts';
import { createEksTarget, type EksTargetDeps, endpointsFromEnvironment } from '../../../targets/eks.ts';

const RUN_ID = 'pic-202611281000-abcde';
let sim: SimHandle;
let dir: string;
const warnings: string[] = [];

beforeAll(async () => {
  sim = await startSim({ clusterName: 'unit-cluster', accountId: '123456789012', region: 'eu-west-2' });
  dir = await mkdtemp(join(tmpdir(), 'pic-eks-target-unit-'));
  // The target's AWS clients resolve the endpoint as the SDK does: from the environment.
  process.env.AWS_ENDPOINT_URL = sim.awsEndpointUrl;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL;
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function settings(overrides: Partial<RunSettings> = {}): RunSettings {
  return {
    suites: ['pod-identity'],
    target: 'eks',
    reportDir: join(dir, 'reports'),
    keep: false,
    region: sim.region,
    ...overrides,
  };
}

function deps(overrides: Partial<EksTargetDeps> = {}): EksTargetDeps {
  return {
    env: { AWS_ENDPOINT_URL: sim.awsEndpointUrl },
    homeDir: join(dir, 'home'),
    credentials: (async () => ({ ...sim.adminCredentials })) as never,
    warn: (line) => warnings.push(line),
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

describe('createEksTarget', () => {
  it('refuses, before calling AWS, to run without a cluster or with a context it cannot find', async () => {
    const noCluster = await refusal(createEksTarget(settings(), RUN_ID, { purpose: 'run' }, deps()));
    expect(noCluster.message).toBe(
      'no cluster given and no kubeconfig (KUBECONFIG is not set and ~/.kube/config does not exist); pass --cluster NAME --region REGION, or set KUBECONFIG',
    );
    const contextWithoutKubeconfig = await refusal(
      createEksTarget(
        settings({ cluster: 'unit-cluster', context: 'prod' }),
        RUN_ID,
        { purpose: 'run' },
        deps(),
      ),
    );
    expect(contextWithoutKubeconfig.message).toContain('--context prod needs a kubeconfig');
    const unknownContext = await refusal(
      createEksTarget(
        settings({ context: 'prod' }),
        RUN_ID,
        { purpose: 'run' },
        deps({ env: { KUBECONFIG: sim.kubeconfigPath } }),
      ),
    );
    expect(unknownContext.message).toBe(
      `kubeconfig ${sim.kubeconfigPath} has no context "prod"; contexts: unit-cluster`,
    );
  });

  it('refuses a kubeconfig it cannot read, naming it', async () => {
    const broken = join(dir, 'broken-kubeconfig');
    await writeFile(broken, 'clusters: [: not yaml');
    const error = await refusal(
      createEksTarget(
        settings({ cluster: 'unit-cluster' }),
        RUN_ID,
        { purpose: 'run' },
        deps({ env: { KUBECONFIG: broken } }),
      ),
    );
    expect(error.message).toContain(`the kubeconfig ${broken} could not be read`);
  });

  it('with only --cluster: TargetInfo for the workers and a token file refreshed until close()', async () => {
    const target = await createEksTarget(
      settings({
        cluster: 'unit-cluster',
        accounts: ['123456789012'],
        waitTimeout: '300',
        nodeSelector: ['pool=ci'],
      }),
      RUN_ID,
      { purpose: 'run' },
      deps({ tokenRefreshMs: 100 }),
    );
    const access = join(tmpdir(), `pic-eks-access-${RUN_ID}`);
    try {
      const { info } = target;
      expect(info).toMatchObject({
        name: 'eks',
        region: 'eu-west-2',
        accountId: '123456789012',
        cluster: { name: 'unit-cluster', arn: 'arn:aws:eks:eu-west-2:123456789012:cluster/unit-cluster' },
        kubeconfigPath: join(access, 'kubeconfig'),
        runId: RUN_ID,
        waitTimeoutMs: 300_000,
        pod: { image: EKS_POD_IMAGE, command: ['sleep', 'infinity'], nodeSelector: { pool: 'ci' }, env: {} },
      });
      expect(info).not.toHaveProperty('credentials');
      expect(info).not.toHaveProperty('kubeContext');
      expect(info.endpoints).toEqual(endpointsFromEnvironment({ AWS_ENDPOINT_URL: sim.awsEndpointUrl }));
      expect(info.capabilities.podSdkProbe).toEqual({
        available: false,
        reason:
          'the pod image has no node; run the JS SDK v3 probe in an image of yours with --client-image node-v3=IMAGE',
      });
      expect(Object.values(info.capabilities).filter((c) => c.available)).toHaveLength(5);
      expect(info.capabilities.podSandbox.available).toBe(true);
      expect(info.capabilities.webIdentityFederation.available).toBe(true);
      // Without --target-role-account the cross-account cases skip, saying what to pass.
      expect(info).not.toHaveProperty('targetRoleAccount');
      expect(info.capabilities.targetRoleAccount.reason).toContain('pass --target-role-account ID');
      expect(target.preflight?.map((c) => c.status)).not.toContain('failed');
      expect((await stat(access)).mode & 0o777).toBe(0o700);

      const tokenFile = join(access, 'token');
      const first = await readFile(tokenFile, 'utf8');
      expect(first.startsWith('k8s-aws-v1.')).toBe(true);
      expect(await readFile(info.kubeconfigPath, 'utf8')).toContain(`tokenFile: ${tokenFile}`);
      // Tokens signed in the same second are identical: wait for one signed later.
      await eventually(
        'a refreshed token in the file',
        async () => {
          if ((await readFile(tokenFile, 'utf8')) === first) throw new NotYet('same token');
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
    } finally {
      await target.close();
    }
    expect(existsSync(access)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("uses the kubeconfig context whose server is the cluster's endpoint, as it is", async () => {
    await mkdir(join(dir, 'home', '.kube'), { recursive: true });
    await writeFile(join(dir, 'home', '.kube', 'config'), await readFile(sim.kubeconfigPath, 'utf8'));
    const target = await createEksTarget(
      settings({ cluster: 'unit-cluster', yes: true }),
      RUN_ID,
      { purpose: 'run' },
      deps(),
    );
    try {
      expect(target.info.kubeconfigPath).toBe(join(dir, 'home', '.kube', 'config'));
      expect(target.info.kubeContext).toBe('unit-cluster');
      expect(target.preflight?.find((c) => c.name === 'Kubernetes access')?.detail).toContain(
        'via kubeconfig context unit-cluster',
      );
      expect(target.preflight?.find((c) => c.name === 'account allowed')?.detail).toBe(
        'account 123456789012 accepted by --yes (no --account given)',
      );
    } finally {
      await target.close();
      await rm(join(dir, 'home', '.kube'), { recursive: true, force: true });
    }
  });
});

describe('endpoints from the environment', () => {
  it('takes AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL, and none when configured endpoints are ignored', () => {
    expect(
      endpointsFromEnvironment({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_EKS_AUTH: 'http://b' }),
    ).toEqual({ iam: 'http://a', sts: 'http://a', s3: 'http://a', eks: 'http://a', 'eks-auth': 'http://b' });
    expect(endpointsFromEnvironment({ AWS_ENDPOINT_URL_S3: 'http://s3' })).toEqual({ s3: 'http://s3' });
    expect(
      endpointsFromEnvironment({ AWS_ENDPOINT_URL: 'http://a', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toEqual({});
    expect(endpointsFromEnvironment({})).toEqual({});
  });
});
