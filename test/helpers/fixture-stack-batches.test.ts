// The stack's teardown deletes the newest fixtures of one kind together (their waits overlap) and the
// kinds still newest first; adoptAll adopts what was created at once, also when one creation failed.

import { describe, expect, it } from 'vitest';
import { type FixtureHandle, FixtureStack } from '../../fixtures/stack.ts';

/** A fixture whose deletion stays open until released, so overlap can be observed. */
function held(kind: string, name: string, log: string[]) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handle: FixtureHandle = {
    kind,
    description: name,
    async [Symbol.asyncDispose]() {
      log.push(`start ${name}`);
      await released;
      log.push(`end ${name}`);
    },
  };
  return { handle, release };
}

describe('FixtureStack batches', () => {
  it('deletes the newest fixtures of one kind at once, and the older kind only after them', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: false });
    const namespace = held('namespace', 'namespace', log);
    const podA = held('pod', 'pod a', log);
    const podB = held('pod', 'pod b', log);
    for (const fixture of [namespace, podA, podB]) stack.adopt(fixture.handle);
    const disposing = stack.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start pod b', 'start pod a']);
    podA.release();
    podB.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.indexOf('start namespace')).toBeGreaterThan(
      Math.max(log.indexOf('end pod a'), log.indexOf('end pod b')),
    );
    namespace.release();
    expect((await disposing).map((o) => o.description)).toEqual(['pod b', 'pod a', 'namespace']);
  });

  it('adoptAll returns the fixtures in order, and adopts the created ones when another fails', async () => {
    const log: string[] = [];
    const stack = new FixtureStack({ keep: false });
    const a = held('role', 'a', log);
    const b = held('role', 'b', log);
    a.release();
    b.release();
    expect(await stack.adoptAll([Promise.resolve(a.handle), Promise.resolve(b.handle)])).toEqual([
      a.handle,
      b.handle,
    ]);
    const c = held('bucket', 'c', log);
    c.release();
    await expect(
      stack.adoptAll([Promise.resolve(c.handle), Promise.reject(new Error('no bucket'))]),
    ).rejects.toThrow('no bucket');
    expect(stack.size).toBe(3);
  });
});
