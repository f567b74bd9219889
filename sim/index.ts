// startSim: the whole embedded simulator in one call. It starts the Kubernetes API server with its pod
// runtime and an AWS endpoint, and plugs EKS into both: the EKS and EKS Auth services on the AWS
// endpoint, the pod identity admission hook and the agent's DaemonSet on the API server, the agent
// itself, and the spawn-time mapping that points pods at the agent and at the AWS endpoint. Everything
// listens on 127.0.0.1 ephemeral ports.
//
// Two ways to get AWS:
// - embedded (default): the simulator's AWS endpoint serves IAM, STS, S3, EKS and EKS Auth; EKS Auth
//   assumes roles as the pods.eks.amazonaws.com service principal; the agent signs as the node role.
// - externalAws (LocalStack or compatible): IAM, STS and S3 are the external endpoint's. The simulator
//   serves only EKS and EKS Auth, on an endpoint of its own that accepts the external credentials as the
//   admin; EKS looks roles up through the external IAM API, EKS Auth assumes them through the external
//   STS with those credentials, the agent signs with them, and pods get AWS_ENDPOINT_URL = the external
//   endpoint with AWS_ENDPOINT_URL_EKS / _EKS_AUTH = the simulator's.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { V1Namespace, V1Pod, V1Taint } from '@kubernetes/client-node';
import { createNodeCredentials, NODE_ROLE_NAME, NODE_ROLE_PATH } from './agent/node-credentials.ts';
import { type PodIdentityAgent, startPodIdentityAgent } from './agent/server.ts';
import { createAgentSpawnEnvHook } from './agent/spawn-env.ts';
import {
  ADMIN_USER_NAME,
  type AwsSim,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_REGION,
  startAwsSim,
  type TemporaryCredentials,
} from './aws/index.ts';
import { AWS_MANAGED_POLICIES } from './aws/policy/index.ts';
import { createPodIdentityAdmissionHook } from './eks/admission.ts';
import { AGENT_DAEMONSET_NAME, AGENT_TOLERATIONS, podIdentityAgentDaemonSet } from './eks/agent-daemonset.ts';
import { createEksApiHandler } from './eks/api.ts';
import {
  createEksAuthHandler,
  MAX_CREDENTIAL_LIFETIME_SECONDS,
  MIN_CREDENTIAL_LIFETIME_SECONDS,
} from './eks/auth.ts';
import { POD_IDENTITY_AGENT_ADDON } from './eks/cluster.ts';
import { EksControlPlane } from './eks/control-plane.ts';
import { startExternalModeEndpoint } from './eks/external-endpoint.ts';
import { POD_IDENTITY_SERVICE_PRINCIPAL, roleDirectoryFromIamApi } from './eks/roles.ts';
import { type InstanceMetadataService, startInstanceMetadataService } from './imds/server.ts';
import { createEksTokenAuthenticator } from './kube/eks-token-authenticator.ts';
import { type StartedKubeSim, startKubeSim } from './kube/index.ts';
import { untoleratedTaints } from './kube/scheduling.ts';
import { unauthorized } from './kube/status.ts';
import { resolveLatency, type SimLatency } from './latency.ts';
import { deriveRandom } from './random.ts';
import { trackPath, untrackPath } from './runtime/reaper.ts';
import { NODE_LOCAL_ADDRESSES, NODE_NETWORK } from './runtime/sandbox/node.ts';
import { nodeCredentialsForUnassociatedPods, type Sabotage } from './sabotage.ts';
import type { ClusterConditions, SimFaults, SimHandle, SimOptions } from './types.ts';

