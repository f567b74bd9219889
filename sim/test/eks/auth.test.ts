// EKS Auth AssumeRoleForPodIdentity against a cluster with a real signing key and a recording STS.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceHandler, ServiceResponse } from '../../aws/service.ts';
import {
  CREDENTIAL_LIFETIME_TAG,
  createEksAuthHandler,
  EKS_CANNOT_ASSUME_ROLE_MESSAGE,
} from '../../eks/auth.ts';
import type { EksCluster } from '../../eks/cluster.ts';
import { EksControlPlane } from '../../eks/control-plane.ts';
import {
  ACCOUNT,
  type FakeContext,
  type FakeKubernetes,
  type FakeSts,
  fakeContext,
  fakeKubernetes,
  fakeSts,
  REGION,
  signedRequest,
} from './fakes.ts';

const pod = { name: 'web-0', uid: '7f0a3c1e-1111-4222-8333-944455556666' };
const roleArn = `arn:aws:iam::${ACCOUNT}:role/app-role`;

let kubernetes: FakeKubernetes;
let sts: FakeSts;
let ctx: FakeContext;
let cluster: EksCluster;
let handler: ServiceHandler;
let clock: { now: number };

beforeAll(async () => {
  kubernetes = await fakeKubernetes();
  sts = await fakeSts();
});
afterAll(() => sts.close());

beforeEach(() => {
  sts.calls.length = 0;
  sts.failWith = undefined;
  ctx = fakeContext();
  clock = { now: Date.now() };
  const controlPlane = new EksControlPlane({ region: REGION, accountId: ACCOUNT, now: () => clock.now });
  cluster = controlPlane.addCluster('c1', kubernetes);
  handler = createEksAuthHandler({
    controlPlane,
    stsEndpoint: sts.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIASERVICEPRINCIPAL', secretAccessKey: 'secret' },
    now: () => clock.now,
  });
});

async function assume(token: string, clusterName = 'c1') {
  const response: ServiceResponse = await handler(
    signedRequest('POST', `/clusters/${clusterName}/assume-role-for-pod-identity`, {
      body: { token },
      service: 'eks-auth',
    }),
    ctx,
  );
  return {
    status: response.status,
    code: response.headers?.['x-amzn-errortype'],
    body: JSON.parse(String(response.body)),
  };
}

const podToken = (overrides: Partial<Parameters<FakeKubernetes['mintToken']>[0]> = {}) =>
  kubernetes.mintToken({ namespace: 'ns', serviceAccount: 'sa', pod, ...overrides });

