import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COMMAND_ACTIONS,
  commandsInSource,
  generatePolicyText,
  lineDiff,
  POLICY_PATH,
  policyFor,
  RESOURCE_SCOPES,
  renderPolicy,
  scanCommands,
} from '../../../scripts/runner-iam-policy.ts';

describe('docs/runner-iam-policy.json', () => {
  it('is what the generator makes from the code today (else: npm run iam-policy)', async () => {
    const generated = await generatePolicyText();
    const committed = existsSync(POLICY_PATH) ? await readFile(POLICY_PATH, 'utf8') : '';
    if (committed !== generated) {
      throw new Error(
        `docs/runner-iam-policy.json is stale; run \`npm run iam-policy\` and commit it:\n${lineDiff(committed, generated)}`,
      );
    }
  });

  it('covers what the suites and fixtures do, scoped to the tool’s markers', async () => {
    const policy = JSON.parse(await readFile(POLICY_PATH, 'utf8')) as ReturnType<typeof policyFor>;
    const scopeOf = (action: string) =>
      policy.Statement.filter((s) => s.Action.includes(action)).map((s) => s.Resource);
    expect(scopeOf('iam:CreateRole')).toEqual([RESOURCE_SCOPES.toolRole]);
    expect(scopeOf('iam:TagRole')).toEqual([RESOURCE_SCOPES.toolRole]);
    expect(scopeOf('iam:PassRole')).toEqual([RESOURCE_SCOPES.toolRole]);
    expect(scopeOf('s3:CreateBucket')).toEqual([RESOURCE_SCOPES.toolBucket]);
    expect(scopeOf('s3:ListBucket')).toEqual([RESOURCE_SCOPES.toolBucket]);
    expect(scopeOf('s3:DeleteObject')).toEqual([RESOURCE_SCOPES.toolObject]);
    expect(scopeOf('eks:CreatePodIdentityAssociation')).toEqual([RESOURCE_SCOPES.cluster]);
    expect(scopeOf('eks:DeletePodIdentityAssociation')).toEqual([RESOURCE_SCOPES.association]);
    // GetCallerIdentity needs no permission; nothing the runner does not call is granted.
    expect(scopeOf('sts:GetCallerIdentity')).toEqual([]);
    expect(scopeOf('s3:PutObject')).toEqual([]);
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });
});

describe('the IAM policy generator', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('finds each command with the service it is imported from, across import styles', () => {
    const source = `
      import {
        CreateBucketCommand,
        type HeadBucketCommandOutput,
        ListObjectsV2Command as ListObjects,
      } from '@aws-sdk/client-s3';
      import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(new ListObjects({ Bucket }));
      await sts.send(new GetCallerIdentityCommand({}));
    `;
    expect(commandsInSource(source, 'x.ts').map((u) => u.command)).toEqual([
      's3:CreateBucket',
      's3:ListObjectsV2',
      'sts:GetCallerIdentity',
    ]);
  });

  it('fails on a command whose service it cannot tell', () => {
    expect(() => commandsInSource('new MysteryCommand({})', 'fixtures/x.ts')).toThrow(
      'fixtures/x.ts: cannot tell which AWS service MysteryCommand belongs to',
    );
  });

  it('fails on a command without a mapping, naming it and the file', () => {
    expect(() => policyFor([{ command: 's3:PutBucketAcl', file: 'fixtures/acl.ts' }])).toThrow(
      'no IAM mapping for s3:PutBucketAcl (fixtures/acl.ts); add it to COMMAND_ACTIONS in scripts/runner-iam-policy.ts',
    );
  });

  it('maps commands to actions (several, or none) and groups them by resource scope', () => {
    const policy = policyFor([
      { command: 'sts:GetCallerIdentity', file: 'a.ts' },
      { command: 's3:HeadBucket', file: 'a.ts' },
      { command: 's3:ListObjectsV2', file: 'a.ts' },
      { command: 's3:DeleteObjects', file: 'a.ts' },
      { command: 'eks:CreatePodIdentityAssociation', file: 'a.ts' },
    ]);
    expect(policy.Statement).toEqual([
      {
        Sid: 'RolesUnderTheToolPath',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: RESOURCE_SCOPES.toolRole,
      },
      {
        Sid: 'BucketsNamedPic',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: RESOURCE_SCOPES.toolBucket,
      },
      {
        Sid: 'ObjectsInBucketsNamedPic',
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: RESOURCE_SCOPES.toolObject,
      },
      {
        Sid: 'TheClusterUnderTest',
        Effect: 'Allow',
        Action: ['eks:CreatePodIdentityAssociation'],
        Resource: RESOURCE_SCOPES.cluster,
      },
      {
        Sid: 'PodIdentityAssociations',
        Effect: 'Allow',
        Action: ['eks:TagResource'],
        Resource: RESOURCE_SCOPES.association,
      },
    ]);
  });

  it('names every action as service:Action and every scope it uses exists', () => {
    for (const [command, grants] of Object.entries(COMMAND_ACTIONS)) {
      expect(command).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
      for (const { action, scope } of grants) {
        expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
        expect(RESOURCE_SCOPES[scope]).toBeDefined();
      }
    }
  });

  it('scans folders recursively and single files, each command once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pic-iam-policy-'));
    await mkdir(join(dir, 'fixtures', 'deep'), { recursive: true });
    const use = `import { GetRoleCommand } from '@aws-sdk/client-iam';\nnew GetRoleCommand({});\n`;
    await writeFile(join(dir, 'fixtures', 'deep', 'a.ts'), use);
    await writeFile(join(dir, 'fixtures', 'b.ts'), use);
    await writeFile(
      join(dir, 'janitor.ts'),
      `import { ListBucketsCommand } from '@aws-sdk/client-s3';\nnew ListBucketsCommand({});`,
    );
    expect(await scanCommands(dir, ['fixtures', 'janitor.ts', 'absent'])).toEqual([
      { command: 'iam:GetRole', file: 'fixtures/b.ts' },
      { command: 's3:ListBuckets', file: 'janitor.ts' },
    ]);
  });

  it('lays the JSON out as biome does: action lists on one line when they fit in 110 columns', () => {
    const text = renderPolicy({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Short', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
        {
          Sid: 'Long',
          Effect: 'Allow',
          Action: Array.from({ length: 8 }, (_, i) => `iam:Action${i}Long`),
          Resource: '*',
        },
      ],
    });
    expect(text).toContain('      "Action": ["s3:GetObject"],\n');
    expect(text).toContain('      "Action": [\n        "iam:Action0Long",\n');
    expect(JSON.parse(text).Statement[1].Action).toHaveLength(8);
  });
});
