// The node's instance metadata service, as pods on EKS see it: with IMDSv2 required and a hop limit of
// 1 (the default) a pod in its own network gets no token, so no node credentials, while a hostNetwork
// pod does; with a hop limit of 2, or IMDSv1 allowed, every pod gets the node role.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImdsSettings } from '../../imds/server.ts';
import type { SimOptions } from '../../types.ts';
import { awsCli, type SimFixture, startSimFixture } from './sim-fixture.ts';

const NS = 'imds';
// The AWS CLI v1 does not read the region from IMDS, and unmutated pods have no AWS_REGION.
const NODE_ROLE_SESSION = /^arn:aws:sts::\d{12}:assumed-role\/eks-node-role\/i-[0-9a-f]{17}$/;

// curl as in the EC2 documentation; --max-time bounds the unanswered token request.
const TOKEN =
  'curl -sS --max-time 2 -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60"';
const CREDENTIALS = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
const v2Credentials = `token=$(${TOKEN}) || exit 7; role=$(curl -sS -f -H "X-aws-ec2-metadata-token: $token" ${CREDENTIALS}) && curl -sS -f -H "X-aws-ec2-metadata-token: $token" ${CREDENTIALS}$role`;
const v1Status = `curl -s -o /dev/null -w '%{http_code}' ${CREDENTIALS}`;

async function startWith(imds: SimOptions['imds']): Promise<SimFixture> {
  const f = await startSimFixture({ podSandbox: 'required', imds });
  await f.createNamespace(NS);
  await f.createServiceAccount(NS, 'plain');
  await f.runPod(NS, 'pod', 'plain');
  await f.runPod(NS, 'host-pod', 'plain', { hostNetwork: true });
  return f;
}

const sh = (f: SimFixture, pod: string, script: string) => f.exec(NS, pod, ['sh', '-c', script]);

describe('IMDSv2 required, hop limit 1 (default)', () => {
  let f: SimFixture;
  beforeAll(async () => {
    f = await startWith(undefined);
  }, 60_000);
  afterAll(() => f?.close());

  it('reports its settings', () => {
    expect(f.sim.imds).toEqual({ httpTokens: 'required', hopLimit: 1 });
  });

  it('a pod in its own network gets no token (the response does not survive the hop)', async () => {
    const result = await sh(f, 'pod', TOKEN);
    expect(result.exitCode).toBe(28); // curl: operation timed out
    expect(result.stdout).toBe('');
  });

  it('refuses IMDSv1 with 401', async () => {
    expect((await sh(f, 'pod', v1Status)).stdout).toBe('401');
  });

  it('a hostNetwork pod gets the node role credentials', async () => {
    const result = await sh(f, 'host-pod', v2Credentials);
    expect(result.exitCode, result.stderr).toBe(0);
    const credentials = JSON.parse(result.stdout);
    expect(Object.keys(credentials).sort()).toEqual(
      ['AccessKeyId', 'Code', 'Expiration', 'LastUpdated', 'SecretAccessKey', 'Token', 'Type'].sort(),
    );
    expect(credentials).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC' });
  });

  it.skipIf(!awsCli)('the AWS CLI: nothing in a pod, the node role on the host network', async () => {
    const inPod = await f.exec(NS, 'pod', ['aws', '--region', f.sim.region, 'sts', 'get-caller-identity']);
    expect(inPod.exitCode).not.toBe(0);
    expect(inPod.stderr).toMatch(/Unable to locate credentials/);
    const onHost = await f.exec(NS, 'host-pod', [
      'aws',
      '--region',
      f.sim.region,
      'sts',
      'get-caller-identity',
      '--output',
      'json',
    ]);
    expect(onHost.exitCode, onHost.stderr).toBe(0);
    expect(JSON.parse(onHost.stdout).Arn).toMatch(NODE_ROLE_SESSION);
  });

  it('refuses token requests that carry X-Forwarded-For, and bad TTLs', async () => {
    const status = (headers: string) =>
      sh(
        f,
        'host-pod',
        `curl -s -o /dev/null -w '%{http_code}' -X PUT http://169.254.169.254/latest/api/token ${headers}`,
      );
    expect(
      (await status('-H "X-aws-ec2-metadata-token-ttl-seconds: 60" -H "X-Forwarded-For: 1.2.3.4"')).stdout,
    ).toBe('403');
    expect((await status('-H "X-aws-ec2-metadata-token-ttl-seconds: 0"')).stdout).toBe('400');
    expect((await status('')).stdout).toBe('400');
    const badToken = await sh(
      f,
      'host-pod',
      `curl -s -o /dev/null -w '%{http_code}' -H "X-aws-ec2-metadata-token: nope" ${CREDENTIALS}`,
    );
    expect(badToken.stdout).toBe('401');
  });
});

describe.each<[string, ImdsSettings]>([
  ['hop limit 2', { hopLimit: 2 }],
  ['IMDSv1 allowed', { httpTokens: 'optional' }],
])('%s: pods reach the node role', (_name, imds) => {
  let f: SimFixture;
  beforeAll(async () => {
    f = await startWith(imds);
  }, 60_000);
  afterAll(() => f?.close());

  it.skipIf(!awsCli)('the AWS CLI in an unassociated pod gets the node role', async () => {
    const result = await f.exec(NS, 'pod', [
      'aws',
      '--region',
      f.sim.region,
      'sts',
      'get-caller-identity',
      '--output',
      'json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).Arn).toMatch(NODE_ROLE_SESSION);
  });

  it('curl in a pod gets credentials the documented way', async () => {
    const script = imds.httpTokens === 'optional' ? v1Status : v2Credentials;
    const result = await sh(f, 'pod', script);
    expect(result.exitCode, result.stderr).toBe(0);
    if (imds.httpTokens === 'optional') expect(result.stdout).toBe('200');
    else expect(JSON.parse(result.stdout).Code).toBe('Success');
  });
});
