// The association API as the AWS CLI sees it (`--endpoint-url` = the simulator): the same JSON shapes a
// real cluster returns (compared with the aws-cli examples the spec cites), the same errors, pagination.
// Set-up and checks that need no CLI go through the SDK: every CLI start costs about a second of CPU.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreatePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, type SimFixture, startSimFixture } from './sim-fixture.ts';

const run = promisify(execFile);
let f: SimFixture;
let roleArn: string;
let otherRoleArn: string;
let cluster: string;
let configDir: string;

interface CliResult {
  code: number;
  // biome-ignore lint/suspicious/noExplicitAny: CLI output is asserted field by field
  json: any;
  stderr: string;
}

/** Runs `aws <args> --endpoint-url SIM --output json`; resolves with exit code, parsed stdout and stderr. */
async function aws(args: string): Promise<CliResult> {
  const argv = [...args.split(' '), '--endpoint-url', f.sim.awsEndpointUrl, '--output', 'json'];
  try {
    const { stdout, stderr } = await run(awsCli!, argv, {
      // CLI v1 prints timestamps as sent unless told otherwise; v2 (the spec's examples) prints ISO 8601.
      env: { ...f.toolEnv, AWS_CONFIG_FILE: join(configDir, 'config') },
    });
    return { code: 0, json: stdout.trim() ? JSON.parse(stdout) : undefined, stderr };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code ?? -1, json: undefined, stderr: failure.stderr ?? String(error) };
  }
}

// As the CLI prints timestamps: local ISO 8601 with microseconds, e.g. 2025-05-24T19:40:13.961000-05:00.
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
// Keys of the list-pod-identity-associations.rst example.
const SUMMARY_KEYS = ['clusterName', 'namespace', 'serviceAccount', 'associationArn', 'associationId'].sort();

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'pic-cli-'));
  writeFileSync(join(configDir, 'config'), '[default]\ncli_timestamp_format = iso8601\n');
  f = await startSimFixture({ clusterName: 'cli-cluster', region: 'us-west-2' });
  cluster = f.sim.cluster.name;
  [roleArn, otherRoleArn] = await Promise.all([f.createRole('cli-role'), f.createRole('cli-other-role')]);
});
afterAll(async () => {
  await f?.close();
  rmSync(configDir, { recursive: true, force: true });
});

const sdkCreate = (namespace: string, serviceAccount: string) =>
  f.eks.send(
    new CreatePodIdentityAssociationCommand({ clusterName: cluster, namespace, serviceAccount, roleArn }),
  );

