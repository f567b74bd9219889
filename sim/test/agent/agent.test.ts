// The agent's credential endpoint, after the real agent's server_test.go, eks_credential_handler_test.go,
// request_test.go and refreshing_cache_test.go: a real HTTP server on an ephemeral port with a fake
// EKS Auth behind it.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goRfc3339Nano } from '../../agent/go-format.ts';
import { type PodIdentityAgent, startPodIdentityAgent } from '../../agent/server.ts';
import { normaliseHost } from '../../agent/validation.ts';

interface FakeEksAuth {
  url: string;
  calls: Array<{ path: string; token: string; authorization: string }>;
  /** Answers each call; default: 200 with credentials valid for 6 h. */
  respond: (token: string) => { status: number; body: unknown; errorType?: string };
  close(): Promise<void>;
}

const sixHours = 6 * 3600;

function successBody(token: string, expiresInSeconds = sixHours) {
  return {
    subject: { namespace: 'ns', serviceAccount: 'sa' },
    audience: 'pods.eks.amazonaws.com',
    podIdentityAssociation: {
      associationArn: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/c1/a-00000000000000000',
      associationId: 'a-00000000000000000',
    },
    assumedRoleUser: {
      arn: 'arn:aws:sts::111122223333:assumed-role/app-role/eks-c1-web-0-x',
      assumeRoleId: 'AROAEXAMPLE:eks-c1-web-0-x',
    },
    credentials: {
      accessKeyId: `ASIA${token.length}${randomUUID().slice(0, 8).toUpperCase()}`,
      secretAccessKey: 'secret',
      sessionToken: 'session-token',
      expiration: Math.floor(Date.now() / 1000) + expiresInSeconds,
    },
  };
}

