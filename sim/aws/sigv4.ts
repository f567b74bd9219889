// SigV4 verification. The signature is recomputed with @smithy/signature-v4 from exactly what the client
// signed (the SignedHeaders list, the raw path, the decoded query) and compared in constant time.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { sha256Hex } from './checksums.ts';
import type { AwsChunk } from './chunked.ts';

export type QueryPairs = Array<[string, string]>;

export interface SigV4Auth {
  mode: 'header' | 'query';
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date as sent: YYYYMMDDTHHMMSSZ. */
  amzDate: string;
  signingDate: Date;
  /** X-Amz-Expires of a presigned URL. */
  expiresSeconds?: number;
  securityToken?: string;
}

export type AuthParseResult =
  | { kind: 'none' }
  | { kind: 'sigv4'; auth: SigV4Auth }
  | { kind: 'error'; failure: 'malformed' | 'unsupported'; detail: string; service?: string };

const SHA256 = Hash.bind(null, 'sha256');
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SIGV2_UNSUPPORTED =
  'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

export function parseAmzDate(text: string | undefined): Date | undefined {
  const match = text ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseCredential(
  credential: string,
): { accessKeyId: string; scopeDate: string; region: string; service: string } | string {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !parts[0])
    return `Credential should be scoped to a valid region. ('${parts.slice(1).join('/')}')`;
  return { accessKeyId: parts[0], scopeDate: parts[1], region: parts[2], service: parts[3] };
}

/** Find SigV4 authentication in the Authorization header or in presigned-URL query parameters. */
export function parseSigV4(headers: IncomingHttpHeaders, query: QueryPairs): AuthParseResult {
  const authorization = headerValue(headers, 'authorization');
  const queryMap = new Map(query.map(([k, v]) => [k, v]));
  if (authorization !== undefined) {
    if (!authorization.startsWith(`${ALGORITHM} `)) {
      return {
        kind: 'error',
        failure: 'unsupported',
        // "AWS AKID:signature" is SigV2, which only S3 ever accepted.
        service: authorization.startsWith('AWS ') ? 's3' : undefined,
        detail: SIGV2_UNSUPPORTED,
      };
    }
    const fields = new Map<string, string>();
    for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const scope = credential ? parseCredential(credential) : undefined;
    const service = typeof scope === 'object' ? scope.service : undefined;
    if (!credential || !signedHeaders || !signature) {
      return {
        kind: 'error',
        failure: 'malformed',
        service,
        detail:
          "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=AWS4-HMAC-SHA256 ...",
      };
    }
    if (typeof scope !== 'object') return { kind: 'error', failure: 'malformed', detail: String(scope) };
    const amzDate = headerValue(headers, 'x-amz-date');
    const signingDate = parseAmzDate(amzDate);
    if (!amzDate || !signingDate) {
      return {
        kind: 'error',
        failure: 'malformed',
        service,
        detail: "Authorization header requires existence of a valid 'X-Amz-Date' header (YYYYMMDDTHHMMSSZ).",
      };
    }
    return {
      kind: 'sigv4',
      auth: {
        mode: 'header',
        ...scope,
        signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
        signature,
        amzDate,
        signingDate,
        securityToken: headerValue(headers, 'x-amz-security-token'),
      },
    };
  }
  const algorithm = queryMap.get('X-Amz-Algorithm');
  if (algorithm === undefined) {
    if (queryMap.has('AWSAccessKeyId') && queryMap.has('Signature'))
      return { kind: 'error', failure: 'unsupported', service: 's3', detail: SIGV2_UNSUPPORTED };
    return { kind: 'none' };
  }
  const credential = queryMap.get('X-Amz-Credential');
  const scope = credential ? parseCredential(credential) : undefined;
  const service = typeof scope === 'object' ? scope.service : undefined;
  if (algorithm !== ALGORITHM) {
    return {
      kind: 'error',
      failure: 'unsupported',
      service,
      detail: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    };
  }
  const amzDate = queryMap.get('X-Amz-Date');
  const signingDate = parseAmzDate(amzDate);
  const signedHeaders = queryMap.get('X-Amz-SignedHeaders');
  const signature = queryMap.get('X-Amz-Signature');
  const expires = Number(queryMap.get('X-Amz-Expires'));
  if (
    typeof scope !== 'object' ||
    !amzDate ||
    !signingDate ||
    !signedHeaders ||
    !signature ||
    !Number.isInteger(expires) ||
    expires < 1 ||
    expires > 604800
  ) {
    return {
      kind: 'error',
      failure: 'malformed',
      service,
      detail:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters (X-Amz-Expires 1..604800).',
    };
  }
  return {
    kind: 'sigv4',
    auth: {
      mode: 'query',
      ...scope,
      signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
      signature,
      amzDate,
      signingDate,
      expiresSeconds: expires,
      securityToken: queryMap.get('X-Amz-Security-Token'),
    },
  };
}

