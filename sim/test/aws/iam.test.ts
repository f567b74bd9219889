import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { clientConfig, errorCode, queryCall, trustAccount } from './helpers.ts';

const PATH = '/pod-identity-conformance/';

let sim: AwsSim;
let iam: IAMClient;

beforeAll(async () => {
  sim = await startAwsSim({ accountId: '123456789012', region: 'eu-west-1' });
  iam = new IAMClient(clientConfig(sim));
});
afterAll(async () => {
  iam?.destroy();
  await sim?.close();
});

const s3Policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }],
});

describe('IAM role lifecycle over the Query API', () => {
  it('creates a role with a path and tags, and returns it as IAM does', async () => {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'lifecycle-role',
        Path: PATH,
        AssumeRolePolicyDocument: trustAccount(sim.accountId),
        Description: 'made by a test',
        MaxSessionDuration: 7200,
        Tags: [
          { Key: 'pod-identity-conformance:run-id', Value: 'pic-202601010000-abcde' },
          { Key: 'team', Value: 'platform' },
        ],
      }),
    );
    const role = created.Role!;
    expect(role.Arn).toBe(`arn:aws:iam::123456789012:role${PATH}lifecycle-role`);
    expect(role.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(role.Path).toBe(PATH);
    expect(role.MaxSessionDuration).toBe(7200);
    // IAM returns policy documents URL-encoded.
    expect(role.AssumeRolePolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!))).toEqual(
      JSON.parse(trustAccount(sim.accountId)),
    );

    const got = (await iam.send(new GetRoleCommand({ RoleName: 'lifecycle-role' }))).Role!;
    expect(got.RoleId).toBe(role.RoleId);
    expect(got.Description).toBe('made by a test');
    expect(got.Tags).toEqual([
      { Key: 'pod-identity-conformance:run-id', Value: 'pic-202601010000-abcde' },
      { Key: 'team', Value: 'platform' },
    ]);
  });

  it('rejects a duplicate name (case-insensitively) with EntityAlreadyExists', async () => {
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'LIFECYCLE-ROLE',
          AssumeRolePolicyDocument: trustAccount(sim.accountId),
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityAlreadyExistsException', $metadata: { httpStatusCode: 409 } });
  });

  it('lists roles by path prefix with Marker/MaxItems pagination', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      await iam.send(
        new CreateRoleCommand({
          RoleName: `page-role-${n}`,
          Path: '/paged/',
          AssumeRolePolicyDocument: trustAccount(sim.accountId),
        }),
      );
    }
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await iam.send(
        new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2, Marker: marker }),
      );
      pages++;
      seen.push(...page.Roles!.map((r) => r.RoleName!));
      expect(page.Roles!.length).toBeLessThanOrEqual(2);
      marker = page.IsTruncated ? page.Marker : undefined;
      if (page.IsTruncated) expect(page.Marker).toBeTruthy();
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(['page-role-1', 'page-role-2', 'page-role-3', 'page-role-4', 'page-role-5']);
    const other = await iam.send(new ListRolesCommand({ PathPrefix: PATH }));
    expect(other.Roles!.map((r) => r.RoleName)).toEqual(['lifecycle-role']);
    expect(other.IsTruncated).toBe(false);
  });

  it('tags and untags a role', async () => {
    await iam.send(
      new TagRoleCommand({
        RoleName: 'lifecycle-role',
        Tags: [
          { Key: 'TEAM', Value: 'infra' },
          { Key: 'env', Value: 'ci' },
        ],
      }),
    );
    let tags = (await iam.send(new ListRoleTagsCommand({ RoleName: 'lifecycle-role' }))).Tags!;
    // Tag keys are case-insensitive: TEAM replaced team.
    expect(tags).toHaveLength(3);
    expect(tags).toContainEqual({ Key: 'TEAM', Value: 'infra' });
    await iam.send(new UntagRoleCommand({ RoleName: 'lifecycle-role', TagKeys: ['team', 'env'] }));
    tags = (await iam.send(new ListRoleTagsCommand({ RoleName: 'lifecycle-role' }))).Tags!;
    expect(tags.map((t) => t.Key)).toEqual(['pod-identity-conformance:run-id']);
  });

  it('manages inline and attached policies, and blocks DeleteRole with DeleteConflict until they are gone', async () => {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'lifecycle-role', PolicyName: 'read', PolicyDocument: s3Policy }),
    );
    const inline = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'lifecycle-role', PolicyName: 'read' }),
    );
    expect(JSON.parse(decodeURIComponent(inline.PolicyDocument!))).toEqual(JSON.parse(s3Policy));
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'lifecycle-role' }))).PolicyNames).toEqual(
      ['read'],
    );

    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'lifecycle-role',
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'lifecycle-role' }));
    expect(attached.AttachedPolicies).toEqual([
      { PolicyName: 'AmazonS3ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' },
    ]);

    await expect(iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle-role' }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must delete policies first.',
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'lifecycle-role', PolicyName: 'read' }));
    await expect(iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle-role' }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
    });
    await iam.send(
      new DetachRolePolicyCommand({
        RoleName: 'lifecycle-role',
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: 'lifecycle-role' }));
    await expect(iam.send(new GetRoleCommand({ RoleName: 'lifecycle-role' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
      message: 'The role with name lifecycle-role cannot be found.',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('updates the trust policy', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'trust-update',
        AssumeRolePolicyDocument: trustAccount(sim.accountId),
      }),
    );
    const updated = trustAccount(sim.accountId, ['sts:AssumeRole']);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'trust-update', PolicyDocument: updated }));
    const role = (await iam.send(new GetRoleCommand({ RoleName: 'trust-update' }))).Role!;
    expect(decodeURIComponent(role.AssumeRolePolicyDocument!)).toBe(updated);
  });

  it('creates, reads and deletes customer managed policies (DeleteConflict while attached)', async () => {
    const policy = (
      await iam.send(
        new CreatePolicyCommand({ PolicyName: 'bucket-read', Path: PATH, PolicyDocument: s3Policy }),
      )
    ).Policy!;
    expect(policy.Arn).toBe(`arn:aws:iam::123456789012:policy${PATH}bucket-read`);
    expect(policy.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
    expect(policy.DefaultVersionId).toBe('v1');
    const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: 'v1' })))
      .PolicyVersion!;
    expect(JSON.parse(decodeURIComponent(version.Document!))).toEqual(JSON.parse(s3Policy));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'uses-managed',
        AssumeRolePolicyDocument: trustAccount(sim.accountId),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'uses-managed', PolicyArn: policy.Arn }));
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn }))).Policy!.AttachmentCount).toBe(1);
    await expect(iam.send(new DeletePolicyCommand({ PolicyArn: policy.Arn }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'uses-managed', PolicyArn: policy.Arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: policy.Arn }));
    await expect(iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('answers AWS managed policies and rejects unknown ones', async () => {
    const full = await iam.send(
      new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }),
    );
    expect(full.Policy!.PolicyName).toBe('AmazonS3FullAccess');
    await expect(
      iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'uses-managed',
          PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy',
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });
});

