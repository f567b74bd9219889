// The suite on a simulator that behaves like a slow, busy AWS: a new IAM role is invisible for a while, a
// new or changed association takes effect late, and some calls are throttled. Every case must still
// pass: the fixtures wait on the named conditions (NoSuchEntity, "Role provided in the request does not
// exist", a pod not yet mutated, no credentials yet) and the SDKs retry throttling. A harness that
// raced AWS's eventual consistency would fail here.

import { describe, expect, it } from 'vitest';
import { runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 240_000;

describe('eventual consistency and throttling', () => {
  it('the credentials, S3 and association lifecycle cases pass when IAM and associations propagate late and calls are throttled', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      faults: {
        seed: 11,
        iamPropagationDelayMs: 2_000,
        associationPropagationDelayMs: 2_000,
        throttleRate: 0.05,
      },
      files: ['credentials', 's3-round-trip', 'association-lifecycle', 'cleanup'],
      waitTimeoutSeconds: 60,
    });
    expect(run.exitCode, `${run.stderr}\n${run.stdout}`).toBe(0);
    const statuses = statusByName(run.cases);
    const selected = Object.entries(statuses).filter(([name]) => !name.includes('[sdk-probe]'));
    expect(selected.length).toBeGreaterThanOrEqual(5);
    expect(Object.fromEntries(selected.filter(([, status]) => status !== 'passed'))).toEqual({});
  });
});
