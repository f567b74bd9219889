// The blog scenario's second half: the pod copies a generated file to S3 with its Pod Identity
// credentials, reads it back, and the runner reads it too; all three copies are byte-identical.
// 9 MiB makes the AWS CLI use a multipart upload, as it does for real files.

import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  allowedOnceIamCatchesUp,
  type Bucket,
  callerIdentityOnceAvailable,
  createAssociatedApp,
  createBucket,
  type Pod,
  podClientFor,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const FILE_BYTES = 9 * 1024 * 1024;

/** Runs a shell snippet in the pod and returns the sha256 printed by `sha256sum FILE`. */
async function sha256InPod(pod: Pod, script: string): Promise<string> {
  const result = await pod.exec(['sh', '-c', script]);
  expect(result.exitCode, `in-pod command failed: ${result.stderr}`).toBe(0);
  const hash = result.stdout.trim().split(/\s+/)[0] ?? '';
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  return hash;
}

describe('s3 round trip', () => {
  const suite = useSuiteRun();
  let bucket: Bucket;
  let pod: Pod;

  beforeAll(async () => {
    const { run, stack } = suite;
    bucket = stack.adopt(await createBucket(run, 's3-round-trip'));
    ({ pod } = await createAssociatedApp(run, stack, {
      purpose: 's3-round-trip',
      permissions: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
            Resource: `${bucket.arn}/*`,
          },
          { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucket.arn },
        ],
      },
    }));
  });

  for (const clientName of selectedPodClients()) {
    it(`a file copied from the pod to S3 reads back byte-identical [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      const client = await podClientFor(ctx, info, clientName);
      await callerIdentityOnceAvailable(run, client, pod);
      const file = `pic-${clientName}.bin`;
      const key = `${clientName}/round-trip.bin`;

      const original = await sha256InPod(
        pod,
        `head -c ${FILE_BYTES} /dev/urandom > ${file} && sha256sum ${file}`,
      );

      const put = await allowedOnceIamCatchesUp(run, 'the upload the role allows', () =>
        client.putObject(pod, bucket.name, key, file),
      );
      expect(put.ok ? 'uploaded' : `upload failed (${put.failure}): ${put.message}`).toBe('uploaded');
      const get = await client.getObject(pod, bucket.name, key, `${file}.back`);
      expect(get.ok ? 'downloaded' : `download failed (${get.failure}): ${get.message}`).toBe('downloaded');
      const readBack = await sha256InPod(pod, `sha256sum ${file}.back && rm -f ${file} ${file}.back`);
      expect(readBack).toBe(original);

      const object = await run.aws.s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }));
      const bytes = await object.Body!.transformToByteArray();
      expect(bytes.length).toBe(FILE_BYTES);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(original);
    });
  }
});