describe('IAM input validation', () => {
  it('rejects a malformed trust policy with MalformedPolicyDocument', async () => {
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'bad-trust',
          AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": [',
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException', $metadata: { httpStatusCode: 400 } });
    // A trust policy without a principal is not a trust policy.
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'bad-trust',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }],
          }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
    await expect(iam.send(new GetRoleCommand({ RoleName: 'bad-trust' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('rejects invalid names and paths with ValidationError', async () => {
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'has space',
          AssumeRolePolicyDocument: trustAccount(sim.accountId),
        }),
      ),
    ).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'ok-name',
          Path: 'no-slashes',
          AssumeRolePolicyDocument: trustAccount(sim.accountId),
        }),
      ),
    ).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'ok-name',
          MaxSessionDuration: 60,
          AssumeRolePolicyDocument: trustAccount(sim.accountId),
        }),
      ),
    ).rejects.toMatchObject({ Code: 'ValidationError' });
  });

  it('answers an unknown action with InvalidAction in the Query error shape', async () => {
    const response = await queryCall(sim, 'iam', { Action: 'FlyToTheMoon' });
    expect(response.status).toBe(400);
    expect(response.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
  });

  it("denies a user without policies, with AWS's AccessDenied message", async () => {
    await iam.send(new CreateUserCommand({ UserName: 'nobody' }));
    const user = sim.iam.getUser('nobody');
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' }))).AccessKey!;
    const asNobody = new IAMClient(
      clientConfig(sim, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    try {
      await expect(asNobody.send(new ListRolesCommand({}))).rejects.toMatchObject({
        name: 'AccessDenied',
        message: `User: ${user.arn} is not authorized to perform: iam:ListRoles on resource: *`,
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      asNobody.destroy();
    }
    const raw = await queryCall(
      sim,
      'iam',
      { Action: 'ListRoles' },
      { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    );
    expect(errorCode(raw.body)).toBe('AccessDenied');
  });
});
