// scripts/sim-kube.ts as a person runs it: exports, `ready`, usable kubeconfig, clean stop on SIGTERM.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers.ts';

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
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'p' },
          spec: { containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'echo $$$$; sleep 3600'] }] },
        },
      });
      const pid = Number(
        await eventually('the pod pid', async () => {
          const log = await core.readNamespacedPodLog({ namespace: 'default', name: 'p' });
          return /^\d+\n$/.test(log) ? log.trim() : undefined;
        }),
      );
      expect(existsSync(`/proc/${pid}`)).toBe(true);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      expect(stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')).toBe(true);
      expect(existsSync(kubeconfigPath)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