// The package's public API: what the harness (its embedded and localstack targets) and its tests use.
export {
  type AwsSim,
  type AwsSimOptions,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_REGION,
  startAwsSim,
} from './aws/index.ts';
export { chaosFaults } from './chaos.ts';
export { decodeEksToken } from './kube/eks-token-authenticator.ts';
export { fitsNode } from './kube/scheduling.ts';
export {
  describeLatency,
  EKS_LATENCY,
  isLatencyProfileName,
  LATENCY_PROFILE_NAMES,
  LATENCY_PROFILES,
  resolveLatency,
  scaleLatency,
} from './latency.ts';
export { createSeededRandom } from './random.ts';
export { awsCliDirectory, installationToolDirs } from './runtime/host-path.ts';
export { SABOTAGE_FLAGS } from './sabotage.ts';
export type {
  ClusterConditions,
  LatencyProfileName,
  Sabotage,
  SimFaults,
  SimHandle,
  SimLatency,
  SimOptions,
} from './types.ts';

export const DEFAULT_CLUSTER_NAME = 'pod-identity-sim';
/** The second account of the simulator, where cross-account target roles live. */
export const DEFAULT_TARGET_ROLE_ACCOUNT_ID = '444455556666';
/** The role AWS Organizations creates in member accounts; the cluster account may assume it. */
export const ORGANIZATION_ACCESS_ROLE_NAME = 'OrganizationAccountAccessRole';

/** The node's EC2 instance id: the node role's session name, as EC2 names instance profile sessions. */
const NODE_INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
/** Addresses a connection comes from when it starts on the node itself (host network), not in a pod. */
const NODE_ADDRESSES = new Set<string>([...NODE_LOCAL_ADDRESSES, '127.0.0.1', '::1']);

interface Closable {
  close(): Promise<void>;
}

/** What one AWS mode provides to the rest of the composition. */
interface AwsSide {
  /** Where clients send EKS and EKS Auth (and, embedded, IAM, STS, S3) requests. */
  endpointUrl: string;
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  accountId: string;
  /** AWS_ENDPOINT_URL for pods, and per-service overrides. */
  podEndpointUrl: string;
  podServiceEndpointUrls?: Record<string, string>;
  /**
   * Where EKS bearer tokens (presigned STS GetCallerIdentity URLs) are verified, and the principal that
   * created the cluster (its administrator). Absent: the API server accepts only its own tokens.
   */
  eksTokens?: { stsEndpoint: string; clusterCreatorArn: string };
  startAgent(clusterName: string): Promise<PodIdentityAgent>;
  /** The second account, for cross-account target roles (embedded mode only). */
  targetRoleAccount?: SimHandle['targetRoleAccount'];
  /** A fresh session of the node role (embedded mode only): what a pod reaching IMDS gets. */
  issueNodeSession?: () => TemporaryCredentials;
  /** IRSA (embedded mode only): STS verifies the cluster's service-account tokens with its JWKS. */
  trustOidcIssuer?: (issuer: string, jwks: () => { keys: Array<Record<string, unknown>> }) => void;
}

