// The IRSA half of the admission webhook: a service account annotated with eks.amazonaws.com/role-arn
// gets the web identity variables and the aws-iam-token volume, unless it has a pod identity association
// (container credentials take precedence, spec §1.6).

import type { V1Pod, V1ServiceAccount } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPodIdentityAdmissionHook } from '../../eks/admission.ts';
import { EksControlPlane } from '../../eks/control-plane.ts';
import { mutatePodForIrsa } from '../../eks/irsa-mutation.ts';
import { createSeededRandom } from '../../random.ts';
import type { Sabotage } from '../../sabotage.ts';
import { ACCOUNT, type FakeKubernetes, fakeKubernetes, REGION } from './fakes.ts';

const irsaRole = `arn:aws:iam::${ACCOUNT}:role/irsa-role`;
const podIdentityRole = `arn:aws:iam::${ACCOUNT}:role/pod-identity-role`;
let kubernetes: FakeKubernetes;
beforeAll(async () => {
  kubernetes = await fakeKubernetes();
});

const newPod = (annotations?: Record<string, string>): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', annotations },
  spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'x' }] },
});
const sa = (annotations?: Record<string, string>): V1ServiceAccount => ({
  metadata: { name: 'app', namespace: 'ns', annotations },
});
const env = (pod: V1Pod) =>
  Object.fromEntries((pod.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));

function setup(sabotage?: Sabotage) {
  const controlPlane = new EksControlPlane({ region: REGION, accountId: ACCOUNT });
  const cluster = controlPlane.addCluster('c1', kubernetes);
  const hook = createPodIdentityAdmissionHook({ cluster, random: createSeededRandom(7), sabotage });
  return { cluster, hook };
}

describe('IRSA mutation', () => {
  it('adds the documented variables, volume and mount', () => {
    const pod = mutatePodForIrsa(newPod(), {
      region: 'us-west-2',
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': irsaRole },
    });
    expect(pod.spec!.containers[0]!.env).toEqual([
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
      { name: 'AWS_DEFAULT_REGION', value: 'us-west-2' },
      { name: 'AWS_REGION', value: 'us-west-2' },
      { name: 'AWS_ROLE_ARN', value: irsaRole },
      {
        name: 'AWS_WEB_IDENTITY_TOKEN_FILE',
        value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      },
    ]);
    expect(pod.spec!.volumes).toEqual([
      {
        name: 'aws-iam-token',
        projected: {
          sources: [
            {
              serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' },
            },
          ],
          defaultMode: 420,
        },
      },
    ]);
    expect(pod.spec!.containers[0]!.volumeMounts).toEqual([
      {
        name: 'aws-iam-token',
        readOnly: true,
        mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount',
      },
    ]);
  });

  it('honours the audience, sts-regional-endpoints and token-expiration annotations', () => {
    const pod = mutatePodForIrsa(newPod({ 'eks.amazonaws.com/token-expiration': '7200' }), {
      serviceAccountAnnotations: {
        'eks.amazonaws.com/role-arn': irsaRole,
        'eks.amazonaws.com/audience': 'example.com',
        'eks.amazonaws.com/sts-regional-endpoints': 'false',
        'eks.amazonaws.com/token-expiration': '3600',
      },
    });
    expect(Object.keys(env(pod))).toEqual(['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
    const token = pod.spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!;
    // The pod's annotation beats the service account's.
    expect(token).toEqual({ audience: 'example.com', expirationSeconds: 7200, path: 'token' });
    const short = mutatePodForIrsa(newPod(), {
      serviceAccountAnnotations: {
        'eks.amazonaws.com/role-arn': irsaRole,
        'eks.amazonaws.com/token-expiration': '60',
      },
    });
    expect(short.spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!.expirationSeconds).toBe(600);
  });

  it("keeps a container's own web identity and skips listed containers", () => {
    const input = newPod({ 'eks.amazonaws.com/skip-containers': 'sidecar' });
    input.spec!.containers[0]!.env = [{ name: 'AWS_ROLE_ARN', value: 'mine' }];
    input.spec!.containers.push({ name: 'sidecar', image: 'x' });
    const pod = mutatePodForIrsa(input, {
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': irsaRole },
    });
    expect(env(pod).AWS_ROLE_ARN).toBe('mine');
    expect(env(pod).AWS_WEB_IDENTITY_TOKEN_FILE).toBeUndefined();
    expect(pod.spec!.containers[1]!.env).toBeUndefined();
    expect(pod.spec!.containers[1]!.volumeMounts).toBeUndefined();
  });
});

describe('admission with IRSA', () => {
  it('mutates an annotated service account without an association for IRSA', async () => {
    const { hook } = setup();
    const pod = newPod();
    await hook(pod, { namespace: 'ns', serviceAccount: sa({ 'eks.amazonaws.com/role-arn': irsaRole }) });
    expect(env(pod).AWS_ROLE_ARN).toBe(irsaRole);
    expect(env(pod).AWS_CONTAINER_CREDENTIALS_FULL_URI).toBeUndefined();
  });

  it('gives an association precedence: only the container credential variables', async () => {
    const { cluster, hook } = setup();
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'app', roleArn: podIdentityRole });
    const pod = newPod();
    await hook(pod, { namespace: 'ns', serviceAccount: sa({ 'eks.amazonaws.com/role-arn': irsaRole }) });
    expect(env(pod).AWS_CONTAINER_CREDENTIALS_FULL_URI).toBeDefined();
    expect(env(pod).AWS_ROLE_ARN).toBeUndefined();
    expect(pod.spec!.volumes!.map((v) => v.name)).toEqual(['eks-pod-identity-token']);
  });

  it('irsaMutationOff and irsaOverridesPodIdentity break it as they say', async () => {
    const off = setup({ irsaMutationOff: true });
    const pod = newPod();
    await off.hook(pod, { namespace: 'ns', serviceAccount: sa({ 'eks.amazonaws.com/role-arn': irsaRole }) });
    expect(pod.spec!.volumes).toBeUndefined();

    const inverted = setup({ irsaOverridesPodIdentity: true });
    inverted.cluster.associations.create({
      namespace: 'ns',
      serviceAccount: 'app',
      roleArn: podIdentityRole,
    });
    const both = newPod();
    await inverted.hook(both, {
      namespace: 'ns',
      serviceAccount: sa({ 'eks.amazonaws.com/role-arn': irsaRole }),
    });
    expect(env(both).AWS_ROLE_ARN).toBe(irsaRole);
    expect(env(both).AWS_CONTAINER_CREDENTIALS_FULL_URI).toBeUndefined();
  });
});
