// SimOptions.credentialLifetimeSeconds: the credentials a pod gets through the agent live that long, and
// bad values are refused before anything starts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../index.ts';
import { type SimFixture, startSimFixture } from './sim-fixture.ts';

const LIFETIME_SECONDS = 20;
let f: SimFixture;

beforeAll(async () => {
  f = await startSimFixture({ clusterName: 'lifetime', credentialLifetimeSeconds: LIFETIME_SECONDS });
  const roleArn = await f.createRole('short-lived');
  await f.createNamespace('short');
  await f.createServiceAccount('short', 'app');
  await f.associate('short', 'app', roleArn);
  await f.runPod('short', 'app', 'app');
});
afterAll(() => f?.close());

describe('credentialLifetimeSeconds', () => {
  it('makes the agent serve credentials expiring after that lifetime', async () => {
    const token = await f.exec('short', 'app', [
      'cat',
      '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    ]);
    const before = Date.now();
    const answer = await f.askAgent('short', 'app', token.stdout);
    const after = Date.now();
    expect(answer.status).toBe(200);
    // Issued between the two readings of the clock: it expires a lifetime after some moment in between.
    const expiration = Date.parse(JSON.parse(answer.body).Expiration);
    expect(expiration - after).toBeLessThanOrEqual(LIFETIME_SECONDS * 1000);
    expect(expiration - before).toBeGreaterThan((LIFETIME_SECONDS - 3) * 1000);
  });

  it('refuses values outside 2-3600 and with an external AWS', async () => {
    await expect(startSim({ credentialLifetimeSeconds: 1 })).rejects.toThrow(
      'credentialLifetimeSeconds must be a whole number from 2 to 3600, got 1',
    );
    await expect(
      startSim({
        credentialLifetimeSeconds: 60,
        externalAws: {
          endpoint: 'http://127.0.0.1:1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        },
      }),
    ).rejects.toThrow('credentialLifetimeSeconds needs the embedded AWS');
  });
});
