// Start and close: close() stops every process the simulator started and frees its port;
// deleting a pod stops its whole process group.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startKubeSim } from '../../kube/index.ts';
import { clients, eventually, waitForPhase } from './helpers.ts';

/** True while a process exists and is not a zombie (a zombie has finished; only its parent's reaping is left). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * A pod whose shell starts a background child; its log names both pids. `$$$$` because Kubernetes
 * expands `$$` in a command to `$`.
 */
const familyPod = (name: string) => ({
  metadata: { name },
  spec: {
    containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'sleep 3600 & echo "$$$$ $!"; wait'] }],
  },
});

async function pidsOf(core: ReturnType<typeof clients>['core'], name: string): Promise<number[]> {
  const log = await eventually(`the pids of ${name}`, async () => {
    const text = await core.readNamespacedPodLog({ namespace: 'default', name });
    return /^\d+ \d+\n$/.test(text) ? text : undefined;
  });
  return log.trim().split(' ').map(Number);
}

describe('simulator lifecycle', () => {
  it('stops a deleted pod’s whole process group', async () => {
    const sim = await startKubeSim({ clusterName: 'delete', podSandbox: 'off' });
    try {
      const { core } = clients(sim);
      await core.createNamespacedPod({ namespace: 'default', body: familyPod('family') });
      await waitForPhase(core, 'default', 'family', ['Running']);
      const pids = await pidsOf(core, 'family');
      expect(pids.every(running)).toBe(true);
      await core.deleteNamespacedPod({ namespace: 'default', name: 'family' });
      await eventually('the pod to be gone', async () => {
        try {
          await core.readNamespacedPod({ namespace: 'default', name: 'family' });
          return undefined;
        } catch {
          return true;
        }
      });
      expect(pids.filter(running)).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('close() stops every pod process and frees the port', async () => {
    const sim = await startKubeSim({ clusterName: 'close', podSandbox: 'off' });
    const port = Number(new URL(sim.apiServerUrl).port);
    let pids: number[];
    try {
      const { core } = clients(sim);
      await core.createNamespacedPod({ namespace: 'default', body: familyPod('one') });
      await core.createNamespacedPod({ namespace: 'default', body: familyPod('two') });
      await waitForPhase(core, 'default', 'one', ['Running']);
      await waitForPhase(core, 'default', 'two', ['Running']);
      pids = [...(await pidsOf(core, 'one')), ...(await pidsOf(core, 'two'))];
      expect(pids).toHaveLength(4);
      expect(pids.every(running)).toBe(true);
    } finally {
      await sim.close();
    }

    expect(pids.filter(running)).toEqual([]);
    expect(await refusesConnections(port)).toBe(true);
    // Closing twice is harmless.
    await sim.close();
  });

  it('starts with the standard namespaces, a node, and a kubeconfig for its own CA', async () => {
    const sim = await startKubeSim({ clusterName: 'fresh' });
    try {
      expect(sim.apiServerUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.issuer).toBe(sim.apiServerUrl);
      expect(sim.kubeconfigYaml).toContain(Buffer.from(sim.caCertPem).toString('base64'));
      const { core } = clients(sim);
      const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
      expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
      expect((await core.listNode()).items).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('uses an issuer override for tokens and OIDC discovery', async () => {
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const sim = await startKubeSim({ clusterName: 'issuer', issuer });
    try {
      expect(sim.issuer).toBe(issuer);
      const token = await sim.issueServiceAccountToken({
        namespace: 'default',
        serviceAccountName: 'default',
        audiences: [],
        expirationSeconds: 600,
      });
      const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString('utf8'));
      expect(claims.iss).toBe(issuer);
      expect(claims.aud).toEqual([issuer]);
    } finally {
      await sim.close();
    }
  });
});
