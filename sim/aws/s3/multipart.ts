// Multipart uploads: create, upload part (in parallel), complete (ETag "md5-of-md5s-N"), abort, list
// parts. Parts other than the last must be at least 5 MiB, as in S3.

import { createHash } from 'node:crypto';
import { isChecksumAlgorithm, md5Hex } from '../checksums.ts';
import { AwsError } from '../errors.ts';
import { newUploadId } from '../ids.ts';
import type { ServiceResponse } from '../service.ts';
import { parseXmlBody, xmlObjects, xmlText } from '../xml.ts';
import {
  header,
  invalidArgument,
  objectArn,
  type S3Call,
  s3Timestamp,
  toSeconds,
  xmlResponse,
} from './call.ts';
import { objectAttributes, requestChecksum } from './objects.ts';
import type { Bucket, MultipartUpload, S3Object } from './store.ts';

const MIN_PART_SIZE = 5 * 1024 * 1024;

function noSuchUpload(uploadId: string): AwsError {
  return new AwsError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    { extra: { UploadId: uploadId } },
  );
}

function findUpload(call: S3Call, bucket: Bucket): MultipartUpload {
  const uploadId = call.req.query.get('uploadId') ?? '';
  const upload = bucket.uploads.get(uploadId);
  if (!upload || upload.key !== call.key) throw noSuchUpload(uploadId);
  return upload;
}

const bareEtag = (etag: string): string => etag.replace(/"/g, '').trim();

export function createMultipartUpload(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:PutObject', objectArn(bucket.name, call.key));
  const algorithmHeader = header(call.req, 'x-amz-checksum-algorithm')?.toLowerCase();
  if (algorithmHeader !== undefined && !isChecksumAlgorithm(algorithmHeader))
    throw invalidArgument(
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
      'x-amz-checksum-algorithm',
      algorithmHeader,
    );
  const upload: MultipartUpload = {
    uploadId: newUploadId(),
    key: call.key,
    initiated: call.now(),
    ...objectAttributes(call),
    checksumAlgorithm: algorithmHeader,
    parts: new Map(),
  };
  bucket.uploads.set(upload.uploadId, upload);
  const response = xmlResponse('InitiateMultipartUploadResult', {
    Bucket: bucket.name,
    Key: call.key,
    UploadId: upload.uploadId,
  });
  if (algorithmHeader) {
    response.headers = {
      ...response.headers,
      'x-amz-checksum-algorithm': algorithmHeader.toUpperCase(),
      'x-amz-checksum-type': header(call.req, 'x-amz-checksum-type') ?? 'COMPOSITE',
    };
  }
  return response;
}

function parsePartNumber(value: string | null): number {
  const n = Number(value);
  if (value === null || !/^\d+$/.test(value) || n < 1 || n > 10000)
    throw invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      value ?? '',
    );
  return n;
}

export function uploadPart(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:PutObject', objectArn(bucket.name, call.key));
  const partNumber = parsePartNumber(call.req.query.get('partNumber'));
  const upload = findUpload(call, bucket);
  const checksum = requestChecksum(call);
  const etag = `"${md5Hex(call.req.body)}"`;
  upload.parts.set(partNumber, {
    partNumber,
    etag,
    body: call.req.body,
    lastModified: toSeconds(call.now()),
    checksum,
  });
  const headers: Record<string, string> = { etag };
  if (checksum) headers[`x-amz-checksum-${checksum.algorithm}`] = checksum.value;
  return { status: 200, headers };
}

export function completeMultipartUpload(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:PutObject', objectArn(bucket.name, call.key));
  const upload = findUpload(call, bucket);
  const request = parseXmlBody(call.req.body.toString('utf8'), 'CompleteMultipartUpload', ['Part']);
  const listed = xmlObjects(request.Part);
  if (listed.length === 0)
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    );
  let previous = 0;
  const chosen = listed.map((entry, index) => {
    const partNumber = Number(xmlText(entry.PartNumber));
    const etag = xmlText(entry.ETag) ?? '';
    if (!Number.isInteger(partNumber) || partNumber <= previous)
      throw new AwsError(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
        400,
        { extra: { UploadId: upload.uploadId } },
      );
    previous = partNumber;
    const part = upload.parts.get(partNumber);
    if (!part || bareEtag(part.etag) !== bareEtag(etag))
      throw new AwsError(
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        400,
        { extra: { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag } },
      );
    if (part.checksum) {
      const listedChecksum = xmlText(entry[`Checksum${part.checksum.algorithm.toUpperCase()}`]);
      if (listedChecksum !== undefined && listedChecksum !== part.checksum.value)
        throw new AwsError(
          'InvalidPart',
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
          { extra: { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag } },
        );
    }
    if (index < listed.length - 1 && part.body.length < MIN_PART_SIZE)
      throw new AwsError(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed size',
        400,
        {
          extra: {
            ProposedSize: String(part.body.length),
            MinSizeAllowed: String(MIN_PART_SIZE),
            PartNumber: String(partNumber),
            ETag: part.etag,
          },
        },
      );
    return part;
  });
  const md5s = Buffer.concat(chosen.map((p) => Buffer.from(bareEtag(p.etag), 'hex')));
  const etag = `"${createHash('md5').update(md5s).digest('hex')}-${chosen.length}"`;
  const object: S3Object = {
    key: call.key,
    body: Buffer.concat(chosen.map((p) => p.body)),
    etag,
    lastModified: toSeconds(call.now()),
    contentType: upload.contentType,
    metadata: upload.metadata,
    systemHeaders: upload.systemHeaders,
    partsCount: chosen.length,
  };
  call.store.putObject(bucket, object);
  bucket.uploads.delete(upload.uploadId);
  return xmlResponse('CompleteMultipartUploadResult', {
    Location: `http://${call.host}/${bucket.name}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`,
    Bucket: bucket.name,
    Key: call.key,
    ETag: etag,
  });
}

export function abortMultipartUpload(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:AbortMultipartUpload', objectArn(bucket.name, call.key));
  const upload = findUpload(call, bucket);
  bucket.uploads.delete(upload.uploadId);
  return { status: 204 };
}

export function listParts(call: S3Call): ServiceResponse {
  const bucket = call.store.getBucket(call.bucketName);
  call.require('s3:ListMultipartUploadParts', objectArn(bucket.name, call.key));
  const upload = findUpload(call, bucket);
  const marker = Number(call.req.query.get('part-number-marker') ?? '0') || 0;
  const maxParts = Math.min(Number(call.req.query.get('max-parts') ?? '1000') || 1000, 1000);
  const all = [...upload.parts.values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  return xmlResponse('ListPartsResult', {
    Bucket: bucket.name,
    Key: call.key,
    UploadId: upload.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: truncated ? page[page.length - 1].partNumber : undefined,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part:
      page.length > 0
        ? page.map((p) => ({
            PartNumber: p.partNumber,
            LastModified: s3Timestamp(p.lastModified),
            ETag: p.etag,
            Size: p.body.length,
            ...(p.checksum ? { [`Checksum${p.checksum.algorithm.toUpperCase()}`]: p.checksum.value } : {}),
          }))
        : undefined,
    StorageClass: 'STANDARD',
  });
}
