import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { clientConfig, errorCode, rawRequest, signedRequest } from './helpers.ts';

let sim: AwsSim;
let s3: S3Client;

beforeAll(async () => {
  sim = await startAwsSim({ region: 'eu-central-1' });
  s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
});
afterAll(async () => {
  s3?.destroy();
  await sim?.close();
});

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('S3 buckets', () => {
  it("creates, heads, lists, and deletes buckets with S3's errors", async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'bucket-one',
        CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' },
      }),
    );
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'bucket-one' }))).rejects.toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
      $metadata: { httpStatusCode: 409 },
    });
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'bucket-one' }));
    expect(head.BucketRegion).toBe('eu-central-1');
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets!.map((b) => b.Name)).toContain('bucket-one');
    await s3.send(new PutObjectCommand({ Bucket: 'bucket-one', Key: 'k', Body: 'v' }));
    await expect(s3.send(new DeleteBucketCommand({ Bucket: 'bucket-one' }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
      $metadata: { httpStatusCode: 409 },
    });
    await s3.send(new DeleteObjectCommand({ Bucket: 'bucket-one', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'bucket-one' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: 'bucket-one', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
  });

  it('puts, gets and deletes bucket tags (NoSuchTagSet when none)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tagged-bucket' }));
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchTagSet',
      $metadata: { httpStatusCode: 404 },
    });
    const TagSet = [
      { Key: 'pod-identity-conformance:run-id', Value: 'pic-202601010000-abcde' },
      { Key: 'team', Value: 'platform' },
    ];
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'tagged-bucket', Tagging: { TagSet } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' }))).TagSet).toEqual(TagSet);
    await expect(
      s3.send(
        new PutBucketTaggingCommand({
          Bucket: 'tagged-bucket',
          Tagging: { TagSet: [{ Key: 'aws:reserved', Value: 'x' }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTag' });
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: 'tagged-bucket' }));
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchTagSet',
    });
  });
});

