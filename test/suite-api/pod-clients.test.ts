import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../helpers/exec-in-pod.ts';
import {
  awsCliClient,
  classifyFailure,
  type ExecTarget,
  PodImageError,
} from '../../suite-api/pod-clients.ts';

const info = {
  region: 'eu-west-1',
  pod: { image: 'busybox:1.36', command: [], imagePullPolicy: 'IfNotPresent' as const, env: {} },
};

/** A pod whose every exec answers with `result`, recording what it was asked to run. */
function fakePod(result: ExecResult): ExecTarget & { argv: string[][] } {
  const argv: string[][] = [];
  return {
    argv,
    async exec(command) {
      argv.push(command);
      return result;
    },
  };
}

describe('classifying what an in-pod AWS client printed', () => {
  it.each([
    [
      'Unable to locate credentials. You can configure credentials by running "aws configure".',
      'no-credentials',
    ],
    [
      'Error when retrieving credentials from container-role: Error retrieving metadata: Received non 200 response 400',
      'no-credentials',
    ],
    ['CredentialsProviderError: Could not load credentials from any providers', 'no-credentials'],
    [
      'An error occurred (AccessDenied) when calling the PutObject operation: User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:PutObject',
      'access-denied',
    ],
    [
      'upload failed: ./f to s3://b/k An error occurred (403) when calling the PutObject operation: Forbidden',
      'access-denied',
    ],
    ['Could not connect to the endpoint URL: "http://127.0.0.1:1/"', 'other'],
  ])('%s → %s', (text, kind) => {
    expect(classifyFailure(text)).toBe(kind);
  });
});

describe('the AWS CLI client', () => {
  it('runs aws with the region and no pager, and parses get-caller-identity', async () => {
    const pod = fakePod({
      exitCode: 0,
      stdout:
        '{"UserId":"AROAX:s","Account":"111122223333","Arn":"arn:aws:sts::111122223333:assumed-role/r/s"}',
      stderr: '',
    });
    const result = await awsCliClient(info).whoami(pod);
    expect(result).toEqual({
      ok: true,
      value: {
        arn: 'arn:aws:sts::111122223333:assumed-role/r/s',
        account: '111122223333',
        userId: 'AROAX:s',
      },
    });
    expect(pod.argv[0]).toEqual([
      'env',
      'AWS_PAGER=',
      'aws',
      '--region',
      'eu-west-1',
      'sts',
      'get-caller-identity',
      '--output',
      'json',
    ]);
  });

  it('says plainly that the pod image has no aws, naming the image and the fix, instead of a credentials failure', async () => {
    const pod = fakePod({ exitCode: 127, stdout: '', stderr: "env: 'aws': No such file or directory" });
    const call = awsCliClient(info).whoami(pod);
    await expect(call).rejects.toBeInstanceOf(PodImageError);
    await expect(call).rejects.toThrow('the pod image busybox:1.36 has no aws command; run with --pod-image');
  });

  it('reports a denial as a failure of that kind, with the output redacted', async () => {
    const pod = fakePod({
      exitCode: 1,
      stdout: '',
      stderr: 'An error occurred (AccessDenied) when calling the PutObject operation: Access Denied',
    });
    const result = await awsCliClient(info).putObject(pod, 'b', 'k', 'f');
    expect(result).toMatchObject({ ok: false, failure: 'access-denied', exitCode: 1 });
  });
});
