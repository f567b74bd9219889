// Payload integrity on S3 PUTs: aws-chunked framing (unsigned and signed chunks, trailing checksums),
// x-amz-checksum-* headers and Content-MD5.

import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAwsChunked } from '../../aws/chunked.ts';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { errorCode, rawRequest, signedRequest } from './helpers.ts';

let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
  const created = await signedRequest(sim, {
    service: 's3',
    method: 'PUT',
    path: '/payloads',
    body: '',
    credentials: sim.adminCredentials,
  });
  expect(created.status).toBe(200);
});
afterAll(async () => {
  await sim?.close();
});

const crc32Base64 = (data: Buffer) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(crc32(data) >>> 0);
  return buf.toString('base64');
};
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const stored = (key: string) => sim.s3.findBucket('payloads')!.objects.get(key);

function frameUnsigned(chunks: Buffer[], trailer?: string): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of chunks)
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n'));
  if (trailer) parts.push(Buffer.from(`${trailer}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

describe('parseAwsChunked', () => {
  it('removes the framing and collects trailers and chunk signatures', () => {
    const body = Buffer.from(
      '3;chunk-signature=aa\r\nabc\r\n2;chunk-signature=bb\r\nde\r\n0;chunk-signature=cc\r\nx-amz-checksum-crc32:AAAA\r\nx-amz-trailer-signature:dd\r\n\r\n',
    );
    const parsed = parseAwsChunked(body);
    expect(parsed.payload.toString()).toBe('abcde');
    expect(parsed.chunks.map((c) => c.signature)).toEqual(['aa', 'bb', 'cc']);
    expect(parsed.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAA' });
    expect(parsed.trailerSignature).toBe('dd');
  });

  it('rejects broken framing with IncompleteBody', () => {
    expect(() => parseAwsChunked(Buffer.from('zz\r\nabc'))).toThrow(
      expect.objectContaining({ code: 'IncompleteBody' }),
    );
    expect(() => parseAwsChunked(Buffer.from('10\r\nabc\r\n'))).toThrow(
      expect.objectContaining({ code: 'IncompleteBody' }),
    );
    expect(() => parseAwsChunked(Buffer.from('3\r\nabcXX0\r\n\r\n'))).toThrow(
      expect.objectContaining({ code: 'IncompleteBody' }),
    );
  });
});

describe('unsigned aws-chunked payloads with a trailing checksum', () => {
  const put = (key: string, data: Buffer, framed: Buffer, decodedLength = data.length) =>
    signedRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: `/payloads/${key}`,
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': String(decodedLength),
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: framed,
      credentials: sim.adminCredentials,
    });

  it('stores the decoded bytes when the checksum matches', async () => {
    const data = randomBytes(70_000);
    const response = await put(
      'unsigned-ok',
      data,
      frameUnsigned(
        [data.subarray(0, 65536), data.subarray(65536)],
        `x-amz-checksum-crc32:${crc32Base64(data)}`,
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers['x-amz-checksum-crc32']).toBe(crc32Base64(data));
    expect(stored('unsigned-ok')!.body.equals(data)).toBe(true);
    expect(stored('unsigned-ok')!.systemHeaders['content-encoding']).toBeUndefined();
  });

  it('refuses a wrong trailing checksum with BadDigest and stores nothing', async () => {
    const data = randomBytes(1000);
    const response = await put(
      'unsigned-bad',
      data,
      frameUnsigned([data], `x-amz-checksum-crc32:${crc32Base64(Buffer.from('other'))}`),
    );
    expect([response.status, errorCode(response.body)]).toEqual([400, 'BadDigest']);
    expect(stored('unsigned-bad')).toBeUndefined();
  });

  it('refuses a decoded length that does not match', async () => {
    const data = randomBytes(100);
    const response = await put(
      'unsigned-short',
      data,
      frameUnsigned([data], `x-amz-checksum-crc32:${crc32Base64(data)}`),
      101,
    );
    expect([response.status, errorCode(response.body)]).toEqual([400, 'IncompleteBody']);
  });
});

describe('signed aws-chunked payloads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER])', () => {
  async function signedStreamingPut(
    key: string,
    chunks: Buffer[],
    options: { trailer?: boolean; tamper?: (body: Buffer) => Buffer } = {},
  ) {
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const host = new URL(sim.url).host;
    const signer = new SignatureV4({
      service: 's3',
      region: sim.region,
      credentials: sim.adminCredentials,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    const data = Buffer.concat(chunks);
    const contentSha = options.trailer
      ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
      : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    const headers: Record<string, string> = {
      host,
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': contentSha,
      'x-amz-decoded-content-length': String(data.length),
    };
    if (options.trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
    const signed = await signer.sign(
      new HttpRequest({
        method: 'PUT',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: `/payloads/${key}`,
        headers,
      }),
      { signingDate },
    );
    const seed = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))![1];
    let previous = seed;
    const parts: Buffer[] = [];
    for (const chunk of [...chunks, Buffer.alloc(0)]) {
      const signature = await signer.sign(
        { headers: new Uint8Array(0), payload: chunk },
        { signingDate, priorSignature: previous },
      );
      parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`));
      if (chunk.length > 0) parts.push(chunk, Buffer.from('\r\n'));
      previous = signature;
    }
    if (options.trailer) {
      const trailerLine = `x-amz-checksum-crc32:${crc32Base64(data)}`;
      const scope = `${signingDate.toISOString().slice(0, 10).replace(/-/g, '')}/${sim.region}/s3/aws4_request`;
      const amzDate = signingDate
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z');
      const trailerSignature = await signer.sign(
        ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, previous, sha256Hex(`${trailerLine}\n`)].join('\n'),
        { signingDate },
      );
      parts.push(Buffer.from(`${trailerLine}\r\nx-amz-trailer-signature:${trailerSignature}\r\n`));
    }
    parts.push(Buffer.from('\r\n'));
    let body: Buffer = Buffer.concat(parts);
    if (options.tamper) body = options.tamper(body);
    const { host: _host, ...send } = signed.headers as Record<string, string>;
    return rawRequest(`${sim.url}/payloads/${key}`, { method: 'PUT', headers: send, body });
  }

  it('verifies the chain of chunk signatures and stores the payload', async () => {
    const data = randomBytes(20_000);
    const response = await signedStreamingPut('signed-ok', [data.subarray(0, 8192), data.subarray(8192)]);
    expect(response.status, response.body).toBe(200);
    expect(stored('signed-ok')!.body.equals(data)).toBe(true);
  });

  it('verifies a signed trailer too', async () => {
    const data = randomBytes(5000);
    const response = await signedStreamingPut('signed-trailer', [data], { trailer: true });
    expect(response.status, response.body).toBe(200);
    expect(stored('signed-trailer')!.checksum).toEqual({ algorithm: 'crc32', value: crc32Base64(data) });
  });

  it('refuses a tampered chunk with SignatureDoesNotMatch', async () => {
    const data = Buffer.alloc(3000, 'a');
    const response = await signedStreamingPut('signed-tampered', [data], {
      tamper: (body) => {
        const copy = Buffer.from(body);
        copy[copy.indexOf('aaaa')] = 'b'.charCodeAt(0);
        return copy;
      },
    });
    expect([response.status, errorCode(response.body)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(stored('signed-tampered')).toBeUndefined();
  });
});

