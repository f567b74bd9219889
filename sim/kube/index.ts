// startKubeSim: the simulator's Kubernetes API server with its pod runtime, on 127.0.0.1. Pods run in
// a node sandbox (their own namespaces inside a simulated node's network) where unprivileged user
// namespaces work, and as host processes with mapped paths elsewhere (podSandbox says which, and why).

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1DaemonSet, V1Namespace, V1Pod, V1Taint } from '@kubernetes/client-node';
import { PodRuntime } from '../runtime/pod-runtime.ts';
import { trackPath, untrackPath } from '../runtime/reaper.ts';
import { NODE_NETWORK, NodeSandbox, SandboxUnavailable } from '../runtime/sandbox/node.ts';
import type { PodRuntimeHost, PodStartLatency } from '../runtime/types.ts';
import type { KubeContext } from './context.ts';
import type { TokenAuthenticator } from './eks-token-authenticator.ts';
import { resolveApiServerLimits } from './http-limits.ts';
import { buildKubeconfig } from './kubeconfig.ts';
import { SelfSubjectReviewsResource, TokenReviewsResource } from './resources/authentication.ts';
import { ConfigMapsResource } from './resources/configmaps.ts';
import { DaemonSetsResource } from './resources/daemonsets.ts';
import { EventsResource } from './resources/events.ts';
import { NamespacesResource } from './resources/namespaces.ts';
import { NodesResource } from './resources/nodes.ts';
import { PodsResource } from './resources/pods.ts';
import { issueServiceAccountToken, ServiceAccountsResource } from './resources/serviceaccounts.ts';
import type { RestResource } from './rest.ts';
import { ApiServer, type ApiServerFaults } from './server.ts';
import { ObjectStore } from './store.ts';
import { createServerTls } from './tls.ts';
import { generateSigningKey, ServiceAccountTokenIssuer } from './tokens.ts';
import type { KubeSim, PodAdmissionHook, ServiceAccountTokenRequest, SpawnEnvHook } from './types.ts';

export { KubeStatusError } from './status.ts';
export type * from './types.ts';

export interface KubeSimOptions {
  /** Names the kubeconfig's cluster, context and user (default `pod-identity-sim`). */
  clusterName?: string;
  /** The service-account token issuer (`iss`); default: the API server URL. */
  issuer?: string;
  /** Where pod sandboxes live (`<stateDir>/pods/<uid>/`); default: a fresh temp dir, removed on close. */
  stateDir?: string;
  /** Extra directories put first on pods' PATH. */
  podPath?: string[];
  /** Host directories pod sandboxes show at their own paths (see PodRuntimeOptions.podToolDirs). */
  podToolDirs?: string[];
  /**
   * Fraction of a projected token's lifetime after which the runtime rewrites it (default 0.8, as the
   * kubelet). A test knob: e.g. 0.001 refreshes a 600 s token after 0.6 s.
   */
  tokenRefreshFraction?: number;
  /** Cap on terminationGracePeriodSeconds when stopping pods (default 2 s). */
  maxGracePeriodSeconds?: number;
  /** Base of the container restart back-off (default 10 000 ms, as the kubelet; a test knob). */
  restartBackoffMs?: number;
  /** Name of the first node (default `sim-node-1`). */
  nodeName?: string;
  /** More nodes, named and maybe tainted; pods are scheduled among all of them. */
  moreNodes?: Array<{ name: string; taints?: V1Taint[] }>;
  /**
   * Pods in namespaces of their own: `auto` (default) where the machine allows it, else host processes
   * (said by podSandbox); `required` fails to start without it; `off` always runs host processes.
   */
  podSandbox?: 'auto' | 'required' | 'off';
  /** Open connections per listener (default 1024); more are closed at once. */
  maxConnections?: number;
  /** Time for the TLS handshake, then for a request's headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 60 s); watches and exec are unaffected. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this long (default 90 s, as kube-apiserver). */
  keepAliveTimeoutMs?: number;
  /** A connection without traffic for this long is closed (default 120 s), except during watches and log streams. */
  idleTimeoutMs?: number;
  /** Largest request body (default 3 MiB, as kube-apiserver); above it 413 RequestEntityTooLarge. */
  maxRequestBodyBytes?: number;
  /** Injected API server faults: 429/500 answers and slow reads on plain REST calls. */
  faults?: ApiServerFaults;
  /**
   * Sandbox mode: addresses a new pod's network drops packets to (an emulated network policy), given
   * the pod and its namespace as stored.
   */
  droppedAddresses?: (pod: V1Pod, namespace: V1Namespace | undefined) => string[];
  /** Latency profile (sim/latency.ts): pod start, and how long namespace deletion takes. */
  latency?: { podStart?: PodStartLatency; namespaceDeletionMs?: number };
}

/** How pods run, and why. */
export interface PodSandboxMode {
  enabled: boolean;
  reason: string;
}