export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  const region = options.region ?? DEFAULT_REGION;
  const clusterName = options.clusterName ?? DEFAULT_CLUSTER_NAME;
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(clusterName)) {
    throw new Error(
      `startSim: cluster name '${clusterName}' is not a valid EKS cluster name (1-100 characters, [0-9A-Za-z][A-Za-z0-9-_]*)`,
    );
  }
  const lifetime = options.credentialLifetimeSeconds;
  if (
    lifetime !== undefined &&
    (!Number.isInteger(lifetime) ||
      lifetime < MIN_CREDENTIAL_LIFETIME_SECONDS ||
      lifetime > MAX_CREDENTIAL_LIFETIME_SECONDS)
  ) {
    throw new Error(
      `startSim: credentialLifetimeSeconds must be a whole number from ${MIN_CREDENTIAL_LIFETIME_SECONDS} to ${MAX_CREDENTIAL_LIFETIME_SECONDS}, got ${lifetime}`,
    );
  }
  if (lifetime !== undefined && options.externalAws) {
    throw new Error(
      'startSim: credentialLifetimeSeconds needs the embedded AWS (an external STS decides how long its sessions live)',
    );
  }
  const latency = resolveLatency(options.latency);
  const faults = withLatencyDelays(options.faults ?? {}, latency);
  const sabotage = options.sabotage ?? {};
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'pic-sim-')));
  await mkdir(stateDir, { recursive: true });
  // It holds the kubeconfig's bearer token: removed even when this process is killed.
  if (ownsStateDir) trackPath(stateDir);

  // Stopped in this order: pods first, then the agent they call, then the endpoints the agent calls.
  let kube: StartedKubeSim | undefined;
  let agent: PodIdentityAgent | undefined;
  const endpoints: Closable[] = [];
  const closeStarted = async () => {
    const errors: unknown[] = [];
    for (const part of [kube, agent, ...endpoints]) {
      try {
        await part?.close();
      } catch (error) {
        errors.push(error);
      }
    }
    kube = agent = undefined;
    endpoints.length = 0;
    if (ownsStateDir) {
      await rm(stateDir, { recursive: true, force: true });
      untrackPath(stateDir);
    }
    if (errors.length > 0) throw new AggregateError(errors, 'startSim: stopping the simulator failed');
  };

  try {
    const controlPlaneFor = (accountId: string) =>
      new EksControlPlane({
        region,
        accountId,
        associationPropagationDelayMs: faults.associationPropagationDelayMs,
        sabotage,
      });
    const kubeFaults =
      faults.apiServerErrorRate || faults.apiServerDelayRate
        ? {
            random: deriveRandom(faults.seed, 'api-server'),
            errorRate: faults.apiServerErrorRate,
            delayRate: faults.apiServerDelayRate,
            delayMs: faults.apiServerDelayMs,
          }
        : undefined;
    const startingKube = startKubeSim({
      clusterName,
      stateDir,
      podSandbox: options.podSandbox,
      ...(options.podToolDirs ? { podToolDirs: options.podToolDirs } : {}),
      ...(kubeFaults ? { faults: kubeFaults } : {}),
      ...nodesOf(options.conditions),
      droppedAddresses: (pod, namespace) => droppedForPod(options.conditions, pod, namespace),
      latency: {
        podStart: {
          schedulingMs: latency.podSchedulingMs,
          imagePullMs: latency.imagePullMs,
          containerStartMs: latency.containerStartMs,
        },
        namespaceDeletionMs: latency.namespaceDeletionMs,
      },
    }).then((sim) => (kube = sim));
    const startingAws = options.externalAws
      ? startExternalAws(
          options.externalAws,
          options.accountId,
          region,
          controlPlaneFor,
          endpoints,
          faults,
          sabotage,
        )
      : startEmbeddedAws(
          options.accountId ?? DEFAULT_ACCOUNT_ID,
          region,
          controlPlaneFor,
          endpoints,
          faults,
          sabotage,
          lifetime,
          options.targetRoleAccountId ?? DEFAULT_TARGET_ROLE_ACCOUNT_ID,
          latency,
        );
    // Wait for both, so that when one fails the other is still known and closed.
    const [kubeResult, awsResult] = await Promise.allSettled([startingKube, startingAws]);
    if (kubeResult.status === 'rejected') throw kubeResult.reason;
    if (awsResult.status === 'rejected') throw awsResult.reason;
    const kubeSim = kubeResult.value;
    const { aws, controlPlane } = awsResult.value;

    const cluster = controlPlane.addCluster(clusterName, kubeSim);
    aws.trustOidcIssuer?.(cluster.kubernetes.issuer, () => cluster.kubernetes.jwks());
    const withAgentAddon = options.podIdentityAgentAddon ?? true;
    if (!withAgentAddon) cluster.removeAddon(POD_IDENTITY_AGENT_ADDON);
    if (aws.eksTokens) {
      const { stsEndpoint, clusterCreatorArn } = aws.eksTokens;
      kubeSim.addTokenAuthenticator(
        createEksTokenAuthenticator(
          { clusterName, stsEndpoint, isClusterAdmin: (arn) => arn === clusterCreatorArn },
          unauthorized,
        ),
      );
    }
    const agentServer = await aws.startAgent(clusterName);
    agent = agentServer;

    kubeSim.addPodAdmissionHook(
      createPodIdentityAdmissionHook({
        cluster,
        random: deriveRandom(faults.seed, 'token-expiration-jitter'),
        sabotage,
        onError: (error, pod) =>
          process.stderr.write(
            `pod identity admission: ${pod.namespace}/${pod.name ?? '?'} admitted without mutation (fail open): ${error instanceof Error ? error.message : String(error)}\n`,
          ),
      }),
    );
    const imds =
      kubeSim.podSandbox.enabled && aws.issueNodeSession
        ? startInstanceMetadataService({
            ...options.imds,
            instanceId: NODE_INSTANCE_ID,
            region,
            accountId: aws.accountId,
            roleName: NODE_ROLE_NAME,
            issueSession: aws.issueNodeSession,
            isNodeAddress: (address) => NODE_ADDRESSES.has(address),
          })
        : undefined;
    if (imds) endpoints.push(imds);
    const podEndpoints = await reachableFromPods(kubeSim, agentServer, imds, [
      aws.podEndpointUrl,
      ...Object.values(aws.podServiceEndpointUrls ?? {}),
    ]);
    kubeSim.addSpawnEnvHook(
      createAgentSpawnEnvHook({
        agentUrl: agentServer.url,
        awsEndpointUrl: podEndpoints(aws.podEndpointUrl),
        serviceEndpointUrls: Object.fromEntries(
          Object.entries(aws.podServiceEndpointUrls ?? {}).map(([service, url]) => [
            service,
            podEndpoints(url),
          ]),
        ),
        sandboxed: kubeSim.podSandbox.enabled && !sabotage.podEnvRewritten,
      }),
    );
    if (sabotage.credentialsForUnassociatedPods && aws.issueNodeSession)
      kubeSim.addSpawnEnvHook(nodeCredentialsForUnassociatedPods(aws.issueNodeSession));
    // The add-on is what puts the agent on the node: its DaemonSet (and pod) and the agent answering
    // come and go with it, as CreateAddon and DeleteAddon run.
    const agentDaemonSet = () =>
      kubeSim.publishDaemonSet(
        podIdentityAgentDaemonSet({
          clusterName,
          region,
          createdAt: cluster.createdAt,
          ...(options.conditions?.agentTolerations
            ? { tolerations: options.conditions.agentTolerations }
            : {}),
        }),
      );
    cluster.addons.onChange(({ addonName, change }) => {
      if (addonName !== POD_IDENTITY_AGENT_ADDON) return;
      if (change === 'installed') {
        agentDaemonSet();
        agentServer.setEnabled(true);
      } else {
        kubeSim.unpublishDaemonSet('kube-system', AGENT_DAEMONSET_NAME);
        agentServer.setEnabled(false);
      }
    });
    if (withAgentAddon) agentDaemonSet();
    else agentServer.setEnabled(false);
    if (faults.agentRestartIntervalMs) endpoints.push(restartAgentPeriodically(agentServer, cluster, faults));

    const kubeconfigPath = join(stateDir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeSim.kubeconfigYaml, { mode: 0o600 });

    let closing: Promise<void> | undefined;
    return {
      kubeconfigPath,
      kubeconfigYaml: kubeSim.kubeconfigYaml,
      awsEndpointUrl: aws.endpointUrl,
      adminCredentials: aws.adminCredentials,
      accountId: aws.accountId,
      region,
      cluster: { name: clusterName, arn: cluster.arn },
      podSandbox: { ...kubeSim.podSandbox },
      ...(aws.targetRoleAccount ? { targetRoleAccount: aws.targetRoleAccount } : {}),
      ...(imds ? { imds: { ...imds.settings } } : {}),
      agentUrl: agentServer.url,
      close: () => {
        closing ??= closeStarted();
        return closing;
      },
    };
  } catch (error) {
    await closeStarted().catch(() => {});
    throw error;
  }
}

