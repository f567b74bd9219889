// Shared helpers for the AWS simulator's tests: SDK client configuration, hand-signed raw requests (to
// tamper with), and polling with a deadline.

import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsSim } from '../../aws/index.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Client configuration for @aws-sdk/client-* against the simulator. maxAttempts 1: errors surface at once. */
export function clientConfig(sim: AwsSim, credentials: Credentials = sim.adminCredentials) {
  return { endpoint: sim.url, region: sim.region, credentials, maxAttempts: 1 };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTP request with exactly these headers (nothing added but Content-Length). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (body && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined)
      headers['content-length'] = String(body.length);
    const req = request(url, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SignedRequestInput {
  service: string;
  method?: string;
  /** Path as sent on the request line (already percent-encoded). */
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  credentials: Credentials;
  region?: string;
  signingDate?: Date;
}

/** Sign a request with @smithy/signature-v4 as an SDK would; returns the headers to send. */
export async function signRequest(
  sim: AwsSim,
  input: SignedRequestInput,
): Promise<{ url: string; headers: Record<string, string> }> {
  const host = new URL(sim.url).host;
  const signer = new SignatureV4({
    service: input.service,
    region: input.region ?? sim.region,
    credentials: input.credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: input.service !== 's3',
    // Only S3 clients send x-amz-content-sha256; the others sign the payload hash without the header.
    applyChecksum: input.service === 's3',
  });
  const path = input.path ?? '/';
  const signed = await signer.sign(
    new HttpRequest({
      method: input.method ?? 'GET',
      protocol: 'http:',
      hostname: host.split(':')[0],
      path,
      query: input.query ?? {},
      headers: { host, ...(input.headers ?? {}) },
      body: input.body,
    }),
    { signingDate: input.signingDate },
  );
  const query = new URLSearchParams(input.query ?? {}).toString().replace(/\+/g, '%20');
  return {
    url: `${sim.url}${path}${query ? `?${query}` : ''}`,
    headers: signed.headers as Record<string, string>,
  };
}

/** Sign and send. `tamper` may change the signed headers before sending. */
export async function signedRequest(
  sim: AwsSim,
  input: SignedRequestInput,
  tamper?: (headers: Record<string, string>) => void,
): Promise<RawResponse> {
  const { url, headers } = await signRequest(sim, input);
  // The default Host is what node sends anyway; an explicit one (virtual-host style) is sent as signed.
  const { host, ...sendHeaders } = headers;
  if (input.headers?.host) sendHeaders.host = host;
  tamper?.(sendHeaders);
  return rawRequest(url, { method: input.method ?? 'GET', headers: sendHeaders, body: input.body });
}

/** A signed Query-protocol (IAM/STS) call with form parameters. */
export function queryCall(
  sim: AwsSim,
  service: 'iam' | 'sts',
  params: Record<string, string>,
  credentials: Credentials = sim.adminCredentials,
  tamper?: (headers: Record<string, string>) => void,
): Promise<RawResponse> {
  const version = service === 'iam' ? '2010-05-08' : '2011-06-15';
  const body = new URLSearchParams({ Version: version, ...params }).toString();
  return signedRequest(
    sim,
    {
      service,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
      credentials,
      region: service === 'iam' ? 'us-east-1' : sim.region,
    },
    tamper,
  );
}

/** The <Code> of an XML error body. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

/** Poll `check` until it returns a value other than undefined, or fail at the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether a command runs here (`aws --version`, `python3 -c 'import boto3'`). */
export function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}

/** Environment for the AWS CLI and boto3 against the simulator, isolated from any local AWS config. */
export function cliEnv(sim: AwsSim, credentials: Credentials = sim.adminCredentials): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYENV_ROOT: process.env.PYENV_ROOT,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: sim.region,
    AWS_REGION: sim.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: sim.url,
  };
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  return env;
}

export const trustAccount = (accountId: string, actions: string[] = ['sts:AssumeRole', 'sts:TagSession']) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: actions }],
  });

export const trustService = (service: string, actions: string[] = ['sts:AssumeRole', 'sts:TagSession']) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: actions }],
  });
