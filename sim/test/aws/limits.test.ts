// Hostile input on the AWS endpoint: requests are authenticated before their bodies are read, bodies
// above the limits are refused without being buffered, connections are capped and slow clients cut,
// and S3 keys follow S3's rules.

import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { type Exchange, exchangeSlowBody } from '../support/slow-body.ts';
import { clientConfig, errorCode, signedRequest, signRequest } from './helpers.ts';

const MiB = 1024 * 1024;
let sim: AwsSim;
let s3: S3Client;

beforeAll(async () => {
  sim = await startAwsSim({ maxRequestBytes: 2 * MiB, maxApiRequestBytes: 64 * 1024 });
  s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'limits' }));
});
afterAll(async () => {
  s3?.destroy();
  await sim?.close();
});

/** Sends `head` on a raw connection, then the body slowly, until the server answers. */
function exchange(url: string, head: string, bodyBytes: number, chunked = false): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return exchangeSlowBody(connect(Number(port), hostname), head, bodyBytes, { chunked, ready: 'connect' });
}

function headOf(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const host = () => new URL(sim.url).host;

/** Signs an S3 PUT whose payload hash is the header's value, so no body is needed to sign it. */
async function signedS3Put(path: string, headers: Record<string, string>): Promise<string> {
  const signed = await signRequest(sim, {
    service: 's3',
    method: 'PUT',
    path,
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
    credentials: sim.adminCredentials,
  });
  return headOf('PUT', path, signed.headers);
}

describe('authentication before the body', () => {
  it('answers an unauthenticated 100 MB S3 PUT with AccessDenied before the body is sent', async () => {
    const result = await exchange(
      sim.url,
      headOf('PUT', '/limits/big', { host: host(), 'content-length': String(100 * MiB) }),
      100 * MiB,
    );
    expect(result.reply).toMatch(/^HTTP\/1.1 403 /);
    expect(errorCode(result.reply)).toBe('AccessDenied');
    expect(result.reply.toLowerCase()).toContain('connection: close');
    // Answered on the headers: at most the first pieces were on their way, and nothing more was read.
    expect(result.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);
    expect(result.closed).toBe(true);
  });

  it('answers an unauthenticated Query POST and an unknown key without reading a large body', async () => {
    const unsigned = await exchange(
      sim.url,
      headOf('POST', '/', {
        host: host(),
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(100 * MiB),
      }),
      100 * MiB,
    );
    expect(unsigned.reply).toMatch(/^HTTP\/1.1 403 /);
    expect(errorCode(unsigned.reply)).toBe('MissingAuthenticationToken');
    expect(unsigned.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);

    const signed = await signRequest(sim, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) },
    });
    const unknownKey = await exchange(
      sim.url,
      headOf('POST', '/', { ...signed.headers, 'content-length': String(100 * MiB) }),
      100 * MiB,
    );
    expect(errorCode(unknownKey.reply)).toBe('InvalidClientTokenId');
    expect(unknownKey.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);
  });

  it('verifies a signed x-amz-content-sha256 request before the body: a bad signature is not read', async () => {
    const head = await signedS3Put('/limits/forged', { 'content-length': String(MiB) });
    const forged = head.replace(
      /Signature=([0-9a-f])/,
      (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`,
    );
    const result = await exchange(sim.url, forged, MiB);
    expect(errorCode(result.reply)).toBe('SignatureDoesNotMatch');
    expect(result.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);
  });

  it('keeps Node clients that stream 100 MB bodies informed: they get the 403 while sending', async () => {
    const { hostname, port } = new URL(sim.url);
    const send = () =>
      new Promise<{ status: number; sent: number }>((resolve, reject) => {
        let sent = 0;
        const req = request({
          hostname,
          port,
          method: 'PUT',
          path: '/limits/streamed',
          headers: { 'content-length': String(100 * MiB) },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
        });
        req.on('error', () => {});
        // Writes as fast as the socket takes them: the answer must not turn into a reset under it.
        const piece = Buffer.alloc(MiB);
        const pump = () => {
          while (sent < 100 * MiB && !req.destroyed) {
            sent += piece.length;
            if (!req.write(piece)) {
              req.once('drain', pump);
              return;
            }
          }
        };
        pump();
        setTimeout(() => reject(new Error(`no response after sending ${sent} bytes`)), 20_000);
      });
    for (const outcome of await Promise.all([send(), send(), send(), send()])) {
      expect(outcome.status).toBe(403);
      expect(outcome.sent).toBeLessThan(100 * MiB);
    }
  });

  it('does not ask an unauthenticated Expect: 100-continue client for its body', async () => {
    const result = await exchange(
      sim.url,
      headOf('PUT', '/limits/expect', {
        host: host(),
        'content-length': String(10 * MiB),
        expect: '100-continue',
      }),
      0,
    );
    expect(result.reply).toMatch(/^HTTP\/1.1 403 /);
    expect(result.reply).not.toContain('100 Continue');
  });

  it('asks an authenticated Expect: 100-continue client for its body, then stores it', async () => {
    const body = 'continued';
    const signed = await signRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: '/limits/continued',
      headers: { expect: '100-continue' },
      body,
      credentials: sim.adminCredentials,
    });
    const { hostname, port } = new URL(sim.url);
    const { host: _host, ...headers } = signed.headers;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ hostname, port, method: 'PUT', path: '/limits/continued', headers });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(status).toBe(200);
    expect(sim.s3.getBucket('limits').objects.get('continued')?.body.toString()).toBe(body);
  });

  it('requires a signed x-amz-content-sha256 on header-signed S3 requests', async () => {
    const missing = await signedRequest(
      sim,
      { service: 's3', method: 'PUT', path: '/limits/no-hash', body: 'x', credentials: sim.adminCredentials },
      (headers) => {
        delete headers['x-amz-content-sha256'];
      },
    );
    expect([missing.status, errorCode(missing.body)]).toEqual([400, 'InvalidRequest']);
    expect(missing.body).toContain('x-amz-content-sha256');
  });
});

describe('body limits', () => {
  it('refuses an authenticated S3 PUT above maxRequestBytes with EntityTooLarge, before the body', async () => {
    const result = await exchange(
      sim.url,
      await signedS3Put('/limits/too-big', { 'content-length': String(100 * MiB) }),
      100 * MiB,
    );
    expect(result.reply).toMatch(/^HTTP\/1.1 400 /);
    expect(errorCode(result.reply)).toBe('EntityTooLarge');
    expect(result.reply).toContain(`<MaxSizeAllowed>${2 * MiB}</MaxSizeAllowed>`);
    expect(result.reply).toContain(`<ProposedSize>${100 * MiB}</ProposedSize>`);
    expect(result.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);
    expect(sim.s3.getBucket('limits').objects.has('too-big')).toBe(false);
  });

  it('stops reading a chunked S3 body at the limit', async () => {
    const result = await exchange(
      sim.url,
      await signedS3Put('/limits/chunked', { 'transfer-encoding': 'chunked' }),
      100 * MiB,
      true,
    );
    expect(errorCode(result.reply)).toBe('EntityTooLarge');
    expect(result.sentWhenAnswered).toBeGreaterThan(2 * MiB);
    expect(result.sentWhenAnswered).toBeLessThan(8 * MiB);
    expect(result.closed).toBe(true);
  });

  it('answers IAM and STS bodies above maxApiRequestBytes with a 413 in the Query shape', async () => {
    const body = `Action=GetCallerIdentity&Version=2011-06-15&Pad=${'x'.repeat(70 * 1024)}`;
    const announced = await signedRequest(sim, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      credentials: sim.adminCredentials,
    });
    expect(announced.status).toBe(413);
    expect(errorCode(announced.body)).toBe('RequestEntityTooLarge');
    expect(announced.body).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');

    const signed = await signRequest(sim, {
      service: 'iam',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListRoles&Version=2010-05-08',
      region: 'us-east-1',
      credentials: sim.adminCredentials,
    });
    const { 'content-length': _length, ...headers } = signed.headers;
    const chunked = await exchange(
      sim.url,
      headOf('POST', '/', { ...headers, 'transfer-encoding': 'chunked' }),
      100 * MiB,
      true,
    );
    expect(chunked.reply).toMatch(/^HTTP\/1.1 413 /);
    expect(chunked.sentWhenAnswered).toBeLessThan(MiB);
  });

  it('still accepts bodies within the limits', async () => {
    const data = Buffer.alloc(2 * MiB, 7);
    await s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'at-limit', Body: data }));
    expect(sim.s3.getBucket('limits').objects.get('at-limit')?.body.length).toBe(2 * MiB);
  });
});

describe('S3 key rules', () => {
  const refusal = async (send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      if (error instanceof S3ServiceException)
        return [error.$metadata.httpStatusCode, error.name, error.message];
      throw error;
    }
    return 'accepted';
  };

  it('accepts keys of 1024 bytes of UTF-8 and refuses longer ones with KeyTooLongError', async () => {
    const ascii = 'k'.repeat(1024);
    await s3.send(new PutObjectCommand({ Bucket: 'limits', Key: ascii, Body: 'ok' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'limits', Key: ascii }));
    expect(await got.Body?.transformToString()).toBe('ok');
    const accented = 'é'.repeat(512);
    await s3.send(new PutObjectCommand({ Bucket: 'limits', Key: accented, Body: 'ok' }));

    const tooLong = await refusal(() =>
      s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'k'.repeat(1025), Body: 'x' })),
    );
    expect(tooLong).toEqual([400, 'KeyTooLongError', 'Your key is too long.']);
    expect(
      await refusal(() =>
        s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'é'.repeat(513), Body: 'x' })),
      ),
    ).toEqual([400, 'KeyTooLongError', 'Your key is too long.']);
    const raw = await signedRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: `/limits/${'k'.repeat(1025)}`,
      body: 'x',
      credentials: sim.adminCredentials,
    });
    expect(raw.body).toContain('<Size>1025</Size><MaxSizeAllowed>1024</MaxSizeAllowed>');
    expect(
      await refusal(() =>
        s3.send(
          new CopyObjectCommand({ Bucket: 'limits', Key: 'c'.repeat(1025), CopySource: `limits/${ascii}` }),
        ),
      ),
    ).toEqual([400, 'KeyTooLongError', 'Your key is too long.']);
    expect(
      await refusal(() =>
        s3.send(new CreateMultipartUploadCommand({ Bucket: 'limits', Key: 'm'.repeat(1025) })),
      ),
    ).toEqual([400, 'KeyTooLongError', 'Your key is too long.']);
  });

  it('refuses keys with NUL with InvalidArgument', async () => {
    for (const send of [
      () => s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'a\u0000b', Body: 'x' })),
      () =>
        s3.send(new CopyObjectCommand({ Bucket: 'limits', Key: 'a\u0000b', CopySource: 'limits/at-limit' })),
      () => s3.send(new CreateMultipartUploadCommand({ Bucket: 'limits', Key: 'a\u0000b' })),
    ]) {
      const result = await refusal(send);
      expect(result).toEqual([400, 'InvalidArgument', 'Object key must not contain a NUL character.']);
    }
    expect([...sim.s3.getBucket('limits').objects.keys()].some((k) => k.includes('\u0000'))).toBe(false);
  });
});

describe('a 20 MB multipart upload with the default limits', () => {
  it('uploads four 5 MiB parts and completes', async () => {
    const defaults = await startAwsSim();
    const client = new S3Client({ ...clientConfig(defaults), forcePathStyle: true });
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'parts' }));
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'parts', Key: 'big' }),
      );
      const parts = await Promise.all(
        [1, 2, 3, 4].map(async (PartNumber) => {
          const { ETag } = await client.send(
            new UploadPartCommand({
              Bucket: 'parts',
              Key: 'big',
              UploadId,
              PartNumber,
              Body: Buffer.alloc(5 * MiB, PartNumber),
            }),
          );
          return { ETag, PartNumber };
        }),
      );
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'parts',
          Key: 'big',
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      expect(defaults.s3.getBucket('parts').objects.get('big')?.body.length).toBe(20 * MiB);
    } finally {
      client.destroy();
      await defaults.close();
    }
  });
});

describe('connections', () => {
  const open = (url: string): Promise<Socket> => {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(socket));
      socket.on('error', reject);
    });
  };
  const closedWithin = (socket: Socket, ms: number): Promise<{ closed: boolean; data: string }> =>
    new Promise((resolve) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('error', () => {});
      const timer = setTimeout(() => resolve({ closed: false, data }), ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve({ closed: true, data });
      });
    });

  it('closes connections above maxConnections at once, and accepts again when one goes', async () => {
    const capped = await startAwsSim({ maxConnections: 3 });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) sockets.push(await open(capped.url));
      const fourth = await open(capped.url);
      expect((await closedWithin(fourth, 2000)).closed).toBe(true);
      for (const socket of sockets) expect(socket.destroyed).toBe(false);
      sockets.pop()?.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const again = await open(capped.url);
      sockets.push(again);
      again.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect((await closedWithin(again, 2000)).data).toMatch(/^HTTP\/1.1 403 /);
    } finally {
      for (const socket of sockets) socket.destroy();
      await capped.close();
    }
  });

  it('cuts a client that sends its headers too slowly with a 408, and an idle one', async () => {
    const strict = await startAwsSim({ headersTimeoutMs: 300, requestTimeoutMs: 5000, idleTimeoutMs: 400 });
    try {
      const slow = await open(strict.url);
      slow.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      const cut = await closedWithin(slow, 3000);
      expect(cut.closed).toBe(true);
      expect(cut.data).toMatch(/^HTTP\/1.1 408 /);
      expect(Date.now() - started).toBeLessThan(2500);

      // Headers complete, body never sent: the idle timeout closes it.
      const idle = await open(strict.url);
      idle.write('PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n');
      expect((await closedWithin(idle, 3000)).closed).toBe(true);

      // A prompt client is served.
      const sts = await signedRequest(strict, {
        service: 'sts',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        credentials: strict.adminCredentials,
      });
      expect(sts.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('applies the cap to connections handed over with acceptConnection', async () => {
    const capped = await startAwsSim({ maxConnections: 1 });
    const { createServer } = await import('node:net');
    const relay = createServer((socket) => capped.acceptConnection(socket));
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
    try {
      const first = await open(relayUrl);
      const second = await open(relayUrl);
      expect((await closedWithin(second, 2000)).closed).toBe(true);
      expect(first.destroyed).toBe(false);
      first.destroy();
    } finally {
      relay.close();
      await capped.close();
    }
  });

  it('refuses limits that make no sense', async () => {
    await expect(startAwsSim({ maxConnections: 0 })).rejects.toThrow(/maxConnections/);
    await expect(startAwsSim({ headersTimeoutMs: 10_000, requestTimeoutMs: 1000 })).rejects.toThrow(
      /headersTimeoutMs/,
    );
  });
});
