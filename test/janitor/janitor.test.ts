// The janitor against a simulator that outlives the runs (as a real cluster does), reached through
// stand-in target factories: it finds exactly what carries the tool's markers, deletes it in dependency
// order, leaves everything else alone, filters by age and run id, and reports failed deletes.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  CreatePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import {
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  ListOpenIDConnectProvidersCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { SimHandle } from '@pod-identity-conformance/sim';
import { startSim } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRole, podIdentityTrustPolicy } from '../../fixtures/iam-role.ts';
import { createNamespace } from '../../fixtures/namespace.ts';
import { ensureOidcProvider } from '../../fixtures/oidc-provider.ts';
import { createAssociation } from '../../fixtures/pod-identity-association.ts';
import { createRunContext, type RunContext } from '../../fixtures/run-context.ts';
import { createBucket } from '../../fixtures/s3-bucket.ts';
import { createServiceAccount } from '../../fixtures/service-account.ts';
import { teardownOutstanding } from '../../fixtures/teardown.ts';
import { isAwsError } from '../../helpers/aws-errors.ts';
import { isNotFound } from '../../helpers/kube.ts';
import { awsTagMap, awsTags, IAM_PATH, LABEL_MANAGED_BY, TOOL_NAME } from '../../helpers/naming.ts';
import { type JanitorDeps, runJanitor } from '../../janitor/run-janitor.ts';
import { ConfigurationError } from '../../runner/errors.ts';
import type { RunSettings } from '../../runner/settings.ts';
import { embeddedTargetInfo } from '../../targets/embedded.ts';
import type { TargetFactory } from '../../targets/index.ts';
import { checkEndpointAnswers } from '../../targets/localstack/endpoint.ts';
import type { AwsCredentialsInfo, TargetInfo } from '../../targets/target.ts';
import { SUITES_ROOT } from '../../vitest.config.ts';

const RUN_A = 'pic-202611280800-aaaaa';
const RUN_B = 'pic-202611281100-bbbbb';
const HOURS = 3_600_000;

let sim: SimHandle;
let work: string;

beforeAll(async () => {
  sim = await startSim({ clusterName: 'janitor' });
  work = await mkdtemp(join(tmpdir(), 'pic-janitor-'));
});
afterAll(async () => {
  await sim?.close();
  await rm(work, { recursive: true, force: true });
});

function infoFor(runId: string, credentials?: AwsCredentialsInfo): TargetInfo {
  const info = embeddedTargetInfo(
    sim,
    { suites: [], target: 'eks', reportDir: join(work, 'reports'), keep: false },
    runId,
    undefined,
  );
  return { ...info, name: 'eks', ...(credentials ? { credentials } : {}), waitTimeoutMs: 10_000 };
}

/** A run's context, as a conformance run that created things and never came back would have had. */
function runContext(runId: string): RunContext {
  return createRunContext(infoFor(runId));
}