export interface StartedKubeSim extends KubeSim {
  /** Directory holding pod sandboxes. */
  stateDir: string;
  clusterName: string;
  /** Accepts more kinds of bearer tokens (e.g. EKS tokens), asked after the admin token. */
  addTokenAuthenticator(authenticator: TokenAuthenticator): void;
  podSandbox: PodSandboxMode;
  /**
   * Sandbox mode: serves `host:port` in the node's network (what pods reach) with `onConnection`;
   * undefined in fallback mode, where pods reach the host's loopback.
   */
  listenOnNode?: (host: string, port: number, onConnection: (socket: Socket) => void) => Promise<void>;
  /** The node's address, as pods see it (NODE_NETWORK.nodeIP in sandbox mode, else 127.0.0.1). */
  nodeIP: string;
}

const LOOPBACK = '127.0.0.1';

async function startNodeSandbox(
  mode: KubeSimOptions['podSandbox'],
  hostname: string,
): Promise<{ node?: NodeSandbox; podSandbox: PodSandboxMode }> {
  if (mode === 'off')
    return { podSandbox: { enabled: false, reason: 'pod sandbox switched off: pods run as host processes' } };
  try {
    const node = await NodeSandbox.start(hostname);
    return {
      node,
      podSandbox: {
        enabled: true,
        reason: 'pods run in their own user, network, UTS, mount and PID namespaces',
      },
    };
  } catch (error) {
    if (!(error instanceof SandboxUnavailable) || mode === 'required') throw error;
    return {
      podSandbox: {
        enabled: false,
        reason: `pods run as host processes with mapped paths: ${error.message}`,
      },
    };
  }
}
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(options: KubeSimOptions = {}): Promise<StartedKubeSim> {
  const limits = resolveApiServerLimits({
    maxConnections: options.maxConnections,
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    maxRequestBodyBytes: options.maxRequestBodyBytes,
  });
  const clusterName = options.clusterName ?? 'pod-identity-sim';
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'pic-kube-')));
  if (ownsStateDir) trackPath(stateDir);
  await mkdir(join(stateDir, 'pods'), { recursive: true });

  const podAdmissionHooks: PodAdmissionHook[] = [];
  const spawnEnvHooks: SpawnEnvHook[] = [];
  const node = { name: options.nodeName ?? 'sim-node-1', uid: randomUUID() };
  const allNodes = [node, ...(options.moreNodes ?? []).map((more) => ({ ...more, uid: randomUUID() }))];
  // The node's namespaces, the API server's certificate and the token signing key start together.
  const securing = Promise.all([
    createServerTls({
      ips: [LOOPBACK, NODE_NETWORK.kubernetesServiceIP, NODE_NETWORK.nodeIP],
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    }),
    generateSigningKey(),
  ]);
  securing.catch(() => {});
  const { node: nodeSandbox, podSandbox } = await startNodeSandbox(options.podSandbox, node.name);
  const HOST_IP = nodeSandbox ? NODE_NETWORK.nodeIP : LOOPBACK;
  let ctx!: KubeContext;
  let pods!: PodsResource;

  const host: PodRuntimeHost = {
    issuePodToken: (pod: V1Pod, audiences, expirationSeconds) =>
      issueServiceAccountToken(ctx, {
        namespace: pod.metadata?.namespace ?? '',
        serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
        audiences,
        expirationSeconds,
        boundPod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
      }),
    get defaultTokenAudiences() {
      return ctx.apiAudiences;
    },
    readConfigMap: (namespace, name) => ctx.store.get('configmaps', namespace, name),
    updatePodStatus: (pod, mutate) => pods.updateStatus(pod, mutate),
    recordPodEvent: (pod, event) => pods.recordEvent(pod, event),
    applySpawnEnvHooks: (env, pod, containerName) => {
      let current = env;
      // Each hook gets its own copy, so a hook that mutates its argument cannot affect the previous result.
      for (const hook of spawnEnvHooks) current = hook({ ...current }, pod, containerName);
      return current;
    },
    serviceEnv: () => {
      // The kubernetes service's address: as on EKS in sandbox mode, the API server's port on the host otherwise.
      const address = nodeSandbox ? NODE_NETWORK.kubernetesServiceIP : LOOPBACK;
      const port = nodeSandbox ? '443' : new URL(ctx.apiServerUrl).port;
      const link = `tcp://${address}:${port}`;
      return {
        KUBERNETES_SERVICE_HOST: address,
        KUBERNETES_SERVICE_PORT: port,
        KUBERNETES_SERVICE_PORT_HTTPS: port,
        KUBERNETES_PORT: link,
        [`KUBERNETES_PORT_${port}_TCP`]: link,
        [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
        [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
        [`KUBERNETES_PORT_${port}_TCP_ADDR`]: address,
      };
    },
    hostIP: HOST_IP,
    droppedAddresses: (pod) =>
      options.droppedAddresses?.(
        pod,
        ctx.store.get<V1Namespace>('namespaces', undefined, pod.metadata?.namespace ?? ''),
      ) ?? [],
  };
  const runtime = new PodRuntime(host, {
    stateDir,
    podPath: options.podPath,
    podToolDirs: options.podToolDirs,
    tokenRefreshFraction: options.tokenRefreshFraction,
    maxGracePeriodSeconds: options.maxGracePeriodSeconds,
    restartBackoffMs: options.restartBackoffMs,
    ...(options.latency?.podStart ? { podStartLatency: options.latency.podStart } : {}),
    node: nodeSandbox,
  });

  // Resolving the pods' PATH may run `pyenv which aws`: started now, awaited by the first pod only.
  runtime.prepare().catch(() => {});
  const [tls, signingKey] = await securing;
  const adminToken = randomBytes(32).toString('hex');

  ctx = {
    store: new ObjectStore(),
    // Replaced once the port (and so the default issuer) is known, before any token is issued.
    tokens: new ServiceAccountTokenIssuer(options.issuer ?? 'https://127.0.0.1', signingKey),
    runtime,
    apiServerUrl: '',
    apiAudiences: [],
    caCertPem: tls.caCertPem,
    node,
    nodes: allNodes,
    clusterName,
    podAdmissionHooks,
    spawnEnvHooks,
    resources: new Map(),
    ...(options.latency?.namespaceDeletionMs
      ? { namespaceDeletionMs: options.latency.namespaceDeletionMs }
      : {}),
  };
  pods = new PodsResource(ctx);
  const namespaces = new NamespacesResource(ctx);
  const daemonSets = new DaemonSetsResource(ctx);
  daemonSets.watchPods();
  const nodes = new NodesResource(ctx);
  const resources: RestResource[] = [
    namespaces,
    pods,
    new ServiceAccountsResource(ctx),
    new ConfigMapsResource(ctx),
    new EventsResource(ctx),
    nodes,
    daemonSets,
    new TokenReviewsResource(ctx),
    new SelfSubjectReviewsResource(ctx),
  ];
  for (const resource of resources) ctx.resources.set(resource.info.resource, resource);

  const tokenAuthenticators: TokenAuthenticator[] = [];
  const server = new ApiServer({
    ctx,
    tls,
    adminToken,
    resources,
    tokenAuthenticators,
    limits,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const port = await server.listen();
  const apiServerUrl = `https://${LOOPBACK}:${port}`;
  await nodeSandbox?.listen(NODE_NETWORK.kubernetesServiceIP, 443, (socket) =>
    server.acceptConnection(socket),
  );
  const issuer = options.issuer ?? apiServerUrl;
  ctx.apiServerUrl = apiServerUrl;
  ctx.tokens = new ServiceAccountTokenIssuer(issuer, signingKey);
  ctx.apiAudiences = [issuer];

  nodes.register(HOST_IP);
  for (const name of INITIAL_NAMESPACES) await namespaces.createObject({ metadata: { name } });

  const kubeconfigYaml = buildKubeconfig({
    clusterName,
    server: apiServerUrl,
    caCertPem: tls.caCertPem,
    token: adminToken,
  });

  let closing: Promise<void> | undefined;
  return {
    apiServerUrl,
    kubeconfigYaml,
    caCertPem: tls.caCertPem,
    issuer,
    stateDir,
    clusterName,
    jwks: () => ctx.tokens.jwks(),
    addPodAdmissionHook: (hook) => {
      podAdmissionHooks.push(hook);
    },
    addSpawnEnvHook: (hook) => {
      spawnEnvHooks.push(hook);
    },
    addTokenAuthenticator: (authenticator) => {
      tokenAuthenticators.push(authenticator);
    },
    podSandbox,
    nodeIP: HOST_IP,
    ...(nodeSandbox
      ? {
          listenOnNode: (host: string, p: number, onConnection: (socket: Socket) => void) =>
            nodeSandbox.listen(host, p, onConnection),
        }
      : {}),
    issueServiceAccountToken: (request: ServiceAccountTokenRequest) => issueServiceAccountToken(ctx, request),
    publishDaemonSet: (daemonSet: V1DaemonSet) => {
      daemonSets.publish(daemonSet);
    },
    unpublishDaemonSet: (namespace: string, name: string) => daemonSets.unpublish(namespace, name),
    close: () => {
      closing ??= (async () => {
        await runtime.close();
        await Promise.all([pods.settled(), namespaces.settled()]);
        await nodeSandbox?.close();
        await server.close();
        if (ownsStateDir) {
          await rm(stateDir, { recursive: true, force: true });
          untrackPath(stateDir);
        }
      })();
      return closing;
    },
  };
}
