// Several nodes, one tainted: new pods spread over the nodes they fit, a pod that fits none stays
// Pending with the scheduler's message, and a DaemonSet runs a pod on each node it tolerates.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { clients, eventually, waitForPhase } from './helpers.ts';

const TAINT = { key: 'dedicated', value: 'ci', effect: 'NoSchedule' };
const sleeper = (name: string, spec: object = {}) => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'x', command: ['sleep', '3600'] }], ...spec },
});

describe('scheduling on several nodes', () => {
  let sim: StartedKubeSim;
  let core: ReturnType<typeof clients>['core'];
  beforeAll(async () => {
    sim = await startKubeSim({
      podSandbox: 'off',
      moreNodes: [{ name: 'sim-node-2' }, { name: 'sim-node-3', taints: [TAINT] }],
    });
    ({ core } = clients(sim));
  });
  afterAll(() => sim?.close());

  it('lists every node with its taints', async () => {
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => [n.metadata?.name, n.spec?.taints ?? []])).toEqual([
      ['sim-node-1', []],
      ['sim-node-2', []],
      ['sim-node-3', [TAINT]],
    ]);
  });

  it('spreads pods over the untainted nodes; only a tolerating pod may land on the tainted one', async () => {
    for (const name of ['a', 'b', 'c', 'd'])
      await core.createNamespacedPod({ namespace: 'default', body: sleeper(name) });
    const tolerating = sleeper('tolerating', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }],
    });
    await core.createNamespacedPod({ namespace: 'default', body: tolerating });
    const pods = await core.listNamespacedPod({ namespace: 'default' });
    const nodeOf = Object.fromEntries(pods.items.map((p) => [p.metadata?.name, p.spec?.nodeName]));
    expect(['a', 'b', 'c', 'd'].map((n) => nodeOf[n]).sort()).toEqual([
      'sim-node-1',
      'sim-node-1',
      'sim-node-2',
      'sim-node-2',
    ]);
    expect(nodeOf.tolerating).toBe('sim-node-3');
    await waitForPhase(core, 'default', 'tolerating', ['Running']);
  });

  it('a pod that fits no node stays Pending with the scheduler’s reason', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: sleeper('nowhere', { nodeSelector: { pool: 'gpu' } }),
    });
    const pod = await core.readNamespacedPod({ namespace: 'default', name: 'nowhere' });
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.conditions?.[0]).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message:
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: ci}, 2 node(s) didn't match Pod's node affinity/selector.",
    });
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    expect(
      events.items.some((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'nowhere'),
    ).toBe(true);
  });

  it('a DaemonSet without a toleration for the taint runs on the other nodes only', async () => {
    sim.publishDaemonSet({
      metadata: { name: 'agent', namespace: 'kube-system' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'agent', image: 'agent' }] },
        },
      },
    });
    const pods = await eventually('two agent pods', async () => {
      const list = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=agent' });
      return list.items.length === 2 ? list.items : undefined;
    });
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(['sim-node-1', 'sim-node-2']);
  });
});