describe('S3 objects', () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
  });

  it('stores the exact bytes of a PutObject with a stream body (aws-chunked with a trailing checksum)', async () => {
    const data = randomBytes(300_000);
    const body = Readable.from([
      data.subarray(0, 100_000),
      data.subarray(100_000, 250_000),
      data.subarray(250_000),
    ]);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'streamed.bin',
        Body: body,
        ContentLength: data.length,
        ContentType: 'application/x-test',
      }),
    );
    expect(put.ETag).toBe(`"${md5(data)}"`);
    const stored = sim.s3.findBucket('objects')!.objects.get('streamed.bin')!;
    expect(stored.body.equals(data)).toBe(true);
    expect(stored.checksum?.algorithm).toMatch(/^crc32/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'streamed.bin' }));
    expect(got.ContentType).toBe('application/x-test');
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('round-trips keys with spaces and unicode, metadata and ranges', async () => {
    const key = 'dir/with space/ünïcode+plus.txt';
    await s3.send(
      new PutObjectCommand({ Bucket: 'objects', Key: key, Body: '0123456789', Metadata: { owner: 'tests' } }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: key }));
    expect(head.ContentLength).toBe(10);
    expect(head.Metadata).toEqual({ owner: 'tests' });
    expect(head.ETag).toBe(`"${md5('0123456789')}"`);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: key, Range: 'bytes=2-5' }));
    expect(ranged.ContentRange).toBe('bytes 2-5/10');
    expect(await ranged.Body!.transformToString()).toBe('2345');
    const suffix = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: key, Range: 'bytes=-3' }));
    expect(await suffix.Body!.transformToString()).toBe('789');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'objects', Key: key, Range: 'bytes=50-' })),
    ).rejects.toMatchObject({
      name: 'InvalidRange',
      $metadata: { httpStatusCode: 416 },
    });
  });

  it('answers NoSuchKey (404; HEAD without a body)', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'missing' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    const raw = await signedRequest(sim, {
      service: 's3',
      method: 'HEAD',
      path: '/objects/missing',
      credentials: sim.adminCredentials,
    });
    expect(raw.status).toBe(404);
    expect(raw.body).toBe('');
  });

  it('lists with prefix, delimiter, max-keys, continuation tokens and start-after', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'b/1', 'b/2/x', 'c', 'd', 'e/1'];
    await Promise.all(
      keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }))),
    );
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'e/']);
    expect(top.Contents!.map((c) => c.Key)).toEqual(['c', 'd']);
    expect(top.KeyCount).toBe(5);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages++;
      seen.push(
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!),
        ...(page.Contents ?? []).map((c) => c.Key!),
      );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['a/', 'b/', 'c', 'd', 'e/']);

    const underB = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'b/' }));
    expect(underB.Contents!.map((c) => c.Key)).toEqual(['b/1', 'b/2/x']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'b/2/x' }));
    expect(after.Contents!.map((c) => c.Key)).toEqual(['c', 'd', 'e/1']);
  });

  it('deletes many objects at once and copies objects', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'objects', Key: 'copy-source', Body: 'copy me', Metadata: { a: '1' } }),
    );
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: 'objects', Key: 'copy-target', CopySource: 'objects/copy-source' }),
    );
    expect(copied.CopyObjectResult!.ETag).toBe(`"${md5('copy me')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'copy-target' }));
    expect(head.Metadata).toEqual({ a: '1' });
    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'objects',
        Delete: { Objects: [{ Key: 'copy-source' }, { Key: 'copy-target' }, { Key: 'never-existed' }] },
      }),
    );
    expect(deleted.Deleted!.map((d) => d.Key).sort()).toEqual([
      'copy-source',
      'copy-target',
      'never-existed',
    ]);
    expect(sim.s3.findBucket('objects')!.objects.has('copy-target')).toBe(false);
  });

  it('runs a multipart upload with parallel parts (ETag md5-of-md5s-N), and aborts one', async () => {
    const partSize = 5 * 1024 * 1024;
    const parts = [randomBytes(partSize), randomBytes(partSize), randomBytes(1234)];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'objects', Key: 'big.bin' }),
    );
    const uploaded = await Promise.all(
      parts.map((Body, i) =>
        s3.send(
          new UploadPartCommand({ Bucket: 'objects', Key: 'big.bin', UploadId, PartNumber: i + 1, Body }),
        ),
      ),
    );
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'objects', Key: 'big.bin', UploadId }));
    expect(listed.Parts!.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    // Parts out of order are refused.
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'objects',
          Key: 'big.bin',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 2, ETag: uploaded[1].ETag },
              { PartNumber: 1, ETag: uploaded[0].ETag },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'objects',
        Key: 'big.bin',
        UploadId,
        MultipartUpload: { Parts: uploaded.map((p, i) => ({ PartNumber: i + 1, ETag: p.ETag })) },
      }),
    );
    const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-3"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'big.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);

    const aborted = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'objects', Key: 'aborted.bin' }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'objects', Key: 'aborted.bin', UploadId: aborted.UploadId }),
    );
    await expect(
      s3.send(
        new UploadPartCommand({
          Bucket: 'objects',
          Key: 'aborted.bin',
          UploadId: aborted.UploadId,
          PartNumber: 1,
          Body: 'x',
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses parts below 5 MiB except the last (EntityTooSmall)', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'objects', Key: 'small-parts' }),
    );
    const a = await s3.send(
      new UploadPartCommand({ Bucket: 'objects', Key: 'small-parts', UploadId, PartNumber: 1, Body: 'a' }),
    );
    const b = await s3.send(
      new UploadPartCommand({ Bucket: 'objects', Key: 'small-parts', UploadId, PartNumber: 2, Body: 'b' }),
    );
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'objects',
          Key: 'small-parts',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: a.ETag },
              { PartNumber: 2, ETag: b.ETag },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
  });

  it('addresses buckets in virtual-host style too (Host: BUCKET.localhost)', async () => {
    const port = new URL(sim.url).port;
    const put = await signedRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: '/virtual.txt',
      headers: {
        host: `objects.localhost:${port}`,
        'x-amz-content-sha256': createHash('sha256').update('v').digest('hex'),
      },
      body: 'v',
      credentials: sim.adminCredentials,
    });
    expect(put.status).toBe(200);
    expect(sim.s3.findBucket('objects')!.objects.get('virtual.txt')!.body.toString()).toBe('v');
  });
});

describe('S3 presigned URLs', () => {
  const escapeUri = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  async function presign(path: string, expiresIn = 300): Promise<string> {
    const url = new URL(sim.url);
    const signer = new SignatureV4({
      service: 's3',
      region: sim.region,
      credentials: sim.adminCredentials,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD.
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const presigned = await signer.presign(request, { expiresIn });
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`)
      .join('&');
    return `${sim.url}${path}?${query}`;
  }

  it('lets plain fetch GET an object, and refuses a tampered URL', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'presigned', Key: 'report.txt', Body: 'presigned content' }),
    );
    const url = await presign('/presigned/report.txt');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('presigned content');

    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    const tampered = await fetch(url.replace(`X-Amz-Signature=${signature}`, `X-Amz-Signature=${flipped}`));
    expect(tampered.status).toBe(403);
    expect(errorCode(await tampered.text())).toBe('SignatureDoesNotMatch');

    const otherKey = await fetch(url.replace('/presigned/report.txt', '/presigned/other.txt'));
    expect(otherKey.status).toBe(403);
    expect(errorCode(await otherKey.text())).toBe('SignatureDoesNotMatch');
  });

  it('refuses an expired presigned URL', async () => {
    const url = await presign('/presigned/report.txt', 1);
    const signedAt = new URL(url).searchParams.get('X-Amz-Date')!;
    const backdated = new Date(Date.now() - 120_000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}Z$/, 'Z');
    // Re-date the URL two minutes back: the signature no longer matches either, but expiry is checked first.
    const response = await rawRequest(url.replace(`X-Amz-Date=${signedAt}`, `X-Amz-Date=${backdated}`));
    expect(response.status).toBe(403);
    expect(errorCode(response.body)).toBe('AccessDenied');
    expect(response.body).toContain('Request has expired');
  });
});
