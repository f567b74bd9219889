// The simulator's EKS endpoint when IAM, STS and S3 come from an external AWS endpoint (LocalStack):
// it serves only `eks` and `eks-auth`, and accepts one key pair, the external endpoint's credentials,
// as the account's admin (as LocalStack accepts its configured keys). Signatures are verified with the
// AWS simulator's SigV4 verifier; there is no IAM here to evaluate, so every verified call is allowed.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallerIdentity, ServiceContext, ServiceHandler, SignedRequest } from '../aws/service.ts';
import { parseSigV4, type QueryPairs, verifyRequestSignature } from '../aws/sigv4.ts';
import { errorResponse, ServiceError } from './errors.ts';

export interface ExternalModeEndpointOptions {
  /** The only key pair accepted. Secret: never log. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  accountId: string;
  region: string;
  /** Handlers by signing name (eks, eks-auth). */
  services: Record<string, ServiceHandler>;
  host?: string;
  port?: number;
}

export interface ExternalModeEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function startExternalModeEndpoint(
  options: ExternalModeEndpointOptions,
): Promise<ExternalModeEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const caller: CallerIdentity = {
    accessKeyId: options.credentials.accessKeyId,
    accountId: options.accountId,
    arn: `arn:aws:iam::${options.accountId}:root`,
    userId: options.accountId,
    kind: 'root',
    sessionTags: {},
    transitiveTagKeys: [],
  };
  const context: ServiceContext = {
    accountId: options.accountId,
    region: options.region,
    authorize: () => ({
      allowed: true,
      decision: 'Allow',
      message: 'the external endpoint credentials are admin',
    }),
    iam: { getRoleByArn: () => undefined, getRoleByName: () => undefined },
  };

  const handle = async (
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: string | Buffer }> => {
    const requestId = randomUUID();
    const fail = (code: string, status: number, message: string) => {
      const response = errorResponse(new ServiceError(code, status, message), requestId);
      return { status: response.status, headers: response.headers ?? {}, body: response.body ?? '' };
    };
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    const searchParams = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const pairs: QueryPairs = [...searchParams.entries()];
    const parsed = parseSigV4(req.headers, pairs);
    if (parsed.kind === 'none')
      return fail('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    if (parsed.kind === 'error') return fail('IncompleteSignatureException', 400, parsed.detail);
    const { auth } = parsed;
    if (auth.accessKeyId !== options.credentials.accessKeyId) {
      return fail(
        'UnrecognizedClientException',
        403,
        'The security token included in the request is invalid.',
      );
    }
    const valid = await verifyRequestSignature(
      { method: req.method ?? 'GET', rawPath, query: pairs, headers: req.headers, body },
      auth,
      options.credentials.secretAccessKey,
    );
    if (!valid) {
      return fail(
        'InvalidSignatureException',
        403,
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      );
    }
    const handler = options.services[auth.service];
    if (!handler) {
      return fail(
        'UnknownServiceException',
        400,
        `This endpoint serves only ${Object.keys(options.services).join(' and ')}; send ${auth.service} requests to the external AWS endpoint`,
      );
    }
    const signed: SignedRequest = {
      method: req.method ?? 'GET',
      path: rawPath,
      query: searchParams,
      headers: req.headers,
      body,
      service: auth.service,
      region: auth.region,
      caller,
      requestId,
    };
    const response = await handler(signed, context);
    return { status: response.status, headers: response.headers ?? {}, body: response.body ?? '' };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks))
        .then((response) => {
          res.writeHead(response.status, response.headers);
          res.end(response.body);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServerException' });
          res.end(JSON.stringify({ message: `The simulator's EKS endpoint failed: ${String(error)}` }));
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
