// The association API as the AWS CLI sees it (`--endpoint-url` = the simulator): the same JSON shapes a
// real cluster returns (compared with the aws-cli examples the spec cites), the same errors, pagination.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, type SimFixture, startSimFixture } from './sim-fixture.ts';

const run = promisify(execFile);
let f: SimFixture;
let roleArn: string;
let otherRoleArn: string;
let cluster: string;

/** Runs the AWS CLI against the simulator; resolves with exit code, parsed stdout and stderr. */
async function aws(...args: string[]): Promise<{ code: number; json: any; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      awsCli!,
      [...args, '--endpoint-url', f.sim.awsEndpointUrl, '--output', 'json'],
      {
        env: f.toolEnv,
      },
    );
    return { code: 0, json: stdout.trim() ? JSON.parse(stdout) : undefined, stderr };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code ?? -1, json: undefined, stderr: failure.stderr ?? String(error) };
  }
}

// The CLI prints epoch timestamps as local ISO 8601 with microseconds, e.g. 2025-05-24T19:40:13.961000-05:00.
const CLI_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d$/;
// Keys of the aws-cli example (create-pod-identity-association.rst), plus disableSessionTags (since 2025-06).
const ASSOCIATION_KEYS = [
  'clusterName',
  'namespace',
  'serviceAccount',
  'roleArn',
  'associationArn',
  'associationId',
  'tags',
  'createdAt',
  'modifiedAt',
  'disableSessionTags',
].sort();
const SUMMARY_KEYS = ['clusterName', 'namespace', 'serviceAccount', 'associationArn', 'associationId'].sort();

beforeAll(async () => {
  f = await startSimFixture({ clusterName: 'cli-cluster', region: 'us-west-2' });
  cluster = f.sim.cluster.name;
  [roleArn, otherRoleArn] = await Promise.all([f.createRole('cli-role'), f.createRole('cli-other-role')]);
});
afterAll(() => f?.close());

