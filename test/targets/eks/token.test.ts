// EKS tokens made in-process (targets/eks/token.ts) and their authentication by the simulator's
// Kubernetes API server (sim/kube/eks-token-authenticator.ts), against the simulator's own STS.

import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { SimHandle } from '@pod-identity-conformance/sim';
import { awsCliDirectory, decodeEksToken as checkTokenShape, startSim } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  CLUSTER_ID_HEADER,
  decodeEksToken,
  EKS_TOKEN_PREFIX,
  EksTokenSource,
} from '../../../targets/eks/token.ts';

const run = promisify(execFile);
const awsCli = await awsCliDirectory();

let sim: SimHandle;
let server: string;
let ca: Buffer;
let adminToken: string;
const sources: EksTokenSource[] = [];

function tokenSource(
  options: {
    clusterName?: string;
    credentials?: () => Promise<Record<string, string>>;
    now?: () => Date;
  } = {},
) {
  const source = new EksTokenSource({
    clusterName: options.clusterName ?? sim.cluster.name,
    region: sim.region,
    endpoint: sim.awsEndpointUrl,
    credentials: (options.credentials ?? (async () => ({ ...sim.adminCredentials }))) as never,
    ...(options.now ? { now: options.now } : {}),
  });
  sources.push(source);
  return source;
}

/** GET on the simulator's API server with a bearer token: status and body. */
function kubeGet(path: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  sim = await startSim({ clusterName: 'token-cluster' });
  const config = parseYaml(sim.kubeconfigYaml) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  server = config.clusters[0]!.cluster.server;
  ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64');
  adminToken = config.users[0]!.user.token;
});

afterAll(async () => {
  for (const source of sources) source.destroy();
  await sim?.close();
});