describe('checksum headers on plain payloads', () => {
  const put = (key: string, body: string, headers: Record<string, string>) =>
    signedRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: `/payloads/${key}`,
      headers,
      body,
      credentials: sim.adminCredentials,
    });

  it('verifies x-amz-checksum-crc32 and Content-MD5', async () => {
    const good = await put('crc-ok', 'payload', {
      'x-amz-checksum-crc32': crc32Base64(Buffer.from('payload')),
    });
    expect(good.status).toBe(200);
    const bad = await put('crc-bad', 'payload', {
      'x-amz-checksum-crc32': crc32Base64(Buffer.from('other')),
    });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, 'BadDigest']);
    expect(bad.body).toContain('The CRC32 you specified did not match the calculated checksum.');
    const md5 = createHash('md5').update('other').digest('base64');
    const badMd5 = await put('md5-bad', 'payload', { 'content-md5': md5 });
    expect([badMd5.status, errorCode(badMd5.body)]).toEqual([400, 'BadDigest']);
    const invalidMd5 = await put('md5-invalid', 'payload', { 'content-md5': 'not-base64-md5' });
    expect([invalidMd5.status, errorCode(invalidMd5.body)]).toEqual([400, 'InvalidDigest']);
    expect(stored('crc-bad')).toBeUndefined();
  });

  it('verifies x-amz-checksum-crc64nvme (CRC-64/NVME of "123456789" is 0xae8b14860a799888)', async () => {
    const check = Buffer.from('ae8b14860a799888', 'hex').toString('base64');
    const good = await put('crc64-ok', '123456789', { 'x-amz-checksum-crc64nvme': check });
    expect(good.status).toBe(200);
    const bad = await put('crc64-bad', '123456780', { 'x-amz-checksum-crc64nvme': check });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, 'BadDigest']);
    expect(bad.body).toContain('The CRC64NVME you specified did not match the calculated checksum.');
    expect(stored('crc64-bad')).toBeUndefined();
  });
});
