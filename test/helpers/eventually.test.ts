import { describe, expect, it } from 'vitest';
import { eventually, NotYet, WaitTimeout } from '../../helpers/eventually.ts';

describe('eventually', () => {
  it('asks again while the probe says NotYet, and returns the first answer', async () => {
    let calls = 0;
    const value = await eventually(
      'the third call',
      async () => {
        calls++;
        if (calls < 3) throw new NotYet(`call ${calls}`);
        return 'ready';
      },
      { timeoutMs: 5_000, intervalMs: 1 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  // SDK v3 names IAM's NoSuchEntity error NoSuchEntityException: a rule naming the AWS error code matches it.
  it('retries only the errors it is told are transient, by name or predicate', async () => {
    let calls = 0;
    const propagating = Object.assign(new Error('role not visible'), { name: 'NoSuchEntityException' });
    await eventually(
      'IAM to catch up',
      async () => {
        calls++;
        if (calls === 1) throw propagating;
        if (calls === 2) throw new Error('Role provided in the request does not exist');
      },
      { timeoutMs: 5_000, intervalMs: 1, retryOn: ['NoSuchEntity', (e) => /does not exist/.test(String(e))] },
    );
    expect(calls).toBe(3);
  });

  it('fails at once on any other error, without waiting for the deadline', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      eventually(
        'something',
        async () => {
          calls++;
          throw new Error('AccessDenied: not allowed');
        },
        { timeoutMs: 60_000, intervalMs: 1, retryOn: ['NoSuchEntity'] },
      ),
    ).rejects.toThrow('AccessDenied: not allowed');
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('at the deadline names the condition and the last reason it did not hold', async () => {
    const wait = eventually(
      'pod ns/app Running',
      async () => {
        throw new NotYet('phase Pending');
      },
      { timeoutMs: 50, intervalMs: 5, maxIntervalMs: 10 },
    );
    await expect(wait).rejects.toBeInstanceOf(WaitTimeout);
    await expect(wait).rejects.toThrow(
      /^timed out after \d+\.\ds waiting for pod ns\/app Running: phase Pending$/,
    );
  });
});