describe('EKS token format (as aws eks get-token makes it)', () => {
  it('is k8s-aws-v1. + unpadded base64url of a presigned STS GetCallerIdentity URL', async () => {
    const now = new Date('2026-11-28T10:20:30Z');
    const { token, expiresAt } = await tokenSource({ now: () => now }).token();
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decodeEksToken(token);
    expect(`${url.protocol}//${url.host}`).toBe(sim.awsEndpointUrl);
    expect(url.pathname).toBe('/');
    const params = Object.fromEntries(url.searchParams);
    expect(Object.keys(params).sort()).toEqual([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Signature',
      'X-Amz-SignedHeaders',
    ]);
    expect(params).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${sim.adminCredentials.accessKeyId}/20261128/${sim.region}/sts/aws4_request`,
      'X-Amz-Date': '20261128T102030Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': `host;${CLUSTER_ID_HEADER}`,
    });
    expect(params['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    // Used for 15 minutes; reported as expiring a minute early, as the AWS CLI does.
    expect(expiresAt.toISOString()).toBe('2026-11-28T10:34:30.000Z');
  });

  it('carries the session token of temporary credentials', async () => {
    const sts = new STSClient({
      region: sim.region,
      endpoint: sim.awsEndpointUrl,
      credentials: sim.adminCredentials,
    });
    const iam = new IAMClient({
      region: sim.region,
      endpoint: sim.awsEndpointUrl,
      credentials: sim.adminCredentials,
    });
    try {
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'token-session',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${sim.accountId}:root` },
                Action: 'sts:AssumeRole',
              },
            ],
          }),
        }),
      );
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${sim.accountId}:role/token-session`,
          RoleSessionName: 'session',
        }),
      );
      const credentials = async () => ({
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      });
      const url = decodeEksToken((await tokenSource({ credentials }).token()).token);
      expect(url.searchParams.get('X-Amz-Security-Token')).toBe(assumed.Credentials!.SessionToken);
    } finally {
      sts.destroy();
      iam.destroy();
    }
  });

  it("signs the cluster's name: STS answers with it and refuses another name", async () => {
    const url = decodeEksToken((await tokenSource().token()).token);
    const right = await fetch(url, { headers: { [CLUSTER_ID_HEADER]: sim.cluster.name } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain(`<Arn>arn:aws:iam::${sim.accountId}:user/`);
    const wrong = await fetch(url, { headers: { [CLUSTER_ID_HEADER]: 'another-cluster' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('SignatureDoesNotMatch');
  });

  it.skipIf(!awsCli)(
    'has the same parameters and signed headers as `aws eks get-token` (needs the AWS CLI)',
    async () => {
      const { stdout } = await run(
        `${awsCli}/aws`,
        ['eks', 'get-token', '--cluster-name', sim.cluster.name],
        {
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            AWS_CONFIG_FILE: '/dev/null',
            AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
            AWS_ENDPOINT_URL: sim.awsEndpointUrl,
            AWS_REGION: sim.region,
            AWS_DEFAULT_REGION: sim.region,
            AWS_ACCESS_KEY_ID: sim.adminCredentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: sim.adminCredentials.secretAccessKey,
          },
        },
      );
      const cli = decodeEksToken(JSON.parse(stdout).status.token as string);
      const ours = decodeEksToken((await tokenSource().token()).token);
      expect([...ours.searchParams.keys()].sort()).toEqual([...cli.searchParams.keys()].sort());
      for (const name of ['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) {
        expect(ours.searchParams.get(name), name).toBe(cli.searchParams.get(name));
      }
      expect(ours.host).toBe(cli.host);
      expect(await kubeGet('/api/v1/namespaces', JSON.parse(stdout).status.token)).toMatchObject({
        status: 200,
      });
    },
  );
});

describe("the simulator's API server authenticates EKS tokens", () => {
  it('grants the cluster creator access with an in-process token, and keeps the admin token working', async () => {
    const { token } = await tokenSource().token();
    const answer = await kubeGet('/api/v1/namespaces/kube-system', token);
    expect(answer.status).toBe(200);
    expect(answer.body.metadata).toMatchObject({ name: 'kube-system' });
    expect((await kubeGet('/api/v1/namespaces/kube-system', adminToken)).status).toBe(200);
  });

  it('authenticates the creator by its IAM ARN (kubectl auth whoami)', async () => {
    const { token } = await tokenSource().token();
    const review = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(
        `${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
        {
          method: 'POST',
          ca,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
    });
    expect(review.status).toMatchObject({
      userInfo: { username: `arn:aws:iam::${sim.accountId}:user/pod-identity-conformance-admin` },
    });
  });

  it('accepts a token for 15 minutes after it was signed, though presigned for 60 s, and not after', async () => {
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const old = await tokenSource({ now: () => tenMinutesAgo }).token();
    expect((await kubeGet('/api/v1/namespaces', old.token)).status).toBe(200);
    const sixteenMinutesAgo = new Date(Date.now() - 16 * 60_000);
    const expired = await tokenSource({ now: () => sixteenMinutesAgo }).token();
    const refused = await kubeGet('/api/v1/namespaces', expired.token);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it("refuses another cluster's token, a principal without access, and a malformed token with 401", async () => {
    const otherCluster = await tokenSource({ clusterName: 'another-cluster' }).token();
    expect((await kubeGet('/api/v1/namespaces', otherCluster.token)).status).toBe(401);

    const iam = new IAMClient({
      region: sim.region,
      endpoint: sim.awsEndpointUrl,
      credentials: sim.adminCredentials,
    });
    try {
      await iam.send(new CreateUserCommand({ UserName: 'no-access-entry' }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'no-access-entry' }));
      const credentials = async () => ({
        accessKeyId: key.AccessKey!.AccessKeyId!,
        secretAccessKey: key.AccessKey!.SecretAccessKey!,
      });
      const stranger = await tokenSource({ credentials }).token();
      const refused = await kubeGet('/api/v1/namespaces', stranger.token);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized' });
    } finally {
      iam.destroy();
    }

    expect((await kubeGet('/api/v1/namespaces', `${EKS_TOKEN_PREFIX}not base64!`)).status).toBe(401);
    expect(
      (await kubeGet('/api/v1/namespaces', `${EKS_TOKEN_PREFIX}${Buffer.from('x').toString('base64url')}`))
        .status,
    ).toBe(401);
  });

  it("checks the presigned URL's shape before calling STS", async () => {
    const { token } = await tokenSource().token();
    const url = decodeEksToken(token);
    const encode = (u: URL) => `${EKS_TOKEN_PREFIX}${Buffer.from(u.toString()).toString('base64url')}`;
    const options = { stsEndpoint: sim.awsEndpointUrl };
    expect(checkTokenShape(token, options).ok).toBe(true);

    const otherHost = new URL(url);
    otherHost.host = 'sts.amazonaws.com';
    expect(checkTokenShape(encode(otherHost), options)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unexpected host'),
    });

    const unsigned = new URL(url);
    unsigned.searchParams.set('X-Amz-SignedHeaders', 'host');
    expect(checkTokenShape(encode(unsigned), options)).toMatchObject({
      reason: expect.stringContaining('x-k8s-aws-id header is not signed'),
    });

    const extra = new URL(url);
    extra.searchParams.set('Extra', '1');
    expect(checkTokenShape(encode(extra), options)).toMatchObject({
      reason: 'query parameter "Extra" is not allowed',
    });

    const longLived = new URL(url);
    longLived.searchParams.set('X-Amz-Expires', '3600');
    expect(checkTokenShape(encode(longLived), options)).toMatchObject({
      reason: 'invalid X-Amz-Expires 3600',
    });

    const otherAction = new URL(url);
    otherAction.searchParams.set('Action', 'AssumeRole');
    expect(checkTokenShape(encode(otherAction), options)).toMatchObject({
      reason: expect.stringContaining('not GetCallerIdentity'),
    });
  });
});
