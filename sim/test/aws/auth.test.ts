import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSim, type SignedRequest, startAwsSim } from '../../aws/index.ts';
import {
  type Credentials,
  clientConfig,
  errorCode,
  queryCall,
  rawRequest,
  signedRequest,
  signRequest,
  trustAccount,
} from './helpers.ts';

let sim: AwsSim;
let sessionCredentials: Credentials;
const seen: SignedRequest[] = [];

beforeAll(async () => {
  sim = await startAwsSim();
  const iam = new IAMClient(clientConfig(sim));
  const role = (
    await iam.send(
      new CreateRoleCommand({ RoleName: 'auth-role', AssumeRolePolicyDocument: trustAccount(sim.accountId) }),
    )
  ).Role!;
  iam.destroy();
  const sts = new STSClient(clientConfig(sim));
  const result = await sts.send(
    new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'auth-session' }),
  );
  sts.destroy();
  sessionCredentials = {
    accessKeyId: result.Credentials!.AccessKeyId!,
    secretAccessKey: result.Credentials!.SecretAccessKey!,
    sessionToken: result.Credentials!.SessionToken!,
  };
  sim.registerService('eks', async (req) => {
    seen.push(req);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caller: req.caller.arn }),
    };
  });
});
afterAll(async () => {
  await sim?.close();
});

const unknownKey = { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x'.repeat(40) };
const flipLastChar = (headers: Record<string, string>) => {
  headers.authorization = headers.authorization.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
};

describe('SigV4 verification on Query services (IAM, STS)', () => {
  it('accepts a correctly signed request', async () => {
    const response = await queryCall(sim, 'sts', { Action: 'GetCallerIdentity' });
    expect(response.status).toBe(200);
    expect(response.body).toContain(
      '<Arn>arn:aws:iam::111122223333:user/pod-identity-conformance-admin</Arn>',
    );
  });

  it('answers a tampered signature with SignatureDoesNotMatch', async () => {
    const response = await queryCall(
      sim,
      'sts',
      { Action: 'GetCallerIdentity' },
      sim.adminCredentials,
      flipLastChar,
    );
    expect(response.status).toBe(403);
    expect(response.body).toMatch(
      /<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>SignatureDoesNotMatch<\/Code>/,
    );
  });

  it('answers a tampered body (signed payload) with SignatureDoesNotMatch', async () => {
    const body = 'Action=ListRoles&Version=2010-05-08';
    const { url, headers } = await signRequest(sim, {
      service: 'iam',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      credentials: sim.adminCredentials,
    });
    const { host: _host, ...send } = headers;
    expect((await rawRequest(url, { method: 'POST', headers: send, body })).status).toBe(200);
    const tampered = await rawRequest(url, {
      method: 'POST',
      headers: send,
      body: body.replace('ListRoles', 'ListUsers'),
    });
    expect(tampered.status).toBe(403);
    expect(errorCode(tampered.body)).toBe('SignatureDoesNotMatch');
  });

  it('answers an unknown access key with InvalidClientTokenId', async () => {
    const response = await queryCall(sim, 'sts', { Action: 'GetCallerIdentity' }, unknownKey);
    expect(response.status).toBe(403);
    expect(errorCode(response.body)).toBe('InvalidClientTokenId');
    expect(response.body).not.toContain(unknownKey.secretAccessKey);
  });

  it('answers a missing signature with MissingAuthenticationToken', async () => {
    const response = await rawRequest(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(response.status).toBe(403);
    expect(errorCode(response.body)).toBe('MissingAuthenticationToken');
  });

  it('requires the session token of session credentials', async () => {
    const { sessionToken: _token, ...withoutToken } = sessionCredentials;
    const missing = await queryCall(sim, 'sts', { Action: 'GetCallerIdentity' }, withoutToken);
    expect(errorCode(missing.body)).toBe('InvalidClientTokenId');
    const wrong = await queryCall(
      sim,
      'sts',
      { Action: 'GetCallerIdentity' },
      { ...sessionCredentials, sessionToken: 'AAAA' },
    );
    expect(errorCode(wrong.body)).toBe('InvalidClientTokenId');
    const right = await queryCall(sim, 'sts', { Action: 'GetCallerIdentity' }, sessionCredentials);
    expect(right.status).toBe(200);
  });

  it('refuses a signature more than 15 minutes old (and accepts 14 minutes of skew)', async () => {
    const old = await signedRequest(sim, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      credentials: sim.adminCredentials,
      signingDate: new Date(Date.now() - 16 * 60_000),
    });
    expect(old.status).toBe(403);
    expect(errorCode(old.body)).toBe('SignatureDoesNotMatch');
    expect(old.body).toContain('Signature expired');
    const skewed = await signedRequest(sim, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      credentials: sim.adminCredentials,
      signingDate: new Date(Date.now() + 14 * 60_000),
    });
    expect(skewed.status).toBe(200);
  });
});

