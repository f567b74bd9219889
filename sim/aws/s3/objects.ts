// Object-level S3 operations: PutObject, GetObject (ranges, conditions), HeadObject, DeleteObject and
// CopyObject.

import { checksumHeaders, md5Hex } from '../checksums.ts';
import { AwsError } from '../errors.ts';
import type { ServiceResponse } from '../service.ts';
import {
  bucketArn,
  header,
  httpDate,
  invalidArgument,
  objectArn,
  type S3Call,
  s3Timestamp,
  toSeconds,
  xmlResponse,
} from './call.ts';
import { noSuchKey, type S3Object, type StoredChecksum } from './store.ts';

const SYSTEM_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];

/** x-amz-meta-* and the stored system headers of a request. */
export function objectAttributes(call: S3Call): {
  contentType: string;
  metadata: Record<string, string>;
  systemHeaders: Record<string, string>;
} {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  const systemHeaders: Record<string, string> = {};
  for (const name of SYSTEM_HEADERS) {
    let value = header(call.req, name);
    if (name === 'content-encoding' && value !== undefined) {
      // aws-chunked is transfer framing, already removed; it is not part of the stored object.
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v && v !== 'aws-chunked')
        .join(',');
    }
    if (value) systemHeaders[name] = value;
  }
  return {
    contentType: header(call.req, 'content-type') ?? 'binary/octet-stream',
    metadata,
    systemHeaders,
  };
}

/** The single checksum a request carries (header, or trailer already folded into the headers). */
export function requestChecksum(call: S3Call): StoredChecksum | undefined {
  const found = checksumHeaders(call.req.headers);
  if (found.length > 1)
    throw new AwsError(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      400,
    );
  return found[0];
}

function checksumResponseHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  return checksum ? { [`x-amz-checksum-${checksum.algorithm}`]: checksum.value } : {};
}

function checkPreconditionForWrite(call: S3Call, existing: S3Object | undefined): void {
  const ifNoneMatch = header(call.req, 'if-none-match');
  if (ifNoneMatch === '*' && existing)
    throw new AwsError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
      {
        extra: { Condition: 'If-None-Match' },
      },
    );
  const ifMatch = header(call.req, 'if-match');
  if (ifMatch !== undefined && (!existing || !etagMatches(ifMatch, existing.etag)))
    throw new AwsError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
      {
        extra: { Condition: 'If-Match' },
      },
    );
}

export function putObject(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:PutObject', objectArn(bucket.name, call.key));
  checkPreconditionForWrite(call, bucket.objects.get(call.key));
  const checksum = requestChecksum(call);
  const body = call.req.body;
  const object: S3Object = {
    key: call.key,
    body,
    etag: `"${md5Hex(body)}"`,
    lastModified: toSeconds(call.now()),
    ...objectAttributes(call),
    checksum,
  };
  call.store.putObject(bucket, object);
  return { status: 200, headers: { etag: object.etag, ...checksumResponseHeaders(checksum) } };
}

function etagMatches(condition: string, etag: string): boolean {
  if (condition.trim() === '*') return true;
  const bare = etag.replace(/"/g, '');
  return condition.split(',').some((c) => c.trim().replace(/^W\//, '').replace(/"/g, '') === bare);
}

/** 304/412 per If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (RFC 7232 order). */
function checkReadConditions(call: S3Call, object: S3Object): ServiceResponse | undefined {
  const ifMatch = header(call.req, 'if-match');
  const ifNoneMatch = header(call.req, 'if-none-match');
  const ifModifiedSince = header(call.req, 'if-modified-since');
  const ifUnmodifiedSince = header(call.req, 'if-unmodified-since');
  const failed = (condition: string) =>
    new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      extra: { Condition: condition },
    });
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) throw failed('If-Match');
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const since = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(since) && object.lastModified.getTime() > since) throw failed('If-Unmodified-Since');
  }
  const notModified: ServiceResponse = {
    status: 304,
    headers: { etag: object.etag, 'last-modified': httpDate(object.lastModified) },
  };
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, object.etag)) return notModified;
  } else if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since) && object.lastModified.getTime() <= since) return notModified;
  }
  return undefined;
}

