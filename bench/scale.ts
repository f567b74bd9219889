// Scale: N service accounts on one simulator (no latency profile), each with its own role (allowed to
// write under its own prefix of one bucket), its association and its pod; then every pod is checked
// from inside for its own role and for isolation from the others (denied under the next pod's prefix).
// Prints one JSON line {"n", "wallS", "failed"}; bench/perf.ts runs it per N and samples its memory.
//
//   node bench/scale.ts N

import { fileURLToPath } from 'node:url';
import { CreatePodIdentityAssociationCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { installationToolDirs, startSim } from '@pod-identity-conformance/sim';
import { execInPod } from '../helpers/exec-in-pod.ts';

const n = Number(process.argv[2] ?? '10');
/** At most this many creations or in-pod checks at once: a runner's worth, not a stampede. */
const CONCURRENCY = 8;
const NAMESPACE = 'scale';
const BUCKET = 'pic-scale';
const checkScript = fileURLToPath(new URL('./scale-check.mjs', import.meta.url));

/** Runs `task` for 0..count-1, at most `limit` at a time. */
async function forEach(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const started = performance.now();
const sim = await startSim({
  podToolDirs: installationToolDirs(fileURLToPath(new URL('..', import.meta.url))),
});
try {
  const aws = { endpoint: sim.awsEndpointUrl, region: sim.region, credentials: sim.adminCredentials };
  const iam = new IAMClient(aws);
  const eks = new EKSClient(aws);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfigYaml);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await new S3Client({ ...aws, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));

  const name = (i: number) => `app-${i}`;
  await forEach(n, CONCURRENCY, async (i) => {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: name(i),
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'pods.eks.amazonaws.com' },
              Action: ['sts:AssumeRole', 'sts:TagSession'],
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name(i),
        PolicyName: 'own-prefix',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/${i}/*` }],
        }),
      }),
    );
    await core.createNamespacedServiceAccount({
      namespace: NAMESPACE,
      body: { metadata: { name: name(i) } },
    });
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: sim.cluster.name,
        namespace: NAMESPACE,
        serviceAccount: name(i),
        roleArn: role.Role!.Arn!,
      }),
    );
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: name(i) },
        spec: {
          serviceAccountName: name(i),
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'main', image: 'x', command: ['sleep', '86400'] }],
        },
      },
    });
  });
  await forEach(n, CONCURRENCY, async (i) => {
    for (;;) {
      const pod = await core.readNamespacedPod({ namespace: NAMESPACE, name: name(i) });
      if (pod.status?.phase === 'Running') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  let failed = 0;
  await forEach(n, CONCURRENCY, async (i) => {
    // With one pod there is no other pod: a prefix no role may write stands in for it.
    const other = n > 1 ? String((i + 1) % n) : 'nobody';
    const result = await execInPod(kc, {
      namespace: NAMESPACE,
      pod: name(i),
      container: 'main',
      argv: ['node', checkScript, name(i), BUCKET, String(i), other],
      timeoutMs: 120_000,
    });
    if (result.exitCode !== 0) {
      failed++;
      process.stderr.write(`pod ${name(i)}: ${result.stdout.trim()} ${result.stderr.trim()}\n`);
    }
  });
  iam.destroy();
  eks.destroy();
  process.stdout.write(
    `${JSON.stringify({ n, wallS: Number(((performance.now() - started) / 1000).toFixed(2)), failed })}\n`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  await sim.close();
}