const FIRST_NODE = 'sim-node-1';

/** The cluster's nodes beyond the first, with their taints. */
function nodesOf(conditions: ClusterConditions | undefined): {
  nodeName: string;
  moreNodes: Array<{ name: string; taints: V1Taint[] }>;
} {
  const taints = (name: string) => conditions?.nodeTaints?.[name] ?? [];
  const count = conditions?.nodes ?? 1;
  const moreNodes = Array.from({ length: Math.max(0, count - 1) }, (_, i) => `sim-node-${i + 2}`).map(
    (name) => ({ name, taints: taints(name) }),
  );
  return { nodeName: FIRST_NODE, moreNodes };
}

/** A latency profile's propagation delays, where they are longer than the faults' own. */
function withLatencyDelays(faults: SimFaults, latency: SimLatency): SimFaults {
  const longer = (a?: number, b?: number) => (a || b ? Math.max(a ?? 0, b ?? 0) : undefined);
  return {
    ...faults,
    iamPropagationDelayMs: longer(faults.iamPropagationDelayMs, latency.iamPropagationDelayMs),
    associationPropagationDelayMs: longer(
      faults.associationPropagationDelayMs,
      latency.associationPropagationDelayMs,
    ),
  };
}

/**
 * The addresses a new pod's network drops packets to under the cluster's conditions: the agent's, for
 * namespaces a "network policy" selects, and on nodes the agent's DaemonSet does not run on.
 */
