// Malformed requests, bodies and policies get AWS-shaped errors, and the endpoint keeps serving.

import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { CreateBucketCommand, CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { clientConfig, errorCode, queryCall, rawRequest, signedRequest } from './helpers.ts';

let sim: AwsSim;
const internalErrors: string[] = [];

beforeAll(async () => {
  sim = await startAwsSim({
    maxRequestBytes: 1024 * 1024,
    onInternalError: (_error, where) => internalErrors.push(where),
  });
  const s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'malformed' }));
  s3.destroy();
  sim.registerService('broken', async () => {
    throw new TypeError('handler bug');
  });
});
afterAll(async () => {
  await sim?.close();
});

async function stillServing(): Promise<void> {
  const sts = new STSClient(clientConfig(sim));
  try {
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(sim.accountId);
  } finally {
    sts.destroy();
  }
}

const s3Put = (path: string, body: string, query?: Record<string, string>) =>
  signedRequest(sim, { service: 's3', method: 'PUT', path, query, body, credentials: sim.adminCredentials });
const s3Post = (
  path: string,
  body: string,
  query: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  signedRequest(sim, {
    service: 's3',
    method: 'POST',
    path,
    query,
    headers,
    body,
    credentials: sim.adminCredentials,
  });

describe('malformed Query requests', () => {
  it('answers MissingAction, InvalidAction, ValidationError and MalformedPolicyDocument', async () => {
    const noAction = await queryCall(sim, 'sts', {});
    expect([noAction.status, errorCode(noAction.body)]).toEqual([400, 'MissingAction']);
    const unknown = await queryCall(sim, 'sts', { Action: 'GetSessionToken' });
    expect([unknown.status, errorCode(unknown.body)]).toEqual([400, 'InvalidAction']);
    const noName = await queryCall(sim, 'iam', { Action: 'CreateRole', AssumeRolePolicyDocument: '{}' });
    expect([noName.status, errorCode(noName.body)]).toEqual([400, 'ValidationError']);
    for (const document of [
      'not json',
      '{"Statement": 5}',
      '[]',
      '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}',
      '%7B%ZZ',
    ]) {
      const response = await queryCall(sim, 'iam', {
        Action: 'CreateRole',
        RoleName: 'bad-policy',
        AssumeRolePolicyDocument: document,
      });
      expect([response.status, errorCode(response.body)], document).toEqual([400, 'MalformedPolicyDocument']);
    }
    const badInline = await queryCall(sim, 'sts', {
      Action: 'AssumeRole',
      RoleArn: 'arn:aws:iam::111122223333:role/whatever',
      RoleSessionName: 'x1',
      Policy: '{"Statement":',
    });
    expect(errorCode(badInline.body)).toBe('MalformedPolicyDocument');
    const badArn = await queryCall(sim, 'sts', {
      Action: 'AssumeRole',
      RoleArn: 'not-an-arn-but-long-enough',
      RoleSessionName: 'x1',
    });
    expect([badArn.status, errorCode(badArn.body)]).toEqual([400, 'ValidationError']);
    await stillServing();
  });

  it('answers a garbage Authorization header with IncompleteSignature', async () => {
    const response = await rawRequest(sim.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=nonsense',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(response.status).toBe(400);
    expect(['IncompleteSignature', 'AuthorizationHeaderMalformed']).toContain(errorCode(response.body));
  });
});

describe('malformed S3 requests', () => {
  it('answers MalformedXML for broken bodies', async () => {
    const tagging = await s3Put('/malformed', '<Tagging><TagSet><Tag><Key>a</Key>', { tagging: '' });
    expect([tagging.status, errorCode(tagging.body)]).toEqual([400, 'MalformedXML']);
    const wrongRoot = await s3Put('/malformed', '<Other/>', { tagging: '' });
    expect(errorCode(wrongRoot.body)).toBe('MalformedXML');
    const garbage = '<Delete><Object><Key>k</Key></Delete>';
    const deleteObjects = await s3Post(
      '/malformed',
      garbage,
      { delete: '' },
      { 'content-md5': createHash('md5').update(garbage).digest('base64') },
    );
    expect([deleteObjects.status, errorCode(deleteObjects.body)]).toEqual([400, 'MalformedXML']);
    const missingMd5 = await s3Post('/malformed', '<Delete><Object><Key>k</Key></Object></Delete>', {
      delete: '',
    });
    expect([missingMd5.status, errorCode(missingMd5.body)]).toEqual([400, 'InvalidRequest']);
    const s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'malformed', Key: 'mpu' }));
    s3.destroy();
    const complete = await s3Post('/malformed/mpu', 'garbage <xml', { uploadId: UploadId! });
    expect([complete.status, errorCode(complete.body)]).toEqual([400, 'MalformedXML']);
    const config = await s3Put('/malformed-config', '<CreateBucketConfiguration><LocationConstraint>');
    expect(errorCode(config.body)).toBe('MalformedXML');
    await stillServing();
  });

  it('answers unsupported subresources with NotImplemented and bad URIs with InvalidURI', async () => {
    const policy = await signedRequest(sim, {
      service: 's3',
      path: '/malformed',
      query: { policy: '' },
      credentials: sim.adminCredentials,
    });
    expect([policy.status, errorCode(policy.body)]).toEqual([501, 'NotImplemented']);
    const badUri = await signedRequest(sim, {
      service: 's3',
      path: '/malformed/%E0%A4%A',
      credentials: sim.adminCredentials,
    });
    expect([badUri.status, errorCode(badUri.body)]).toEqual([400, 'InvalidURI']);
    const badQuery = await rawRequest(`${sim.url}/malformed?prefix=%ZZ`);
    expect([badQuery.status, errorCode(badQuery.body)]).toEqual([400, 'InvalidURI']);
  });

  it("refuses SigV2 (the AWS CLI v1's default presign) with a pointer to SigV4", async () => {
    const response = await rawRequest(
      `${sim.url}/malformed/key?AWSAccessKeyId=${sim.adminCredentials.accessKeyId}&Signature=abc%3D&Expires=9999999999`,
    );
    expect([response.status, errorCode(response.body)]).toEqual([400, 'InvalidRequest']);
    expect(response.body).toContain('AWS4-HMAC-SHA256');
  });

  it('refuses bodies above the configured limit with EntityTooLarge', async () => {
    const response = await s3Put('/malformed/too-big', 'x'.repeat(1024 * 1024 + 1));
    expect([response.status, errorCode(response.body)]).toEqual([400, 'EntityTooLarge']);
  });
});

