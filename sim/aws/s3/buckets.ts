// Bucket-level S3 operations: create, head, delete, location, tagging, listing (v1 and v2), and
// DeleteObjects.

import { createHash } from 'node:crypto';
import { requestTagContext } from '../authorize.ts';
import { AwsError } from '../errors.ts';
import type { ServiceResponse } from '../service.ts';
import { parseXmlBody, xmlObjects, xmlText } from '../xml.ts';
import { bucketArn, invalidArgument, objectArn, type S3Call, s3Timestamp, xmlResponse } from './call.ts';
import type { S3Tag } from './store.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function checkBucketName(name: string): void {
  if (!BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name))
    throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, {
      extra: { BucketName: name },
    });
}

export function ownerOf(accountId: string): { ID: string; DisplayName: string } {
  return {
    ID: createHash('sha256').update(`owner:${accountId}`).digest('hex'),
    DisplayName: `account-${accountId}`,
  };
}

export function listBuckets(call: S3Call): ServiceResponse {
  call.require('s3:ListAllMyBuckets', 'arn:aws:s3:::*');
  // The prefix and bucket-region filters S3 added to ListBuckets in 2024.
  const prefix = call.req.query.get('prefix') ?? '';
  const region = call.req.query.get('bucket-region');
  const buckets = call.store
    .listBuckets()
    .filter((b) => b.name.startsWith(prefix) && (!region || b.region === region))
    .map((b) => ({ Name: b.name, CreationDate: s3Timestamp(b.creationDate), BucketRegion: b.region }));
  return xmlResponse('ListAllMyBucketsResult', {
    Owner: ownerOf(call.ctx.accountId),
    Buckets: buckets.length > 0 ? { Bucket: buckets } : '',
    ...(prefix ? { Prefix: prefix } : {}),
  });
}

