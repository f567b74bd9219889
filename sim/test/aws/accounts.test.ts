// A second simulated account on the same endpoint: its own IAM and admin, and roles assumed across
// accounts, where the caller's identity policy and the role's trust policy must both allow.

import { CreateRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { clientConfig } from './helpers.ts';

const SOURCE_ACCOUNT = '111122223333';
const TARGET_ACCOUNT = '444455556666';
const EXTERNAL_ID = 'ext-1234';

let sim: AwsSim;
const clients: Array<{ destroy(): void }> = [];
const sts = (credentials: Parameters<typeof clientConfig>[1]) => {
  const client = new STSClient(clientConfig(sim, credentials));
  clients.push(client);
  return client;
};

beforeAll(async () => {
  sim = await startAwsSim({ accountId: SOURCE_ACCOUNT, otherAccountIds: [TARGET_ACCOUNT] });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await sim?.close();
});

const target = () => sim.otherAccounts[0]!;

async function createTargetRole(name: string, trust: Record<string, unknown>): Promise<string> {
  const iam = new IAMClient(clientConfig(sim, target().adminCredentials));
  clients.push(iam);
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...trust }],
      }),
    }),
  );
  return created.Role!.Arn!;
}

/** A session of a role in the source account that may assume anything (or nothing). */
function sourceSession(name: string, mayAssume: boolean) {
  const role = sim.iam.createRole({
    roleName: name,
    path: '/',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
  });
  if (mayAssume) {
    sim.iam.putRolePolicy(name, 'assume', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${TARGET_ACCOUNT}:role/*` },
      ],
    });
  }
  return { arn: role.arn, credentials: sim.createRoleSessionCredentials(role.arn, { sessionName: 'src' }) };
}

describe('a second account', () => {
  it('has its own admin, IAM and identity', async () => {
    const identity = await sts(target().adminCredentials).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:iam::${TARGET_ACCOUNT}:user/pod-identity-conformance-admin`);
    const arn = await createTargetRole('only-in-target', { Principal: { AWS: SOURCE_ACCOUNT } });
    expect(arn).toBe(`arn:aws:iam::${TARGET_ACCOUNT}:role/only-in-target`);
    const iam = new IAMClient(clientConfig(sim));
    clients.push(iam);
    const sourceRoles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
    expect(sourceRoles.map((r) => r.RoleName)).not.toContain('only-in-target');
  });

  it('lets a source role assume a target role whose trust names it, with the right external id', async () => {
    const source = sourceSession('source-ok', true);
    const roleArn = await createTargetRole('trusts-source', {
      Principal: { AWS: source.arn },
      Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
    });
    const client = sts(source.credentials);
    const assumed = await client.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xa', ExternalId: EXTERNAL_ID }),
    );
    expect(assumed.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${TARGET_ACCOUNT}:assumed-role/trusts-source/xa`);
    const session = sts({
      accessKeyId: assumed.Credentials!.AccessKeyId!,
      secretAccessKey: assumed.Credentials!.SecretAccessKey!,
      sessionToken: assumed.Credentials!.SessionToken!,
    });
    expect((await session.send(new GetCallerIdentityCommand({}))).Account).toBe(TARGET_ACCOUNT);

    await expect(
      client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xa', ExternalId: 'other-id' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('needs the caller identity policy too when the trust names the other account', async () => {
    const roleArn = await createTargetRole('trusts-account', {
      Principal: { AWS: `arn:aws:iam::${SOURCE_ACCOUNT}:root` },
    });
    const allowed = sourceSession('source-allowed', true);
    const withoutPolicy = sourceSession('source-without-policy', false);
    await expect(
      sts(allowed.credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xa' })),
    ).resolves.toMatchObject({ AssumedRoleUser: { Arn: expect.stringContaining(TARGET_ACCOUNT) } });
    await expect(
      sts(withoutPolicy.credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xa' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('keeps inline policies of the target role in the target account', async () => {
    const iam = new IAMClient(clientConfig(sim, target().adminCredentials));
    clients.push(iam);
    await createTargetRole('with-policy', { Principal: { AWS: SOURCE_ACCOUNT } });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'with-policy',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
        }),
      }),
    );
    expect(target().iam.findRole('with-policy')?.arn).toBe(`arn:aws:iam::${TARGET_ACCOUNT}:role/with-policy`);
    expect(sim.iam.findRole('with-policy')).toBeUndefined();
  });
});
