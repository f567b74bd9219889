// The extension points other parts of the simulator use: pod admission hooks (CREATE only),
// spawn-time environment hooks, published DaemonSets, and token issuing.

import { AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeStatusError, type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import type { PodAdmissionContext } from '../../kube/types.ts';
import { callApi, clients, execInPod, waitForPhase } from './helpers.ts';

let sim: StartedKubeSim;
const calls: Array<{ pod: string; ctx: PodAdmissionContext; hadApiAccessVolume: boolean }> = [];

beforeAll(async () => {
  sim = await startKubeSim({ clusterName: 'hooks' });
  sim.addPodAdmissionHook((pod: V1Pod, ctx) => {
    calls.push({
      pod: pod.metadata?.name ?? '',
      ctx,
      hadApiAccessVolume: (pod.spec?.volumes ?? []).some((v) => v.name.startsWith('kube-api-access-')),
    });
    if (pod.metadata?.labels?.deny === 'yes') {
      throw new KubeStatusError(
        'Forbidden',
        `admission webhook "test.hook" denied the request: pod ${pod.metadata.name} is labelled deny`,
      );
    }
    if (ctx.serviceAccount.metadata?.annotations?.['example.com/inject'] === 'true') {
      for (const container of pod.spec?.containers ?? []) {
        container.env = [
          ...(container.env ?? []),
          { name: 'AGENT_URL', value: 'http://169.254.170.23/v1/credentials' },
        ];
      }
    }
  });
  sim.addSpawnEnvHook((env) => {
    if (env.AGENT_URL) env.AGENT_URL = env.AGENT_URL.replace('169.254.170.23', '127.0.0.1:4444');
    return env;
  });
  const { core } = clients(sim);
  await core.createNamespace({ body: { metadata: { name: 'hooked' } } });
  await core.createNamespacedServiceAccount({
    namespace: 'hooked',
    body: { metadata: { name: 'injected', annotations: { 'example.com/inject': 'true' } } },
  });
});

afterAll(async () => {
  await sim?.close();
});

describe('pod admission and spawn hooks', () => {
  it('runs the admission hook on CREATE after defaults; the stored pod shows its mutation', async () => {
    const { core } = clients(sim);
    await core.createNamespacedPod({
      namespace: 'hooked',
      body: {
        metadata: { name: 'app' },
        spec: {
          serviceAccountName: 'injected',
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
        },
      },
    });
    const call = calls.find((c) => c.pod === 'app');
    expect(call?.ctx.namespace).toBe('hooked');
    expect(call?.ctx.serviceAccount.metadata?.name).toBe('injected');
    expect(call?.hadApiAccessVolume).toBe(true);
    const stored = await core.readNamespacedPod({ namespace: 'hooked', name: 'app' });
    expect(stored.spec?.containers[0].env).toContainEqual({
      name: 'AGENT_URL',
      value: 'http://169.254.170.23/v1/credentials',
    });
  });

  it('does not run the admission hook on updates', async () => {
    const before = calls.length;
    const result = await callApi(sim, 'PATCH', '/api/v1/namespaces/hooked/pods/app', {
      body: '{"metadata":{"labels":{"patched":"true"}}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(result.status).toBe(200);
    expect(calls.length).toBe(before);
  });

  it('applies the spawn env hook to the process while the stored pod keeps the original value', async () => {
    const { kc, core } = clients(sim);
    await waitForPhase(core, 'hooked', 'app', ['Running']);
    const result = await execInPod(kc, 'hooked', 'app', 'c', ['env']);
    expect(result.stdout).toContain('AGENT_URL=http://127.0.0.1:4444/v1/credentials\n');
    const stored = await core.readNamespacedPod({ namespace: 'hooked', name: 'app' });
    expect(stored.spec?.containers[0].env?.find((e) => e.name === 'AGENT_URL')?.value).toBe(
      'http://169.254.170.23/v1/credentials',
    );
  });

  it('lets a hook reject a pod with its own Status', async () => {
    const result = await callApi(sim, 'POST', '/api/v1/namespaces/hooked/pods', {
      body: JSON.stringify({
        metadata: { name: 'denied', labels: { deny: 'yes' } },
        spec: { containers: [{ name: 'c', image: 'x', command: ['true'] }] },
      }),
    });
    expect(result.status).toBe(403);
    expect(result.json().message).toContain('denied the request');
    expect((await callApi(sim, 'GET', '/api/v1/namespaces/hooked/pods/denied')).status).toBe(404);
  });
});

describe('published DaemonSets', () => {
  it('serves DaemonSets the simulator publishes, read-only', async () => {
    sim.publishDaemonSet({
      metadata: {
        name: 'eks-pod-identity-agent',
        namespace: 'kube-system',
        labels: { 'app.kubernetes.io/name': 'eks-pod-identity-agent' },
      },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'eks-pod-identity-agent' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'eks-pod-identity-agent' } },
          spec: {
            hostNetwork: true,
            containers: [{ name: 'eks-pod-identity-agent', image: 'eks/eks-pod-identity-agent:v0.1.0' }],
          },
        },
      },
    });
    const { kc } = clients(sim);
    const apps = kc.makeApiClient(AppsV1Api);
    const ds = await apps.readNamespacedDaemonSet({
      namespace: 'kube-system',
      name: 'eks-pod-identity-agent',
    });
    expect(ds.status?.numberReady).toBe(1);
    expect(ds.metadata?.uid).toBeTruthy();
    const list = await apps.listDaemonSetForAllNamespaces({
      labelSelector: 'app.kubernetes.io/name=eks-pod-identity-agent',
    });
    expect(list.items).toHaveLength(1);
    const deleted = await callApi(
      sim,
      'DELETE',
      '/apis/apps/v1/namespaces/kube-system/daemonsets/eks-pod-identity-agent',
    );
    expect(deleted.status).toBe(405);
  });
});