/** Stand-in factories: `eks` reaches the simulator as its admin; `localstack` with the given keys. */
function deps(
  options: {
    localstackCredentials?: AwsCredentialsInfo;
    embedded?: TargetFactory;
    localstack?: TargetFactory;
    /** The janitor's clock (default: the real one). */
    now?: () => Date;
  } = {},
) {
  const calls: string[] = [];
  const settingsSeen: RunSettings[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const sink = (lines: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
  const factory =
    (name: string, credentials?: AwsCredentialsInfo): TargetFactory =>
    async (settings, runId, startOptions) => {
      calls.push(`${name} ${startOptions?.purpose}`);
      settingsSeen.push(settings);
      return { info: { ...infoFor(runId, credentials), name: name as 'eks' }, close: async () => {} };
    };
  const janitorDeps: JanitorDeps = {
    targets: {
      embedded:
        options.embedded ??
        (async () => {
          throw new Error('the embedded factory must not be called');
        }),
      localstack: options.localstack ?? factory('localstack', options.localstackCredentials),
      eks: factory('eks'),
    },
    suitesRoot: SUITES_ROOT,
    env: {},
    cwd: work,
    stdout: sink(out),
    stderr: sink(err),
    now: options.now ?? (() => new Date()),
  };
  return { janitorDeps, calls, out, err, settingsSeen };
}

async function janitor(argv: string[], options: Parameters<typeof deps>[0] = {}) {
  const d = deps(options);
  const code = await runJanitor(argv, d.janitorDeps);
  return { code, out: d.out, err: d.err, calls: d.calls, settingsSeen: d.settingsSeen };
}

async function roleExists(run: RunContext, name: string): Promise<boolean> {
  try {
    await run.aws.iam.send(new GetRoleCommand({ RoleName: name }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return false;
    throw error;
  }
}

async function bucketExists(run: RunContext, name: string): Promise<boolean> {
  try {
    await run.aws.s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return false;
    throw error;
  }
}

async function namespaceExists(run: RunContext, name: string): Promise<boolean> {
  try {
    await run.kube.core.readNamespace({ name });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function associationExists(run: RunContext, associationId: string): Promise<boolean> {
  try {
    await run.aws.eks.send(
      new DescribePodIdentityAssociationCommand({ clusterName: 'janitor', associationId }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return false;
    throw error;
  }
}

/** The rows of the janitor's table (after the header), as [kind, name, run id]. */
function tableRows(out: string[]): string[][] {
  const header = out.findIndex((line) => /^\s+KIND\s+NAME\s+RUN ID\s+AGE$/.test(line));
  if (header < 0) return [];
  const rows: string[][] = [];
  for (const line of out.slice(header + 1)) {
    if (!line.startsWith('  ')) break;
    rows.push(
      line
        .trim()
        .split(/\s{2,}/)
        .slice(0, 3),
    );
  }
  return rows;
}

describe('janitor', () => {
  it('lists and then deletes only what carries the markers, in dependency order; the rest survives', async () => {
    const run = runContext(RUN_A);
    try {
      // What a run of the tool left: a namespace with a service account, a role with an inline and an
      // attached policy, an association, a bucket with objects.
      const namespace = await createNamespace(run, 'left');
      await createServiceAccount(run, { namespace: namespace.name, name: 'app' });
      const policy = await run.aws.iam.send(
        new CreatePolicyCommand({
          PolicyName: `${RUN_A}-managed`,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }],
          }),
        }),
      );
      const role = await createRole(run, {
        purpose: 'left',
        permissions: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        },
        managedPolicyArns: [policy.Policy!.Arn!],
      });
      const association = await createAssociation(run, {
        namespace: namespace.name,
        serviceAccount: 'app',
        roleArn: role.arn,
      });
      const bucket = await createBucket(run, 'left');
      const provider = await ensureOidcProvider(run, 'https://oidc.example.com/id/left');
      for (const key of ['a.txt', 'dir/b.txt']) {
        await run.aws.s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: key }));
      }

      // Look-alikes without the tool's markers. Those named like a run's are found by their name only
      // for that --run-id, or once they are older than a live run could still be marking them: these
      // were just made.
      const trust = JSON.stringify(podIdentityTrustPolicy());
      await run.aws.iam.send(
        new CreateRoleCommand({
          RoleName: `${RUN_A}-other-path`,
          Path: '/other/',
          AssumeRolePolicyDocument: trust,
          Tags: awsTags(RUN_A),
        }),
      );
      const untaggedRole = await run.aws.iam.send(
        new CreateRoleCommand({
          RoleName: `${RUN_A}-untagged`,
          Path: IAM_PATH,
          AssumeRolePolicyDocument: trust,
        }),
      );
      await run.aws.s3.send(new CreateBucketCommand({ Bucket: `${RUN_A}-untagged` }));
      // The cluster owners' provider: no run-id tag.
      await run.aws.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: 'https://oidc.example.com/id/owners' }),
      );
      await run.aws.s3.send(
        new PutObjectCommand({ Bucket: `${RUN_A}-untagged`, Key: 'keep.txt', Body: 'keep' }),
      );
      await run.kube.core.createNamespace({ body: { metadata: { name: `${RUN_A}-unlabelled` } } });
      await run.kube.core.createNamespace({
        body: { metadata: { name: `${RUN_A}-managed-only`, labels: { [LABEL_MANAGED_BY]: TOOL_NAME } } },
      });
      const untaggedAssociation = await run.aws.eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'janitor',
          namespace: `${RUN_A}-unlabelled`,
          serviceAccount: 'app',
          roleArn: untaggedRole.Role!.Arn!,
        }),
      );

      const dryRun = await janitor(['--target', 'eks']);
      expect(dryRun.err).toEqual([]);
      expect(dryRun.code).toBe(0);
      expect(dryRun.calls).toEqual(['eks janitor']);
      expect(tableRows(dryRun.out)).toEqual([
        ['pod-identity-association', `${namespace.name}/app (${association.associationId})`, RUN_A],
        ['namespace', namespace.name, RUN_A],
        ['iam-role', role.name, RUN_A],
        ['s3-bucket', bucket.name, RUN_A],
        ['iam-oidc-provider', provider.url, RUN_A],
      ]);
      // The command to delete them runs as printed: the eks account guard gets the account found.
      expect(dryRun.out.at(-1)).toBe(
        'janitor: dry run: nothing was deleted; to delete these, run: npm run janitor -- --target eks --cluster janitor --region us-east-1 --account 111122223333 --delete',
      );
      expect(await roleExists(run, role.name)).toBe(true);
      expect(await associationExists(run, association.associationId)).toBe(true);

      const deletion = await janitor(['--target', 'eks', '--delete']);
      expect(deletion.err).toEqual([]);
      expect(deletion.code).toBe(0);
      expect(deletion.out.filter((line) => line.startsWith('janitor: deleted '))).toEqual([
        `janitor: deleted pod-identity-association ${namespace.name}/app (${association.associationId})`,
        `janitor: deleted namespace ${namespace.name}`,
        `janitor: deleted iam-role ${role.name}`,
        `janitor: deleted s3-bucket ${bucket.name}`,
        `janitor: deleted iam-oidc-provider ${provider.url}`,
      ]);
      expect(deletion.out.at(-1)).toBe('janitor: 5 deleted, 0 failed');
      expect(await associationExists(run, association.associationId)).toBe(false);
      expect(await namespaceExists(run, namespace.name)).toBe(false);
      expect(await roleExists(run, role.name)).toBe(false);
      expect(await bucketExists(run, bucket.name)).toBe(false);

      // Nothing without the markers was touched.
      expect(await roleExists(run, `${RUN_A}-other-path`)).toBe(true);
      expect(await roleExists(run, `${RUN_A}-untagged`)).toBe(true);
      expect(await bucketExists(run, `${RUN_A}-untagged`)).toBe(true);
      const kept = await run.aws.s3.send(new ListObjectsV2Command({ Bucket: `${RUN_A}-untagged` }));
      expect(kept.Contents?.map((o) => o.Key)).toEqual(['keep.txt']);
      expect(await namespaceExists(run, `${RUN_A}-unlabelled`)).toBe(true);
      expect(await namespaceExists(run, `${RUN_A}-managed-only`)).toBe(true);
      expect(await associationExists(run, untaggedAssociation.association!.associationId!)).toBe(true);
      const providers = await run.aws.iam.send(new ListOpenIDConnectProvidersCommand({}));
      expect(providers.OpenIDConnectProviderList?.map((p) => p.Arn)).toEqual([
        'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/owners',
      ]);

      const again = await janitor(['--target', 'eks']);
      expect(again.code).toBe(0);
      expect(again.out).toEqual([
        'janitor: nothing of pod-identity-conformance on eks (account 111122223333, region us-east-1, cluster janitor)',
      ]);
    } finally {
      run.aws.destroy();
    }
  });

  it('--older-than goes by the created-at tag, --run-id by the run-id tag', async () => {
    const run = runContext(RUN_B);
    const threeHoursAgo = new Date(Date.now() - 3 * HOURS);
    try {
      const recentRole = await createRole(run, { purpose: 'recent' });
      const recentBucket = await createBucket(run, 'recent');
      // Left by an older run: created-at three hours ago.
      await run.aws.iam.send(
        new CreateRoleCommand({
          RoleName: `${RUN_A}-old`,
          Path: IAM_PATH,
          AssumeRolePolicyDocument: JSON.stringify(podIdentityTrustPolicy()),
          Tags: awsTags(RUN_A, threeHoursAgo),
        }),
      );
      await run.aws.s3.send(new CreateBucketCommand({ Bucket: `${RUN_A}-old` }));
      await run.aws.s3.send(
        new PutBucketTaggingCommand({
          Bucket: `${RUN_A}-old`,
          Tagging: { TagSet: awsTags(RUN_A, threeHoursAgo) },
        }),
      );
      const oldAssociation = await run.aws.eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'janitor',
          // The tool's namespaces start with the run id; the janitor only describes associations in such.
          namespace: `${RUN_A}-old`,
          serviceAccount: 'app',
          roleArn: recentRole.arn,
          tags: awsTagMap(RUN_A, threeHoursAgo),
        }),
      );
      const oldAssociationId = oldAssociation.association!.associationId!;

      const older = await janitor(['--target', 'eks', '--older-than', '2h']);
      expect(older.code).toBe(0);
      expect(older.out[0]).toMatch(
        /^janitor: 3 resource\(s\) of pod-identity-conformance \(older than 2h\) on eks/,
      );
      expect(tableRows(older.out)).toEqual([
        ['pod-identity-association', `${RUN_A}-old/app (${oldAssociationId})`, RUN_A],
        ['iam-role', `${RUN_A}-old`, RUN_A],
        ['s3-bucket', `${RUN_A}-old`, RUN_A],
      ]);
      expect(older.out.find((line) => line.includes(`${RUN_A}-old`))).toMatch(/ 3h0m$/);

      const byRun = await janitor(['--target', 'eks', '--run-id', RUN_B]);
      expect(tableRows(byRun.out)).toEqual([
        ['iam-role', recentRole.name, RUN_B],
        ['s3-bucket', recentBucket.name, RUN_B],
      ]);
      const both = await janitor(['--target', 'eks', '--run-id', RUN_B, '--older-than', '2h']);
      expect(both.out).toEqual([
        `janitor: nothing of pod-identity-conformance (run ${RUN_B}, older than 2h) on eks (account 111122223333, region us-east-1, cluster janitor)`,
      ]);

      const deletion = await janitor(['--target', 'eks', '--older-than', '2h', '--delete']);
      expect(deletion.code).toBe(0);
      expect(deletion.out.at(-1)).toBe('janitor: 3 deleted, 0 failed');
      expect(await roleExists(run, `${RUN_A}-old`)).toBe(false);
      expect(await roleExists(run, recentRole.name)).toBe(true);
      expect(await associationExists(run, oldAssociationId)).toBe(false);

      expect((await janitor(['--target', 'eks', '--run-id', RUN_B, '--delete'])).code).toBe(0);
      expect(await roleExists(run, recentRole.name)).toBe(false);
      expect(await bucketExists(run, recentBucket.name)).toBe(false);
    } finally {
      run.aws.destroy();
    }
  });

  it('reports each delete that fails and exits 1', async () => {
    const run = runContext(RUN_B);
    try {
      // A caller that may list and read but not delete.
      await run.aws.iam.send(new CreateUserCommand({ UserName: 'janitor-reader' }));
      await run.aws.iam.send(
        new PutUserPolicyCommand({
          UserName: 'janitor-reader',
          PolicyName: 'read',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: [
                  'iam:List*',
                  'iam:Get*',
                  's3:List*',
                  's3:GetBucketTagging',
                  'eks:List*',
                  'eks:Describe*',
                ],
                Resource: '*',
              },
            ],
          }),
        }),
      );
      const key = (await run.aws.iam.send(new CreateAccessKeyCommand({ UserName: 'janitor-reader' })))
        .AccessKey!;
      const role = await createRole(run, { purpose: 'undeletable' });

      const result = await janitor(['--target', 'localstack', '--delete'], {
        localstackCredentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
      });
      expect(result.code).toBe(1);
      expect(result.out).toContainEqual(
        expect.stringMatching(
          new RegExp(`^janitor: FAILED to delete iam-role ${role.name}: .*not authorized`),
        ),
      );
      expect(result.out.at(-1)).toBe('janitor: 0 deleted, 1 failed');
      expect(result.out.join('\n')).not.toContain(key.SecretAccessKey!);
      expect(await roleExists(run, role.name)).toBe(true);

      expect((await janitor(['--target', 'eks', '--delete'])).code).toBe(0);
      expect(await roleExists(run, role.name)).toBe(false);
    } finally {
      run.aws.destroy();
    }
  });

  it("finds and deletes an untagged bucket (and role and namespace) named like a run's: by --run-id, and in a sweep once old enough", async () => {
    const RUN_C = 'pic-202612010900-ccccc';
    const run = runContext(RUN_C);
    const threeHoursOn = () => new Date(Date.now() + 3 * HOURS);
    try {
      // A run killed between CreateBucket and PutBucketTagging, on an endpoint that ignores creation
      // tags (the simulator does, as LocalStack does): a bucket with the run's name and no tags.
      const bucketName = `${RUN_C}-creds`;
      await run.aws.s3.send(new CreateBucketCommand({ Bucket: bucketName }));
      await run.aws.s3.send(new PutObjectCommand({ Bucket: bucketName, Key: 'a.txt', Body: 'a' }));
      const roleName = `${RUN_C}-app`;
      await run.aws.iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          Path: IAM_PATH,
          AssumeRolePolicyDocument: JSON.stringify(podIdentityTrustPolicy()),
        }),
      );
      const namespaceName = `${RUN_C}-creds`;
      await run.kube.core.createNamespace({ body: { metadata: { name: namespaceName } } });
      // Not the tool's names: never taken, however old.
      await run.aws.s3.send(new CreateBucketCommand({ Bucket: 'pic-2026120109-notarun' }));
      await run.aws.s3.send(new CreateBucketCommand({ Bucket: 'pic-202613010900-ccccc-bad-month' }));

      const rowsOf = (out: string[]) => tableRows(out).filter((row) => row[1]!.startsWith('pic-2026'));
      const expected = [
        ['namespace', namespaceName, `${RUN_C} (by name)`],
        ['iam-role', roleName, `${RUN_C} (by name)`],
        ['s3-bucket', bucketName, `${RUN_C} (by name)`],
      ];

      // A sweep of every run leaves them alone while a live run could still be tagging them...
      const fresh = await janitor(['--target', 'eks']);
      expect(fresh.code).toBe(0);
      expect(rowsOf(fresh.out).filter((row) => row[1]!.startsWith(RUN_C))).toEqual([]);
      // ...and lists them once they are older than that.
      const later = await janitor(['--target', 'eks'], { now: threeHoursOn });
      expect(later.code).toBe(0);
      expect(rowsOf(later.out).filter((row) => row[1]!.startsWith(RUN_C))).toEqual(expected);
      expect(tableRows(later.out).map((row) => row[1])).not.toContain('pic-2026120109-notarun');
      expect(tableRows(later.out).map((row) => row[1])).not.toContain('pic-202613010900-ccccc-bad-month');

      // The run's own id finds them at any age, and --delete deletes them (the bucket emptied first).
      const byRun = await janitor(['--target', 'eks', '--run-id', RUN_C]);
      expect(tableRows(byRun.out)).toEqual(expected);
      const deletion = await janitor(['--target', 'eks', '--run-id', RUN_C, '--delete']);
      expect(deletion.err).toEqual([]);
      expect(deletion.code).toBe(0);
      expect(deletion.out.filter((line) => line.startsWith('janitor: deleted '))).toEqual([
        `janitor: deleted namespace ${namespaceName}`,
        `janitor: deleted iam-role ${roleName}`,
        `janitor: deleted s3-bucket ${bucketName}`,
      ]);
      expect(await bucketExists(run, bucketName)).toBe(false);
      expect(await roleExists(run, roleName)).toBe(false);
      expect(await namespaceExists(run, namespaceName)).toBe(false);
      expect(await bucketExists(run, 'pic-2026120109-notarun')).toBe(true);
      expect((await janitor(['--target', 'eks', '--run-id', RUN_C])).out).toEqual([
        `janitor: nothing of pod-identity-conformance (run ${RUN_C}) on eks (account 111122223333, region us-east-1, cluster janitor)`,
      ]);
    } finally {
      run.aws.destroy();
    }
  });

  it('tags a bucket in the CreateBucket call itself, and again where the endpoint ignored that', async () => {
    const RUN_D = 'pic-202612010930-ddddd';
    const run = runContext(RUN_D);
    const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
    const s3 = run.aws.s3;
    const send = s3.send.bind(s3);
    (s3 as { send: unknown }).send = (command: {
      constructor: { name: string };
      input: Record<string, unknown>;
    }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      return send(command as never);
    };
    try {
      const bucket = await createBucket(run, 'tagged');
      const [create, tagging] = sent;
      expect(create!.command).toBe('CreateBucketCommand');
      const tags = (create!.input.CreateBucketConfiguration as { Tags: Array<{ Key: string }> }).Tags;
      expect(tags.map((t) => t.Key)).toEqual(awsTags(RUN_D).map((t) => t.Key));
      expect(tags[0]).toEqual({ Key: 'pod-identity-conformance:run-id', Value: RUN_D });
      expect(tagging).toMatchObject({
        command: 'PutBucketTaggingCommand',
        input: { Tagging: { TagSet: tags } },
      });
      const listed = await janitor(['--target', 'eks', '--run-id', RUN_D]);
      expect(tableRows(listed.out)).toEqual([['s3-bucket', bucket.name, RUN_D]]);
      expect((await janitor(['--target', 'eks', '--run-id', RUN_D, '--delete'])).code).toBe(0);
    } finally {
      run.aws.destroy();
    }
  });

  it('passes the account guard only for --delete: a dry run deletes nothing and needs no --account or --yes', async () => {
    const dryRun = await janitor(['--target', 'eks']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.settingsSeen.map((s) => s.yes)).toEqual([true]);
    const deletion = await janitor(['--target', 'eks', '--delete']);
    expect(deletion.code).toBe(0);
    expect(deletion.settingsSeen.map((s) => s.yes)).toEqual([undefined]);
    // An --account given still has to match, dry run or not.
    const withAccount = await janitor(['--target', 'eks', '--account', '111122223333']);
    expect(withAccount.settingsSeen.map((s) => [s.yes, s.accounts])).toEqual([[undefined, ['111122223333']]]);
  });

  it('tells how to reach a LocalStack that does not answer without offering --localstack-container', async () => {
    const result = await janitor(['--target', 'localstack', '--localstack-endpoint', 'http://127.0.0.1:9'], {
      localstack: async (settings) => {
        await checkEndpointAnswers(settings.localstackEndpoint!, async () => {
          throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
        });
        throw new Error('unreachable');
      },
    });
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'janitor: LocalStack endpoint http://127.0.0.1:9 does not answer (ECONNREFUSED); point --localstack-endpoint (or LOCALSTACK_ENDPOINT) at the running LocalStack the runs used (the janitor starts none: a new LocalStack would hold nothing to clean)',
    ]);
  });

  it('refuses the embedded target with exit 2 and says why, without resolving it', async () => {
    const result = await janitor([]);
    expect(result.code).toBe(2);
    expect(result.calls).toEqual([]);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual([
      'janitor: the janitor cannot clean the embedded target: its simulator lives only as long as the run that started it, so nothing of it outlives the run; pass --target localstack or --target eks',
    ]);
  });

  it('exits 2 on bad input and on a target that is not configured, 1 when a target fails to start', async () => {
    const badInput = await janitor(['--target', 'eks', '--older-than', 'soon']);
    expect(badInput.code).toBe(2);
    expect(badInput.calls).toEqual([]);

    const notConfigured = await janitor(['--target', 'embedded'], {});
    expect(notConfigured.code).toBe(2);

    const d = deps();
    d.janitorDeps.targets.eks = async () => {
      throw new ConfigurationError('no kubeconfig: set KUBECONFIG');
    };
    expect(await runJanitor(['--target', 'eks'], d.janitorDeps)).toBe(2);
    expect(d.err).toEqual(['janitor: no kubeconfig: set KUBECONFIG']);

    const e = deps();
    e.janitorDeps.targets.eks = async () => {
      throw new Error('connect ETIMEDOUT');
    };
    expect(await runJanitor(['--target', 'eks'], e.janitorDeps)).toBe(1);
    expect(e.err).toEqual(['janitor: could not reach the eks target: connect ETIMEDOUT']);

    const container = await janitor(['--target', 'localstack'], {});
    expect(container.code).toBe(0);
    const f = deps();
    f.janitorDeps.env = { PIC_LOCALSTACK_CONTAINER: '1' };
    expect(await runJanitor(['--target', 'localstack'], f.janitorDeps)).toBe(2);
    expect(f.err[0]).toMatch(/^janitor: the janitor cannot use --localstack-container/);
  });

  it("the run ledger's teardown deletes an OIDC provider the run created; one that existed is neither recorded nor deleted", async () => {
    const runId = 'pic-202611281200-ccccc';
    const info = infoFor(runId);
    const run = createRunContext(info);
    try {
      await run.aws.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: 'https://oidc.example.com/id/existing' }),
      );
      const existing = await ensureOidcProvider(run, 'https://oidc.example.com/id/existing');
      expect(existing.createdByRun).toBe(false);
      await existing[Symbol.asyncDispose]();

      const created = await ensureOidcProvider(run, 'https://oidc.example.com/id/interrupted');
      expect(created.createdByRun).toBe(true);
      const outstanding = await run.ledger.outstanding();
      expect(outstanding.map((r) => [r.kind, r.ref])).toEqual([
        ['iam-oidc-provider', { url: 'oidc.example.com/id/interrupted', runId }],
      ]);
      // What the runner does after a run, and on Ctrl-C: delete from the ledger alone.
      const results = await teardownOutstanding(info, outstanding);
      expect(results.map((r) => r.ok)).toEqual([true]);
      expect(await run.ledger.outstanding()).toEqual([]);
      const left = await run.aws.iam.send(new ListOpenIDConnectProvidersCommand({}));
      const arns = (left.OpenIDConnectProviderList ?? []).map((p) => p.Arn);
      expect(arns).toContain(`arn:aws:iam::${sim.accountId}:oidc-provider/oidc.example.com/id/existing`);
      expect(arns).not.toContain(
        `arn:aws:iam::${sim.accountId}:oidc-provider/oidc.example.com/id/interrupted`,
      );
    } finally {
      run.aws.destroy();
    }
  });
});
