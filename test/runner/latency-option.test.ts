// --latency / PIC_LATENCY: the embedded target's latency profile, checked like every option (one line
// and exit 2 for a bad value or another target) and handed to the simulator by the embedded target.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimHandle, SimOptions } from '@pod-identity-conformance/sim';
import { LATENCY_PROFILE_NAMES } from '@pod-identity-conformance/sim';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCommandLine } from '../../runner/cli.ts';
import { UsageError } from '../../runner/errors.ts';
import { RUN_OPTIONS } from '../../runner/options.ts';
import { type RunSettings, resolveSettings } from '../../runner/settings.ts';
import { createEmbeddedTarget } from '../../targets/embedded.ts';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'pic-latency-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function resolve(argv: string[], env: Record<string, string> = {}): Promise<RunSettings> {
  return resolveSettings({
    commandLine: parseCommandLine(argv),
    env,
    cwd,
    availableSuites: async () => ['pod-identity'],
  });
}

async function usageError(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const error = await resolve(argv, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe('--latency', () => {
  it('offers exactly the simulator profiles', () => {
    expect(RUN_OPTIONS.find((option) => option.key === 'latency')?.choices).toEqual(LATENCY_PROFILE_NAMES);
  });

  it('takes a profile from the flag or PIC_LATENCY', async () => {
    expect((await resolve(['--latency', 'eks'])).latency).toBe('eks');
    expect((await resolve([], { PIC_LATENCY: 'eks' })).latency).toBe('eks');
    expect((await resolve([])).latency).toBeUndefined();
  });

  it('refuses an unknown profile, an empty one and another target, in one line', async () => {
    expect(await usageError(['--latency', 'fast'])).toMatch(/^unknown latency "fast"; choose one of: eks/);
    expect(await usageError([], { PIC_LATENCY: '' })).toContain('PIC_LATENCY');
    expect(await usageError(['--target', 'eks', '--latency', 'eks'])).toBe(
      "--latency applies only to the embedded target, and this run's target is eks; drop --latency or pass --target embedded",
    );
    for (const argv of [
      ['--latency', 'fast'],
      ['--target', 'localstack', '--latency', 'eks'],
    ])
      expect(await usageError(argv)).not.toContain('\n');
  });

  it('is handed to the simulator by the embedded target, and the run says which profile it is', async () => {
    const started: SimOptions[] = [];
    const fakeSim = async (options: SimOptions): Promise<SimHandle> => {
      started.push(options);
      return {
        kubeconfigPath: '/dev/null',
        kubeconfigYaml: '',
        awsEndpointUrl: 'http://127.0.0.1:1',
        adminCredentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' },
        accountId: '111122223333',
        region: 'us-east-1',
        cluster: {
          name: 'pod-identity-sim',
          arn: 'arn:aws:eks:us-east-1:111122223333:cluster/pod-identity-sim',
        },
        podSandbox: { enabled: true, reason: 'test' },
        close: async () => {},
      };
    };
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const target = await createEmbeddedTarget(
        await resolve(['--latency', 'eks']),
        'pic-202612041200-abcde',
        fakeSim,
      );
      await target.close();
      expect(started[0]?.latency).toBe('eks');
      expect(write.mock.calls.map(([line]) => String(line)).join('')).toContain(
        'pod-identity-conformance: latency profile eks: pod scheduling 1 s, image pull 15 s (first pod)',
      );
    } finally {
      write.mockRestore();
    }
  });
});
