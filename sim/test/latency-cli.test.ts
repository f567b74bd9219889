// `npm run sim -- --latency eks`: the standalone simulator takes the profile, says so before `ready`,
// and refuses an unknown one with one line and exit 2.

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/sim.ts', import.meta.url));

describe('npm run sim -- --latency', () => {
  it('refuses an unknown profile with exit 2', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--latency', 'fast'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("--latency must be one of eks, got 'fast'");
    expect(result.stdout).toBe('');
  });

  it('runs with the eks profile and names its waits before ready', async () => {
    const child = spawn(process.execPath, [SCRIPT, '--latency', 'eks', '--pod-sandbox', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (/^ready$/m.test(stdout)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      expect(stderr).toContain(
        'pod-identity-sim: latency eks: pod scheduling 1 s, image pull 15 s (first pod), container start 1 s; IAM propagation 5 s, association propagation 5 s;',
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
