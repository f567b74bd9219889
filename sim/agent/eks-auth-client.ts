// The agent's EKS Auth client: POST /clusters/NAME/assume-role-for-pod-identity, signed with SigV4 as
// the node (the package @aws-sdk/client-eks-auth is not available, so the request is built here).

import http from 'node:http';
import https from 'node:https';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import pRetry from 'p-retry';

export interface PodCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The account of the assumed role (the target role's, when chained). */
  accountId: string;
  expiration: Date;
  roleArn: string;
  associationId: string;
}

/** An EKS Auth error response: the agent passes its status through. */
export class EksAuthResponseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string;
  readonly fault: 'client' | 'server';
  constructor(status: number, code: string, message: string, requestId: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.fault = status >= 500 ? 'server' : 'client';
  }
}

/** No HTTP response at all (refused, timed out). */
export class EksAuthUnreachableError extends Error {}

export interface EksAuthClientOptions {
  /** Base URL of the EKS Auth endpoint, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  region: string;
  /** The node's credentials. */
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  timeoutMs?: number;
}

export type AssumeRoleForPodIdentity = (clusterName: string, token: string) => Promise<PodCredentials>;

export function createEksAuthClient(options: EksAuthClientOptions): AssumeRoleForPodIdentity {
  const signer = new SignatureV4({
    service: 'eks-auth',
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const base = new URL(options.endpoint);
  const timeoutMs = options.timeoutMs ?? 5000;

  const once = async (clusterName: string, token: string): Promise<PodCredentials> => {
    const body = JSON.stringify({ token });
    const basePath = base.pathname.replace(/\/$/, '');
    const request = new HttpRequest({
      method: 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port ? Number(base.port) : undefined,
      path: `${basePath}/clusters/${encodeURIComponent(clusterName)}/assume-role-for-pod-identity`,
      headers: {
        host: base.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const signed = await signer.sign(request);
    const response = await send(base, signed as HttpRequest, body, timeoutMs);
    const requestId = String(response.headers['x-amzn-requestid'] ?? '');
    let parsed: Record<string, unknown> = {};
    try {
      parsed = response.body.length > 0 ? JSON.parse(response.body) : {};
    } catch {
      // A non-JSON error body still has a status to pass through.
    }
    if (response.status !== 200) {
      const headerCode = String(response.headers['x-amzn-errortype'] ?? '').split(':')[0];
      const code =
        headerCode ||
        String(parsed.__type ?? parsed.code ?? 'UnknownError')
          .split('#')
          .pop()!;
      const message = String(parsed.message ?? parsed.Message ?? '');
      throw new EksAuthResponseError(response.status, code, message, requestId);
    }
    const credentials = parsed.credentials as Record<string, unknown> | undefined;
    const assumedRoleUser = parsed.assumedRoleUser as { arn?: string } | undefined;
    const association = parsed.podIdentityAssociation as { associationId?: string } | undefined;
    if (!credentials || !assumedRoleUser?.arn) {
      throw new Error('EKS Auth returned no credentials or no assumed role user');
    }
    return {
      accessKeyId: String(credentials.accessKeyId),
      secretAccessKey: String(credentials.secretAccessKey),
      sessionToken: String(credentials.sessionToken),
      accountId: assumedRoleUser.arn.split(':')[4] ?? '',
      expiration: new Date(Number(credentials.expiration) * 1000),
      roleArn: assumedRoleUser.arn,
      associationId: association?.associationId ?? '',
    };
  };
  // As the agent's AWS SDK for Go does (the standard retryer): up to 3 attempts for throttling, 5xx and
  // connection failures, with jittered exponential back-off.
  return (clusterName, token) =>
    pRetry(() => once(clusterName, token), {
      retries: MAX_ATTEMPTS - 1,
      minTimeout: 50,
      maxTimeout: 1000,
      randomize: true,
      shouldRetry: ({ error }) => isRetryable(error),
    });
}

const MAX_ATTEMPTS = 3;
const THROTTLING_CODES = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling']);

function isRetryable(error: unknown): boolean {
  if (error instanceof EksAuthResponseError) {
    return error.status >= 500 || error.status === 429 || THROTTLING_CODES.has(error.code);
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || code === 'ETIMEDOUT';
}

function send(
  base: URL,
  request: HttpRequest,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const transport = base.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      {
        method: request.method,
        hostname: base.hostname,
        port: base.port || undefined,
        path: request.path,
        headers: request.headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (error) =>
          reject(new EksAuthUnreachableError(`Reading the EKS Auth response failed: ${error.message}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (error) =>
      reject(new EksAuthUnreachableError(`Calling EKS Auth at ${base.origin} failed: ${error.message}`)),
    );
    req.end(body);
  });
}
