// startKubeSim: the simulator's Kubernetes API server with its pod runtime, on 127.0.0.1.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import { PodRuntime } from '../runtime/pod-runtime.ts';
import type { PodRuntimeHost } from '../runtime/types.ts';
import type { KubeContext } from './context.ts';
import type { TokenAuthenticator } from './eks-token-authenticator.ts';
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
import { ApiServer } from './server.ts';
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
  /**
   * Fraction of a projected token's lifetime after which the runtime rewrites it (default 0.8, as the
   * kubelet). A test knob: e.g. 0.001 refreshes a 600 s token after 0.6 s.
   */
  tokenRefreshFraction?: number;
  /** Cap on terminationGracePeriodSeconds when stopping pods (default 2 s). */
  maxGracePeriodSeconds?: number;
  /** Name of the single node every pod is scheduled on (default `sim-node-1`). */
  nodeName?: string;
}

export interface StartedKubeSim extends KubeSim {
  /** Directory holding pod sandboxes. */
  stateDir: string;
  clusterName: string;
  /** Accepts more kinds of bearer tokens (e.g. EKS tokens), asked after the admin token. */
  addTokenAuthenticator(authenticator: TokenAuthenticator): void;
}

const HOST_IP = '127.0.0.1';
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(options: KubeSimOptions = {}): Promise<StartedKubeSim> {
  const clusterName = options.clusterName ?? 'pod-identity-sim';
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'pic-kube-')));
  await mkdir(join(stateDir, 'pods'), { recursive: true });

  const podAdmissionHooks: PodAdmissionHook[] = [];
  const spawnEnvHooks: SpawnEnvHook[] = [];
  const node = { name: options.nodeName ?? 'sim-node-1', uid: randomUUID() };
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
      const port = new URL(ctx.apiServerUrl).port;
      return {
        KUBERNETES_SERVICE_HOST: HOST_IP,
        KUBERNETES_SERVICE_PORT: port,
        KUBERNETES_SERVICE_PORT_HTTPS: port,
      };
    },
    hostIP: HOST_IP,
  };
  const runtime = new PodRuntime(host, {
    stateDir,
    podPath: options.podPath,
    tokenRefreshFraction: options.tokenRefreshFraction,
    maxGracePeriodSeconds: options.maxGracePeriodSeconds,
  });

  // Resolving the pods' PATH may run `pyenv which aws`: started now, awaited by the first pod only.
  runtime.prepare().catch(() => {});
  const [tls, signingKey] = await Promise.all([
    createServerTls({
      ips: [HOST_IP],
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    }),
    generateSigningKey(),
  ]);
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
    clusterName,
    podAdmissionHooks,
    spawnEnvHooks,
    resources: new Map(),
  };
  pods = new PodsResource(ctx);
  const namespaces = new NamespacesResource(ctx);
  const daemonSets = new DaemonSetsResource(ctx);
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
  const server = new ApiServer({ ctx, tls, adminToken, resources, tokenAuthenticators });
  const port = await server.listen();
  const apiServerUrl = `https://${HOST_IP}:${port}`;
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
    issueServiceAccountToken: (request: ServiceAccountTokenRequest) => issueServiceAccountToken(ctx, request),
    publishDaemonSet: (daemonSet: V1DaemonSet) => {
      daemonSets.publish(daemonSet);
    },
    close: () => {
      closing ??= (async () => {
        await runtime.close();
        await Promise.all([pods.settled(), namespaces.settled()]);
        await server.close();
        if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
