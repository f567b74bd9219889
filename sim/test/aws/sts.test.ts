import { createHash } from 'node:crypto';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { type Credentials, clientConfig, trustAccount, trustService } from './helpers.ts';

let sim: AwsSim;
let iam: IAMClient;
let sts: STSClient;

beforeAll(async () => {
  sim = await startAwsSim();
  iam = new IAMClient(clientConfig(sim));
  sts = new STSClient(clientConfig(sim));
});
afterAll(async () => {
  iam?.destroy();
  sts?.destroy();
  await sim?.close();
});

function credentialsOf(result: {
  Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
}): Credentials {
  return {
    accessKeyId: result.Credentials!.AccessKeyId!,
    secretAccessKey: result.Credentials!.SecretAccessKey!,
    sessionToken: result.Credentials!.SessionToken!,
  };
}

async function createRole(name: string, trust: string, maxSessionDuration?: number) {
  return (
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: trust,
        MaxSessionDuration: maxSessionDuration,
      }),
    )
  ).Role!;
}

describe('STS GetCallerIdentity', () => {
  it('reports the admin user', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('111122223333');
    expect(identity.Arn).toBe('arn:aws:iam::111122223333:user/pod-identity-conformance-admin');
    expect(identity.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
  });
});

describe('STS AssumeRole', () => {
  it('issues expiring ASIA session credentials whose identity is the assumed role', async () => {
    const role = await createRole('session-role', trustAccount(sim.accountId));
    const before = Date.now();
    const result = await sts.send(
      new AssumeRoleCommand({
        RoleArn: role.Arn,
        RoleSessionName: 'tester@example.com',
        DurationSeconds: 900,
      }),
    );
    expect(result.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(result.Credentials!.SessionToken!.length).toBeGreaterThan(100);
    const expiresIn = result.Credentials!.Expiration!.getTime() - before;
    expect(expiresIn).toBeGreaterThan(890_000);
    expect(expiresIn).toBeLessThanOrEqual(901_000);
    expect(result.AssumedRoleUser).toEqual({
      AssumedRoleId: `${role.RoleId}:tester@example.com`,
      Arn: 'arn:aws:sts::111122223333:assumed-role/session-role/tester@example.com',
    });
    const asSession = new STSClient(clientConfig(sim, credentialsOf(result)));
    try {
      const identity = await asSession.send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe('arn:aws:sts::111122223333:assumed-role/session-role/tester@example.com');
      expect(identity.UserId).toBe(`${role.RoleId}:tester@example.com`);
    } finally {
      asSession.destroy();
    }
  });

  it('validates RoleSessionName and DurationSeconds', async () => {
    const role = await createRole('limits-role', trustAccount(sim.accountId), 7200);
    const assume = (input: Partial<{ RoleSessionName: string; DurationSeconds: number }>) =>
      sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'ok', ...input }));
    await expect(assume({ RoleSessionName: 'x' })).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(assume({ RoleSessionName: 'a'.repeat(65) })).rejects.toMatchObject({
      Code: 'ValidationError',
    });
    await expect(assume({ RoleSessionName: 'no spaces' })).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(assume({ DurationSeconds: 899 })).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(assume({ DurationSeconds: 43201 })).rejects.toMatchObject({ Code: 'ValidationError' });
    await expect(assume({ DurationSeconds: 7201 })).rejects.toMatchObject({
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    await expect(assume({ DurationSeconds: 7200 })).resolves.toBeDefined();
  });

  it("denies a role whose trust policy does not allow the caller, with AWS's message", async () => {
    const role = await createRole('ec2-only', trustService('ec2.amazonaws.com'));
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'nope' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:iam::111122223333:user/pod-identity-conformance-admin is not authorized to perform: sts:AssumeRole on resource: ${role.Arn}`,
      $metadata: { httpStatusCode: 403 },
    });
    const missing = 'arn:aws:iam::111122223333:role/does-not-exist';
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 'nope' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining(`on resource: ${missing}`),
    });
  });

  it('requires sts:TagSession in the trust policy to pass session tags', async () => {
    const role = await createRole('no-tag-session', trustAccount(sim.accountId, ['sts:AssumeRole']));
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'plain' })),
    ).resolves.toBeDefined();
    await expect(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: role.Arn,
          RoleSessionName: 'tagged',
          Tags: [{ Key: 'team', Value: 'a' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('sts:TagSession') });
  });

  it('checks sts:ExternalId conditions', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${sim.accountId}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'expected-id' } },
        },
      ],
    });
    const role = await createRole('external-id-role', trust);
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'ext' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'ext', ExternalId: 'wrong-id' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      sts.send(
        new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'ext', ExternalId: 'expected-id' }),
      ),
    ).resolves.toBeDefined();
  });

  it('limits a session to its session policy', async () => {
    const role = await createRole('session-policy-role', trustAccount(sim.accountId));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'session-policy-role',
        PolicyName: 's3',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    const admin = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: 'session-policy-bucket' }));
    const result = await sts.send(
      new AssumeRoleCommand({
        RoleArn: role.Arn,
        RoleSessionName: 'narrowed',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: 'arn:aws:s3:::session-policy-bucket/allowed/*',
            },
          ],
        }),
      }),
    );
    expect(result.PackedPolicySize).toBeGreaterThan(0);
    const s3 = new S3Client({ ...clientConfig(sim, credentialsOf(result)), forcePathStyle: true });
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'session-policy-bucket', Key: 'allowed/x', Body: 'x' }));
      await expect(
        s3.send(new PutObjectCommand({ Bucket: 'session-policy-bucket', Key: 'other/x', Body: 'x' })),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
      });
    } finally {
      s3.destroy();
      admin.destroy();
    }
    await expect(
      sts.send(
        new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'bad', Policy: '{"Statement": "nope"' }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
  });
  it('gives a session nothing from a role recreated under the same name', async () => {
    const allowAll = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    });
    const first = await createRole('recreated', trustAccount(sim.accountId));
    const session = credentialsOf(
      await sts.send(new AssumeRoleCommand({ RoleArn: first.Arn, RoleSessionName: 'old' })),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: 'recreated' }));
    await createRole('recreated', trustAccount(sim.accountId));
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'recreated', PolicyName: 'all', PolicyDocument: allowAll }),
    );
    const s3 = new S3Client({ ...clientConfig(sim, session), forcePathStyle: true });
    try {
      await expect(
        s3.send(new CreateBucketCommand({ Bucket: 'recreated-role-bucket' })),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
    } finally {
      s3.destroy();
    }
  });
});

describe('session tags and ABAC', () => {
  it("allows PutObject under the session's namespace prefix and denies another namespace", async () => {
    const bucket = 'abac-bucket';
    const admin = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
    const role = await createRole('abac-role', trustAccount(sim.accountId));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'abac-role',
        PolicyName: 'namespace-prefix',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: `arn:aws:s3:::${bucket}/\${aws:PrincipalTag/kubernetes-namespace}/*`,
            },
          ],
        }),
      }),
    );
    const result = await sts.send(
      new AssumeRoleCommand({
        RoleArn: role.Arn,
        RoleSessionName: 'ns-a-pod',
        Tags: [
          { Key: 'kubernetes-namespace', Value: 'ns-a' },
          { Key: 'kubernetes-service-account', Value: 'app' },
        ],
        TransitiveTagKeys: ['kubernetes-namespace'],
      }),
    );
    const s3 = new S3Client({ ...clientConfig(sim, credentialsOf(result)), forcePathStyle: true });
    try {
      const put = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'ns-a/object.txt', Body: 'mine' }),
      );
      expect(put.ETag).toBe(`"${createHash('md5').update('mine').digest('hex')}"`);
      await expect(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ns-b/object.txt', Body: 'theirs' })),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      s3.destroy();
    }
    expect(sim.s3.findBucket(bucket)!.objects.has('ns-b/object.txt')).toBe(false);
  });

  it('carries transitive tags into a chained session and refuses to change them', async () => {
    const bucket = 'chain-bucket';
    const admin = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
    const first = await createRole('chain-first', trustAccount(sim.accountId));
    const second = await createRole('chain-second', trustAccount(sim.accountId));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'chain-first',
        PolicyName: 'assume-second',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: second.Arn },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'chain-second',
        PolicyName: 'tag-prefixes',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: [
                `arn:aws:s3:::${bucket}/\${aws:PrincipalTag/kubernetes-namespace}/*`,
                `arn:aws:s3:::${bucket}/\${aws:PrincipalTag/not-transitive}/*`,
              ],
            },
          ],
        }),
      }),
    );
    const firstSession = await sts.send(
      new AssumeRoleCommand({
        RoleArn: first.Arn,
        RoleSessionName: 'first',
        Tags: [
          { Key: 'kubernetes-namespace', Value: 'ns-a' },
          { Key: 'not-transitive', Value: 'x' },
        ],
        TransitiveTagKeys: ['kubernetes-namespace'],
      }),
    );
    const asFirst = new STSClient(clientConfig(sim, credentialsOf(firstSession)));
    try {
      await expect(
        asFirst.send(
          new AssumeRoleCommand({ RoleArn: second.Arn, RoleSessionName: 'second', DurationSeconds: 7200 }),
        ),
      ).rejects.toMatchObject({ message: expect.stringContaining('role chaining') });
      await expect(
        asFirst.send(
          new AssumeRoleCommand({
            RoleArn: second.Arn,
            RoleSessionName: 'second',
            Tags: [{ Key: 'kubernetes-namespace', Value: 'ns-b' }],
          }),
        ),
      ).rejects.toMatchObject({ Code: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      const chained = await asFirst.send(
        new AssumeRoleCommand({ RoleArn: second.Arn, RoleSessionName: 'second' }),
      );
      const asSecond = new S3Client({ ...clientConfig(sim, credentialsOf(chained)), forcePathStyle: true });
      try {
        await asSecond.send(new PutObjectCommand({ Bucket: bucket, Key: 'ns-a/chained.txt', Body: 'ok' }));
        // Only the transitive tag reached the chained session.
        await expect(
          asSecond.send(new PutObjectCommand({ Bucket: bucket, Key: 'x/chained.txt', Body: 'no' })),
        ).rejects.toMatchObject({
          name: 'AccessDenied',
        });
      } finally {
        asSecond.destroy();
      }
      // Passing the inherited tag again with the same value is accepted.
      await expect(
        asFirst.send(
          new AssumeRoleCommand({
            RoleArn: second.Arn,
            RoleSessionName: 'again',
            Tags: [{ Key: 'kubernetes-namespace', Value: 'ns-a' }],
          }),
        ),
      ).resolves.toBeDefined();
    } finally {
      asFirst.destroy();
    }
  });
});

describe('service-principal credentials', () => {
  it('assume a role that trusts pods.eks.amazonaws.com with TagSession, and only such a role', async () => {
    const podRole = await createRole('pod-identity-role', trustService('pods.eks.amazonaws.com'));
    const otherRole = await createRole('lambda-role', trustService('lambda.amazonaws.com'));
    const service = sim.createServicePrincipalCredentials('pods.eks.amazonaws.com');
    expect(service.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    const asService = new STSClient(clientConfig(sim, service));
    try {
      const tags = [
        { Key: 'eks-cluster-name', Value: 'demo' },
        { Key: 'kubernetes-namespace', Value: 'default' },
        { Key: 'kubernetes-service-account', Value: 'app' },
      ];
      const result = await asService.send(
        new AssumeRoleCommand({
          RoleArn: podRole.Arn,
          RoleSessionName: 'eks-demo-app-pod-8f0c',
          Tags: tags,
          TransitiveTagKeys: tags.map((t) => t.Key),
        }),
      );
      expect(result.AssumedRoleUser!.Arn).toBe(
        'arn:aws:sts::111122223333:assumed-role/pod-identity-role/eks-demo-app-pod-8f0c',
      );
      await expect(
        asService.send(
          new AssumeRoleCommand({
            RoleArn: otherRole.Arn,
            RoleSessionName: 'eks-demo-app-pod-8f0c',
            Tags: tags,
          }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
      // The admin user is not the service: the pod identity role does not trust it.
      await expect(
        sts.send(new AssumeRoleCommand({ RoleArn: podRole.Arn, RoleSessionName: 'admin' })),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
      });
    } finally {
      asService.destroy();
    }
  });

  it('can be issued only for service principal names', () => {
    expect(() => sim.createServicePrincipalCredentials('not a service')).toThrow(/service principal/);
  });
});
