import type { V1Pod, V1ServiceAccount } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPodIdentityAdmissionHook } from '../../eks/admission.ts';
import { podIdentityAgentDaemonSet } from '../../eks/agent-daemonset.ts';
import { EksControlPlane } from '../../eks/control-plane.ts';
import { createSeededRandom } from '../../random.ts';
import { ACCOUNT, type FakeKubernetes, fakeKubernetes, REGION } from './fakes.ts';

const roleArn = `arn:aws:iam::${ACCOUNT}:role/app-role`;
let kubernetes: FakeKubernetes;
beforeAll(async () => {
  kubernetes = await fakeKubernetes();
});

function newPod(serviceAccountName: string, labels?: Record<string, string>): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', labels },
    spec: { serviceAccountName, containers: [{ name: 'app', image: 'x' }] },
  };
}

const sa = (name: string, annotations?: Record<string, string>): V1ServiceAccount => ({
  metadata: { name, namespace: 'ns', annotations },
});

function setup(delayMs = 0) {
  const clock = { now: 1_700_000_000_000 };
  const controlPlane = new EksControlPlane({
    region: REGION,
    accountId: ACCOUNT,
    associationPropagationDelayMs: delayMs,
    now: () => clock.now,
  });
  const cluster = controlPlane.addCluster('c1', kubernetes);
  const errors: unknown[] = [];
  const hook = createPodIdentityAdmissionHook({
    cluster,
    random: createSeededRandom(7),
    onError: (e) => errors.push(e),
  });
  return { cluster, clock, hook, errors };
}

const envNames = (pod: V1Pod) => (pod.spec!.containers[0]!.env ?? []).map((e) => e.name);

describe('pod identity admission hook', () => {
  it('mutates pods of associated service accounts only', async () => {
    const { cluster, hook } = setup();
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn });
    const associated = newPod('app');
    await hook(associated, { namespace: 'ns', serviceAccount: sa('app') });
    expect(envNames(associated)).toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    expect(associated.spec!.volumes![0]!.name).toBe('eks-pod-identity-token');
    const expiration =
      associated.spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!.expirationSeconds!;
    expect(expiration).toBeGreaterThanOrEqual(79200);
    expect(expiration).toBeLessThanOrEqual(86400);

    const other = newPod('other');
    await hook(other, { namespace: 'ns', serviceAccount: sa('other') });
    expect(other.spec!.containers[0]!.env).toBeUndefined();
    expect(other.spec!.volumes).toBeUndefined();
  });

  it('draws the token expiration jitter from the seed', async () => {
    const draws: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const { cluster, hook } = setup();
      cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn });
      const values: number[] = [];
      for (let i = 0; i < 3; i++) {
        const pod = newPod('app');
        await hook(pod, { namespace: 'ns', serviceAccount: sa('app') });
        values.push(pod.spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!.expirationSeconds!);
      }
      draws.push(values);
    }
    expect(draws[0]).toEqual(draws[1]);
    expect(new Set(draws[0]).size).toBeGreaterThan(1);
  });

  it('does not mutate pods created before the association takes effect', async () => {
    const { cluster, clock, hook } = setup(3000);
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn });
    const early = newPod('app');
    await hook(early, { namespace: 'ns', serviceAccount: sa('app') });
    expect(early.spec!.volumes).toBeUndefined();
    clock.now += 3000;
    const later = newPod('app');
    await hook(later, { namespace: 'ns', serviceAccount: sa('app') });
    expect(later.spec!.volumes![0]!.name).toBe('eks-pod-identity-token');
  });

  it('skips pods with the skip label', async () => {
    const { cluster, hook } = setup();
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn });
    const pod = newPod('app', { 'eks.amazonaws.com/skip-pod-identity-webhook': 'true' });
    await hook(pod, { namespace: 'ns', serviceAccount: sa('app') });
    expect(pod.spec!.volumes).toBeUndefined();
  });

  it('fails open: an error admits the pod unmutated and is reported', async () => {
    const { cluster, hook, errors } = setup();
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn });
    const broken = {
      metadata: { name: 'p' },
      spec: { serviceAccountName: 'app', containers: null },
    } as unknown as V1Pod;
    await hook(broken, { namespace: 'ns', serviceAccount: sa('app') });
    expect(errors).toHaveLength(1);
  });
});

describe('agent DaemonSet', () => {
  it('is the add-on shape, ready on one node', () => {
    const ds = podIdentityAgentDaemonSet({ clusterName: 'c1', region: REGION });
    expect(ds.metadata).toMatchObject({ name: 'eks-pod-identity-agent', namespace: 'kube-system' });
    const spec = ds.spec!.template.spec!;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.priorityClassName).toBe('system-node-critical');
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.containers[0]!.args).toEqual(
      expect.arrayContaining(['--port', '80', '--cluster-name', 'c1']),
    );
    expect(spec.containers[0]!.securityContext!.capabilities!.add).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
  });
});
