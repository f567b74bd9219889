import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, registerSecret } from '../../helpers/redact.ts';

// Fake secrets made at run time, shaped like the real ones.
const secretKey = randomBytes(30).toString('base64'); // 40 characters
const sessionToken = `IQoJb3JpZ2luX2Vj${randomBytes(240).toString('base64')}`;
const urlToken = encodeURIComponent(sessionToken);
const jwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.${Buffer.from('{"sub":"system:serviceaccount:ns:sa"}').toString('base64url')}.${randomBytes(64).toString('base64url')}`;
const accessKeyId = 'ASIAFAKEFAKEFAKE1234';

describe('redact', () => {
  it.each([
    {
      what: 'JSON credentials (agent and STS JSON answers)',
      input: `{"AccessKeyId":"${accessKeyId}","SecretAccessKey":"${secretKey}","Token":"${sessionToken}","Expiration":"2026-11-28T10:00:00Z"}`,
      expected: `{"AccessKeyId":"${accessKeyId}","SecretAccessKey":"${REDACTED}","Token":"${REDACTED}","Expiration":"2026-11-28T10:00:00Z"}`,
    },
    {
      what: 'a JS object in an assertion message',
      input: `expected { accessKeyId: '${accessKeyId}', secretAccessKey: '${secretKey}', sessionToken: '${sessionToken}' }`,
      expected: `expected { accessKeyId: '${accessKeyId}', secretAccessKey: '${REDACTED}', sessionToken: '${REDACTED}' }`,
    },
    {
      what: 'a credentials file',
      input: `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretKey}\naws_session_token = ${sessionToken}\n`,
      expected: `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${REDACTED}\naws_session_token = ${REDACTED}\n`,
    },
    {
      what: 'environment variables',
      input: `AWS_SECRET_ACCESS_KEY=${secretKey} AWS_SESSION_TOKEN=${sessionToken}`,
      expected: `AWS_SECRET_ACCESS_KEY=${REDACTED} AWS_SESSION_TOKEN=${REDACTED}`,
    },
    {
      what: 'STS XML',
      input: `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secretKey}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken></Credentials>`,
      expected: `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${REDACTED}</SecretAccessKey><SessionToken>${REDACTED}</SessionToken></Credentials>`,
    },
    {
      what: 'a presigned URL',
      input: `GET /bucket/key?X-Amz-Credential=${accessKeyId}%2F20261128&X-Amz-Security-Token=${urlToken}&X-Amz-Signature=abc`,
      expected: `GET /bucket/key?X-Amz-Credential=${accessKeyId}%2F20261128&X-Amz-Security-Token=${REDACTED}&X-Amz-Signature=abc`,
    },
    {
      what: 'a header dump with X-Amz-Security-Token',
      input: `x-amz-security-token: ${sessionToken}\nhost: 127.0.0.1`,
      expected: `x-amz-security-token: ${REDACTED}\nhost: 127.0.0.1`,
    },
    {
      what: 'a bare service-account JWT',
      input: `token file held ${jwt} at read time`,
      expected: `token file held ${REDACTED} at read time`,
    },
    {
      what: 'an Authorization header',
      input: `Authorization: AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261128/us-east-1/sts/aws4_request, Signature=0f1e\nHost: sts`,
      expected: `Authorization: ${REDACTED}\nHost: sts`,
    },
    {
      what: 'an authorization value in JSON',
      input: `{"authorization":"${jwt}","path":"/v1/credentials"}`,
      expected: `{"authorization":"${REDACTED}","path":"/v1/credentials"}`,
    },
    {
      what: 'an unlabelled base64 run of 100 characters or more',
      input: `value ${'A'.repeat(60)}${'b/+9'.repeat(10)}== end`,
      expected: `value ${REDACTED} end`,
    },
  ])('masks $what', ({ input, expected }) => {
    const output = redact(input);
    expect(output).toBe(expected);
    for (const secret of [secretKey, sessionToken, urlToken, jwt]) expect(output).not.toContain(secret);
  });

  it.each([
    {
      what: 'access key ids, ARNs and regions',
      input: `${accessKeyId} arn:aws:iam::111122223333:role/pic-role us-east-1`,
    },
    {
      what: 'prose that names a field',
      input: 'the SessionToken is missing and the Authorization was refused',
    },
    { what: 'short values after a token label', input: 'Token: none; sessionToken=""' },
    { what: 'a base64 run shorter than 100 characters', input: `x ${'Q'.repeat(99)} y` },
    {
      what: 'file paths',
      input: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    },
  ])('leaves $what alone', ({ input }) => {
    expect(redact(input)).toBe(input);
  });

  it('masks extra exact secrets wherever they appear, longest first', () => {
    const secret = 'fixture-secret-value-123';
    const diff = `- Expected\n+ Received\n-   "a": "b",\n+   "a": "${secret}",`;
    expect(redact(diff, [secret, 'fixture-secret'])).toBe(
      `- Expected\n+ Received\n-   "a": "b",\n+   "a": "${REDACTED}",`,
    );
  });

  it('masks registered secrets in every later call, and ignores values too short to be secrets', () => {
    const secret = `registered-${randomBytes(6).toString('hex')}`;
    registerSecret(secret);
    registerSecret('abc');
    registerSecret(undefined);
    expect(redact(`before ${secret} after abc`)).toBe(`before ${REDACTED} after abc`);
  });
});