export function createBucket(call: S3Call): ServiceResponse {
  checkBucketName(call.bucketName);
  call.require('s3:CreateBucket', bucketArn(call.bucketName));
  if (call.req.body.length > 0) {
    const config = parseXmlBody(call.req.body.toString('utf8'), 'CreateBucketConfiguration');
    const constraint = xmlText(config.LocationConstraint);
    if (constraint !== undefined && constraint !== '') {
      if (constraint === 'us-east-1' && call.region === 'us-east-1')
        throw new AwsError(
          'InvalidLocationConstraint',
          'The specified location-constraint is not valid',
          400,
          {
            extra: { LocationConstraint: constraint },
          },
        );
      if (constraint !== call.region)
        throw new AwsError(
          'IllegalLocationConstraintException',
          `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
          400,
        );
    }
  }
  call.store.createBucket(call.bucketName, call.region, call.now());
  return { status: 200, headers: { location: `/${call.bucketName}` } };
}

export function headBucket(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:ListBucket', bucketArn(bucket.name));
  return { status: 200, headers: { 'x-amz-bucket-region': bucket.region } };
}

export function deleteBucket(call: S3Call): ServiceResponse {
  call.store.getBucket(call.bucketName);
  call.require('s3:DeleteBucket', bucketArn(call.bucketName));
  call.store.deleteBucket(call.bucketName);
  return { status: 204 };
}

export function getBucketLocation(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:GetBucketLocation', bucketArn(bucket.name));
  return xmlResponse('LocationConstraint', bucket.region === 'us-east-1' ? '' : bucket.region);
}

export function getBucketVersioning(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:GetBucketVersioning', bucketArn(bucket.name));
  return xmlResponse('VersioningConfiguration', {});
}

export function getBucketTagging(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:GetBucketTagging', bucketArn(bucket.name));
  if (!bucket.tags)
    throw new AwsError('NoSuchTagSet', 'The TagSet does not exist', 404, {
      extra: { BucketName: bucket.name },
    });
  return xmlResponse('Tagging', {
    TagSet: bucket.tags.length > 0 ? { Tag: bucket.tags.map((t) => ({ Key: t.Key, Value: t.Value })) } : '',
  });
}

function invalidTag(message: string, key?: string): AwsError {
  return new AwsError('InvalidTag', message, 400, key !== undefined ? { extra: { TagKey: key } } : {});
}

function parseTagging(text: string): S3Tag[] {
  const tagging = parseXmlBody(text, 'Tagging', ['Tag']);
  const tagSet = tagging.TagSet;
  const entries =
    tagSet && typeof tagSet === 'object' ? xmlObjects((tagSet as Record<string, unknown>).Tag) : [];
  const tags: S3Tag[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = xmlText(entry.Key);
    const value = xmlText(entry.Value) ?? '';
    if (key === undefined) throw invalidTag('The TagKey you have provided is invalid');
    if (key.length < 1 || key.length > 128)
      throw invalidTag('The TagKey you have provided is too long, max 128', key);
    if (value.length > 256) throw invalidTag('The TagValue you have provided is too long, max 256', key);
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidTag('Your TagKey cannot be prefixed with aws:', key);
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key', key);
    seen.add(key);
    tags.push({ Key: key, Value: value });
  }
  if (tags.length > 50) throw invalidTag('Bucket tag count cannot be greater than 50');
  return tags;
}

export function putBucketTagging(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  const tags = parseTagging(call.req.body.toString('utf8'));
  call.require('s3:PutBucketTagging', bucketArn(bucket.name), requestTagContext(tags));
  bucket.tags = tags;
  return { status: 204 };
}

export function deleteBucketTagging(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:PutBucketTagging', bucketArn(bucket.name));
  bucket.tags = undefined;
  return { status: 204 };
}

interface ListingInput {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** List keys strictly after this one (and, when `skipPrefix`, past every key under it). */
  after?: string;
  skipPrefix?: boolean;
}

interface ListingResult {
  objects: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, for the next page. */
  last?: { value: string; isPrefix: boolean };
}

function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function listKeys(sortedKeys: string[], input: ListingInput): ListingResult {
  const result: ListingResult = { objects: [], commonPrefixes: [], isTruncated: false };
  let count = 0;
  for (const key of sortedKeys) {
    if (input.after !== undefined) {
      if (compareBinary(key, input.after) <= 0) continue;
      if (input.skipPrefix && key.startsWith(input.after)) continue;
    }
    if (!key.startsWith(input.prefix)) continue;
    let entry: { value: string; isPrefix: boolean } = { value: key, isPrefix: false };
    if (input.delimiter) {
      const rest = key.slice(input.prefix.length);
      const at = rest.indexOf(input.delimiter);
      if (at >= 0) {
        const common = input.prefix + rest.slice(0, at + input.delimiter.length);
        if (result.last?.isPrefix && result.last.value === common) continue;
        entry = { value: common, isPrefix: true };
      }
    }
    if (count >= input.maxKeys) {
      result.isTruncated = true;
      break;
    }
    if (entry.isPrefix) result.commonPrefixes.push(entry.value);
    else result.objects.push(entry.value);
    result.last = entry;
    count++;
    // Skip the remaining keys of a common prefix quickly: they compare after it and start with it.
  }
  return result;
}

function parseMaxKeys(value: string | null): number {
  if (value === null) return 1000;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', value);
  return Math.min(n, 1000);
}

function encodingFor(query: URLSearchParams): ((s: string) => string) | undefined {
  const type = query.get('encoding-type');
  if (type === null) return undefined;
  if (type !== 'url')
    throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');
}

function contentsXml(
  call: S3Call,
  keys: string[],
  encode: (s: string) => string,
  withOwner: boolean,
): unknown[] {
  const bucket = call.store.getBucket(call.bucketName);
  return keys.map((key) => {
    const object = bucket.objects.get(key)!;
    return {
      Key: encode(key),
      LastModified: s3Timestamp(object.lastModified),
      ETag: object.etag,
      ChecksumAlgorithm: object.checksum ? object.checksum.algorithm.toUpperCase() : undefined,
      Size: object.body.length,
      Owner: withOwner ? ownerOf(call.ctx.accountId) : undefined,
      StorageClass: 'STANDARD',
    };
  });
}

function listContext(prefix: string, delimiter: string, maxKeys: number): Record<string, string> {
  const context: Record<string, string> = { 's3:prefix': prefix, 's3:max-keys': String(maxKeys) };
  if (delimiter) context['s3:delimiter'] = delimiter;
  return context;
}

export function listObjectsV2(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  const q = call.req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  call.require('s3:ListBucket', bucketArn(bucket.name), listContext(prefix, delimiter, maxKeys));
  const encode = encodingFor(q);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? undefined;
  let after = startAfter;
  let skipPrefix = false;
  if (token !== null) {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
        k?: unknown;
        p?: unknown;
      };
      if (typeof decoded.k !== 'string') throw new Error('no key');
      after = decoded.k;
      skipPrefix = decoded.p === true;
    } catch {
      throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    }
  }
  const listing = listKeys(call.store.sortedKeys(bucket), { prefix, delimiter, maxKeys, after, skipPrefix });
  const e = encode ?? ((s: string) => s);
  const next =
    listing.isTruncated && listing.last
      ? Buffer.from(JSON.stringify({ k: listing.last.value, p: listing.last.isPrefix })).toString('base64url')
      : undefined;
  return xmlResponse('ListBucketResult', {
    Name: bucket.name,
    Prefix: e(prefix),
    Delimiter: delimiter ? e(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: encode ? 'url' : undefined,
    KeyCount: listing.objects.length + listing.commonPrefixes.length,
    IsTruncated: listing.isTruncated,
    ContinuationToken: token ?? undefined,
    NextContinuationToken: next,
    StartAfter: startAfter !== undefined ? e(startAfter) : undefined,
    Contents:
      listing.objects.length > 0
        ? contentsXml(call, listing.objects, e, q.get('fetch-owner') === 'true')
        : undefined,
    CommonPrefixes:
      listing.commonPrefixes.length > 0 ? listing.commonPrefixes.map((p) => ({ Prefix: e(p) })) : undefined,
  });
}

export function listObjectsV1(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  const q = call.req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  call.require('s3:ListBucket', bucketArn(bucket.name), listContext(prefix, delimiter, maxKeys));
  const encode = encodingFor(q);
  const marker = q.get('marker') ?? '';
  const listing = listKeys(call.store.sortedKeys(bucket), {
    prefix,
    delimiter,
    maxKeys,
    after: marker || undefined,
    skipPrefix: marker !== '' && delimiter !== '' && marker.endsWith(delimiter),
  });
  const e = encode ?? ((s: string) => s);
  return xmlResponse('ListBucketResult', {
    Name: bucket.name,
    Prefix: e(prefix),
    Marker: e(marker),
    NextMarker: listing.isTruncated && delimiter && listing.last ? e(listing.last.value) : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? e(delimiter) : undefined,
    EncodingType: encode ? 'url' : undefined,
    IsTruncated: listing.isTruncated,
    Contents: listing.objects.length > 0 ? contentsXml(call, listing.objects, e, true) : undefined,
    CommonPrefixes:
      listing.commonPrefixes.length > 0 ? listing.commonPrefixes.map((p) => ({ Prefix: e(p) })) : undefined,
  });
}

export function deleteObjects(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  const headers = call.req.headers;
  const hasIntegrity =
    headers['content-md5'] !== undefined || Object.keys(headers).some((h) => h.startsWith('x-amz-checksum-'));
  if (!hasIntegrity && !headers['x-amz-trailer'])
    throw new AwsError('InvalidRequest', 'Missing required header for this request: Content-MD5', 400);
  const request = parseXmlBody(call.req.body.toString('utf8'), 'Delete', ['Object']);
  const objects = xmlObjects(request.Object);
  if (objects.length > 1000)
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    );
  const quiet = xmlText(request.Quiet) === 'true';
  const deleted: Array<Record<string, string>> = [];
  const errors: Array<Record<string, string>> = [];
  for (const object of objects) {
    const key = xmlText(object.Key);
    if (key === undefined || key === '') {
      errors.push({ Key: '', Code: 'InvalidArgument', Message: 'Invalid key' });
      continue;
    }
    if (!call.allowed('s3:DeleteObject', objectArn(bucket.name, key))) {
      errors.push({ Key: key, Code: 'AccessDenied', Message: 'Access Denied' });
      continue;
    }
    call.store.deleteObject(bucket, key);
    if (!quiet) deleted.push({ Key: key });
  }
  return xmlResponse('DeleteResult', {
    Deleted: deleted.length > 0 ? deleted : undefined,
    Error: errors.length > 0 ? errors : undefined,
  });
}
