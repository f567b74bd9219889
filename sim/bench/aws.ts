// Speed of the AWS simulator's endpoint: a signed S3 PutObject and GetObject of 1 KB, measured server
// side (body received -> response handed to the socket) with the endpoint's timing hook, split into
// SigV4/payload verification, the handler, and policy evaluation inside it; plus end-to-end times with
// the JS SDK against an unsigned request the endpoint refuses at once (the no-op baseline).
//
//   node bench/aws.ts [iterations]     (target: signed 1 KB PutObject/GetObject < 5 ms server side)

import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type RequestTiming, startAwsSim } from '../aws/index.ts';
import { median } from './stats.ts';

const iterations = Number(process.argv[2] ?? '400');
const warmup = 50;

const fmt = (ms: number) => `${ms.toFixed(3).padStart(8)} ms`;

let recording: RequestTiming[] | undefined;
const sim = await startAwsSim({
  onRequestTiming: (timing) => recording?.push(timing),
});

async function measure(
  label: string,
  run: (i: number) => Promise<void>,
): Promise<{ server: RequestTiming[]; endToEnd: number[] }> {
  for (let i = 0; i < warmup; i++) await run(i);
  recording = [];
  const endToEnd: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run(i);
    endToEnd.push(performance.now() - started);
  }
  const server = recording;
  recording = undefined;
  const pick = (key: keyof RequestTiming) => median(server.map((t) => t[key] as number));
  console.log(
    `${label.padEnd(44)} server ${fmt(pick('totalMs'))}  verify ${fmt(pick('verifyMs'))}  handler ${fmt(pick('handlerMs'))}  policy ${fmt(pick('authorizeMs'))}  end-to-end ${fmt(median(endToEnd))}`,
  );
  return { server, endToEnd };
}

try {
  const body = randomBytes(1024);
  const admin = new S3Client({
    endpoint: sim.url,
    region: sim.region,
    credentials: sim.adminCredentials,
    forcePathStyle: true,
  });
  await admin.send(new CreateBucketCommand({ Bucket: 'bench' }));

  // A role session whose access goes through an ABAC policy with a principal-tag variable.
  const role = sim.iam.createRole({
    roleName: 'bench-abac',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${sim.accountId}:root` },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ],
    },
  });
  sim.iam.putRolePolicy(role.roleName, 'abac', {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject'],
        // An IAM policy variable, not a template placeholder.
        Resource: `arn:aws:s3:::bench/\${aws:PrincipalTag/kubernetes-namespace}/*`,
        Condition: { StringEquals: { 'aws:PrincipalTag/eks-cluster-name': 'bench' } },
      },
      { Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::bench/secret/*' },
    ],
  });
  const sts = new STSClient({ endpoint: sim.url, region: sim.region, credentials: sim.adminCredentials });
  const assumed = await sts.send(
    new AssumeRoleCommand({
      RoleArn: role.arn,
      RoleSessionName: 'bench',
      Tags: [
        { Key: 'kubernetes-namespace', Value: 'ns-a' },
        { Key: 'eks-cluster-name', Value: 'bench' },
      ],
    }),
  );
  sts.destroy();
  const session = new S3Client({
    endpoint: sim.url,
    region: sim.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: assumed.Credentials!.AccessKeyId!,
      secretAccessKey: assumed.Credentials!.SecretAccessKey!,
      sessionToken: assumed.Credentials!.SessionToken!,
    },
  });

  console.log(`AWS simulator, ${iterations} iterations after ${warmup} warm-up, medians:`);
  const put = await measure('PutObject 1 KB (admin user)', async (i) => {
    await admin.send(new PutObjectCommand({ Bucket: 'bench', Key: `admin/${i % 50}`, Body: body }));
  });
  const get = await measure('GetObject 1 KB (admin user)', async (i) => {
    const out = await admin.send(new GetObjectCommand({ Bucket: 'bench', Key: `admin/${i % 50}` }));
    await out.Body!.transformToByteArray();
  });
  await measure('PutObject 1 KB (ABAC role session)', async (i) => {
    await session.send(new PutObjectCommand({ Bucket: 'bench', Key: `ns-a/${i % 50}`, Body: body }));
  });
  await measure('GetObject 1 KB (ABAC role session)', async (i) => {
    const out = await session.send(new GetObjectCommand({ Bucket: 'bench', Key: `ns-a/${i % 50}` }));
    await out.Body!.transformToByteArray();
  });

  const agent = new Agent({ keepAlive: true });
  const unsigned = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${sim.url}/bench/admin/0`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const baseline = await measure('unsigned GET (refused at once: baseline)', unsigned);
  agent.destroy();

  // Policy evaluation alone, in-process.
  const caller = sim.context;
  const adminCaller = {
    accessKeyId: sim.adminCredentials.accessKeyId,
    accountId: sim.accountId,
    arn: `arn:aws:iam::${sim.accountId}:user/pod-identity-conformance-admin`,
    userId: 'AIDAEXAMPLE',
    kind: 'user' as const,
    sessionTags: {},
    transitiveTagKeys: [],
  };
  const evalIterations = 20_000;
  for (let i = 0; i < 1000; i++)
    caller.authorize(adminCaller, { action: 's3:PutObject', resource: 'arn:aws:s3:::bench/k' });
  const evalStarted = performance.now();
  for (let i = 0; i < evalIterations; i++)
    caller.authorize(adminCaller, { action: 's3:PutObject', resource: 'arn:aws:s3:::bench/k' });
  const evalUs = ((performance.now() - evalStarted) * 1000) / evalIterations;

  const serverPut = median(put.server.map((t) => t.totalMs));
  const serverGet = median(get.server.map((t) => t.totalMs));
  console.log('');
  console.log(
    `policy evaluation in-process (admin, context building included): ${evalUs.toFixed(1)} µs per authorize()`,
  );
  console.log(
    `signed minus unsigned end-to-end: PutObject ${fmt(median(put.endToEnd) - median(baseline.endToEnd))}, GetObject ${fmt(median(get.endToEnd) - median(baseline.endToEnd))}`,
  );
  console.log(
    `target < 5 ms server side: PutObject ${serverPut < 5 ? 'met' : 'MISSED'} (${serverPut.toFixed(3)} ms), GetObject ${serverGet < 5 ? 'met' : 'MISSED'} (${serverGet.toFixed(3)} ms)`,
  );
  admin.destroy();
  session.destroy();
} finally {
  await sim.close();
}
