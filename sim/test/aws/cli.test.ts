// The simulator driven from outside the JS SDK: the AWS CLI v1 and boto3, as suites run them in pods.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { cliEnv, commandWorks, trustService } from './helpers.ts';

const hasAwsCli = commandWorks('aws', ['--version']);
const hasBoto3 = commandWorks('python3', ['-c', 'import boto3']);

let sim: AwsSim;
let workDir: string;

beforeAll(async () => {
  sim = await startAwsSim();
  workDir = await mkdtemp(join(tmpdir(), 'pic-aws-cli-'));
});
afterAll(async () => {
  await sim?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const aws = (args: string[], env = cliEnv(sim)) =>
  execa('aws', ['--endpoint-url', sim.url, '--output', 'json', ...args], {
    env,
    extendEnv: false,
    reject: false,
  });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('AWS CLI v1', () => {
  it.skipIf(!hasAwsCli)('reports the caller (requires the aws CLI)', async () => {
    const result = await aws(['sts', 'get-caller-identity']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      Account: '111122223333',
      Arn: 'arn:aws:iam::111122223333:user/pod-identity-conformance-admin',
    });
  });

  it.skipIf(!hasAwsCli)('creates, reads, lists and deletes a role (requires the aws CLI)', async () => {
    const created = await aws([
      'iam',
      'create-role',
      '--role-name',
      'cli-role',
      '--path',
      '/pod-identity-conformance/',
      '--assume-role-policy-document',
      trustService('pods.eks.amazonaws.com'),
      '--tags',
      'Key=pod-identity-conformance:run-id,Value=pic-202601010000-abcde',
    ]);
    expect(created.exitCode, created.stderr).toBe(0);
    const role = JSON.parse(created.stdout).Role;
    expect(role.Arn).toBe('arn:aws:iam::111122223333:role/pod-identity-conformance/cli-role');
    // botocore decodes the URL-encoded document into JSON.
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: 'pods.eks.amazonaws.com',
    });
    const listed = await aws(['iam', 'list-roles', '--path-prefix', '/pod-identity-conformance/']);
    expect(JSON.parse(listed.stdout).Roles.map((r: { RoleName: string }) => r.RoleName)).toEqual([
      'cli-role',
    ]);
    expect((await aws(['iam', 'delete-role', '--role-name', 'cli-role'])).exitCode).toBe(0);
    const gone = await aws(['iam', 'get-role', '--role-name', 'cli-role']);
    expect(gone.exitCode).not.toBe(0);
    expect(gone.stderr).toContain('NoSuchEntity');
  });

  it.skipIf(!hasAwsCli)(
    'round-trips a 20 MB file byte-identical with s3 cp, uploading in parallel parts (requires the aws CLI)',
    async () => {
      const source = join(workDir, 'random.bin');
      const target = join(workDir, 'downloaded.bin');
      const data = randomBytes(20_000_000);
      await writeFile(source, data);
      expect((await aws(['s3', 'mb', 's3://cli-transfer'])).exitCode).toBe(0);
      const upload = await aws([
        's3',
        'cp',
        '--only-show-errors',
        source,
        's3://cli-transfer/dir/random.bin',
      ]);
      expect(upload.exitCode, upload.stderr).toBe(0);
      const stored = sim.s3.findBucket('cli-transfer')!.objects.get('dir/random.bin')!;
      // Above 8 MiB the CLI switches to multipart: three 8 MiB parts.
      expect(stored.partsCount).toBe(3);
      expect(stored.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
      const download = await aws([
        's3',
        'cp',
        '--only-show-errors',
        's3://cli-transfer/dir/random.bin',
        target,
      ]);
      expect(download.exitCode, download.stderr).toBe(0);
      expect(sha256(await readFile(target))).toBe(sha256(data));
      const listing = await aws(['s3', 'ls', 's3://cli-transfer/dir/']);
      expect(listing.stdout).toContain('20000000 random.bin');
    },
  );

  it.skipIf(!hasAwsCli)(
    'fails with SignatureDoesNotMatch when the secret is wrong (requires the aws CLI)',
    async () => {
      const env = cliEnv(sim, {
        ...sim.adminCredentials,
        secretAccessKey: `${sim.adminCredentials.secretAccessKey.slice(0, -1)}x`,
      });
      const result = await aws(['sts', 'get-caller-identity'], env);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('SignatureDoesNotMatch');
      expect(result.stderr).not.toContain(sim.adminCredentials.secretAccessKey);
    },
  );
});

const BOTO3_SCRIPT = `
import json, os, urllib.request
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ['AWS_ENDPOINT_URL']
out = {}
sts = boto3.client('sts', endpoint_url=endpoint)
out['arn'] = sts.get_caller_identity()['Arn']
iam = boto3.client('iam', endpoint_url=endpoint)
role = iam.create_role(RoleName='boto-role', AssumeRolePolicyDocument=os.environ['TRUST'])['Role']
out['roleId'] = role['RoleId']
try:
    iam.get_role(RoleName='missing-role')
except ClientError as e:
    out['missing'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
s3 = boto3.client('s3', endpoint_url=endpoint, config=Config(signature_version='s3v4'))
s3.create_bucket(Bucket='boto-bucket')
s3.put_object(Bucket='boto-bucket', Key='k.txt', Body=b'hello from boto3', ChecksumAlgorithm='SHA256')
out['body'] = s3.get_object(Bucket='boto-bucket', Key='k.txt')['Body'].read().decode()
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'k.txt'}, ExpiresIn=60)
out['presigned'] = urllib.request.urlopen(url).read().decode()
try:
    s3.head_object(Bucket='boto-bucket', Key='nope')
except ClientError as e:
    out['head'] = e.response['Error']['Code']
print(json.dumps(out))
`;

describe('boto3', () => {
  it.skipIf(!hasBoto3)(
    'drives STS, IAM and S3, including a SigV4 presigned URL (requires python3 with boto3)',
    async () => {
      const result = await execa('python3', ['-c', BOTO3_SCRIPT], {
        env: { ...cliEnv(sim), TRUST: trustService('pods.eks.amazonaws.com') },
        extendEnv: false,
        reject: false,
      });
      expect(result.exitCode, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out).toEqual({
        arn: 'arn:aws:iam::111122223333:user/pod-identity-conformance-admin',
        roleId: expect.stringMatching(/^AROA[A-Z0-9]{17}$/),
        missing: ['NoSuchEntity', 404],
        body: 'hello from boto3',
        presigned: 'hello from boto3',
        head: '404',
      });
      expect(sim.s3.findBucket('boto-bucket')!.objects.get('k.txt')!.checksum?.algorithm).toBe('sha256');
    },
  );
});
