// S3 REST routing: path-style (http://host/BUCKET/KEY) and virtual-host style (Host: BUCKET.localhost or
// BUCKET.127.0.0.1), subresources (?tagging, ?uploads, ?uploadId, ?delete, ?list-type=2...), and the
// payload integrity checks (Content-MD5, x-amz-checksum-*) before an operation runs.

import { checksumHeaders, md5Base64 } from '../checksums.ts';
import { verifyChecksumValue } from '../chunked.ts';
import { AwsError } from '../errors.ts';
import type { ServiceHandler, ServiceResponse, SignedRequest } from '../service.ts';
import {
  createBucket,
  deleteBucket,
  deleteBucketTagging,
  deleteObjects,
  getBucketLocation,
  getBucketTagging,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listObjectsV1,
  listObjectsV2,
  putBucketTagging,
} from './buckets.ts';
import { makeAuthorizers, type S3Call } from './call.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  uploadPart,
} from './multipart.ts';
import { copyObject, deleteObject, getObject, headObject, putObject } from './objects.ts';
import type { S3Store } from './store.ts';

export interface S3HandlerOptions {
  store: S3Store;
  region: string;
  now: () => Date;
}

type Operation = (call: S3Call) => ServiceResponse;

const VIRTUAL_HOST = /^(.+)\.(localhost|127\.0\.0\.1)$/;

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AwsError('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

/** Bucket and key addressed by the request. */
export function addressOf(req: SignedRequest): { bucket: string; key: string; host: string } {
  const host = String(req.headers.host ?? '127.0.0.1');
  const hostname = host.replace(/:\d+$/, '');
  const virtual = VIRTUAL_HOST.exec(hostname);
  const path = req.path.startsWith('/') ? req.path.slice(1) : req.path;
  if (virtual) return { bucket: virtual[1], key: decodeSegment(path), host };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodeSegment(path), key: '', host };
  return { bucket: decodeSegment(path.slice(0, slash)), key: decodeSegment(path.slice(slash + 1)), host };
}

/** S3's limit on a key: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Keys a write may create: at most 1024 bytes of UTF-8, and no NUL (AWS documents any UTF-8 as
 * allowed; the simulator refuses NUL, which no XML listing could carry, with InvalidArgument).
 */
export function checkObjectKey(key: string): void {
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES)
    throw new AwsError('KeyTooLongError', 'Your key is too long.', 400, {
      extra: { Size: String(size), MaxSizeAllowed: String(MAX_KEY_BYTES) },
    });
  if (key.includes('\u0000'))
    throw new AwsError('InvalidArgument', 'Object key must not contain a NUL character.', 400, {
      extra: { ArgumentName: 'key' },
    });
}

function notImplemented(what: string): AwsError {
  return new AwsError(
    'NotImplemented',
    `A header or query you provided requested a function that is not implemented: ${what}.`,
    501,
  );
}

function methodNotAllowed(): AwsError {
  return new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
}

/** Subresources that select a different operation; other query parameters are arguments. */
const BUCKET_SUBRESOURCES = [
  'acl',
  'analytics',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'website',
  'accelerate',
  'versions',
];

function selectOperation(req: SignedRequest, bucket: string, key: string): Operation {
  const q = req.query;
  const method = req.method;
  if (!bucket) {
    if (method === 'GET') return listBuckets;
    throw methodNotAllowed();
  }
  if (!key) {
    if (q.has('tagging')) {
      if (method === 'GET') return getBucketTagging;
      if (method === 'PUT') return putBucketTagging;
      if (method === 'DELETE') return deleteBucketTagging;
      throw methodNotAllowed();
    }
    if (method === 'POST' && q.has('delete')) return deleteObjects;
    for (const sub of BUCKET_SUBRESOURCES) if (q.has(sub)) throw notImplemented(`?${sub}`);
    switch (method) {
      case 'PUT':
        if (q.has('versioning')) throw notImplemented('?versioning');
        return createBucket;
      case 'HEAD':
        return headBucket;
      case 'DELETE':
        return deleteBucket;
      case 'GET':
        if (q.has('location')) return getBucketLocation;
        if (q.has('versioning')) return getBucketVersioning;
        if (q.has('uploads')) throw notImplemented('ListMultipartUploads');
        return q.get('list-type') === '2' ? listObjectsV2 : listObjectsV1;
      default:
        throw methodNotAllowed();
    }
  }
  if (q.has('tagging') || q.has('acl') || q.has('retention') || q.has('legal-hold') || q.has('attributes'))
    throw notImplemented('object subresources');
  switch (method) {
    case 'PUT':
      if (q.has('uploadId')) {
        if (req.headers['x-amz-copy-source']) throw notImplemented('UploadPartCopy');
        return uploadPart;
      }
      return req.headers['x-amz-copy-source'] ? copyObject : putObject;
    case 'GET':
      return q.has('uploadId') ? listParts : getObject;
    case 'HEAD':
      return headObject;
    case 'DELETE':
      return q.has('uploadId') ? abortMultipartUpload : deleteObject;
    case 'POST':
      if (q.has('uploads')) return createMultipartUpload;
      if (q.has('uploadId')) return completeMultipartUpload;
      throw methodNotAllowed();
    default:
      throw methodNotAllowed();
  }
}

/** Content-MD5 and x-amz-checksum-* headers must match the (decoded) payload. */
async function verifyPayloadIntegrity(req: SignedRequest): Promise<void> {
  const contentMd5 = req.headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    if (Buffer.from(contentMd5, 'base64').length !== 16)
      throw new AwsError('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, {
        extra: { 'Content-MD5': contentMd5 },
      });
    if (md5Base64(req.body) !== contentMd5)
      throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, {
        extra: { ExpectedDigest: contentMd5 },
      });
  }
  for (const { algorithm, value } of checksumHeaders(req.headers))
    await verifyChecksumValue(algorithm, value, req.body);
}

/** Operations that create or name a new object (the copy's target for CopyObject). */
const KEY_WRITES = new Set<Operation>([
  putObject,
  copyObject,
  createMultipartUpload,
  uploadPart,
  completeMultipartUpload,
]);

export function createS3Handler(options: S3HandlerOptions): ServiceHandler {
  return async (req, ctx) => {
    const { bucket, key, host } = addressOf(req);
    const operation = selectOperation(req, bucket, key);
    if (KEY_WRITES.has(operation)) checkObjectKey(key);
    if (operation !== completeMultipartUpload) await verifyPayloadIntegrity(req);
    const call: S3Call = {
      req,
      ctx,
      store: options.store,
      bucketName: bucket,
      key,
      region: options.region,
      now: options.now,
      host,
      ...makeAuthorizers(req, ctx),
    };
    const response = operation(call);
    return response;
  };
}
