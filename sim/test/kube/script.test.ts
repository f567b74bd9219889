// scripts/sim-kube.ts as a person runs it: exports, `ready`, usable kubeconfig, clean stop on SIGTERM.

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventually, hostPidsRunning } from './helpers.ts';

describe('scripts/sim-kube.ts', () => {
  it('prints the KUBECONFIG export and `ready`, serves, and stops everything on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../scripts/sim-kube.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const lineReader = createInterface({ input: child.stdout });
      await new Promise<void>((resolve, reject) => {
        lineReader.on('line', (line) => {
          lines.push(line);
          if (line === 'ready') resolve();
        });
        child.once('exit', () => reject(new Error(`sim-kube exited early: ${lines.join('\n')}`)));
      });
      expect(lines).toHaveLength(2);
      const match = /^export KUBECONFIG=(\S+)$/.exec(lines[0]);
      expect(match).not.toBeNull();
      const kubeconfigPath = match?.[1] ?? '';
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(kubeconfigPath, 'utf8'));
      const core = kc.makeApiClient(CoreV1Api);
      // A command line no other process has: how the test finds the pod's process on the host.
      const marker = ['sleep', `3600.${randomInt(1e9)}`];
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'p' },
          spec: { containers: [{ name: 'c', image: 'x', command: marker }] },
        },
      });
      const pids = await eventually('the pod process', async () => {
        const running = hostPidsRunning(marker);
        return running.length > 0 ? running : undefined;
      });
      expect(pids).toHaveLength(1);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(hostPidsRunning(marker)).toEqual([]);
      expect(existsSync(kubeconfigPath)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it.each([
    { podSandbox: 'auto', how: 'pods die with the node namespace' },
    { podSandbox: 'off', how: 'host processes: the reaper kills their groups' },
  ])(
    'leaves no pod process and no state dir behind when killed with SIGKILL (--pod-sandbox $podSandbox: $how)',
    async ({ podSandbox }) => {
      const child = spawn(
        process.execPath,
        [fileURLToPath(new URL('../../scripts/sim-kube.ts', import.meta.url)), '--pod-sandbox', podSandbox],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const marker = ['sleep', `3600.${randomInt(1e9)}`];
      try {
        const lines: string[] = [];
        await new Promise<void>((resolve, reject) => {
          createInterface({ input: child.stdout }).on('line', (line) => {
            lines.push(line);
            if (line === 'ready') resolve();
          });
          child.once('exit', () => reject(new Error(`sim-kube exited early: ${lines.join('\n')}`)));
        });
        const kc = new KubeConfig();
        kc.loadFromString(readFileSync(lines[0]?.replace(/^export KUBECONFIG=/, '') ?? '', 'utf8'));
        const core = kc.makeApiClient(CoreV1Api);
        for (const name of ['a', 'b']) {
          await core.createNamespacedPod({
            namespace: 'default',
            body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', command: marker }] } },
          });
        }
        await eventually('both pod processes', async () =>
          hostPidsRunning(marker).length === 2 ? true : undefined,
        );
        child.kill('SIGKILL');
        await exited;
        await eventually('no pod process left', async () =>
          hostPidsRunning(marker).length === 0 ? true : undefined,
        );
        // The kubeconfig (a bearer token) and the pods' token files went with the state dir.
        const kubeconfigPath = lines[0]?.replace(/^export KUBECONFIG=/, '') ?? '';
        await eventually('the state dir removed', async () =>
          existsSync(dirname(kubeconfigPath)) ? undefined : true,
        );
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );
});