describe.skipIf(!awsCli)('aws eks (needs the aws CLI)', () => {
  it('create, describe, update and delete an association with AWS shapes', async () => {
    const created = await aws(
      `eks create-pod-identity-association --cluster-name ${cluster} --namespace default --service-account default --role-arn ${roleArn}`,
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

    const ids = `--cluster-name ${cluster} --association-id ${a.associationId}`;
    const [described, updated] = await Promise.all([
      aws(`eks describe-pod-identity-association ${ids}`),
      aws(`eks update-pod-identity-association ${ids} --role-arn ${otherRoleArn}`),
    ]);
    expect(Object.keys(described.json.association).sort()).toEqual(ASSOCIATION_KEYS);
    expect(described.json.association.associationArn).toBe(a.associationArn);
    expect(updated.json.association).toMatchObject({
      roleArn: otherRoleArn,
      namespace: 'default',
      serviceAccount: 'default',
      associationId: a.associationId,
    });

    const deleted = await aws(`eks delete-pod-identity-association ${ids}`);
    expect(deleted.json.association).toMatchObject({ associationId: a.associationId, roleArn: otherRoleArn });
    await expect(
      f.eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId: a.associationId }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('creates an association with a target role in the second account and a session policy', async () => {
    const target = `arn:aws:iam::${f.sim.targetRoleAccount!.accountId}:role/cli-target`;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    const created = await aws(
      `eks create-pod-identity-association --cluster-name ${cluster} --namespace xacct --service-account app --role-arn ${roleArn} --target-role-arn ${target} --disable-session-tags --policy ${policy}`,
    );
    expect(created.code, created.stderr).toBe(0);
    const a = created.json.association;
    expect(Object.keys(a).sort()).toEqual(
      [...ASSOCIATION_KEYS, 'externalId', 'policy', 'targetRoleArn'].sort(),
    );
    expect(a).toMatchObject({ roleArn, targetRoleArn: target, disableSessionTags: true, policy });
    expect(a.externalId).toMatch(/^[0-9a-f-]{36}$/);
    const ids = `--cluster-name ${cluster} --association-id ${a.associationId}`;
    const described = await aws(`eks describe-pod-identity-association ${ids}`);
    expect(described.json.association).toMatchObject({ targetRoleArn: target, externalId: a.externalId });
  });

  it('answers a duplicate with ResourceInUseException and the existing id, and a bad trust with InvalidParameterException', async () => {
    const first = await sdkCreate('dup', 'sa');
    const ec2Trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const badTrustRole = await f.createRole('cli-ec2-role', undefined, ec2Trust);
    const create = (serviceAccount: string, role: string) =>
      aws(
        `eks create-pod-identity-association --cluster-name ${cluster} --namespace dup --service-account ${serviceAccount} --role-arn ${role}`,
      );
    const [duplicate, badTrust] = await Promise.all([create('sa', roleArn), create('other', badTrustRole)]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain(
      `An error occurred (ResourceInUseException) when calling the CreatePodIdentityAssociation operation: Association already exists: ${first.association!.associationId}`,
    );
    expect(badTrust.stderr).toContain(
      'An error occurred (InvalidParameterException) when calling the CreatePodIdentityAssociation operation: Trust policy of the role provided is invalid',
    );
  });

  it('lists summaries, filters and pages', async () => {
    for (const sa of ['a', 'b', 'c']) await sdkCreate('paged', sa);
    const list = `eks list-pod-identity-associations --cluster-name ${cluster} --namespace paged`;
    const [filtered, firstPage, allPaged] = await Promise.all([
      aws(`${list} --service-account b`),
      aws(`${list} --max-results 2 --no-paginate`),
      aws(`${list} --page-size 1`),
    ]);
    expect(filtered.json.associations).toHaveLength(1);
    expect(Object.keys(filtered.json.associations[0]).sort()).toEqual(SUMMARY_KEYS);
    expect(filtered.json.associations[0].serviceAccount).toBe('b');

    expect(firstPage.json.associations).toHaveLength(2);
    expect(firstPage.json.nextToken).toEqual(expect.any(String));
    const secondPage = await f.eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: cluster,
        namespace: 'paged',
        maxResults: 2,
        nextToken: firstPage.json.nextToken,
      }),
    );
    expect(secondPage.associations?.map((s) => s.serviceAccount)).toEqual(['c']);
    expect(secondPage.nextToken).toBeUndefined();

    // The CLI followed nextToken page by page.
    expect(allPaged.json.associations.map((s: { serviceAccount: string }) => s.serviceAccount)).toEqual([
      'a',
      'b',
      'c',
    ]);
    await expect(
      f.eks.send(new ListPodIdentityAssociationsCommand({ clusterName: cluster, maxResults: 101 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
  });

  it('describes the cluster and the pod identity agent add-on', async () => {
    const [described, addon] = await Promise.all([
      aws(`eks describe-cluster --name ${cluster}`),
      f.eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName: 'eks-pod-identity-agent' })),
    ]);
    expect(described.json.cluster).toMatchObject({
      name: cluster,
      arn: f.sim.cluster.arn,
      version: '1.33',
      status: 'ACTIVE',
      endpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(described.json.cluster.createdAt).toMatch(CLI_TIMESTAMP);
    expect(described.json.cluster.identity.oidc.issuer).toMatch(/^https:\/\//);
    expect(addon.addon).toMatchObject({ addonName: 'eks-pod-identity-agent', status: 'ACTIVE' });
  });

  it('aws eks-auth reaches EKS Auth and gets its errors', async () => {
    const result = await aws(`eks-auth assume-role-for-pod-identity --cluster-name ${cluster} --token a.b.c`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('(InvalidTokenException)');
  });
});
