// The EKS Pod Identity Agent's credential endpoint (spec §2.3-§2.7) as an HTTP server on loopback:
// /v1/credentials (any method) checks the Host, then the token, then answers from the per-token cache
// or from EKS Auth, signed as the node. Errors are plain text as Go's http.Error writes them; success
// is the five-field JSON body. /healthz and /readyz answer 200; any other path 404.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Sabotage } from '../sabotage.ts';
import { CredentialCache, type CredentialCacheOptions } from './credential-cache.ts';
import {
  type AssumeRoleForPodIdentity,
  createEksAuthClient,
  type EksAuthClientOptions,
  EksAuthResponseError,
  EksAuthUnreachableError,
  type PodCredentials,
} from './eks-auth-client.ts';
import { goHttpErrorBody, goRfc3339Nano } from './go-format.ts';
import { AgentRequestError, validateServiceAccountToken, validateTargetHost } from './validation.ts';

export interface AgentLogEntry {
  level: 'info' | 'error' | 'trace';
  msg: string;
  time: string;
  [field: string]: unknown;
}

export interface PodIdentityAgentOptions {
  /** --cluster-name */
  clusterName: string;
  /** How to reach EKS Auth (signed as the node), or a function that does it (tests). */
  eksAuth: EksAuthClientOptions | AssumeRoleForPodIdentity;
  /** Listen address (default 127.0.0.1) and port (default 0: ephemeral). */
  listenHost?: string;
  port?: number;
  /**
   * Host header values accepted besides 169.254.170.23 and fd00:ec2::23. Default: the listen address,
   * because the simulator maps pods' link-local agent address to it.
   */
  extraAllowedHosts?: string[];
  cache?: CredentialCacheOptions;
  /** Fraction (0..1) of credential requests answered with a 500 after validation (fault injection). */
  errorRate?: number;
  random?: () => number;
  now?: () => number;
  /** Receives the agent's log lines (logrus-style JSON fields); secrets are never included. */
  log?: (entry: AgentLogEntry) => void;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

export interface PodIdentityAgent {
  /** http://127.0.0.1:PORT */
  url: string;
  host: string;
  port: number;
  /** Calls made to EKS Auth so far (cache misses and refreshes). */
  readonly upstreamCalls: number;
  /** Serves a connection accepted elsewhere (the node's 169.254.170.23:80 in a pod sandbox). */
  acceptConnection(socket: import('node:net').Socket): void;
  /**
   * Switched off (the add-on is not installed), the agent resets every connection, open ones included,
   * so clients fail to connect as when nothing listens; its port stays bound for switching on again.
   */
  setEnabled(enabled: boolean): void;
  readonly enabled: boolean;
  close(): Promise<void>;
}

export async function startPodIdentityAgent(options: PodIdentityAgentOptions): Promise<PodIdentityAgent> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const assume =
    typeof options.eksAuth === 'function' ? options.eksAuth : createEksAuthClient(options.eksAuth);
  const cache = new CredentialCache({ now, ...options.cache });
  const extraHosts = options.extraAllowedHosts ?? [listenHost];
  const log = (level: AgentLogEntry['level'], msg: string, fields: Record<string, unknown> = {}) =>
    options.log?.({
      level,
      msg,
      time: new Date(now()).toISOString(),
      'cluster-name': options.clusterName,
      ...fields,
    });
  let upstreamCalls = 0;
  const acceptsAnyToken = options.sabotage?.agentAcceptsAnyToken === true;
  const acceptsAnyHost = options.sabotage?.agentAcceptsAnyHost === true;
  let lastFetched: PodCredentials | undefined;
  const cacheBypassed = options.sabotage?.agentCacheBypassed === true;
  const neverRefreshes = options.sabotage?.credentialsNotRefreshed === true;
  /** credentialsNotRefreshed: the first credentials fetched for each token, served forever. */
  const firstFetched = new Map<string, PodCredentials>();

  const fetchFromEksAuth = async (token: string): Promise<PodCredentials> => {
    upstreamCalls++;
    log('info', 'Calling EKS Auth to fetch credentials');
    const started = now();
    const credentials = await assume(options.clusterName, token);
    lastFetched = credentials;
    log('info', 'Successfully fetched credentials from EKS Auth', {
      fetched_role_arn: credentials.roleArn,
      request_time_ms: now() - started,
    });
    return credentials;
  };

  const handleCredentials = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    log('info', `handling new request request from ${req.socket.remoteAddress}:${req.socket.remotePort}`, {
      'client-addr': `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    });
    try {
      if (!acceptsAnyHost) validateTargetHost(req.headers.host, extraHosts);
      const token = req.headers.authorization;
      if (!acceptsAnyToken) validateServiceAccountToken(token, new Date(now()));
      if (options.errorRate && random() < options.errorRate) {
        throw new EksAuthResponseError(
          500,
          'InternalServerException',
          'Injected agent fault (agentErrorRate): retry the request',
          randomUUID(),
        );
      }
      const credentials =
        (acceptsAnyToken ? lastFetched : undefined) ??
        (neverRefreshes ? firstFetched.get(token!) : undefined) ??
        (cacheBypassed
          ? await fetchFromEksAuth(token!)
          : await cache.get(token!, () => fetchFromEksAuth(token!)));
      if (neverRefreshes && !firstFetched.has(token!)) firstFetched.set(token!, credentials);
      const body = JSON.stringify({
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        Token: credentials.sessionToken,
        AccountId: credentials.accountId,
        Expiration: goRfc3339Nano(credentials.expiration),
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      const { status, message } = describeError(error);
      log('error', `Error fetching credentials: ${message}`, {
        ...(error instanceof EksAuthResponseError
          ? { service: 'EKS Auth', operation: 'AssumeRoleForPodIdentity', 'request-id': error.requestId }
          : {}),
      });
      writeGoError(res, status, message);
    }
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    if (path === '/v1/credentials') {
      void handleCredentials(req, res);
    } else if (path === '/healthz' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
    } else {
      writeGoError(res, 404, '404 page not found');
    }
  });
  let enabled = true;
  // Before the HTTP server's own listener: a reset socket never reaches it.
  server.prependListener('connection', (socket: Socket) => {
    if (enabled) return;
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy(); // not a TCP socket: no RST to send
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log('info', 'Starting server...', { 'bind-addr': `${listenHost}:${port}` });

  return {
    url: `http://${listenHost}:${port}`,
    host: listenHost,
    port,
    get upstreamCalls() {
      return upstreamCalls;
    },
    acceptConnection: (socket) => {
      server.emit('connection', socket);
    },
    setEnabled: (value) => {
      if (enabled === value) return;
      enabled = value;
      log('info', value ? 'Serving again (add-on installed)' : 'Refusing connections (add-on removed)');
      if (value) return;
      server.closeAllConnections();
      // A removed agent's pod takes its cache with it: the next one starts empty.
      cache.clear();
    },
    get enabled() {
      return enabled;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Status and body as the agent's HandleCredentialFetchingError computes them. */
function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof AgentRequestError) return { status: error.status, message: error.message };
  if (error instanceof EksAuthResponseError) {
    return {
      status: error.status,
      message: `[${error.requestId}]: (${error.code}): ${error.message}, fault: ${error.fault}`,
    };
  }
  // No HTTP response from EKS Auth: 500 and only the (empty) request id, as the Go agent.
  if (error instanceof EksAuthUnreachableError) return { status: 500, message: '[]' };
  return { status: 500, message: error instanceof Error ? error.message : String(error) };
}

function writeGoError(res: http.ServerResponse, status: number, message: string): void {
  const body = goHttpErrorBody(message);
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