async function startFakeEksAuth(): Promise<FakeEksAuth> {
  const fake: FakeEksAuth = {
    url: '',
    calls: [],
    respond: (token) => ({ status: 200, body: successBody(token) }),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = JSON.parse(Buffer.concat(chunks).toString('utf8')).token as string;
      fake.calls.push({ path: req.url ?? '', token, authorization: req.headers.authorization ?? '' });
      const { status, body, errorType } = fake.respond(token);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-requestid': 'req-1234',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

/** A JWT the agent can parse (it does not check signatures). */
function jwt(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', kid: 'k' })}.${encode({ sub: 'system:serviceaccount:ns:sa', exp: now + 3600, nbf: now - 1, jti: randomUUID(), ...claims })}.c2ln`;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function request(
  agent: PodIdentityAgent | undefined,
  options: { path?: string; method?: string; host?: string; token?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: agent!.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/v1/credentials',
        headers: {
          host: options.host ?? '169.254.170.23',
          ...(options.token !== undefined ? { authorization: options.token } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let eksAuth: FakeEksAuth;
let agent: PodIdentityAgent | undefined;

async function startAgent(extra: Partial<Parameters<typeof startPodIdentityAgent>[0]> = {}) {
  agent = await startPodIdentityAgent({
    clusterName: 'c1',
    eksAuth: {
      endpoint: eksAuth.url,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIANODE', secretAccessKey: 'node-secret', sessionToken: 'node-session' },
    },
    ...extra,
  });
}

beforeEach(async () => {
  eksAuth = await startFakeEksAuth();
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await eksAuth.close();
});

describe('credential endpoint (server_test.go)', () => {
  it('answers 200 with the five-field JSON body and Content-Type application/json', async () => {
    await startAgent();
    const token = jwt();
    const answer = await request(agent, { token });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    const body = JSON.parse(answer.body);
    expect(Object.keys(body)).toEqual(['AccessKeyId', 'SecretAccessKey', 'Token', 'AccountId', 'Expiration']);
    expect(body.AccountId).toBe('111122223333');
    expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(eksAuth.calls[0]).toMatchObject({ path: '/clusters/c1/assume-role-for-pod-identity', token });
  });

  it('signs the EKS Auth call with SigV4 as the node', async () => {
    await startAgent();
    await request(agent, { token: jwt() });
    expect(eksAuth.calls[0]!.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIANODE\/\d{8}\/us-west-2\/eks-auth\/aws4_request, SignedHeaders=[^,]*x-amz-security-token[^,]*, Signature=[0-9a-f]{64}$/,
    );
  });

  it('answers 400 when the token is missing, including the JS SDK request without Authorization', async () => {
    await startAgent();
    const answer = await request(agent, {});
    expect(answer).toEqual({
      status: 400,
      contentType: 'text/plain; charset=utf-8',
      body: 'Service account token cannot be empty\n',
    });
    expect(eksAuth.calls).toHaveLength(0);
  });

  it('answers 403 for a Host that is not the agent address, before looking at the token', async () => {
    await startAgent();
    const answer = await request(agent, { host: '10.0.0.12', token: '' });
    expect(answer.status).toBe(403);
    expect(answer.body).toBe(
      'Access Denied. Called agent through invalid address, please use either [169.254.170.23 fd00:ec2::23] address not 10.0.0.12\n',
    );
  });

  it('accepts both link-local addresses with or without port, and the loopback address pods are mapped to', async () => {
    await startAgent();
    for (const host of [
      '169.254.170.23',
      '169.254.170.23:80',
      '[fd00:ec2::23]',
      '[fd00:ec2::23]:80',
      `127.0.0.1:${agent!.port}`,
    ]) {
      expect((await request(agent, { host, token: jwt() })).status).toBe(200);
    }
    expect((await request(agent, { host: 'localhost', token: jwt() })).status).toBe(403);
  });

  it('answers 400 for unparsable, Bearer-prefixed, expired and not-yet-valid tokens', async () => {
    await startAgent();
    const now = Math.floor(Date.now() / 1000);
    expect(await request(agent, { token: 'abc' })).toMatchObject({
      status: 400,
      body: 'Service account token cannot be parsed: token is malformed: token contains an invalid number of segments\n',
    });
    expect((await request(agent, { token: `Bearer ${jwt()}` })).body).toMatch(
      /^Service account token cannot be parsed: /,
    );
    expect(await request(agent, { token: jwt({ exp: now - 10 }) })).toMatchObject({
      status: 400,
      body: 'Service account token failed basic claim validations: token has invalid claims: token is expired\n',
    });
    expect((await request(agent, { token: jwt({ nbf: now + 600 }) })).body).toBe(
      'Service account token failed basic claim validations: token has invalid claims: token is not valid yet\n',
    );
    expect(eksAuth.calls).toHaveLength(0);
  });

  it('serves any method on /v1/credentials, 404 elsewhere (GET / included), 200 on /healthz', async () => {
    await startAgent();
    expect((await request(agent, { method: 'POST', token: jwt() })).status).toBe(200);
    expect(await request(agent, { path: '/' })).toMatchObject({ status: 404, body: '404 page not found\n' });
    expect((await request(agent, { path: '/v1/credentials/extra' })).status).toBe(404);
    expect((await request(agent, { path: '/healthz' })).status).toBe(200);
  });
});

describe('EKS Auth errors pass through (errors_test.go)', () => {
  const cases = [
    { status: 400, code: 'InvalidTokenException', message: 'The service account token is invalid' },
    { status: 400, code: 'ExpiredTokenException', message: 'The token included in the request is expired' },
    { status: 400, code: 'AccessDeniedException', message: 'Unauthorized Exception!' },
    { status: 404, code: 'ResourceNotFoundException', message: 'No Pod Identity Association found' },
    { status: 429, code: 'ThrottlingException', message: 'Rate exceeded' },
    { status: 500, code: 'InternalServerException', message: 'internal' },
  ];
  for (const { status, code, message } of cases) {
    it(`${code} -> ${status}`, async () => {
      eksAuth.respond = () => ({ status, body: { message }, errorType: code });
      await startAgent();
      const answer = await request(agent, { token: jwt() });
      expect(answer.status).toBe(status);
      expect(answer.contentType).toBe('text/plain; charset=utf-8');
      expect(answer.body).toBe(
        `[req-1234]: (${code}): ${message}, fault: ${status >= 500 ? 'server' : 'client'}\n`,
      );
    });
  }

  it('answers 500 with an empty request id when EKS Auth is unreachable', async () => {
    await eksAuth.close();
    await startAgent();
    expect(await request(agent, { token: jwt() })).toMatchObject({ status: 500, body: '[]\n' });
  });

  it('injects 500s at the configured rate', async () => {
    await startAgent({ errorRate: 1 });
    const answer = await request(agent, { token: jwt() });
    expect(answer.status).toBe(500);
    expect(eksAuth.calls).toHaveLength(0);
    // Validation still comes first.
    expect((await request(agent, {})).status).toBe(400);
  });
});

describe('credential cache (refreshing_cache_test.go)', () => {
  it('calls EKS Auth once for identical tokens and twice for different tokens', async () => {
    await startAgent();
    const token = jwt();
    const first = JSON.parse((await request(agent, { token })).body);
    const second = JSON.parse((await request(agent, { token })).body);
    expect(second.AccessKeyId).toBe(first.AccessKeyId);
    expect(eksAuth.calls).toHaveLength(1);
    await request(agent, { token: jwt() });
    expect(eksAuth.calls).toHaveLength(2);
    expect(agent!.upstreamCalls).toBe(2);
  });

  it('merges concurrent requests for one token into one EKS Auth call', async () => {
    await startAgent();
    const token = jwt();
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(agent, { token })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(eksAuth.calls).toHaveLength(1);
  });

  it('refreshes after the retention period and keeps the old credentials on a recoverable error', async () => {
    const clock = { now: Date.now() };
    await startAgent({ now: () => clock.now, cache: { maxRetentionMs: 60_000 } });
    const token = jwt({ exp: Math.floor(clock.now / 1000) + 86400 });
    const first = JSON.parse((await request(agent, { token })).body);
    clock.now += 61_000;
    eksAuth.respond = () => ({
      status: 500,
      body: { message: 'blip' },
      errorType: 'InternalServerException',
    });
    const kept = JSON.parse((await request(agent, { token })).body);
    expect(kept.AccessKeyId).toBe(first.AccessKeyId);
    // The refresh was tried 3 times (the SDK's standard retryer) before the old credentials were kept.
    expect(eksAuth.calls).toHaveLength(1 + 3);
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t) });
    const refreshed = JSON.parse((await request(agent, { token })).body);
    expect(refreshed.AccessKeyId).not.toBe(first.AccessKeyId);
    expect(eksAuth.calls).toHaveLength(5);
  });

  it('evicts on a non-recoverable error (AccessDenied) at refresh time', async () => {
    const clock = { now: Date.now() };
    await startAgent({ now: () => clock.now, cache: { maxRetentionMs: 60_000 } });
    const token = jwt({ exp: Math.floor(clock.now / 1000) + 86400 });
    expect((await request(agent, { token })).status).toBe(200);
    clock.now += 61_000;
    eksAuth.respond = () => ({
      status: 400,
      body: { message: 'denied' },
      errorType: 'AccessDeniedException',
    });
    expect((await request(agent, { token })).status).toBe(400);
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t) });
    expect((await request(agent, { token })).status).toBe(200);
    expect(eksAuth.calls).toHaveLength(3);
  });

  it('refuses credentials with 15 seconds or less left', async () => {
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t, 10) });
    await startAgent();
    const answer = await request(agent, { token: jwt() });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatch(
      /^fetched credentials are expired or will expire within the next \d+\.\d\d seconds\n$/,
    );
  });

  it('with a scaled window, serves short credentials until a quarter of their life is left', async () => {
    const clock = { now: Date.now() };
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t, 8) });
    await startAgent({ now: () => clock.now, cache: { scaleRefreshWindow: true } });
    const token = jwt();
    expect((await request(agent, { token })).status).toBe(200);
    clock.now += 4_000;
    expect((await request(agent, { token })).status).toBe(200);
    expect(eksAuth.calls).toHaveLength(1);
    clock.now += 3_000;
    expect((await request(agent, { token })).status).toBe(200);
    expect(eksAuth.calls, 'refreshed within the last quarter of the lifetime').toHaveLength(2);
  });

  it('agentCacheBypassed: calls EKS Auth for every request', async () => {
    await startAgent({ sabotage: { agentCacheBypassed: true } });
    const token = jwt();
    await request(agent, { token });
    await request(agent, { token });
    expect(eksAuth.calls).toHaveLength(2);
  });

  it('credentialsNotRefreshed: serves the first credentials after they expired', async () => {
    const clock = { now: Date.now() };
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t, 120) });
    await startAgent({ now: () => clock.now, sabotage: { credentialsNotRefreshed: true } });
    const token = jwt({ exp: Math.floor(clock.now / 1000) + 86400 });
    const first = await request(agent, { token });
    clock.now += 300_000;
    const later = await request(agent, { token });
    expect(later.body).toBe(first.body);
    expect(eksAuth.calls).toHaveLength(1);
  });

  it('refreshes at the credentials expiry when it comes before the retention period', async () => {
    const clock = { now: Date.now() };
    eksAuth.respond = (t) => ({ status: 200, body: successBody(t, 120) });
    await startAgent({ now: () => clock.now });
    const token = jwt({ exp: Math.floor(clock.now / 1000) + 86400 });
    await request(agent, { token });
    clock.now += 60_000;
    await request(agent, { token });
    expect(eksAuth.calls).toHaveLength(1);
    clock.now += 61_000;
    await request(agent, { token });
    expect(eksAuth.calls).toHaveLength(2);
  });
});

describe('formats', () => {
  it('prints Expiration as Go RFC3339Nano with trailing zeros dropped', () => {
    expect(goRfc3339Nano(new Date('2024-02-09T10:47:44.000Z'))).toBe('2024-02-09T10:47:44Z');
    expect(goRfc3339Nano(new Date('2023-07-13T20:49:35.500Z'))).toBe('2023-07-13T20:49:35.5Z');
    expect(goRfc3339Nano(new Date('2023-07-13T20:49:35.120Z'))).toBe('2023-07-13T20:49:35.12Z');
  });

  it('strips ports and IPv6 brackets from the Host like the agent (request_test.go)', () => {
    expect(normaliseHost('169.254.170.23:80')).toBe('169.254.170.23');
    expect(normaliseHost('[fd00:ec2::23]:80')).toBe('fd00:ec2::23');
    expect(normaliseHost('[fd00:ec2::23]')).toBe('fd00:ec2::23');
    expect(normaliseHost('fd00:ec2::23')).toBe('fd00:ec2::23');
    expect(normaliseHost('169.254.170.23')).toBe('169.254.170.23');
  });
});
