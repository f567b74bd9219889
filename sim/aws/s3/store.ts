// S3's state, in memory: buckets, objects (bytes and metadata), bucket tags, and multipart uploads in
// progress. Sized for test payloads (tens of MiB); nothing is written to disk.

import type { Sabotage } from '../../sabotage.ts';
import { corruptedCopy } from '../../sabotage.ts';
import type { ChecksumAlgorithm } from '../checksums.ts';
import { AwsError } from '../errors.ts';

export interface S3Tag {
  Key: string;
  Value: string;
}

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

export interface S3Object {
  key: string;
  body: Buffer;
  /** Quoted, as S3 returns it: "md5hex" or "md5-of-md5s-N". */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** x-amz-meta-* headers, names lower-cased without the prefix. */
  metadata: Record<string, string>;
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires as stored. */
  systemHeaders: Record<string, string>;
  /** Full-object checksum of a single PUT. */
  checksum?: StoredChecksum;
  partsCount?: number;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  body: Buffer;
  lastModified: Date;
  checksum?: StoredChecksum;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  systemHeaders: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  parts: Map<number, UploadedPart>;
}

export interface Bucket {
  name: string;
  creationDate: Date;
  region: string;
  objects: Map<string, S3Object>;
  tags?: S3Tag[];
  uploads: Map<string, MultipartUpload>;
  /** Keys in S3's (binary) order, rebuilt after a change. */
  sortedKeys?: string[];
}

export function noSuchBucket(name: string): AwsError {
  return new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, {
    extra: { BucketName: name },
  });
}

export function noSuchKey(key: string): AwsError {
  return new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { extra: { Key: key } });
}

function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly sabotage: Sabotage;

  /** `sabotage`: deliberate defects for negative tests (sim/sabotage.ts). */
  constructor(sabotage: Sabotage = {}) {
    this.sabotage = sabotage;
  }

  findBucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  getBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  createBucket(name: string, region: string, now: Date): Bucket {
    if (this.buckets.has(name))
      throw new AwsError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { extra: { BucketName: name } },
      );
    const bucket: Bucket = { name, creationDate: now, region, objects: new Map(), uploads: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  deleteBucket(name: string): void {
    const bucket = this.getBucket(name);
    if (bucket.objects.size > 0)
      throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
        extra: { BucketName: name },
      });
    if (this.sabotage.deletesLeaveResources) return;
    this.buckets.delete(name);
  }

  listBuckets(): Bucket[] {
    return [...this.buckets.values()].sort((a, b) => compareBinary(a.name, b.name));
  }

  putObject(bucket: Bucket, object: S3Object): void {
    if (!bucket.objects.has(object.key)) bucket.sortedKeys = undefined;
    if (this.sabotage.s3CorruptsObjects) object = { ...object, body: corruptedCopy(object.body) };
    bucket.objects.set(object.key, object);
  }

  deleteObject(bucket: Bucket, key: string): void {
    if (bucket.objects.delete(key)) bucket.sortedKeys = undefined;
  }

  sortedKeys(bucket: Bucket): string[] {
    if (!bucket.sortedKeys) bucket.sortedKeys = [...bucket.objects.keys()].sort(compareBinary);
    return bucket.sortedKeys;
  }
}
