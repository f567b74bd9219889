// Clients inside simulator pods (AWS CLI, boto3, the JS SDK v3) get their credentials through the
// agent with nothing but their default credential chains, and IAM judges what they do with them.

import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, pythonWithBoto3, type SimFixture, startSimFixture } from './sim-fixture.ts';

const probe = fileURLToPath(new URL('./js-sdk-client.mjs', import.meta.url));
const NS = 'e2e';
const BUCKET = 'pod-identity-e2e';
let f: SimFixture;
let appPod: { uid: string };
let sessionArn: RegExp;

beforeAll(async () => {
  f = await startSimFixture({ clusterName: 'e2e-cluster' });
  const roleArn = await f.createRole('app-role', {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/allowed/*` },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
    ],
  });
  await Promise.all([f.createBucket(BUCKET), f.createNamespace(NS)]);
  await Promise.all([f.createServiceAccount(NS, 'app'), f.createServiceAccount(NS, 'other')]);
  await f.associate(NS, 'app', roleArn);
  const [app] = await Promise.all([f.runPod(NS, 'app-pod', 'app'), f.runPod(NS, 'other-pod', 'other')]);
  appPod = { uid: app.metadata!.uid! };
  sessionArn = new RegExp(
    `^arn:aws:sts::${f.sim.accountId}:assumed-role/app-role/eks-e2e-cluster-app-pod-[0-9a-f-]+$`,
  );
});

afterAll(() => f?.close());

const inApp = (argv: string[]) => f.exec(NS, 'app-pod', argv);

describe('credentials inside a pod whose service account has an association', () => {
  it.skipIf(!awsCli)(
    'AWS CLI: sts get-caller-identity is the associated role session (needs the aws CLI)',
    async () => {
      const result = await inApp(['aws', 'sts', 'get-caller-identity', '--output', 'json']);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).Arn).toMatch(sessionArn);
    },
  );

  it.skipIf(!awsCli)(
    'AWS CLI: S3 writes the role allows succeed, others are denied (needs the aws CLI)',
    async () => {
      await inApp(['sh', '-c', 'echo hello > "$HOME/object.txt"']);
      const [allowed, denied] = await Promise.all([
        inApp([
          'sh',
          '-c',
          `aws s3api put-object --bucket ${BUCKET} --key allowed/cli.txt --body "$HOME/object.txt"`,
        ]),
        inApp(['sh', '-c', `aws s3 cp "$HOME/object.txt" s3://${BUCKET}/denied/cli.txt`]),
      ]);
      expect(allowed.exitCode).toBe(0);
      expect(JSON.parse(allowed.stdout).ETag).toBeDefined();
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toContain('AccessDenied');
    },
  );

  it.skipIf(!pythonWithBoto3)(
    'boto3: get_caller_identity is the associated role session (needs python3 with boto3)',
    async () => {
      const result = await inApp([
        pythonWithBoto3!,
        '-c',
        'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])',
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toMatch(sessionArn);
    },
  );

  it('JS SDK v3 (js-sdk-client.mjs): whoami, and put within and outside the role policy', async () => {
    const whoami = await inApp(['node', probe, 'whoami']);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ ok: true, account: f.sim.accountId });
    expect(JSON.parse(whoami.stdout).arn).toMatch(sessionArn);
    await inApp(['sh', '-c', 'echo from-sdk > "$HOME/sdk.txt"']);
    const [put, denied] = await Promise.all([
      inApp(['sh', '-c', `node ${probe} put ${BUCKET} allowed/sdk.txt "$HOME/sdk.txt"`]),
      inApp(['sh', '-c', `node ${probe} put ${BUCKET} denied/sdk.txt "$HOME/sdk.txt"`]),
    ]);
    expect(JSON.parse(put.stdout)).toMatchObject({ ok: true, bytes: 9 });
    expect(JSON.parse(denied.stdout)).toMatchObject({ ok: false, error: { name: 'AccessDenied' } });
  });
});

describe('a pod whose service account has no association', () => {
  it('gets none of the variables and no credentials', async () => {
    const env = await f.exec(NS, 'other-pod', ['sh', '-c', 'env | grep ^AWS_CONTAINER_ || true']);
    expect(env.stdout).toBe('');
    const pod = await f.core.readNamespacedPod({ namespace: NS, name: 'other-pod' });
    expect(pod.spec!.volumes!.map((v) => v.name)).not.toContain('eks-pod-identity-token');
    const probeResult = await f.exec(NS, 'other-pod', ['node', probe, 'whoami']);
    expect(JSON.parse(probeResult.stdout).ok).toBe(false);
  });

  it.skipIf(!awsCli)('AWS CLI says it cannot locate credentials (needs the aws CLI)', async () => {
    // --region: without an association the pod has no region variables (and no IMDS).
    const result = await f.exec(NS, 'other-pod', [
      'aws',
      '--region',
      f.sim.region,
      'sts',
      'get-caller-identity',
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('Unable to locate credentials');
  });
});

describe('tokens the agent and EKS Auth refuse', () => {
  const askAgent = (token: string) => f.askAgent(NS, 'app-pod', token);

  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

  it('accepts the pod identity token itself', async () => {
    const token = (await inApp(['sh', '-c', 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"'])).stdout;
    const answer = await askAgent(token);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).AccountId).toBe(f.sim.accountId);
  });

  it('refuses a token of the right shape signed by another key (InvalidTokenException, 400)', async () => {
    const real = (await inApp(['sh', '-c', 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"'])).stdout;
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const header = JSON.parse(Buffer.from(real.split('.')[0]!, 'base64url').toString());
    const forged = await new SignJWT(claimsOf(real))
      .setProtectedHeader({ alg: 'RS256', kid: header.kid ?? (await exportJWK(publicKey)).kid })
      .sign(privateKey);
    const answer = await askAgent(forged);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/^\[[0-9a-f-]+\]: \(InvalidTokenException\): .*, fault: client\n$/);
  });

  it('refuses an expired token at the agent (400, token is expired)', async () => {
    const real = (await inApp(['sh', '-c', 'cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"'])).stdout;
    const [header, , signature] = real.split('.');
    const claims = { ...claimsOf(real), exp: Math.floor(Date.now() / 1000) - 60 };
    const expired = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const answer = await askAgent(expired);
    expect(answer).toEqual({
      status: 400,
      body: 'Service account token failed basic claim validations: token has invalid claims: token is expired\n',
    });
  });

  it('refuses a pod-bound token for another audience and the default kube-api-access token', async () => {
    const { status } = await f.core.createNamespacedServiceAccountToken({
      namespace: NS,
      name: 'app',
      body: {
        spec: {
          audiences: ['sts.amazonaws.com'],
          expirationSeconds: 600,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'app-pod', uid: appPod.uid },
        },
      },
    });
    const wrongAudience = await askAgent(status!.token!);
    expect(wrongAudience.status).toBe(400);
    expect(wrongAudience.body).toContain('(InvalidTokenException)');

    const defaultToken = (await inApp(['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).stdout;
    expect(claimsOf(defaultToken).aud).not.toContain('pods.eks.amazonaws.com');
    const refused = await askAgent(defaultToken);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('(InvalidTokenException)');
  });

  it('answers 404 ResourceNotFoundException for a valid token of a service account without association', async () => {
    const pod = await f.core.readNamespacedPod({ namespace: NS, name: 'other-pod' });
    const { status } = await f.core.createNamespacedServiceAccountToken({
      namespace: NS,
      name: 'other',
      body: {
        spec: {
          audiences: ['pods.eks.amazonaws.com'],
          expirationSeconds: 600,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-pod', uid: pod.metadata!.uid! },
        },
      },
    });
    const answer = await askAgent(status!.token!);
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('(ResourceNotFoundException)');
  });
});