/** A single byte range, or undefined for none / a syntax S3 ignores. */
function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!value) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function objectHeaders(object: S3Object): Record<string, string> {
  const headers: Record<string, string> = {
    etag: object.etag,
    'last-modified': httpDate(object.lastModified),
    'content-type': object.contentType,
    'accept-ranges': 'bytes',
    ...object.systemHeaders,
  };
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function readObject(call: S3Call, includeBody: boolean): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:GetObject', objectArn(bucket.name, call.key));
  const object = bucket.objects.get(call.key);
  if (!object) {
    // Without s3:ListBucket, S3 does not reveal whether the key exists.
    if (!call.allowed('s3:ListBucket', bucketArn(bucket.name)))
      throw new AwsError('AccessDenied', 'Access Denied', 403);
    throw noSuchKey(call.key);
  }
  const conditional = checkReadConditions(call, object);
  if (conditional) return conditional;
  const headers = objectHeaders(object);
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = call.req.query.get(param);
    if (value !== null) headers[name] = value;
  }
  const size = object.body.length;
  const partNumber = call.req.query.get('partNumber');
  if (partNumber !== null && partNumber !== '1' && !object.partsCount)
    throw new AwsError('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416);
  if (object.partsCount) headers['x-amz-mp-parts-count'] = String(object.partsCount);
  const range = parseRange(header(call.req, 'range'), size);
  if (range === 'unsatisfiable')
    throw new AwsError('InvalidRange', 'The requested range is not satisfiable', 416, {
      extra: { RangeRequested: header(call.req, 'range') ?? '', ActualObjectSize: String(size) },
      headers: { 'content-range': `bytes */${size}` },
    });
  if (range) {
    const body = object.body.subarray(range.start, range.end + 1);
    headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['content-length'] = String(body.length);
    return { status: 206, headers, body: includeBody ? body : undefined };
  }
  if (header(call.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && object.checksum) {
    Object.assign(headers, checksumResponseHeaders(object.checksum), {
      'x-amz-checksum-type': 'FULL_OBJECT',
    });
  }
  headers['content-length'] = String(size);
  return { status: 200, headers, body: includeBody ? object.body : undefined };
}

export const getObject = (call: S3Call): ServiceResponse => readObject(call, true);
export const headObject = (call: S3Call): ServiceResponse => readObject(call, false);

export function deleteObject(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:DeleteObject', objectArn(bucket.name, call.key));
  call.store.deleteObject(bucket, call.key);
  return { status: 204 };
}

export function copyObject(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  const rawSource = header(call.req, 'x-amz-copy-source') ?? '';
  let source: string;
  try {
    source = decodeURIComponent(rawSource.split('?')[0]).replace(/^\//, '');
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', rawSource);
  }
  const slash = source.indexOf('/');
  if (slash <= 0 || slash === source.length - 1)
    throw invalidArgument(
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      'x-amz-copy-source',
      rawSource,
    );
  const sourceBucketName = source.slice(0, slash);
  const sourceKey = source.slice(slash + 1);
  const sourceBucket = call.store.getBucket(sourceBucketName);
  call.require('s3:GetObject', objectArn(sourceBucketName, sourceKey));
  call.require('s3:PutObject', objectArn(bucket.name, call.key));
  const original = sourceBucket.objects.get(sourceKey);
  if (!original) throw noSuchKey(sourceKey);
  const replace = header(call.req, 'x-amz-metadata-directive') === 'REPLACE';
  if (!replace && sourceBucketName === bucket.name && sourceKey === call.key)
    throw new AwsError(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    );
  const attributes = replace
    ? objectAttributes(call)
    : {
        contentType: original.contentType,
        metadata: { ...original.metadata },
        systemHeaders: { ...original.systemHeaders },
      };
  const copy: S3Object = {
    key: call.key,
    body: original.body,
    etag: original.partsCount ? `"${md5Hex(original.body)}"` : original.etag,
    lastModified: toSeconds(call.now()),
    ...attributes,
    checksum: original.checksum,
  };
  call.store.putObject(bucket, copy);
  return xmlResponse('CopyObjectResult', { LastModified: s3Timestamp(copy.lastModified), ETag: copy.etag });
}