function droppedForPod(
  conditions: ClusterConditions | undefined,
  pod: V1Pod,
  namespace: V1Namespace | undefined,
): string[] {
  const agent = [NODE_NETWORK.agentIPv4, NODE_NETWORK.agentIPv6];
  const blocked = conditions?.agentBlockedForNamespaceLabel;
  if (blocked && namespace?.metadata?.labels?.[blocked.key] === blocked.value) return agent;
  const taints = conditions?.nodeTaints?.[pod.spec?.nodeName ?? ''] ?? [];
  const agentTolerations = conditions?.agentTolerations ?? AGENT_TOLERATIONS;
  if (untoleratedTaints({ spec: { taints } }, agentTolerations).length > 0) return agent;
  return [];
}

/** The agent's pod restarting now and then (faults.agentRestartIntervalMs), while the add-on is installed. */
function restartAgentPeriodically(
  agent: PodIdentityAgent,
  cluster: { addons: { describe(name: string): Record<string, unknown> | undefined } },
  faults: SimFaults,
): Closable {
  const downMs = faults.agentRestartDownMs ?? 300;
  const timer = setInterval(() => {
    if (cluster.addons.describe(POD_IDENTITY_AGENT_ADDON)?.status !== 'ACTIVE') return;
    agent.setEnabled(false);
    setTimeout(() => {
      if (cluster.addons.describe(POD_IDENTITY_AGENT_ADDON)?.status === 'ACTIVE') agent.setEnabled(true);
    }, downMs).unref();
  }, faults.agentRestartIntervalMs);
  timer.unref();
  return { close: async () => clearInterval(timer) };
}

/**
 * Sandbox mode: serves the agent on its link-local addresses in the node's network, and relays the AWS
 * endpoints pods use from the node's address (same port) to where they listen. Returns the URL a pod
 * uses for each endpoint URL (unchanged in fallback mode, where pods share the host's loopback).
 */
async function reachableFromPods(
  kubeSim: StartedKubeSim,
  agent: PodIdentityAgent,
  imds: InstanceMetadataService | undefined,
  endpointUrls: string[],
): Promise<(url: string) => string> {
  const listen = kubeSim.listenOnNode;
  if (!listen) return (url) => url;
  await listen(NODE_NETWORK.agentIPv4, 80, (socket) => agent.acceptConnection(socket));
  await listen(NODE_NETWORK.agentIPv6, 80, (socket) => agent.acceptConnection(socket));
  if (imds) {
    await listen(NODE_NETWORK.imdsIPv4, 80, (socket) => imds.acceptConnection(socket));
    await listen(NODE_NETWORK.imdsIPv6, 80, (socket) => imds.acceptConnection(socket));
  }
  const byUrl = new Map<string, string>();
  const relayedPorts = new Set<string>();
  for (const url of endpointUrls) {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    if (!relayedPorts.has(port)) {
      relayedPorts.add(port);
      const upstream = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(port) };
      await listen(NODE_NETWORK.nodeIP, Number(port), (socket) => relay(socket, upstream));
    }
    const forPods = new URL(url);
    forPods.hostname = NODE_NETWORK.nodeIP;
    forPods.port = port;
    byUrl.set(url, forPods.toString().replace(/\/$/, url.endsWith('/') ? '/' : ''));
  }
  return (url) => byUrl.get(url) ?? url;
}

