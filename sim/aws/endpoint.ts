// One HTTP endpoint for every AWS service of the simulator, like LocalStack's edge port. Each request's
// SigV4 credential scope names the service; the caller is authenticated (and, where the signature does
// not cover the body's hash, the signature verified) before the body is read, the body is read up to the
// service's limit, the payload is decoded and checked, faults are injected, and the registered handler
// answers.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { isChecksumAlgorithm, sha256Hex } from './checksums.ts';
import { parseAwsChunked, verifyTrailerChecksum } from './chunked.ts';
import {
  AwsError,
  type AwsProtocol,
  authError,
  internalError,
  renderError,
  throttlingError,
} from './errors.ts';
import type { FaultInjector } from './faults.ts';
import {
  applyConnectionLimits,
  declaredLength,
  type HttpLimits,
  hasBody,
  lingerThenClose,
  RelayedConnections,
  readBodyUpTo,
  serverOptions,
} from './http-limits.ts';
import { newHostId, newQueryRequestId, newS3RequestId } from './ids.ts';
import type { PrincipalStore } from './principals.ts';
import type { ServiceContext, ServiceHandler, ServiceResponse, SignedRequest } from './service.ts';
import {
  headerValue,
  parseSigV4,
  type QueryPairs,
  type SigV4Auth,
  signatureNeedsBody,
  verifyChunkSignatures,
  verifyRequestSignature,
} from './sigv4.ts';

/** Server-side timing of one request, for benchmarks. */
export interface RequestTiming {
  service: string;
  method: string;
  status: number;
  /** From the request's headers to the response handed to the socket, minus receiving the body. */
  totalMs: number;
  /** Signature and payload verification. */
  verifyMs: number;
  /** The service handler (authorization included). */
  handlerMs: number;
  /** Policy evaluation inside the handler (cumulative counter delta: exact for sequential requests). */
  authorizeMs: number;
}

export interface EndpointOptions {
  host: string;
  port: number;
  /** Finds the caller of an access key (in whichever simulated account holds it). */
  principals: Pick<PrincipalStore, 'resolve' | 'callerOf'>;
  faults: FaultInjector;
  context: ServiceContext;
  now: () => Date;
  /** Largest S3 request body (bytes); above it EntityTooLarge. */
  maxRequestBytes: number;
  /** Largest body of every other service (IAM, STS, EKS...); above it 413. */
  maxApiRequestBytes: number;
  /** Connection cap and timeouts of the HTTP server. */
  http: HttpLimits;
  /** Cumulative milliseconds spent in policy evaluation. */
  authorizeElapsedMs: () => number;
  onRequestTiming?: (timing: RequestTiming) => void;
  /** Called with unexpected (non-AWS) errors; they are answered with a 500 InternalError. */
  onInternalError?: (error: unknown, where: string) => void;
}

const CLOCK_SKEW_MS = 15 * 60 * 1000;
const STS_PRESIGN_LIFETIME_SECONDS = 15 * 60;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** An unauthenticated body up to this size is read (to tell IAM from STS, and keep the connection). */
const PEEK_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

interface RegisteredService {
  handler: ServiceHandler;
  protocol: AwsProtocol;
}

export const DEFAULT_PROTOCOLS: Record<string, AwsProtocol> = { iam: 'query', sts: 'query', s3: 'rest-xml' };

/** The client closed the connection before its body was complete: nobody is left to answer. */
class ClientGoneError extends Error {}

/** Signature-level failures keep their own type so they are never mistaken for handler errors. */
class AuthFailureError extends Error {
  readonly error: AwsError;
  constructor(error: AwsError) {
    super(error.message);
    this.error = error;
  }
}

function parseRawUrl(raw: string): { rawPath: string; rawQuery: string } {
  let target = raw;
  if (/^https?:\/\//i.test(target)) {
    const slash = target.indexOf('/', target.indexOf('//') + 2);
    target = slash < 0 ? '/' : target.slice(slash);
  }
  const q = target.indexOf('?');
  return q < 0
    ? { rawPath: target || '/', rawQuery: '' }
    : { rawPath: target.slice(0, q) || '/', rawQuery: target.slice(q + 1) };
}

