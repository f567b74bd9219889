// The latency profile's plumbing: each wait applied where the real one happens, shown with a short
// scaled profile as ordering facts (Pending until the start delay has passed, Terminating until the
// deletion delay has), never as timing bounds.

import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startAwsSim } from '../aws/index.ts';
import { startSim } from '../index.ts';
import { startKubeSim } from '../kube/index.ts';
import {
  describeLatency,
  EKS_LATENCY,
  LATENCY_PROFILE_NAMES,
  resolveLatency,
  scaleLatency,
} from '../latency.ts';
import { clientConfig, eventually as eventuallyAws, trustAccount } from './aws/helpers.ts';
import { clients, eventually, waitForPhase } from './kube/helpers.ts';

const sleeper = (name: string) => ({
  metadata: { name },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'main', image: 'public.ecr.aws/aws-cli/aws-cli:2.22.0', command: ['sleep', '3600'] },
    ],
  },
});

async function eventReasons(core: CoreV1Api, namespace: string, pod: string): Promise<string[]> {
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` });
  return events.items.map((event) => `${event.reason}: ${event.message}`);
}

describe('latency profiles', () => {
  it('name the EKS profile, refuse unknown names and scale every wait', () => {
    expect(LATENCY_PROFILE_NAMES).toEqual(['eks']);
    expect(resolveLatency('eks')).toBe(EKS_LATENCY);
    expect(resolveLatency(undefined)).toEqual({});
    expect(() => resolveLatency('fast' as 'eks')).toThrow("unknown latency profile 'fast'; choose from: eks");
    const tenth = scaleLatency(EKS_LATENCY, 0.1);
    expect(tenth.imagePullMs).toBe(EKS_LATENCY.imagePullMs / 10);
    expect(tenth.apiMs?.['eks-auth']).toBe(EKS_LATENCY.apiMs['eks-auth']! / 10);
    expect(describeLatency(EKS_LATENCY)).toContain('image pull 15 s (first pod)');
  });

  it('keeps a pod Pending through scheduling, the first image pull and container start; the next pod finds the image', async () => {
    const podStart = { schedulingMs: 300, imagePullMs: 600, containerStartMs: 100 };
    const sim = await startKubeSim({ clusterName: 'latency', latency: { podStart } });
    try {
      const { core } = clients(sim);
      await core.createNamespace({ body: { metadata: { name: 'slow' } } });
      const created = Date.now();
      await core.createNamespacedPod({ namespace: 'slow', body: sleeper('first') });
      expect((await core.readNamespacedPod({ namespace: 'slow', name: 'first' })).status?.phase).toBe(
        'Pending',
      );
      await waitForPhase(core, 'slow', 'first', ['Running']);
      expect(Date.now() - created).toBeGreaterThanOrEqual(
        podStart.schedulingMs + podStart.imagePullMs + podStart.containerStartMs,
      );
      expect(await eventReasons(core, 'slow', 'first')).toEqual(
        expect.arrayContaining([
          'Pulling: Pulling image "public.ecr.aws/aws-cli/aws-cli:2.22.0"',
          'Pulled: Successfully pulled image "public.ecr.aws/aws-cli/aws-cli:2.22.0" in 600 ms',
        ]),
      );

      const second = Date.now();
      await core.createNamespacedPod({ namespace: 'slow', body: sleeper('second') });
      expect((await core.readNamespacedPod({ namespace: 'slow', name: 'second' })).status?.phase).toBe(
        'Pending',
      );
      await waitForPhase(core, 'slow', 'second', ['Running']);
      expect(Date.now() - second).toBeGreaterThanOrEqual(podStart.schedulingMs + podStart.containerStartMs);
      const reasons = await eventReasons(core, 'slow', 'second');
      expect(reasons).toContain(
        'Pulled: Container image "public.ecr.aws/aws-cli/aws-cli:2.22.0" already present on machine',
      );
      expect(reasons.some((r) => r.startsWith('Pulling'))).toBe(false);
    } finally {
      await sim.close();
    }
  });

  it('keeps a deleted namespace Terminating for the deletion delay after its content is gone', async () => {
    const sim = await startKubeSim({ clusterName: 'latency', latency: { namespaceDeletionMs: 400 } });
    try {
      const { core } = clients(sim);
      await core.createNamespace({ body: { metadata: { name: 'going' } } });
      const deleted = Date.now();
      await core.deleteNamespace({ name: 'going' });
      expect((await core.readNamespace({ name: 'going' })).status?.phase).toBe('Terminating');
      await eventually('namespace going gone', async () => {
        try {
          await core.readNamespace({ name: 'going' });
          return undefined;
        } catch (error) {
          return (error as { code?: number }).code === 404 ? true : undefined;
        }
      });
      expect(Date.now() - deleted).toBeGreaterThanOrEqual(400);
    } finally {
      await sim.close();
    }
  });

  it('answers calls of a service only after its API latency', async () => {
    const sim = await startAwsSim({ faults: { serviceLatencyMs: { sts: 300 } } });
    const sts = new STSClient(clientConfig(sim));
    try {
      const started = Date.now();
      await sts.send(new GetCallerIdentityCommand({}));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      sts.destroy();
      await sim.close();
    }
  });

  it('enforces a role policy written over the API only once IAM propagation has passed', async () => {
    const sim = await startAwsSim({ faults: { iamPropagationDelayMs: 500 } });
    const iam = new IAMClient(clientConfig(sim));
    try {
      const role = sim.iam.createRole({
        roleName: 'reader',
        assumeRolePolicyDocument: trustAccount(sim.accountId),
      });
      const session = sim.createRoleSessionCredentials(role.arn, { sessionName: 'reader' });
      const s3 = new S3Client({ ...clientConfig(sim, session), forcePathStyle: true });
      const written = Date.now();
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'reader',
          PolicyName: 'list',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
          }),
        }),
      );
      await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
      await eventuallyAws(() => s3.send(new ListBucketsCommand({})).catch(() => undefined));
      expect(Date.now() - written).toBeGreaterThanOrEqual(500);
      s3.destroy();
    } finally {
      iam.destroy();
      await sim.close();
    }
  });

  it('reaches the pod runtime through startSim', async () => {
    const sim = await startSim({ latency: { podSchedulingMs: 400 }, podSandbox: 'off' });
    try {
      const { core } = clients({ kubeconfigYaml: sim.kubeconfigYaml } as Parameters<typeof clients>[0]);
      await core.createNamespace({ body: { metadata: { name: 'scheduled' } } });
      const created = Date.now();
      await core.createNamespacedPod({ namespace: 'scheduled', body: sleeper('later') });
      expect((await core.readNamespacedPod({ namespace: 'scheduled', name: 'later' })).status?.phase).toBe(
        'Pending',
      );
      await waitForPhase(core, 'scheduled', 'later', ['Running']);
      expect(Date.now() - created).toBeGreaterThanOrEqual(400);
    } finally {
      await sim.close();
    }
  });
});
