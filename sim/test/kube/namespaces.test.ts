// Namespace deletion: Terminating while its pods stop, no new content meanwhile, gone afterwards.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { callApi, clients, eventually, waitForPhase } from './helpers.ts';

let sim: StartedKubeSim;

beforeAll(async () => {
  // A pod that ignores SIGTERM keeps the namespace terminating until SIGKILL after this cap.
  sim = await startKubeSim({ clusterName: 'namespaces', maxGracePeriodSeconds: 3 });
});

afterAll(async () => {
  await sim?.close();
});

describe('namespace deletion', () => {
  it('is Terminating while pods exist, refuses new pods, and ends when the pods are gone', async () => {
    const { core } = clients(sim);
    const ns = 'doomed';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'stubborn' },
        spec: {
          containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; sleep 3600'] }],
        },
      },
    });
    await waitForPhase(core, ns, 'stubborn', ['Running']);

    const deleted = await callApi(sim, 'DELETE', `/api/v1/namespaces/${ns}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json()).toMatchObject({ status: { phase: 'Terminating' } });

    const terminating = await core.readNamespace({ name: ns });
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.metadata?.deletionTimestamp).toBeTruthy();
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'stubborn' });
    expect(pod.metadata?.deletionTimestamp).toBeTruthy();

    const refused = await callApi(sim, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      body: JSON.stringify({
        metadata: { name: 'x' },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
      }),
    });
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({
      reason: 'Forbidden',
      message: `pods "x" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
    });

    await eventually(
      'the namespace to be gone',
      async () => ((await callApi(sim, 'GET', `/api/v1/namespaces/${ns}`)).status === 404 ? true : undefined),
      15_000,
    );
    expect((await callApi(sim, 'GET', `/api/v1/namespaces/${ns}/pods/stubborn`)).status).toBe(404);
    expect((await callApi(sim, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts`)).json()).toMatchObject({
      items: [],
    });
  });

  it('removes an empty namespace at once', async () => {
    const { core } = clients(sim);
    await core.createNamespace({ body: { metadata: { name: 'empty' } } });
    await core.deleteNamespace({ name: 'empty' });
    await eventually('the empty namespace to be gone', async () =>
      (await callApi(sim, 'GET', '/api/v1/namespaces/empty')).status === 404 ? true : undefined,
    );
  });
});