describe('issueServiceAccountToken', () => {
  it('issues pod-bound tokens that verify against jwks()', async () => {
    const { core } = clients(sim);
    const pod = await core.readNamespacedPod({ namespace: 'hooked', name: 'app' });
    const issued = await sim.issueServiceAccountToken({
      namespace: 'hooked',
      serviceAccountName: 'injected',
      audiences: ['pods.eks.amazonaws.com'],
      expirationSeconds: 86400,
      boundPod: { name: 'app', uid: pod.metadata?.uid ?? '' },
    });
    const { payload } = await jwtVerify(issued.token, createLocalJWKSet(sim.jwks() as never), {
      issuer: sim.issuer,
      audience: 'pods.eks.amazonaws.com',
    });
    expect(payload['kubernetes.io']).toMatchObject({
      namespace: 'hooked',
      pod: { name: 'app', uid: pod.metadata?.uid },
    });
    expect(issued.expiresAt.getTime()).toBe((payload.exp ?? 0) * 1000);
  });

  it('refuses a service account that does not exist', async () => {
    await expect(
      sim.issueServiceAccountToken({
        namespace: 'hooked',
        serviceAccountName: 'ghost',
        audiences: ['a'],
        expirationSeconds: 600,
      }),
    ).rejects.toThrow('serviceaccounts "ghost" not found');
  });

  it('authenticates API requests made with a service-account token for the API audience', async () => {
    const issued = await sim.issueServiceAccountToken({
      namespace: 'hooked',
      serviceAccountName: 'injected',
      audiences: [],
      expirationSeconds: 600,
    });
    const ok = await callApi(sim, 'GET', '/api/v1/namespaces/hooked/pods', { token: issued.token });
    expect(ok.status).toBe(200);
    const other = await sim.issueServiceAccountToken({
      namespace: 'hooked',
      serviceAccountName: 'injected',
      audiences: ['elsewhere'],
      expirationSeconds: 600,
    });
    expect((await callApi(sim, 'GET', '/api/v1/namespaces/hooked/pods', { token: other.token })).status).toBe(
      401,
    );
  });
});
