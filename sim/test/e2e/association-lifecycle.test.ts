// What changing and deleting associations does to pods on the simulator, the propagation faults, the
// agent's DaemonSet, and that close() lets go of every port.

import net from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  DeletePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEksAuthClient } from '../../agent/eks-auth-client.ts';
import { type SimFixture, startSimFixture } from './sim-fixture.ts';

const probe = fileURLToPath(new URL('./js-sdk-client.mjs', import.meta.url));
const NS = 'life';

const isMutated = (pod: V1Pod) => (pod.spec?.volumes ?? []).some((v) => v.name === 'eks-pod-identity-token');

async function whoami(f: SimFixture, pod: string): Promise<string> {
  const result = await f.exec(NS, pod, ['node', probe, 'whoami']);
  const parsed = JSON.parse(result.stdout);
  if (!parsed.ok) throw new Error(`whoami in ${pod} failed: ${parsed.error?.name}: ${parsed.error?.message}`);
  return parsed.arn;
}

/** Creates pods until one is mutated (the association took effect), deleting the others; deadline 10 s. */
async function firstMutatedPod(f: SimFixture, prefix: string): Promise<{ pod: V1Pod; attempts: number }> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 1; ; attempt++) {
    const name = `${prefix}-${attempt}`;
    const pod = await f.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          serviceAccountName: 'app',
          containers: [{ name: 'app', image: 'x', command: ['sleep', '3600'] }],
        },
      },
    });
    if (isMutated(pod)) return { pod, attempts: attempt };
    await f.core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
    if (Date.now() > deadline) throw new Error(`no pod of ${prefix} was mutated within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('association lifecycle', () => {
  let f: SimFixture;
  let firstRole: string;
  let secondRole: string;
  let associationId: string;

  beforeAll(async () => {
    f = await startSimFixture({ clusterName: 'life' });
    [firstRole, secondRole] = await Promise.all([f.createRole('first-role'), f.createRole('second-role')]);
    await f.createNamespace(NS);
    await f.createServiceAccount(NS, 'app');
    associationId = await f.associate(NS, 'app', firstRole);
  });
  afterAll(() => f?.close());

  it('a pod gets the associated role; after an update to another role a new pod gets the new role', async () => {
    await f.runPod(NS, 'before-update', 'app');
    expect(await whoami(f, 'before-update')).toMatch(/:assumed-role\/first-role\/eks-life-before-update-/);
    await f.eks.send(
      new UpdatePodIdentityAssociationCommand({ clusterName: 'life', associationId, roleArn: secondRole }),
    );
    await f.runPod(NS, 'after-update', 'app');
    expect(await whoami(f, 'after-update')).toMatch(/:assumed-role\/second-role\/eks-life-after-update-/);
  });

  it('after the association is deleted a new pod is not mutated', async () => {
    await f.eks.send(new DeletePodIdentityAssociationCommand({ clusterName: 'life', associationId }));
    const pod = await f.runPod(NS, 'after-delete', 'app');
    expect(isMutated(pod)).toBe(false);
    expect(pod.spec!.containers[0]!.env ?? []).toEqual([]);
  });

  it('publishes the agent DaemonSet in kube-system as ready', async () => {
    const ds = await f.kubeConfig
      .makeApiClient(AppsV1Api)
      .readNamespacedDaemonSet({ namespace: 'kube-system', name: 'eks-pod-identity-agent' });
    expect(ds.spec!.template.spec!.hostNetwork).toBe(true);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
  });
});

describe('propagation and agent faults', () => {
  let f: SimFixture;
  const delayMs = 1500;

  beforeAll(async () => {
    f = await startSimFixture({
      clusterName: 'faults',
      faults: {
        seed: 42,
        associationPropagationDelayMs: delayMs,
        iamPropagationDelayMs: 800,
        agentErrorRate: 1,
      },
    });
    await f.createNamespace(NS);
    await f.createServiceAccount(NS, 'app');
  });
  afterAll(() => f?.close());

  it('a new role is reported as not existing until IAM has propagated it', async () => {
    const roleArn = await f.createRole('slow-role');
    await expect(f.associate(NS, 'app', roleArn)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Role provided in the request does not exist',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await f.associate(NS, 'app', roleArn);
        break;
      } catch (error) {
        if (
          (error as Error).message !== 'Role provided in the request does not exist' ||
          Date.now() > deadline
        ) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  it('pods created during the association propagation delay are not mutated, later ones are', async () => {
    const created = Date.now();
    const early = await f.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'early' },
        spec: {
          serviceAccountName: 'app',
          containers: [{ name: 'app', image: 'x', command: ['sleep', '3600'] }],
        },
      },
    });
    expect(isMutated(early)).toBe(false);
    const { pod, attempts } = await firstMutatedPod(f, 'late');
    expect(attempts).toBeGreaterThan(1);
    expect(Date.parse(String(pod.metadata!.creationTimestamp))).toBeGreaterThanOrEqual(created - 1000);
  });

  it('EKS Auth keeps the previous role until an update has propagated', async () => {
    const { pod } = await firstMutatedPod(f, 'token');
    await f.waitRunning(NS, pod.metadata!.name!);
    const token = (
      await f.exec(NS, pod.metadata!.name!, ['sh', '-c', 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"'])
    ).stdout;
    const eksAuth = createEksAuthClient({
      endpoint: f.sim.awsEndpointUrl,
      region: f.sim.region,
      credentials: f.sim.adminCredentials,
    });
    const before = await eksAuth('faults', token);
    expect(before.roleArn).toMatch(/assumed-role\/slow-role\//);
    const newRole = await f.createRole('newer-role');
    const { associations } = await f.eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'faults' }),
    );
    const association = associations![0]!;
    // The new role must be visible to IAM before EKS accepts it.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await f.eks.send(
          new UpdatePodIdentityAssociationCommand({
            clusterName: 'faults',
            associationId: association.associationId!,
            roleArn: newRole,
          }),
        );
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const updatedAt = Date.now();
    expect((await eksAuth('faults', token)).roleArn).toMatch(/assumed-role\/slow-role\//);
    for (;;) {
      const current = await eksAuth('faults', token);
      if (/assumed-role\/newer-role\//.test(current.roleArn)) break;
      if (Date.now() > updatedAt + 10_000) throw new Error('the update did not take effect within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(Date.now() - updatedAt).toBeGreaterThanOrEqual(delayMs - 100);
  });

  it('the agent answers 500 at agentErrorRate 1', async () => {
    const { pod } = await firstMutatedPod(f, 'agent');
    await f.waitRunning(NS, pod.metadata!.name!);
    const token = (
      await f.exec(NS, pod.metadata!.name!, ['sh', '-c', 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"'])
    ).stdout;
    const response = await f.askAgent(NS, pod.metadata!.name!, token);
    expect(response.status).toBe(500);
    expect(response.body).toMatch(/\(InternalServerException\): Injected agent fault/);
  });
});

describe('close()', () => {
  it('stops every server the simulator started', async () => {
    const f = await startSimFixture({ clusterName: 'closing' });
    await f.createNamespace(NS);
    await f.createServiceAccount(NS, 'app');
    await f.associate(NS, 'app', await f.createRole('close-role'));
    const pod = await f.runPod(NS, 'p', 'app');
    const agentUri = (
      await f.exec(NS, 'p', ['printenv', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'])
    ).stdout.trim();
    const ports = [
      Number(new URL(f.sim.awsEndpointUrl).port),
      Number(new URL(f.kubeConfig.getCurrentCluster()!.server).port),
      Number(new URL(agentUri).port),
    ];
    expect(pod.status?.phase).toBe('Running');
    await f.close();
    for (const port of ports) expect(await accepts(port)).toBe(false);
  });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
