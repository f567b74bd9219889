// Projected tokens are rewritten after a fraction of their lifetime (the kubelet uses 80%).
// The test scales that fraction down instead of waiting minutes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { clients, decodeJwtPayload, eventually, execInPod, waitForPhase } from '../kube/helpers.ts';

let sim: StartedKubeSim;

beforeAll(async () => {
  // 600 s × 0.001 = a refresh about every 0.6 s.
  sim = await startKubeSim({ clusterName: 'refresh', tokenRefreshFraction: 0.001 });
});

afterAll(async () => {
  await sim?.close();
});

describe('projected token refresh', () => {
  it('replaces the token file with a newly issued token, still without a trailing newline', async () => {
    const { kc, core } = clients(sim);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'rotating' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'x',
              command: ['sleep', '3600'],
              volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tok' }],
            },
          ],
          volumes: [
            {
              name: 'tok',
              projected: {
                sources: [
                  { serviceAccountToken: { audience: 'rotation', expirationSeconds: 600, path: 'token' } },
                ],
              },
            },
          ],
        },
      },
    });
    await waitForPhase(core, 'default', 'rotating', ['Running']);
    const read = async () =>
      (await execInPod(kc, 'default', 'rotating', 'c', ['cat', '/var/run/secrets/tok/token'])).stdout;
    const first = await read();
    const second = await eventually(
      'a refreshed token',
      async () => {
        const current = await read();
        return current !== first && current !== '' ? current : undefined;
      },
      10_000,
    );
    expect(second.endsWith('\n')).toBe(false);
    const before = decodeJwtPayload(first);
    const after = decodeJwtPayload(second);
    expect(after.jti).not.toBe(before.jti);
    expect(after.aud).toEqual(['rotation']);
    expect(Number(after.exp) - Number(after.iat)).toBe(600);
    expect(Number(after.iat)).toBeGreaterThanOrEqual(Number(before.iat));
  });
});