describe.skipIf(!awsCli)('aws eks (needs the aws CLI)', () => {
  it('create, describe, update and delete an association with AWS shapes', async () => {
    const created = await aws(
      'eks',
      'create-pod-identity-association',
      '--cluster-name',
      cluster,
      '--namespace',
      'default',
      '--service-account',
      'default',
      '--role-arn',
      roleArn,
    );
    expect(created.code).toBe(0);
    const a = created.json.association;
    expect(Object.keys(a).sort()).toEqual(ASSOCIATION_KEYS);
    expect(a).toMatchObject({
      clusterName: cluster,
      namespace: 'default',
      serviceAccount: 'default',
      roleArn,
      tags: {},
    });
    expect(a.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(a.associationArn).toBe(
      `arn:aws:eks:us-west-2:${f.sim.accountId}:podidentityassociation/${cluster}/${a.associationId}`,
    );
    expect(a.createdAt).toMatch(CLI_TIMESTAMP);
    expect(a.modifiedAt).toBe(a.createdAt);

    const described = await aws(
      'eks',
      'describe-pod-identity-association',
      '--cluster-name',
      cluster,
      '--association-id',
      a.associationId,
    );
    expect(described.json.association).toEqual(a);

    const updated = await aws(
      'eks',
      'update-pod-identity-association',
      '--cluster-name',
      cluster,
      '--association-id',
      a.associationId,
      '--role-arn',
      otherRoleArn,
    );
    expect(updated.json.association).toMatchObject({
      roleArn: otherRoleArn,
      namespace: 'default',
      serviceAccount: 'default',
    });

    const deleted = await aws(
      'eks',
      'delete-pod-identity-association',
      '--cluster-name',
      cluster,
      '--association-id',
      a.associationId,
    );
    expect(deleted.json.association.associationId).toBe(a.associationId);
    const gone = await aws(
      'eks',
      'describe-pod-identity-association',
      '--cluster-name',
      cluster,
      '--association-id',
      a.associationId,
    );
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('(ResourceNotFoundException)');
  });

  it('cannot change namespace or service account with update (not parameters of the operation)', async () => {
    const result = await aws(
      'eks',
      'update-pod-identity-association',
      '--cluster-name',
      cluster,
      '--association-id',
      'a-00000000000000000',
      '--namespace',
      'other',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Unknown options: --namespace/);
  });

  it('answers a duplicate with ResourceInUseException and the existing id, and a bad trust with InvalidParameterException', async () => {
    const first = await aws(
      'eks',
      'create-pod-identity-association',
      '--cluster-name',
      cluster,
      '--namespace',
      'dup',
      '--service-account',
      'sa',
      '--role-arn',
      roleArn,
    );
    const badTrustRole = await f.createRole(
      'cli-ec2-role',
      undefined,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    );
    const [duplicate, badTrust, missingRole] = await Promise.all([
      aws(
        'eks',
        'create-pod-identity-association',
        '--cluster-name',
        cluster,
        '--namespace',
        'dup',
        '--service-account',
        'sa',
        '--role-arn',
        roleArn,
      ),
      aws(
        'eks',
        'create-pod-identity-association',
        '--cluster-name',
        cluster,
        '--namespace',
        'dup',
        '--service-account',
        'other',
        '--role-arn',
        badTrustRole,
      ),
      aws(
        'eks',
        'create-pod-identity-association',
        '--cluster-name',
        cluster,
        '--namespace',
        'dup',
        '--service-account',
        'x',
        '--role-arn',
        `arn:aws:iam::${f.sim.accountId}:role/none`,
      ),
    ]);
    expect(duplicate.stderr).toContain(
      `An error occurred (ResourceInUseException) when calling the CreatePodIdentityAssociation operation: Association already exists: ${first.json.association.associationId}`,
    );
    expect(badTrust.stderr).toContain(
      '(InvalidParameterException) when calling the CreatePodIdentityAssociation operation: Trust policy of the role provided is invalid',
    );
    expect(missingRole.stderr).toContain(
      '(InvalidParameterException) when calling the CreatePodIdentityAssociation operation: Role provided in the request does not exist',
    );
  });

  it('lists summaries, filters and pages', async () => {
    await Promise.all(
      ['a', 'b', 'c'].map((sa) =>
        aws(
          'eks',
          'create-pod-identity-association',
          '--cluster-name',
          cluster,
          '--namespace',
          'paged',
          '--service-account',
          sa,
          '--role-arn',
          roleArn,
        ),
      ),
    );
    const [filtered, firstPage, allPaged, tooMany] = await Promise.all([
      aws(
        'eks',
        'list-pod-identity-associations',
        '--cluster-name',
        cluster,
        '--namespace',
        'paged',
        '--service-account',
        'b',
      ),
      aws(
        'eks',
        'list-pod-identity-associations',
        '--cluster-name',
        cluster,
        '--namespace',
        'paged',
        '--max-results',
        '2',
        '--no-paginate',
      ),
      aws(
        'eks',
        'list-pod-identity-associations',
        '--cluster-name',
        cluster,
        '--namespace',
        'paged',
        '--page-size',
        '1',
      ),
      aws('eks', 'list-pod-identity-associations', '--cluster-name', cluster, '--max-results', '101'),
    ]);
    expect(filtered.json.associations).toHaveLength(1);
    expect(Object.keys(filtered.json.associations[0]).sort()).toEqual(SUMMARY_KEYS);
    expect(filtered.json.associations[0].serviceAccount).toBe('b');

    expect(firstPage.json.associations).toHaveLength(2);
    expect(firstPage.json.nextToken).toEqual(expect.any(String));
    const secondPage = await aws(
      'eks',
      'list-pod-identity-associations',
      '--cluster-name',
      cluster,
      '--namespace',
      'paged',
      '--max-results',
      '2',
      '--no-paginate',
      '--next-token',
      firstPage.json.nextToken,
    );
    expect(secondPage.json.associations).toHaveLength(1);
    expect(secondPage.json.nextToken).toBeUndefined();

    expect(
      allPaged.json.associations.map((a: { serviceAccount: string }) => a.serviceAccount).sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(tooMany.stderr).toContain('(InvalidParameterException)');
  });

  it('describes the cluster and the pod identity agent add-on', async () => {
    const [described, addons, addon] = await Promise.all([
      aws('eks', 'describe-cluster', '--name', cluster),
      aws('eks', 'list-addons', '--cluster-name', cluster),
      aws('eks', 'describe-addon', '--cluster-name', cluster, '--addon-name', 'eks-pod-identity-agent'),
    ]);
    expect(described.json.cluster).toMatchObject({
      name: cluster,
      arn: f.sim.cluster.arn,
      version: '1.33',
      status: 'ACTIVE',
      endpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(described.json.cluster.identity.oidc.issuer).toMatch(/^https:\/\//);
    expect(addons.json.addons).toEqual(['eks-pod-identity-agent']);
    expect(addon.json.addon).toMatchObject({ addonName: 'eks-pod-identity-agent', status: 'ACTIVE' });
  });

  it('aws eks-auth reaches EKS Auth and gets its errors', async () => {
    const result = await aws(
      'eks-auth',
      'assume-role-for-pod-identity',
      '--cluster-name',
      cluster,
      '--token',
      'a.b.c',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('(InvalidTokenException)');
  });
});