/** Pipes a pod's connection to the endpoint on the host, both ways, until either side closes. */
function relay(socket: Socket, upstream: { host: string; port: number }): void {
  const target = connect(upstream);
  socket.on('error', () => target.destroy());
  target.on('error', () => socket.destroy());
  socket.pipe(target).pipe(socket);
}

/** The simulator's own AWS endpoint, with EKS and EKS Auth registered on it. */
async function startEmbeddedAws(
  accountId: string,
  region: string,
  controlPlaneFor: (accountId: string) => EksControlPlane,
  endpoints: Closable[],
  faults: SimFaults,
  sabotage: Sabotage,
  credentialLifetimeSeconds: number | undefined,
  targetRoleAccountId: string,
  latency: SimLatency,
): Promise<{ aws: AwsSide; controlPlane: EksControlPlane }> {
  const awsSim = await startAwsSim({
    accountId,
    region,
    sabotage,
    otherAccountIds: [targetRoleAccountId],
    faults: {
      seed: faults.seed,
      iamPropagationDelayMs: faults.iamPropagationDelayMs,
      throttleRate: faults.throttleRate,
      serverErrorRate: faults.serverErrorRate,
      droppedConnectionRate: faults.droppedConnectionRate,
      ...(latency.apiMs ? { serviceLatencyMs: latency.apiMs } : {}),
    },
  });
  endpoints.push(awsSim);
  const targetAccount = awsSim.otherAccounts[0]!;
  // What AWS Organizations creates in a member account: the management account may administer it.
  const organizationRole = targetAccount.iam.createRole({
    roleName: ORGANIZATION_ACCESS_ROLE_NAME,
    path: '/',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    },
    description: 'Lets the cluster account administer the second account (as AWS Organizations sets up)',
  });
  targetAccount.iam.putRolePolicy(ORGANIZATION_ACCESS_ROLE_NAME, 'AdministratorAccess', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  const controlPlane = controlPlaneFor(accountId);
  awsSim.registerService('eks', createEksApiHandler({ controlPlane }), { protocol: 'rest-json' });
  awsSim.registerService(
    'eks-auth',
    createEksAuthHandler({
      controlPlane,
      stsEndpoint: awsSim.url,
      region,
      credentials: awsSim.createServicePrincipalCredentials(POD_IDENTITY_SERVICE_PRINCIPAL),
      credentialLifetime: {
        defaultSeconds: credentialLifetimeSeconds,
        limitSession: (accessKeyId, expiresAt) => awsSim.limitSessionLifetime(accessKeyId, expiresAt),
      },
      sabotage,
    }),
    { protocol: 'rest-json' },
  );
  return {
    controlPlane,
    aws: {
      endpointUrl: awsSim.url,
      adminCredentials: awsSim.adminCredentials,
      accountId,
      podEndpointUrl: awsSim.url,
      eksTokens: { stsEndpoint: awsSim.url, clusterCreatorArn: awsSim.iam.getUser(ADMIN_USER_NAME).arn },
      targetRoleAccount: {
        accountId: targetAccount.accountId,
        adminCredentials: targetAccount.adminCredentials,
        organizationAccessRoleArn: organizationRole.arn,
      },
      startAgent: (clusterName) => startAgentAsNode(awsSim, clusterName, region, faults, sabotage),
      trustOidcIssuer: (issuer, jwks) => awsSim.registerOidcIssuer(issuer, jwks),
      issueNodeSession: () =>
        awsSim.createRoleSessionCredentials(
          `arn:aws:iam::${accountId}:role${NODE_ROLE_PATH}${NODE_ROLE_NAME}`,
          { sessionName: NODE_INSTANCE_ID },
        ),
    },
  };
}

