// IRSA on the AWS side: IAM OIDC providers, and STS AssumeRoleWithWebIdentity verifying the token
// against the provider, the issuer's keys and the role's trust policy. The call is unsigned, as in AWS.

import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { type FakeKubernetes, fakeKubernetes } from '../eks/fakes.ts';
import { clientConfig, rawRequest } from './helpers.ts';

const PROVIDER_URL = '127.0.0.1:6443';

function webIdentityTrust(providerArn: string, subject: string) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${PROVIDER_URL}:sub`]: subject, [`${PROVIDER_URL}:aud`]: 'sts.amazonaws.com' },
        },
      },
    ],
  });
}

async function startWithCluster(sabotage?: { webIdentityTrustIgnored?: boolean }) {
  const sim = await startAwsSim({ sabotage });
  const kubernetes = await fakeKubernetes();
  sim.registerOidcIssuer(kubernetes.issuer, kubernetes.jwks);
  const iam = new IAMClient(clientConfig(sim));
  const created = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: kubernetes.issuer,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      Tags: [{ Key: 'team', Value: 'platform' }],
    }),
  );
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'irsa-app',
      AssumeRolePolicyDocument: webIdentityTrust(
        created.OpenIDConnectProviderArn!,
        'system:serviceaccount:ns:app',
      ),
    }),
  );
  return { sim, kubernetes, iam, providerArn: created.OpenIDConnectProviderArn!, roleArn: role.Role!.Arn! };
}

/** The call as the AWS CLI makes it: a form POST without any signature. */
function unsignedAssume(sim: AwsSim, roleArn: string, token: string) {
  return rawRequest(sim.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: 'app-session',
      WebIdentityToken: token,
    }).toString(),
  });
}

describe('IAM OpenID Connect providers', () => {
  let env: Awaited<ReturnType<typeof startWithCluster>>;
  beforeAll(async () => {
    env = await startWithCluster();
  });
  afterAll(async () => {
    env?.iam.destroy();
    await env?.sim.close();
  });

  it('creates, gets, lists and deletes a provider with AWS shapes and errors', async () => {
    const { iam, providerArn, kubernetes } = env;
    expect(providerArn).toBe(`arn:aws:iam::${env.sim.accountId}:oidc-provider/${PROVIDER_URL}`);
    const got = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }),
    );
    expect(got.Url).toBe(PROVIDER_URL);
    expect(got.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(got.ThumbprintList).toEqual(['9e99a48a9960b14926bb7f3b02e22da2b0ab7280']);
    expect(got.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    expect(got.CreateDate).toBeInstanceOf(Date);
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(listed.OpenIDConnectProviderList).toEqual([{ Arn: providerArn }]);

    await expect(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: kubernetes.issuer, ClientIDList: ['x'] })),
    ).rejects.toMatchObject({ name: 'EntityAlreadyExistsException', $metadata: { httpStatusCode: 409 } });
    await expect(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'http://insecure.example.com' })),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });

    const other = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: 'https://other.example.com/id/1' }),
    );
    await iam.send(
      new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: other.OpenIDConnectProviderArn }),
    );
    await expect(
      iam.send(
        new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: other.OpenIDConnectProviderArn }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('STS AssumeRoleWithWebIdentity', () => {
  let env: Awaited<ReturnType<typeof startWithCluster>>;
  let kubernetes: FakeKubernetes;
  const appToken = (options: Partial<Parameters<FakeKubernetes['mintToken']>[0]> = {}) =>
    kubernetes.mintToken({
      namespace: 'ns',
      serviceAccount: 'app',
      audience: 'sts.amazonaws.com',
      ...options,
    });

  beforeAll(async () => {
    env = await startWithCluster();
    kubernetes = env.kubernetes;
  });
  afterAll(async () => {
    env?.iam.destroy();
    await env?.sim.close();
  });

  it('answers an unsigned call with the role session, whose keys then sign as the role', async () => {
    const response = await unsignedAssume(env.sim, env.roleArn, await appToken());
    expect(response.status, response.body).toBe(200);
    expect(response.body).toContain('<AssumeRoleWithWebIdentityResponse');
    expect(response.body).toContain(
      '<SubjectFromWebIdentityToken>system:serviceaccount:ns:app</SubjectFromWebIdentityToken>',
    );
    expect(response.body).toContain('<Audience>sts.amazonaws.com</Audience>');
    expect(response.body).toContain(`<Provider>${kubernetes.issuer}</Provider>`);

    // The SDK's command, also unsigned, and the session it returns.
    const sts = new STSClient({ endpoint: env.sim.url, region: env.sim.region, maxAttempts: 1 });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: env.roleArn,
        RoleSessionName: 'sdk-session',
        WebIdentityToken: await appToken(),
      }),
    );
    const credentials = assumed.Credentials!;
    const asRole = new STSClient(
      clientConfig(env.sim, {
        accessKeyId: credentials.AccessKeyId!,
        secretAccessKey: credentials.SecretAccessKey!,
        sessionToken: credentials.SessionToken!,
      }),
    );
    const identity = await asRole.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${env.sim.accountId}:assumed-role/irsa-app/sdk-session`);
    sts.destroy();
    asRole.destroy();
  });

  it("refuses another service account's token with AccessDenied (the trust's :sub condition)", async () => {
    const response = await unsignedAssume(env.sim, env.roleArn, await appToken({ serviceAccount: 'other' }));
    expect(response.status).toBe(403);
    expect(response.body).toContain('<Code>AccessDenied</Code>');
    expect(response.body).toContain('Not authorized to perform sts:AssumeRoleWithWebIdentity');
  });

  it('refuses tokens that do not verify: audience, signature, expiry, unknown issuer', async () => {
    const cases: Array<[string, string, number]> = [
      [await appToken({ audience: 'pods.eks.amazonaws.com' }), 'InvalidIdentityToken', 400],
      [
        await kubernetes.mintForgedToken({
          namespace: 'ns',
          serviceAccount: 'app',
          pod: { name: 'p', uid: 'u' },
        }),
        'InvalidIdentityToken',
        400,
      ],
      [await appToken({ expiresInSeconds: -60 }), 'ExpiredTokenException', 400],
      [await appToken({ issuer: 'https://unknown.example.com' }), 'InvalidIdentityToken', 400],
      ['not-a-jwt', 'InvalidIdentityToken', 400],
    ];
    for (const [token, code, status] of cases) {
      const response = await unsignedAssume(env.sim, env.roleArn, token);
      expect(response.status, response.body).toBe(status);
      expect(response.body).toContain(`<Code>${code}</Code>`);
      // The token never comes back in the error.
      expect(response.body).not.toContain(token);
    }
  });

  it('still refuses every other unsigned STS call', async () => {
    const response = await rawRequest(env.sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(response.status).toBe(403);
    expect(response.body).toContain('MissingAuthenticationToken');
  });
});

describe('webIdentityTrustIgnored', () => {
  it("lets another service account's token assume the role", async () => {
    const env = await startWithCluster({ webIdentityTrustIgnored: true });
    try {
      const token = await env.kubernetes.mintToken({
        namespace: 'ns',
        serviceAccount: 'other',
        audience: 'sts.amazonaws.com',
      });
      expect((await unsignedAssume(env.sim, env.roleArn, token)).status).toBe(200);
    } finally {
      env.iam.destroy();
      await env.sim.close();
    }
  });
});