describe('robustness', () => {
  it('survives garbage on the socket', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(sim.url);
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('\x00\x01 NOT HTTP AT ALL\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('end', () => resolve(data));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    await stillServing();
  });

  it('shrugs off a client that disconnects in the middle of a body', async () => {
    const before = internalErrors.length;
    await new Promise<void>((resolve, reject) => {
      const { port } = new URL(sim.url);
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'PUT /malformed/partial HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nonly a little',
          () => {
            socket.destroy();
            resolve();
          },
        );
      });
      socket.on('error', reject);
    });
    await stillServing();
    expect(internalErrors.length).toBe(before);
  });

  it("turns a crashing handler into a 500 in the service's shape without stopping", async () => {
    const response = await signedRequest(sim, {
      service: 'broken',
      path: '/x',
      credentials: sim.adminCredentials,
    });
    expect(response.status).toBe(500);
    expect(response.headers['x-amzn-errortype']).toBe('ServerException');
    expect(response.body).not.toContain('handler bug');
    expect(internalErrors.at(-1)).toContain('broken GET /x');
    await stillServing();
  });

  it('answers requests for a service nobody serves', async () => {
    const response = await signedRequest(sim, {
      service: 'dynamodb',
      path: '/',
      credentials: sim.adminCredentials,
    });
    expect(response.status).toBe(400);
    expect(response.headers['x-amzn-errortype']).toBe('UnrecognizedServiceException');
  });
});
