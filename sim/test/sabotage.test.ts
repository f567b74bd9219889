// The defect helpers of sim/sabotage.ts.

import { describe, expect, it } from 'vitest';
import { corruptedCopy, nodeCredentialsForUnassociatedPods } from '../sabotage.ts';

describe('corruptedCopy', () => {
  it('keeps the length, changes the first byte, and a copy of a copy still differs', () => {
    const original = Buffer.from([0xff, 1, 2, 3]);
    const once = corruptedCopy(original);
    expect(once.length).toBe(original.length);
    expect(once.equals(original)).toBe(false);
    expect(once.subarray(1).equals(original.subarray(1))).toBe(true);
    expect(corruptedCopy(once).equals(original)).toBe(false);
    expect(original[0], 'the input is not modified').toBe(0xff);
    expect(corruptedCopy(Buffer.alloc(0)).length).toBe(0);
  });
});

describe('nodeCredentialsForUnassociatedPods', () => {
  const node = { accessKeyId: 'ASIANODE', secretAccessKey: 'node-secret', sessionToken: 'node-token' };

  it('gives the node credentials to processes without the container credential variables, issued once', () => {
    let issued = 0;
    const hook = nodeCredentialsForUnassociatedPods(() => {
      issued++;
      return node;
    });
    const pod = {} as never;
    const env = hook({ PATH: '/bin' }, pod, 'main');
    expect(env).toEqual({
      PATH: '/bin',
      AWS_ACCESS_KEY_ID: 'ASIANODE',
      AWS_SECRET_ACCESS_KEY: 'node-secret',
      AWS_SESSION_TOKEN: 'node-token',
    });
    hook({}, pod, 'main');
    expect(issued).toBe(1);
  });

  it('leaves associated pods and explicit keys alone', () => {
    const hook = nodeCredentialsForUnassociatedPods(() => node);
    const associated = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/v1/credentials' };
    expect(hook({ ...associated }, {} as never, 'main')).toEqual(associated);
    expect(hook({ AWS_ACCESS_KEY_ID: 'AKIAOWN' }, {} as never, 'main')).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIAOWN',
    });
  });
});