describe('SigV4 verification on S3', () => {
  const listBuckets = (
    credentials: Credentials,
    tamper?: (h: Record<string, string>) => void,
    signingDate?: Date,
  ) =>
    signedRequest(
      sim,
      {
        service: 's3',
        path: '/',
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        credentials,
        signingDate,
      },
      tamper,
    );

  it("answers with S3's error shape and codes", async () => {
    expect((await listBuckets(sim.adminCredentials)).status).toBe(200);
    const tampered = await listBuckets(sim.adminCredentials, flipLastChar);
    expect(tampered.status).toBe(403);
    expect(tampered.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>SignatureDoesNotMatch<\/Code><Message>[^<]+<\/Message><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/,
    );
    const unknown = await listBuckets(unknownKey);
    expect([unknown.status, errorCode(unknown.body)]).toEqual([403, 'InvalidAccessKeyId']);
    const anonymous = await rawRequest(`${sim.url}/`);
    expect([anonymous.status, errorCode(anonymous.body)]).toEqual([403, 'AccessDenied']);
    const skewed = await listBuckets(sim.adminCredentials, undefined, new Date(Date.now() - 20 * 60_000));
    expect([skewed.status, errorCode(skewed.body)]).toEqual([403, 'RequestTimeTooSkewed']);
  });

  it('checks x-amz-content-sha256 against the payload', async () => {
    const response = await signedRequest(sim, {
      service: 's3',
      method: 'PUT',
      path: '/sha-mismatch-bucket',
      headers: { 'x-amz-content-sha256': 'a'.repeat(64) },
      body: '',
      credentials: sim.adminCredentials,
    });
    expect([response.status, errorCode(response.body)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    expect(sim.s3.findBucket('sha-mismatch-bucket')).toBeUndefined();
  });
});

describe('expired sessions', () => {
  it('are refused with ExpiredToken by STS (Query) and S3 (test hook)', async () => {
    const sts = new STSClient(clientConfig(sim));
    const role = sim.iam.findRole('auth-role')!;
    const result = await sts.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'to-expire' }));
    sts.destroy();
    const credentials = {
      accessKeyId: result.Credentials!.AccessKeyId!,
      secretAccessKey: result.Credentials!.SecretAccessKey!,
      sessionToken: result.Credentials!.SessionToken!,
    };
    const asSession = new STSClient(clientConfig(sim, credentials));
    const s3 = new S3Client({ ...clientConfig(sim, credentials), forcePathStyle: true });
    try {
      await expect(asSession.send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
      expect(sim.expireSession(credentials.accessKeyId)).toBe(true);
      await expect(asSession.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
        name: 'ExpiredToken',
        $metadata: { httpStatusCode: 403 },
      });
      await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'ExpiredToken',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      asSession.destroy();
      s3.destroy();
    }
  });

  it("expire by DurationSeconds on the simulator's clock", async () => {
    let offsetMs = 0;
    const clocked = await startAwsSim({ now: () => new Date(Date.now() + offsetMs) });
    try {
      const iam = new IAMClient(clientConfig(clocked));
      const role = (
        await iam.send(
          new CreateRoleCommand({
            RoleName: 'short',
            AssumeRolePolicyDocument: trustAccount(clocked.accountId),
          }),
        )
      ).Role!;
      iam.destroy();
      const sts = new STSClient(clientConfig(clocked));
      const result = await sts.send(
        new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'short', DurationSeconds: 900 }),
      );
      sts.destroy();
      offsetMs = 901_000;
      // The client's clock moves with the simulator's, so only the session's expiry is at stake.
      const asSession = new STSClient({
        ...clientConfig(clocked, {
          accessKeyId: result.Credentials!.AccessKeyId!,
          secretAccessKey: result.Credentials!.SecretAccessKey!,
          sessionToken: result.Credentials!.SessionToken!,
        }),
        systemClockOffset: offsetMs,
      });
      await expect(asSession.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
        name: 'ExpiredToken',
      });
      asSession.destroy();
    } finally {
      await clocked.close();
    }
  });
});

describe('services registered by other parts of the simulator', () => {
  it('receive verified requests with the resolved caller, and rest-json errors', async () => {
    const ok = await signedRequest(sim, {
      service: 'eks',
      method: 'GET',
      path: '/clusters',
      credentials: sim.adminCredentials,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({
      caller: 'arn:aws:iam::111122223333:user/pod-identity-conformance-admin',
    });
    expect(seen.at(-1)!.service).toBe('eks');
    const bad = await signedRequest(
      sim,
      { service: 'eks', path: '/clusters', credentials: sim.adminCredentials },
      flipLastChar,
    );
    expect(bad.status).toBe(403);
    expect(bad.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(bad.body)).toHaveProperty('message');
    const unknown = await signedRequest(sim, { service: 'eks', path: '/clusters', credentials: unknownKey });
    expect(unknown.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
  });
});