describe('AssumeRoleForPodIdentity', () => {
  it('assumes the associated role with the six transitive session tags', async () => {
    const association = cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    const { status, body } = await assume(await podToken());
    expect(status).toBe(200);
    expect(body.subject).toEqual({ namespace: 'ns', serviceAccount: 'sa' });
    expect(body.audience).toBe('pods.eks.amazonaws.com');
    expect(body.podIdentityAssociation).toEqual({
      associationArn: association.associationArn,
      associationId: association.associationId,
    });
    expect(body.assumedRoleUser.arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/app-role/eks-c1-web-0-[0-9a-f-]{36}$`),
    );
    expect(body.assumedRoleUser.assumeRoleId).toMatch(/^AROA\w+:eks-c1-web-0-/);
    expect(Object.keys(body.credentials).sort()).toEqual([
      'accessKeyId',
      'expiration',
      'secretAccessKey',
      'sessionToken',
    ]);
    expect(Number.isInteger(body.credentials.expiration)).toBe(true);

    expect(sts.calls).toHaveLength(1);
    const params = sts.calls[0]!.params;
    expect(sts.calls[0]!.accessKeyId).toBe('AKIASERVICEPRINCIPAL');
    expect(params.get('RoleArn')).toBe(roleArn);
    const tags: Record<string, string> = {};
    for (let i = 1; params.has(`Tags.member.${i}.Key`); i++) {
      tags[params.get(`Tags.member.${i}.Key`)!] = params.get(`Tags.member.${i}.Value`)!;
    }
    expect(tags).toEqual({
      'eks-cluster-arn': `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/c1`,
      'eks-cluster-name': 'c1',
      'kubernetes-namespace': 'ns',
      'kubernetes-service-account': 'sa',
      'kubernetes-pod-name': 'web-0',
      'kubernetes-pod-uid': pod.uid,
    });
    const transitive = [...params.entries()]
      .filter(([k]) => k.startsWith('TransitiveTagKeys.member.'))
      .map(([, v]) => v);
    expect(transitive.sort()).toEqual(Object.keys(tags).sort());
    expect(params.has('Policy')).toBe(false);
  });

  it('passes the session policy instead of tags when session tags are disabled', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    cluster.associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn,
      disableSessionTags: true,
      policy,
    });
    expect((await assume(await podToken())).status).toBe(200);
    const params = sts.calls[0]!.params;
    expect(params.has('Tags.member.1.Key')).toBe(false);
    expect(params.get('Policy')).toBe(policy);
  });

  it('chains to the target role with the external id, signed with the first session', async () => {
    const target = 'arn:aws:iam::444455556666:role/target';
    const association = cluster.associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn,
      targetRoleArn: target,
    });
    const { status, body } = await assume(await podToken());
    expect(status).toBe(200);
    expect(sts.calls).toHaveLength(2);
    const [first, second] = sts.calls;
    expect(second!.params.get('RoleArn')).toBe(target);
    expect(second!.params.get('ExternalId')).toBe(association.externalId);
    expect(second!.accessKeyId).not.toBe(first!.accessKeyId);
    expect(second!.accessKeyId).toMatch(/^ASIAFAKE/);
    expect(second!.params.get('RoleSessionName')).toBe(first!.params.get('RoleSessionName'));
    expect(body.assumedRoleUser.arn).toMatch(/^arn:aws:sts::444455556666:assumed-role\/target\//);
  });

  it('cuts the credentials to the configured lifetime, or to the lifetime the association tag names', async () => {
    const limited: Array<{ accessKeyId: string; expiresAt: Date }> = [];
    const controlPlane = new EksControlPlane({ region: REGION, accountId: ACCOUNT, now: () => clock.now });
    cluster = controlPlane.addCluster('c1', kubernetes);
    handler = createEksAuthHandler({
      controlPlane,
      stsEndpoint: sts.url,
      region: REGION,
      credentials: { accessKeyId: 'AKIASERVICEPRINCIPAL', secretAccessKey: 'secret' },
      now: () => clock.now,
      credentialLifetime: {
        defaultSeconds: 600,
        limitSession: (accessKeyId, expiresAt) => limited.push({ accessKeyId, expiresAt }),
      },
    });
    const association = cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    const nowSeconds = Math.floor(clock.now / 1000);
    const first = await assume(await podToken());
    expect(first.body.credentials.expiration).toBe(nowSeconds + 600);
    expect(limited).toEqual([
      { accessKeyId: first.body.credentials.accessKeyId, expiresAt: new Date((nowSeconds + 600) * 1000) },
    ]);
    cluster.associations.delete(association.associationId);
    cluster.associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn,
      tags: { [CREDENTIAL_LIFETIME_TAG]: '3' },
    });
    const tagged = await assume(await podToken());
    expect(tagged.body.credentials.expiration).toBe(nowSeconds + 3);
  });

  it('refuses tokens signed by another key, for another audience, from another issuer, or not bound to a pod', async () => {
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    const cases = [
      await kubernetes.mintForgedToken({ namespace: 'ns', serviceAccount: 'sa', pod }),
      await podToken({ audience: 'https://kubernetes.default.svc' }),
      await podToken({ issuer: 'https://elsewhere.example' }),
      await kubernetes.mintToken({ namespace: 'ns', serviceAccount: 'sa' }),
      'not.a.jwt',
    ];
    for (const token of cases) {
      const { status, code } = await assume(token);
      expect({ status, code }).toEqual({ status: 400, code: 'InvalidTokenException' });
    }
    expect(sts.calls).toHaveLength(0);
  });

  it('refuses an expired token with ExpiredTokenException and the dates in the message', async () => {
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    const token = await podToken({ expiresInSeconds: 60 });
    clock.now += 120_000;
    const { status, code, body } = await assume(token);
    expect(status).toBe(400);
    expect(code).toBe('ExpiredTokenException');
    expect(body.message).toMatch(
      /^The token included in the request is expired: current date\/time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ must be before the expiration date\/time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.$/,
    );
  });

  it('answers 404 ResourceNotFoundException when no association is in effect', async () => {
    const { status, code } = await assume(await podToken());
    expect({ status, code }).toEqual({ status: 404, code: 'ResourceNotFoundException' });
    expect((await assume(await podToken(), 'other-cluster')).status).toBe(404);
  });

  it('needs eks-auth:AssumeRoleForPodIdentity on the cluster (AccessDeniedException, 400)', async () => {
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    ctx.denied.add(`eks-auth:AssumeRoleForPodIdentity arn:aws:eks:${REGION}:${ACCOUNT}:cluster/c1`);
    const { status, code, body } = await assume(await podToken());
    expect({ status, code }).toEqual({ status: 400, code: 'AccessDeniedException' });
    expect(body.message).toContain('eks-auth:AssumeRoleForPodIdentity');
  });

  it('maps STS failures: AccessDenied to AccessDeniedException 400, throttling to 429, others to 500', async () => {
    cluster.associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn });
    const token = await podToken();
    sts.failWith = { status: 403, code: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' };
    expect(await assume(token)).toMatchObject({
      status: 400,
      code: 'AccessDeniedException',
      body: { message: EKS_CANNOT_ASSUME_ROLE_MESSAGE },
    });
    sts.failWith = { status: 400, code: 'Throttling', message: 'Rate exceeded' };
    expect(await assume(token)).toMatchObject({ status: 429, code: 'ThrottlingException' });
    sts.failWith = { status: 500, code: 'InternalFailure', message: 'boom' };
    expect(await assume(token)).toMatchObject({ status: 500, code: 'InternalServerException' });
  });
});
