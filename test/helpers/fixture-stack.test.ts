import { describe, expect, it } from 'vitest';
import { type FixtureHandle, FixtureStack } from '../../fixtures/stack.ts';

function handle(name: string, log: string[], fails = false): FixtureHandle {
  return {
    kind: 'thing',
    description: name,
    async [Symbol.asyncDispose]() {
      log.push(name);
      if (fails) throw new Error(`${name} would not go`);
    },
  };
}

describe('FixtureStack', () => {
  it('tears down newest first and reports each delete', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: false });
    for (const name of ['namespace', 'role', 'pod']) stack.adopt(handle(name, log));
    const outcomes = await stack.dispose();
    expect(log).toEqual(['pod', 'role', 'namespace']);
    expect(outcomes.map((o) => [o.description, o.ok])).toEqual([
      ['pod', true],
      ['role', true],
      ['namespace', true],
    ]);
    expect(stack.size).toBe(0);
  });

  it('keeps going past failures, then throws one error naming every failure', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: false });
    stack.adopt(handle('namespace', log));
    stack.adopt(handle('role', log, true));
    stack.adopt(handle('bucket', log, true));
    stack.adopt(handle('pod', log));
    await expect(stack.dispose()).rejects.toThrow(
      'teardown failed for 2 of 4 resources: bucket: bucket would not go; role: role would not go',
    );
    expect(log).toEqual(['pod', 'bucket', 'role', 'namespace']);
  });

  it('with keep deletes nothing', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: true });
    stack.adopt(handle('role', log));
    expect(await stack.dispose()).toEqual([]);
    expect(log).toEqual([]);
  });

  it('forgets a fixture a test disposed itself', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: false });
    const association = stack.adopt(handle('association', log));
    stack.adopt(handle('pod', log));
    stack.forget(association);
    await stack.dispose();
    expect(log).toEqual(['pod']);
  });
});
