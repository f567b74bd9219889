// The HTTPS API server: TLS, bearer-token authentication, routing of URLs to resources, discovery,
// OIDC discovery, and Status errors for everything that goes wrong (nothing a client sends crashes it).
// Paths are routed as sent (never dot-segment normalised), bodies are capped, connections limited.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { KubeContext } from './context.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import type { TokenAuthenticator } from './eks-token-authenticator.ts';
import { ExecServer, rejectUpgrade } from './exec.ts';
import {
  type ApiServerLimits,
  applyConnectionLimits,
  DEFAULT_API_SERVER_LIMITS,
  declaredLength,
  lingerThenClose,
  RelayedConnections,
  readBodyUpTo,
  serverOptions,
} from './http-limits.ts';
import { openApiGroupVersion, openApiIndex } from './openapi.ts';
import { decodeKubernetesProtobuf } from './protobuf.ts';
import { ADMIN_USER, type AuthenticatedUser, serviceAccountUser } from './resources/authentication.ts';
import { KUBELET_VERSION } from './resources/nodes.ts';
import type { ApiRequest, Reply, RestResource } from './rest.ts';
import { badRequest, KubeStatusError, resourceNotFound, toStatusError, unauthorized } from './status.ts';
import type { ServerTls } from './tls.ts';

/** Paths a real EKS API server answers without credentials. */
const PUBLIC_PATHS = new Set([
  '/.well-known/openid-configuration',
  '/openid/v1/jwks',
  '/version',
  '/healthz',
  '/livez',
  '/readyz',
]);

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: KUBELET_VERSION,
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

interface ResourceRoute {
  group: string;
  version: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** apimachinery's path.IsValidPathSegmentName: why a name cannot be used as a path segment. */
export function pathSegmentNameProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** The path and query of a request target, exactly as sent (no dot-segment resolution). */
export function splitRequestTarget(raw: string): { pathname: string; query: URLSearchParams } {
  let target = raw;
  if (/^https?:\/\//i.test(target)) {
    const slash = target.indexOf('/', target.indexOf('//') + 2);
    target = slash < 0 ? '/' : target.slice(slash);
  }
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!path.startsWith('/')) throw badRequest('malformed request URL');
  return {
    pathname: path.length > 1 ? path.replace(/\/+$/, '') || '/' : path,
    query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
  };
}

/**
 * Splits an API path (as sent, percent-encoded) into group, version, namespace, resource, name and
 * subresource. Namespace and name segments must be valid path segment names (400 otherwise), so that
 * `..` or `%2e%2e` never reaches another scope; an empty segment matches nothing.
 */