export interface RequestToVerify {
  method: string;
  /** Path exactly as it appeared on the request line (still percent-encoded). */
  rawPath: string;
  query: QueryPairs;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function signerFor(auth: SigV4Auth, secretAccessKey: string): SignatureV4 {
  return new SignatureV4({
    service: auth.service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    sha256: SHA256,
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    uriEscapePath: auth.service !== 's3',
    applyChecksum: false,
  });
}

function queryObject(pairs: QueryPairs, skip: (key: string) => boolean): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    if (skip(key)) continue;
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

/**
 * Whether the signature covers the body's hash itself, so it cannot be checked before the body is read.
 * It does not when a signed x-amz-content-sha256 (a hash, UNSIGNED-PAYLOAD, STREAMING-*) stands for the
 * payload, or for S3 presigned URLs (UNSIGNED-PAYLOAD); IAM/STS/EKS SDK calls sign the body's hash.
 */
export function signatureNeedsBody(
  auth: SigV4Auth,
  headers: IncomingHttpHeaders,
  query: QueryPairs,
): boolean {
  const signedHash =
    auth.signedHeaders.includes('x-amz-content-sha256') &&
    headerValue(headers, 'x-amz-content-sha256') !== undefined;
  if (auth.mode === 'header') return !signedHash;
  const queryHash = query.some(([k]) => k.toLowerCase() === 'x-amz-content-sha256');
  return !signedHash && !queryHash && auth.service !== 's3';
}

/** Recompute the request's signature with `secretAccessKey`; true when it equals the one sent. */
export async function verifyRequestSignature(
  request: RequestToVerify,
  auth: SigV4Auth,
  secretAccessKey: string,
): Promise<boolean> {
  const signer = signerFor(auth, secretAccessKey);
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const signableHeaders = new Set(auth.signedHeaders);
  const [hostname] = (headerValue(request.headers, 'host') ?? 'localhost').split(':');
  let expected: string | undefined;
  if (auth.mode === 'header') {
    const httpRequest = new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      path: request.rawPath,
      query: queryObject(request.query, () => false),
      headers,
      body: request.body,
    });
    const signed = await signer.sign(httpRequest, {
      signingDate: auth.signingDate,
      signingRegion: auth.region,
      signingService: auth.service,
      signableHeaders,
    });
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
  } else {
    const contentHash = request.query.find(([k]) => k.toLowerCase() === 'x-amz-content-sha256')?.[1];
    const payloadHash =
      headers['x-amz-content-sha256'] ??
      contentHash ??
      (auth.service === 's3' ? 'UNSIGNED-PAYLOAD' : sha256Hex(request.body));
    const unsignable = new Set(['x-amz-content-sha256']);
    const httpRequest = new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      path: request.rawPath,
      query: queryObject(request.query, (key) => key === 'X-Amz-Signature'),
      headers: { ...headers, 'x-amz-content-sha256': payloadHash },
    });
    const presigned = await signer.presign(httpRequest, {
      signingDate: auth.signingDate,
      expiresIn: auth.expiresSeconds,
      signingRegion: auth.region,
      signingService: auth.service,
      signableHeaders,
      unsignableHeaders: signableHeaders.has('x-amz-content-sha256') ? undefined : unsignable,
      unhoistableHeaders: new Set([...Object.keys(headers), 'x-amz-content-sha256']),
    });
    const value = presigned.query?.['X-Amz-Signature'];
    expected = typeof value === 'string' ? value : undefined;
  }
  return expected !== undefined && constantTimeEqual(expected, auth.signature);
}

/**
 * Verify the chain of chunk signatures of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body, seeded
 * with the request's own signature, and the trailer signature when there is one.
 */
export async function verifyChunkSignatures(
  chunks: AwsChunk[],
  trailers: Record<string, string>,
  trailerSignature: string | undefined,
  auth: SigV4Auth,
  secretAccessKey: string,
  withTrailer: boolean,
): Promise<boolean> {
  const signer = signerFor(auth, secretAccessKey);
  const options = { signingDate: auth.signingDate, signingRegion: auth.region, signingService: auth.service };
  let previous = auth.signature;
  for (const chunk of chunks) {
    if (!chunk.signature) return false;
    const expected = await signer.sign(
      { headers: new Uint8Array(0), payload: chunk.data },
      { ...options, priorSignature: previous },
    );
    if (!constantTimeEqual(expected, chunk.signature)) return false;
    previous = chunk.signature;
  }
  if (!withTrailer) return true;
  if (!trailerSignature) return false;
  const trailerText = Object.entries(trailers)
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
  const scope = `${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256-TRAILER',
    auth.amzDate,
    scope,
    previous,
    sha256Hex(Buffer.from(trailerText)),
  ].join('\n');
  const expected = await signer.sign(stringToSign, options);
  return constantTimeEqual(expected, trailerSignature);
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