/** The agent signs as the node: a role with eks-auth:AssumeRoleForPodIdentity, as AmazonEKSWorkerNodePolicy grants. */
async function startAgentAsNode(
  aws: AwsSim,
  clusterName: string,
  region: string,
  faults: SimFaults,
  sabotage: Sabotage,
): Promise<PodIdentityAgent> {
  const nodeRole = aws.iam.createRole({
    roleName: NODE_ROLE_NAME,
    path: NODE_ROLE_PATH,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    description: 'Node role of the simulated cluster: the pod identity agent signs EKS Auth calls with it',
  });
  // The managed policies EKS node groups carry; AmazonEKSWorkerNodePolicy grants the agent
  // eks-auth:AssumeRoleForPodIdentity.
  for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly'])
    aws.iam.attachRolePolicy(NODE_ROLE_NAME, AWS_MANAGED_POLICIES[policy]!.arn);
  return startPodIdentityAgent({
    clusterName,
    eksAuth: {
      endpoint: aws.url,
      region,
      credentials: createNodeCredentials((sessionName) =>
        aws.createRoleSessionCredentials(nodeRole.arn, { sessionName }),
      ),
    },
    // Short credentials (credentialLifetimeSeconds) are served for most of their life.
    cache: { scaleRefreshWindow: true },
    errorRate: faults.agentErrorRate,
    random: deriveRandom(faults.seed, 'agent-errors'),
    sabotage,
  });
}

/** IAM, STS and S3 from an external endpoint; EKS and EKS Auth on an endpoint of the simulator's own. */
async function startExternalAws(
  external: NonNullable<SimOptions['externalAws']>,
  accountIdOption: string | undefined,
  region: string,
  controlPlaneFor: (accountId: string) => EksControlPlane,
  endpoints: Closable[],
  faults: SimFaults,
  sabotage: Sabotage,
): Promise<{ aws: AwsSide; controlPlane: EksControlPlane }> {
  const clientConfig = {
    endpoint: external.endpoint,
    region,
    credentials: external.credentials,
    maxAttempts: 2,
  };
  let accountId = accountIdOption;
  if (!accountId) {
    const sts = new STSClient(clientConfig);
    try {
      accountId = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    } catch (error) {
      throw new Error(
        `startSim: could not reach the external AWS endpoint ${external.endpoint} (sts:GetCallerIdentity failed: ${error instanceof Error ? error.message : String(error)}); check that it is running and that the credentials are accepted, or pass accountId`,
      );
    } finally {
      sts.destroy();
    }
    if (!accountId)
      throw new Error(`startSim: the external AWS endpoint ${external.endpoint} reported no account id`);
  }
  const controlPlane = controlPlaneFor(accountId);
  const iam = new IAMClient(clientConfig);
  const roles = roleDirectoryFromIamApi(iam);
  const endpoint = await startExternalModeEndpoint({
    credentials: external.credentials,
    accountId,
    region,
    services: {
      eks: createEksApiHandler({ controlPlane, roleDirectory: () => roles }),
      'eks-auth': createEksAuthHandler({
        controlPlane,
        stsEndpoint: external.endpoint,
        region,
        credentials: external.credentials,
        sabotage,
      }),
    },
  });
  endpoints.push(endpoint, { close: async () => iam.destroy() });
  return {
    controlPlane,
    aws: {
      endpointUrl: endpoint.url,
      adminCredentials: external.credentials,
      accountId,
      podEndpointUrl: external.endpoint,
      podServiceEndpointUrls: { eks: endpoint.url, 'eks-auth': endpoint.url },
      startAgent: (clusterName) =>
        startPodIdentityAgent({
          clusterName,
          // There is no node role to sign as: the external credentials are the only ones accepted.
          eksAuth: { endpoint: endpoint.url, region, credentials: external.credentials },
          errorRate: faults.agentErrorRate,
          random: deriveRandom(faults.seed, 'agent-errors'),
          sabotage,
        }),
    },
  };
}
