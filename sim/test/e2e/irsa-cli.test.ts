// IRSA from outside, with the real AWS CLI and kubectl as a person uses them against the simulator:
// the cluster's issuer from `aws eks describe-cluster`, an OIDC provider for it, a token from
// `kubectl create token --audience sts.amazonaws.com`, and `aws sts assume-role-with-web-identity` with
// no credentials at all (the call is unsigned, as in AWS). The token goes through a file, never an argv.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, kubectl, type SimFixture, startSimFixture } from './sim-fixture.ts';

const run = promisify(execFile);
let f: SimFixture;
let dir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(
  executable: string,
  argv: string[],
  env: NodeJS.ProcessEnv = f.toolEnv,
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(executable, argv, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: failure.code ?? -1,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? String(error),
    };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: CLI output is asserted field by field
async function awsJson(args: string[], env?: NodeJS.ProcessEnv): Promise<any> {
  const result = await tool(awsCli!, [...args, '--output', 'json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** A service-account token for STS, written to a file (mode 600) for `file://`. */
async function tokenFile(namespace: string, serviceAccount: string): Promise<string> {
  const created = await tool(kubectl!, [
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--audience',
    'sts.amazonaws.com',
  ]);
  expect(created.code, created.stderr).toBe(0);
  const path = join(dir, `${serviceAccount}.token`);
  writeFileSync(path, created.stdout.trim(), { mode: 0o600 });
  return path;
}

/** The CLI's environment without any AWS credentials. */
const anonymousEnv = () => {
  const env = { ...f.toolEnv };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  return env;
};

describe.skipIf(!awsCli || !kubectl)('IRSA with the AWS CLI and kubectl (needs aws and kubectl)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pic-irsa-cli-'));
    f = await startSimFixture({ clusterName: 'irsa-cli', region: 'us-west-2' });
  });
  afterAll(async () => {
    await f?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates an OIDC provider for the issuer DescribeCluster shows, and assumes a role with a kubectl token', async () => {
    const cluster = await awsJson(['eks', 'describe-cluster', '--name', 'irsa-cli']);
    const issuer: string = cluster.cluster.identity.oidc.issuer;
    expect(issuer).toMatch(/^https:\/\//);
    const providerUrl = issuer.slice('https://'.length);

    const created = await awsJson([
      'iam',
      'create-open-id-connect-provider',
      '--url',
      issuer,
      '--client-id-list',
      'sts.amazonaws.com',
      '--thumbprint-list',
      '9e99a48a9960b14926bb7f3b02e22da2b0ab7280',
    ]);
    const providerArn: string = created.OpenIDConnectProviderArn;
    expect(providerArn).toBe(`arn:aws:iam::${f.sim.accountId}:oidc-provider/${providerUrl}`);
    const got = await awsJson([
      'iam',
      'get-open-id-connect-provider',
      '--open-id-connect-provider-arn',
      providerArn,
    ]);
    expect(got).toMatchObject({
      Url: providerUrl,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
    });
    expect((await awsJson(['iam', 'list-open-id-connect-providers'])).OpenIDConnectProviderList).toEqual([
      { Arn: providerArn },
    ]);
    const again = await tool(awsCli!, ['iam', 'create-open-id-connect-provider', '--url', issuer]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('EntityAlreadyExists');

    await f.createNamespace('irsa');
    await f.createServiceAccount('irsa', 'app');
    await f.createServiceAccount('irsa', 'other');
    const roleArn = await f.createRole(
      'irsa-cli-role',
      undefined,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: providerArn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${providerUrl}:sub`]: 'system:serviceaccount:irsa:app',
                [`${providerUrl}:aud`]: 'sts.amazonaws.com',
              },
            },
          },
        ],
      }),
    );

    const assumeArgs = (token: string) => [
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      roleArn,
      '--role-session-name',
      'cli-session',
      '--web-identity-token',
      `file://${token}`,
    ];
    const assumed = await awsJson(assumeArgs(await tokenFile('irsa', 'app')), anonymousEnv());
    expect(Object.keys(assumed).sort()).toEqual(
      ['AssumedRoleUser', 'Audience', 'Credentials', 'Provider', 'SubjectFromWebIdentityToken'].sort(),
    );
    expect(assumed.SubjectFromWebIdentityToken).toBe('system:serviceaccount:irsa:app');
    expect(assumed.Audience).toBe('sts.amazonaws.com');
    expect(assumed.AssumedRoleUser.Arn).toBe(
      `arn:aws:sts::${f.sim.accountId}:assumed-role/irsa-cli-role/cli-session`,
    );
    expect(Object.keys(assumed.Credentials).sort()).toEqual(
      ['AccessKeyId', 'Expiration', 'SecretAccessKey', 'SessionToken'].sort(),
    );

    // The returned keys sign as the role.
    const asRole = {
      ...anonymousEnv(),
      AWS_ACCESS_KEY_ID: assumed.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: assumed.Credentials.SessionToken,
    };
    expect((await awsJson(['sts', 'get-caller-identity'], asRole)).Arn).toBe(assumed.AssumedRoleUser.Arn);

    // Another service account's token: the trust's :sub condition refuses it.
    const refused = await tool(awsCli!, assumeArgs(await tokenFile('irsa', 'other')), anonymousEnv());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('AccessDenied');
    expect(refused.stderr).toContain('Not authorized to perform sts:AssumeRoleWithWebIdentity');

    const deleted = await tool(awsCli!, [
      'iam',
      'delete-open-id-connect-provider',
      '--open-id-connect-provider-arn',
      providerArn,
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const gone = await tool(awsCli!, [
      'iam',
      'get-open-id-connect-provider',
      '--open-id-connect-provider-arn',
      providerArn,
    ]);
    expect(gone.stderr).toContain('NoSuchEntity');
  });
});