export function parseApiPath(
  pathname: string,
): ResourceRoute | 'api' | 'apis' | { group: string } | undefined {
  const segments = pathname.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (segments.some((part) => part === '')) return undefined;
  const parts = segments.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw badRequest(`malformed URL path segment "${part}"`);
    }
  });
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return 'api';
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return 'apis';
    if (parts.length === 2) return { group: parts[1] };
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { group, version };
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) return undefined;
  const name = rest[1];
  // kube-apiserver's storage key functions' wording; an invalid namespace gets the same treatment.
  const namespaceProblems = namespace === undefined ? [] : pathSegmentNameProblems(namespace);
  if (namespaceProblems.length > 0)
    throw badRequest(
      `Namespace parameter invalid: ${JSON.stringify(namespace)}: ${namespaceProblems.join(';')}`,
    );
  const nameProblems = name === undefined ? [] : pathSegmentNameProblems(name);
  if (nameProblems.length > 0)
    throw badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${nameProblems.join(';')}`);
  return { group, version, namespace, resource: rest[0], name, subresource: rest[2] };
}

export interface ApiServerOptions {
  ctx: KubeContext;
  tls: ServerTls;
  adminToken: string;
  resources: RestResource[];
  /**
   * Further bearer-token authenticators (e.g. EKS tokens), asked in order after the admin token and
   * before service-account tokens. The array may grow after the server starts.
   */
  tokenAuthenticators?: TokenAuthenticator[];
  /** Connection cap, timeouts and body limit (defaults: DEFAULT_API_SERVER_LIMITS). */
  limits?: ApiServerLimits;
  /** Injected faults on plain REST calls (not watches, log streams or exec). */
  faults?: ApiServerFaults;
}

export interface ApiServerFaults {
  random: () => number;
  /** Fraction answered 429 TooManyRequests (any verb), or 500 for reads. */
  errorRate?: number;
  /** Fraction of reads answered only after `delayMs`. */
  delayRate?: number;
  delayMs?: number;
}

export class ApiServer {
  readonly #ctx: KubeContext;
  readonly #adminToken: string;
  readonly #tokenAuthenticators: TokenAuthenticator[];
  readonly #resources: RestResource[];
  readonly #byKey = new Map<string, RestResource>();
  readonly #server: Server;
  readonly #exec: ExecServer;
  readonly #limits: ApiServerLimits;
  readonly #relayed: RelayedConnections;

  readonly #faults: ApiServerFaults | undefined;

  constructor(options: ApiServerOptions) {
    this.#ctx = options.ctx;
    this.#adminToken = options.adminToken;
    this.#tokenAuthenticators = options.tokenAuthenticators ?? [];
    this.#resources = options.resources;
    for (const resource of options.resources) {
      this.#byKey.set(`${resource.info.group}/${resource.info.version}/${resource.info.resource}`, resource);
    }
    this.#exec = new ExecServer(options.ctx);
    this.#limits = options.limits ?? DEFAULT_API_SERVER_LIMITS;
    this.#faults = options.faults;
    this.#relayed = new RelayedConnections(this.#limits.maxConnections);
    this.#server = createServer(
      { key: options.tls.keyPem, cert: options.tls.certPem, ...serverOptions(this.#limits) },
      (req, res) => {
        this.#handle(req, res).catch((error: unknown) => this.#sendError(res, toStatusError(error)));
      },
    );
    applyConnectionLimits(this.#server, this.#limits);
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => {});
      this.#upgrade(req, socket, head).catch((error: unknown) => rejectUpgrade(socket, toStatusError(error)));
    });
    this.#server.on('tlsClientError', () => {});
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Serves a connection accepted elsewhere (the kubernetes service address in the node's network). */
  acceptConnection(socket: Socket): void {
    if (this.#relayed.admit(socket)) this.#server.emit('connection', socket);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.#exec.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #authenticate(req: IncomingMessage): Promise<AuthenticatedUser | undefined> {
    const header = req.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized();
    const token = match[1];
    if (token === this.#adminToken) return ADMIN_USER;
    for (const authenticator of this.#tokenAuthenticators) {
      const user = await authenticator(token);
      if (user) return user;
    }
    const result = await serviceAccountUser(this.#ctx, token, this.#ctx.apiAudiences);
    if (!result) throw unauthorized();
    return result.user;
  }

  #send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    // Answered before the body arrived (refused, or too large): close rather than read the rest.
    const unread = !res.req.complete;
    if (unread) lingerThenClose(res.req);
    res.writeHead(code, {
      'Content-Type': contentType,
      'Content-Length': payload.length,
      'Cache-Control': 'no-cache, private',
      'X-Kubernetes-Pf-Flowschema-Uid': '00000000-0000-0000-0000-000000000000',
      ...(unread ? { Connection: 'close' } : {}),
    });
    res.end(payload);
  }

  #sendError(res: ServerResponse, error: KubeStatusError): void {
    this.#send(res, error.code, error.status);
  }

  /** The body, up to kube-apiserver's limit: 413 when Content-Length says more, or once more arrives. */
  async #readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.#limits.maxRequestBodyBytes;
    const tooLarge = () =>
      new KubeStatusError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
    if ((declaredLength(req) ?? 0) > limit) throw tooLarge();
    const body = await readBodyUpTo(req, limit);
    if (body === 'too-large') throw tooLarge();
    return body;
  }

  #jsonReader(req: IncomingMessage): () => Promise<unknown> {
    let parsed: Promise<unknown> | undefined;
    return () => {
      parsed ??= (async () => {
        const contentType = (req.headers['content-type'] ?? 'application/json')
          .split(';')[0]
          .trim()
          .toLowerCase();
        const raw = await this.#readBody(req);
        if (contentType === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(raw);
        const body = raw.toString('utf8');
        if (body.trim() === '')
          throw badRequest('the body of the request was empty: a JSON object is required');
        try {
          return contentType.endsWith('yaml') ? parseYaml(body) : JSON.parse(body);
        } catch (error) {
          throw badRequest(
            `error decoding request body: json parse error: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      })();
      return parsed;
    };
  }

  #publicEndpoint(pathname: string): unknown {
    switch (pathname) {
      case '/version':
        return SERVER_VERSION;
      case '/.well-known/openid-configuration':
        return {
          issuer: this.#ctx.tokens.issuer,
          jwks_uri: `${this.#ctx.apiServerUrl}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        };
      case '/openid/v1/jwks':
        return this.#ctx.tokens.jwks();
      default:
        return undefined;
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, query } = splitRequestTarget(req.url ?? '/');
    const user = await this.#authenticate(req);
    if (PUBLIC_PATHS.has(pathname)) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new KubeStatusError(
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      if (pathname === '/healthz' || pathname === '/livez' || pathname === '/readyz') {
        this.#send(res, 200, Buffer.from('ok'), 'text/plain; charset=utf-8');
        return;
      }
      const body = this.#publicEndpoint(pathname);
      this.#send(
        res,
        200,
        body,
        pathname === '/openid/v1/jwks' ? 'application/jwk-set+json' : 'application/json',
      );
      return;
    }
    if (!user) throw unauthorized();
    if (pathname === '/openapi/v3') {
      this.#send(res, 200, openApiIndex(this.#resources));
      return;
    }
    if (pathname.startsWith('/openapi/v3/')) {
      const document = openApiGroupVersion(this.#resources, pathname.slice('/openapi/v3/'.length));
      if (!document) throw resourceNotFound();
      this.#send(res, 200, document);
      return;
    }
    const route = parseApiPath(pathname);
    // Anything else (e.g. /openapi/v2, /openapi/v3) is absent, as on an API server without OpenAPI:
    // kubectl then skips client-side schema validation.
    if (route === undefined) throw resourceNotFound();
    const accept = req.headers.accept ?? '';
    if (accept !== '' && !/json|\*\/\*|yaml/.test(accept)) {
      throw new KubeStatusError(
        'NotAcceptable',
        'only the following media types are accepted: application/json, application/yaml',
      );
    }
    const serverAddress = `127.0.0.1:${new URL(this.#ctx.apiServerUrl).port}`;
    if (route === 'api') return this.#sendDiscovery(req, res, apiVersions(serverAddress));
    if (route === 'apis') return this.#sendDiscovery(req, res, apiGroupList(this.#resources));
    if (!('version' in route)) return this.#sendDiscovery(req, res, apiGroup(this.#resources, route.group));
    if (route.resource === undefined) {
      return this.#sendDiscovery(req, res, apiResourceList(this.#resources, route.group, route.version));
    }
    const resource = this.#byKey.get(`${route.group}/${route.version}/${route.resource}`);
    if (!resource) throw resourceNotFound();
    const apiRequest: ApiRequest = {
      method: req.method ?? 'GET',
      namespace: route.namespace,
      name: route.name,
      subresource: route.subresource,
      query,
      headers: req.headers,
      readJson: this.#jsonReader(req),
      req,
      res,
      user,
    };
    await this.#injectFault(apiRequest);
    const reply: Reply = await resource.handle(apiRequest);
    if ('streamed' in reply) {
      // A watch or log stream may be quiet for long: no idle timeout while it runs (keep-alive after).
      if (!res.writableEnded) req.socket.setTimeout(0);
      return;
    }
    this.#send(res, reply.code, reply.body, reply.contentType);
  }

  /** A busy or briefly failing API server, as priority and fairness and etcd make one (faults only). */
  async #injectFault(request: ApiRequest): Promise<void> {
    const faults = this.#faults;
    if (!faults) return;
    const streaming = request.query.get('watch') === 'true' || request.query.get('follow') === 'true';
    if (streaming || request.subresource === 'exec' || request.subresource === 'log') return;
    const read = request.method === 'GET';
    if (faults.errorRate && faults.random() < faults.errorRate) {
      if (read && faults.random() < 0.5) {
        throw new KubeStatusError(
          'InternalError',
          'Internal error occurred: injected fault (apiServerErrorRate)',
        );
      }
      request.res.setHeader('Retry-After', '1');
      throw new KubeStatusError(
        'TooManyRequests',
        'the server has received too many requests and has asked us to try again later',
      );
    }
    if (read && faults.delayRate && faults.random() < faults.delayRate) {
      await new Promise((resolve) => setTimeout(resolve, faults.delayMs ?? 1000));
    }
  }

  #sendDiscovery(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (body === undefined) throw resourceNotFound();
    if (req.method !== 'GET')
      throw new KubeStatusError(
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    this.#send(res, 200, body);
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = splitRequestTarget(req.url ?? '/');
    try {
      const user = await this.#authenticate(req);
      if (!user) throw unauthorized();
    } catch (error) {
      rejectUpgrade(socket, toStatusError(error));
      return;
    }
    const route = parseApiPath(url.pathname);
    if (
      route === undefined ||
      typeof route !== 'object' ||
      !('version' in route) ||
      route.group !== '' ||
      route.resource !== 'pods' ||
      !route.namespace ||
      !route.name
    ) {
      rejectUpgrade(socket, resourceNotFound());
      return;
    }
    if (route.subresource !== 'exec') {
      rejectUpgrade(
        socket,
        badRequest(
          `the simulator serves websocket upgrades for pods/exec only, not pods/${route.subresource ?? ''}`,
        ),
      );
      return;
    }
    this.#exec.handleUpgrade(req, socket, head, { namespace: route.namespace, pod: route.name }, url.query);
  }
}
