// aws-chunked payloads (Content-Encoding: aws-chunked), as S3 clients send streaming bodies:
//   <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer-name>:<value>\r\n ...][x-amz-trailer-signature:<sig>\r\n]\r\n
// Decoding removes the framing; the trailing checksum is verified against the decoded payload.

import {
  type ChecksumAlgorithm,
  checksumDisplayName,
  computeChecksum,
  isChecksumAlgorithm,
} from './checksums.ts';
import { AwsError } from './errors.ts';

export interface AwsChunk {
  data: Buffer;
  /** chunk-signature for signed streaming payloads. */
  signature?: string;
}

export interface AwsChunkedBody {
  /** Every chunk including the final zero-length one (its signature is part of the chain). */
  chunks: AwsChunk[];
  payload: Buffer;
  /** Trailing headers, names lower-cased, without x-amz-trailer-signature. */
  trailers: Record<string, string>;
  trailerSignature?: string;
}

const CRLF = Buffer.from('\r\n');

function framingError(detail: string): AwsError {
  return new AwsError('IncompleteBody', `The aws-chunked request body is malformed: ${detail}.`, 400);
}

export function parseAwsChunked(body: Buffer): AwsChunkedBody {
  const chunks: AwsChunk[] = [];
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = body.indexOf(CRLF, pos);
    if (lineEnd < 0) throw framingError('a chunk header is not terminated by CRLF');
    const header = body.subarray(pos, lineEnd).toString('latin1');
    const [sizeText, ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) throw framingError('a chunk size is not hexadecimal');
    const size = Number.parseInt(sizeText.trim(), 16);
    let signature: string | undefined;
    for (const extension of extensions) {
      const [name, value] = extension.split('=');
      if (name.trim() === 'chunk-signature' && value) signature = value.trim();
    }
    pos = lineEnd + 2;
    if (size === 0) {
      chunks.push({ data: Buffer.alloc(0), signature });
      break;
    }
    if (pos + size > body.length) throw framingError('a chunk is shorter than its declared size');
    const data = body.subarray(pos, pos + size);
    chunks.push({ data, signature });
    parts.push(data);
    pos += size;
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw framingError('chunk data is not followed by CRLF');
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  let trailerSignature: string | undefined;
  while (pos < body.length) {
    let lineEnd = body.indexOf(CRLF, pos);
    if (lineEnd < 0) lineEnd = body.length;
    const line = body.subarray(pos, lineEnd).toString('latin1');
    pos = lineEnd + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw framingError('a trailer line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') trailerSignature = value;
    else trailers[name] = value;
  }
  return { chunks, payload: Buffer.concat(parts), trailers, trailerSignature };
}

/** Verify the checksum named by `x-amz-trailer` against the decoded payload. */
export async function verifyTrailerChecksum(
  decoded: AwsChunkedBody,
  trailerHeader: string | undefined,
): Promise<void> {
  if (!trailerHeader) return;
  for (const name of trailerHeader.split(',').map((n) => n.trim().toLowerCase())) {
    if (!name) continue;
    const value = decoded.trailers[name];
    if (value === undefined)
      throw new AwsError(
        'MalformedTrailerError',
        'The request contained trailing data that was not well-formed or did not conform to our published schema.',
        400,
      );
    const algorithm = name.replace(/^x-amz-checksum-/, '');
    if (name.startsWith('x-amz-checksum-') && isChecksumAlgorithm(algorithm)) {
      await verifyChecksumValue(algorithm, value, decoded.payload);
    }
  }
}

/** BadDigest when `expected` is not the payload's checksum. */
export async function verifyChecksumValue(
  algorithm: ChecksumAlgorithm,
  expected: string,
  payload: Buffer,
): Promise<void> {
  if ((await computeChecksum(algorithm, payload)) !== expected) {
    throw new AwsError(
      'BadDigest',
      `The ${checksumDisplayName(algorithm)} you specified did not match the calculated checksum.`,
      400,
    );
  }
}