function parseQueryPairs(rawQuery: string): QueryPairs | undefined {
  const pairs: QueryPairs = [];
  if (!rawQuery) return pairs;
  try {
    for (const part of rawQuery.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      pairs.push([key, value]);
    }
  } catch {
    return undefined;
  }
  return pairs;
}

function tooLargeError(protocol: AwsProtocol, limit: number, proposed: number | undefined): AwsError {
  if (protocol === 'rest-xml')
    return new AwsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      extra: {
        ...(proposed !== undefined ? { ProposedSize: String(proposed) } : {}),
        MaxSizeAllowed: String(limit),
      },
    });
  return new AwsError(
    'RequestEntityTooLarge',
    `Request body is larger than this endpoint accepts (${limit} bytes).`,
    413,
  );
}

/**
 * S3 needs x-amz-content-sha256 on header-signed requests, and signed: it is what lets the signature
 * be checked before the body is read.
 */
function requireSignedContentHash(req: IncomingMessage, auth: SigV4Auth): void {
  if (headerValue(req.headers, 'x-amz-content-sha256') === undefined)
    throw new AwsError(
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
      400,
    );
  if (!auth.signedHeaders.includes('x-amz-content-sha256'))
    throw new AwsError(
      'AccessDenied',
      'There were headers present in the request which were not signed',
      403,
      {
        extra: { HeadersNotSigned: 'x-amz-content-sha256' },
      },
    );
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** A request AWS serves without a signature (STS AssumeRoleWithWebIdentity): no caller, no region. */
export type UnsignedRequest = Omit<SignedRequest, 'caller' | 'region'>;
/** Answers the unsigned requests it serves; undefined leaves the request refused as unsigned. */
export type UnsignedHandler = (req: UnsignedRequest) => Promise<ServiceResponse | undefined>;

export class AwsEndpoint {
  private readonly options: EndpointOptions;
  private readonly services = new Map<string, RegisteredService>();
  private readonly unsignedHandlers = new Map<string, UnsignedHandler>();
  private readonly relayed: RelayedConnections;
  private server?: Server;

  constructor(options: EndpointOptions) {
    this.options = options;
    this.relayed = new RelayedConnections(options.http.maxConnections);
  }

  register(signingName: string, handler: ServiceHandler, protocol?: AwsProtocol): void {
    this.services.set(signingName, {
      handler,
      protocol: protocol ?? DEFAULT_PROTOCOLS[signingName] ?? 'rest-json',
    });
  }

  /** Requests of `service` that arrive unsigned go to `handler` first. */
  registerUnsigned(service: string, handler: UnsignedHandler): void {
    this.unsignedHandlers.set(service, handler);
  }

  async listen(): Promise<string> {
    const serve = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) =>
      this.handle(req, res, expectContinue).catch((error) => {
        this.options.onInternalError?.(error, 'writing a response');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    const server = createServer(serverOptions(this.options.http), (req, res) => serve(req, res, false));
    // Expect: 100-continue: the body is asked for only once the request is authenticated.
    server.on('checkContinue', (req, res) => serve(req, res, true));
    applyConnectionLimits(server, this.options.http);
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      const answering = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
      if (!socket.writable || answering) {
        socket.destroy();
        return;
      }
      const status =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? '431 Request Header Fields Too Large'
            : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return `http://${this.options.host}:${address.port}`;
  }

  /** Serves a connection accepted elsewhere (the node's address in a pod sandbox), within the same cap. */
  acceptConnection(socket: Socket): void {
    if (!this.server) socket.destroy();
    else if (this.relayed.admit(socket)) this.server.emit('connection', socket);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
    try {
      return await readBodyUpTo(req, limit);
    } catch {
      throw new ClientGoneError();
    }
  }

  /** The protocol to answer in when the request names no service (unsigned or malformed). */
  private guessService(req: IncomingMessage, rawPath: string, query: QueryPairs, body: Buffer): string {
    const contentType = String(req.headers['content-type'] ?? '');
    // A form body is the Query protocol's (also when it was too large to look into).
    const hasAction = query.some(([k]) => k === 'Action') || contentType.includes('x-www-form-urlencoded');
    if (hasAction) {
      const text = body.toString('utf8');
      return text.includes('Version=2010-05-08') ||
        query.some(([k, v]) => k === 'Version' && v === '2010-05-08')
        ? 'iam'
        : 'sts';
    }
    if (contentType.includes('json') || rawPath.startsWith('/clusters')) return 'rest-json';
    return 's3';
  }

  private protocolOf(service: string): AwsProtocol {
    return this.services.get(service)?.protocol ?? DEFAULT_PROTOCOLS[service] ?? 'rest-json';
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    response: ServiceResponse,
    protocol: AwsProtocol,
    requestId: string,
  ): void {
    const headers: Record<string, string> = { ...(response.headers ?? {}) };
    if (protocol === 'rest-xml') {
      headers['x-amz-request-id'] ??= requestId;
      headers['x-amz-id-2'] ??= newHostId();
    } else {
      headers['x-amzn-requestid'] ??= requestId;
    }
    const body =
      response.body === undefined
        ? undefined
        : Buffer.isBuffer(response.body)
          ? response.body
          : Buffer.from(response.body);
    const noBody = method === 'HEAD' || response.status === 204 || response.status === 304;
    if (!noBody) headers['content-length'] = String(body?.length ?? 0);
    else if (method !== 'HEAD') delete headers['content-length'];
    // Answered before the body arrived (refused, or too large): close rather than read the rest.
    if (!req.complete) {
      headers.connection = 'close';
      lingerThenClose(req);
    }
    res.writeHead(response.status, headers);
    res.end(noBody ? undefined : body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    const method = req.method ?? 'GET';
    const started = performance.now();
    let bodyMs = 0;
    const authorizeBefore = this.options.authorizeElapsedMs();
    const { rawPath, rawQuery } = parseRawUrl(req.url ?? '/');
    const query = parseQueryPairs(rawQuery);
    const parsedAuth = query ? parseSigV4(req.headers, query) : { kind: 'none' as const };
    let body: Buffer | undefined = hasBody(req) ? undefined : EMPTY;
    let service: string;
    if (parsedAuth.kind === 'sigv4') service = parsedAuth.auth.service;
    else if (parsedAuth.kind === 'error' && parsedAuth.service) service = parsedAuth.service;
    else {
      // Unsigned or malformed: the protocol is guessed; only a small body is read for it.
      if (body === undefined && !expectContinue && (declaredLength(req) ?? Infinity) <= PEEK_BYTES) {
        try {
          const peeked = await this.readBody(req, PEEK_BYTES);
          if (peeked !== 'too-large') body = peeked;
        } catch {
          res.destroy();
          return;
        }
      }
      service = this.guessService(req, rawPath, query ?? [], body ?? EMPTY);
      if (service === 'rest-json') service = '';
    }
    const protocol = this.protocolOf(service);
    const requestId = protocol === 'rest-xml' ? newS3RequestId() : newQueryRequestId();
    const limit = protocol === 'rest-xml' ? this.options.maxRequestBytes : this.options.maxApiRequestBytes;
    let verifyMs = 0;
    let handlerMs = 0;
    let status = 500;
    const reply = (response: ServiceResponse) => {
      status = response.status;
      this.send(req, res, method, response, protocol, requestId);
    };
    const fail = (error: AwsError) => reply(renderError(protocol, service, error, requestId, method));
    // The body, once the request is authenticated: asked for (100 Continue) and read up to the limit.
    const readBody = async (): Promise<Buffer> => {
      if (body) return body;
      if (expectContinue) res.writeContinue();
      const reading = performance.now();
      const read = await this.readBody(req, limit);
      bodyMs += performance.now() - reading;
      if (read === 'too-large') throw tooLargeError(protocol, limit, declaredLength(req));
      body = read;
      return read;
    };
    try {
      if (!query)
        throw new AwsError(
          protocol === 'rest-xml' ? 'InvalidURI' : 'MalformedQueryString',
          "Couldn't parse the specified URI.",
          400,
        );
      if (parsedAuth.kind === 'none') {
        // Only a body already peeked at (small) is looked into: an unsigned request is never read further.
        const peeked = body;
        const unsigned = this.unsignedHandlers.get(service);
        const response =
          peeked &&
          unsigned &&
          (await unsigned({
            method,
            path: rawPath,
            query: new URLSearchParams(query),
            headers: req.headers,
            body: peeked,
            service,
            requestId,
          }));
        if (!response) throw new AuthFailureError(authError(protocol, 'missing'));
        reply(response);
        return;
      }
      if (parsedAuth.kind === 'error')
        throw new AuthFailureError(authError(protocol, parsedAuth.failure, parsedAuth.detail));
      const auth = parsedAuth.auth;
      const registered = this.services.get(service);
      if (!registered)
        throw new AwsError(
          'UnrecognizedServiceException',
          `No service with signing name '${service}' is served by this endpoint (served: ${[...this.services.keys()].join(', ')}).`,
          400,
        );
      const verifyStarted = performance.now();
      const { caller, decodedBody, extraHeaders } = await this.authenticate(
        method,
        rawPath,
        query,
        req,
        auth,
        protocol,
        limit,
        readBody,
      );
      // Receiving the body (bodyMs) is not verification.
      verifyMs = performance.now() - verifyStarted - bodyMs;

      const fault = this.options.faults.next(service);
      if (fault === 'throttle') throw throttlingError(protocol);
      if (fault === 'server-error') throw internalError(protocol);
      if (fault === 'drop') {
        // The connection ends with no answer, as when a load balancer or NAT drops it.
        req.socket.destroy();
        return;
      }

      const signed: SignedRequest = {
        method,
        path: rawPath,
        query: new URLSearchParams(query),
        headers: { ...req.headers, ...extraHeaders },
        body: decodedBody,
        service,
        region: auth.region,
        caller,
        requestId,
      };
      const latencyMs = this.options.faults.latencyMs(service);
      if (latencyMs > 0) await delay(latencyMs, undefined, { ref: false });
      const handlerStarted = performance.now();
      try {
        reply(await registered.handler(signed, this.options.context));
      } finally {
        handlerMs = performance.now() - handlerStarted;
      }
    } catch (error) {
      if (error instanceof ClientGoneError) {
        res.destroy();
        return;
      }
      if (error instanceof AuthFailureError) fail(error.error);
      else if (error instanceof AwsError) fail(error);
      else {
        this.options.onInternalError?.(error, `${service || 'unknown service'} ${method} ${rawPath}`);
        fail(internalError(protocol));
      }
    }
    this.options.onRequestTiming?.({
      service,
      method,
      status,
      totalMs: performance.now() - started - bodyMs,
      verifyMs,
      handlerMs,
      authorizeMs: this.options.authorizeElapsedMs() - authorizeBefore,
    });
  }

  /**
   * Resolve the key, check session token and clock, and verify the signature before reading the body
   * when it does not cover the body's hash (after, within `limit`, when it does); then the payload.
   */
  private async authenticate(
    method: string,
    rawPath: string,
    query: QueryPairs,
    req: IncomingMessage,
    auth: SigV4Auth,
    protocol: AwsProtocol,
    limit: number,
    readBody: () => Promise<Buffer>,
  ): Promise<{ caller: SignedRequest['caller']; decodedBody: Buffer; extraHeaders: Record<string, string> }> {
    const failure = (kind: Parameters<typeof authError>[1], detail?: string) =>
      new AuthFailureError(authError(protocol, kind, detail));
    const principals = this.options.principals;
    const resolved = principals.resolve(auth.accessKeyId);
    if (!resolved) throw failure('unknown-key');
    let secret: string;
    if (resolved.kind === 'session') {
      if (auth.securityToken === undefined || auth.securityToken !== resolved.session.sessionToken)
        throw failure('bad-token');
      secret = resolved.session.secretAccessKey;
    } else {
      secret = resolved.key.secretAccessKey;
    }
    const now = this.options.now();
    const signedAt = auth.signingDate.getTime();
    if (auth.mode === 'header') {
      if (signedAt < now.getTime() - CLOCK_SKEW_MS)
        throw failure(
          'skewed',
          `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - CLOCK_SKEW_MS))} (${formatAmzDate(now)} - 15 min.)`,
        );
      if (signedAt > now.getTime() + CLOCK_SKEW_MS)
        throw failure(
          'skewed',
          `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + CLOCK_SKEW_MS))} (${formatAmzDate(now)} + 15 min.)`,
        );
    } else {
      if (signedAt > now.getTime() + CLOCK_SKEW_MS)
        throw failure('presign-expired', 'Request is not yet valid');
      // STS ignores X-Amz-Expires: a presigned STS request is valid for 15 minutes after X-Amz-Date
      // (what EKS authentication tokens, presigned for 60 s and used for 15 min, rely on).
      const lifetimeSeconds =
        auth.service === 'sts' ? STS_PRESIGN_LIFETIME_SECONDS : (auth.expiresSeconds ?? 0);
      if (now.getTime() > signedAt + lifetimeSeconds * 1000)
        throw failure(
          'presign-expired',
          `Signature expired: ${auth.amzDate} + ${lifetimeSeconds}s is earlier than ${formatAmzDate(now)}`,
        );
    }
    if (protocol === 'rest-xml' && auth.mode === 'header') requireSignedContentHash(req, auth);
    const declared = declaredLength(req);
    const decoded = Number(headerValue(req.headers, 'x-amz-decoded-content-length') ?? 0);
    if ((declared ?? 0) > limit || decoded > limit) throw tooLargeError(protocol, limit, declared);

    const verify = async (body: Buffer) => {
      if (
        !(await verifyRequestSignature({ method, rawPath, query, headers: req.headers, body }, auth, secret))
      )
        throw failure('bad-signature');
      if (resolved.kind === 'session' && resolved.session.expiresAt.getTime() <= now.getTime())
        throw failure('expired');
    };
    // A signed x-amz-content-sha256 stands for the payload: the signature is checked without the body.
    const needsBody = signatureNeedsBody(auth, req.headers, query) && hasBody(req);
    if (!needsBody) await verify(EMPTY);
    const body = await readBody();
    if (needsBody) await verify(body);

    const { decodedBody, extraHeaders } = await this.decodePayload(req, body, auth, secret, protocol);
    return { caller: principals.callerOf(resolved), decodedBody, extraHeaders };
  }

  private async decodePayload(
    req: IncomingMessage,
    body: Buffer,
    auth: SigV4Auth,
    secret: string,
    protocol: AwsProtocol,
  ): Promise<{ decodedBody: Buffer; extraHeaders: Record<string, string> }> {
    const contentSha = headerValue(req.headers, 'x-amz-content-sha256');
    const encoding = headerValue(req.headers, 'content-encoding') ?? '';
    const chunked =
      contentSha?.startsWith('STREAMING-') || encoding.split(',').some((e) => e.trim() === 'aws-chunked');
    if (chunked) {
      const decoded = parseAwsChunked(body);
      const signedChunks =
        contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' ||
        contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
      if (signedChunks) {
        const ok = await verifyChunkSignatures(
          decoded.chunks,
          decoded.trailers,
          decoded.trailerSignature,
          auth,
          secret,
          contentSha.endsWith('-TRAILER'),
        );
        if (!ok) throw new AuthFailureError(authError(protocol, 'bad-signature'));
      }
      const declared = headerValue(req.headers, 'x-amz-decoded-content-length');
      if (declared !== undefined && Number(declared) !== decoded.payload.length)
        throw new AwsError(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header',
          400,
        );
      await verifyTrailerChecksum(decoded, headerValue(req.headers, 'x-amz-trailer'));
      const extraHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(decoded.trailers)) {
        if (
          name.startsWith('x-amz-checksum-') &&
          isChecksumAlgorithm(name.slice('x-amz-checksum-'.length)) &&
          req.headers[name] === undefined
        )
          extraHeaders[name] = value;
      }
      return { decodedBody: decoded.payload, extraHeaders };
    }
    if (contentSha !== undefined && contentSha !== 'UNSIGNED-PAYLOAD') {
      if (!SHA256_HEX.test(contentSha))
        throw new AwsError(
          'InvalidArgument',
          'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], or a valid sha256 value.',
          400,
          {
            extra: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: contentSha },
          },
        );
      const computed = sha256Hex(body);
      if (computed !== contentSha)
        throw new AwsError(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          400,
          {
            extra: { ClientComputedContentSHA256: contentSha, S3ComputedContentSHA256: computed },
          },
        );
    }
    return { decodedBody: body, extraHeaders: {} };
  }
}
