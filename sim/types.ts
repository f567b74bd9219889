// The composed simulator's options and handle (sim/index.ts startSim). The embedded target and the
// standalone `npm run sim` are thin wrappers around it.

import type { V1Taint, V1Toleration } from '@kubernetes/client-node';
import type { ImdsSettings } from './imds/server.ts';
import type { LatencyProfileName, SimLatency } from './latency.ts';
import type { Sabotage } from './sabotage.ts';

export type { LatencyProfileName, SimLatency } from './latency.ts';
export type { Sabotage } from './sabotage.ts';

export interface SimFaults {
  /** Makes fault injection repeatable. */
  seed?: number;
  /** A new IAM role is not visible/assumable for this long after creation. */
  iamPropagationDelayMs?: number;
  /** A new or updated pod identity association takes effect (mutation and EKS Auth) after this long. */
  associationPropagationDelayMs?: number;
  /** Fraction (0..1) of AWS calls answered with throttling errors. */
  throttleRate?: number;
  /** Fraction (0..1) of AWS calls answered with 5xx errors. */
  serverErrorRate?: number;
  /** Fraction (0..1) of agent credential requests answered with a 500. */
  agentErrorRate?: number;
  /** Fraction (0..1) of AWS calls whose connection is closed without an answer. */
  droppedConnectionRate?: number;
  /** Fraction (0..1) of API server requests (not watch, exec or logs) answered 429 or, for reads, 500. */
  apiServerErrorRate?: number;
  /** Fraction (0..1) of API server reads answered only after `apiServerDelayMs` (a slow apiserver). */
  apiServerDelayRate?: number;
  apiServerDelayMs?: number;
  /** The agent restarts this often: for `agentRestartDownMs` it refuses connections, and its cache is lost. */
  agentRestartIntervalMs?: number;
  agentRestartDownMs?: number;
}

/**
 * How the cluster is set up, as users get it wrong (spec §6): conditions that make Pod Identity fail
 * for a reason outside Pod Identity itself, so the suite's diagnosis of each can be proven. Need the
 * pod sandbox (pods' own network), except where noted.
 */
export interface ClusterConditions {
  /**
   * Pods in namespaces carrying this label cannot reach the agent: their packets to 169.254.170.23 and
   * [fd00:ec2::23] are dropped, as a NetworkPolicy without an egress rule for them does.
   */
  agentBlockedForNamespaceLabel?: { key: string; value: string };
  /** How many nodes the cluster has (default 1): sim-node-1, sim-node-2, … Pods spread over those they fit. */
  nodes?: number;
  /** Taints by node name, e.g. { 'sim-node-2': [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }] }. */
  nodeTaints?: Record<string, V1Taint[]>;
  /**
   * The agent DaemonSet's tolerations (default: every taint, as the add-on ships). With fewer, nodes
   * whose taints they miss get no agent pod, and pods there find nothing on 169.254.170.23 (timeouts).
   */
  agentTolerations?: V1Toleration[];
}

export interface SimOptions {
  accountId?: string;
  region?: string;
  clusterName?: string;
  /** Where pod sandboxes and the kubeconfig are written (default: a fresh temp dir, removed on close). */
  stateDir?: string;
  /**
   * Pods in namespaces of their own (network, mount, UTS, PID): `auto` (default) where unprivileged user
   * namespaces work, else host processes with mapped paths; `required` fails without; `off` never.
   */
  podSandbox?: 'auto' | 'required' | 'off';
  /**
   * Host directories sandboxed pods see at their own paths, as tools an image would carry (the harness
   * passes its checkout, so that pods run its SDK probe with its node_modules), even under /tmp or /root.
   */
  podToolDirs?: string[];
  /**
   * The node's instance metadata service as its launch template sets it (default: tokens required, hop
   * limit 1, as EKS recommends). Served in the pod sandbox with the embedded AWS only.
   */
  imds?: ImdsSettings;
  faults?: SimFaults;
  /**
   * How long the credentials EKS Auth hands out live, in seconds (2 to 3600; default: STS's 3600). The
   * agent refreshes them ahead of expiry by min(15 s, a quarter of their lifetime), so short lifetimes
   * still serve most of their life. An association tagged `pod-identity-sim:credential-lifetime-seconds`
   * gets that lifetime instead. Embedded AWS only.
   */
  credentialLifetimeSeconds?: number;
  /**
   * The second account, where cross-account target roles (`targetRoleArn`) live (default
   * 444455556666). It has its own IAM and admin user, and the role OrganizationAccountAccessRole that
   * the cluster account may assume (admin inside it), as AWS Organizations creates in member accounts.
   * Embedded AWS only.
   */
  targetRoleAccountId?: string;
  /**
   * Make the simulator as slow as a real cluster where one is slow (sim/latency.ts): `'eks'`, or the
   * waits spelled out. Propagation delays join those of `faults` (the longer one wins).
   */
  latency?: SimLatency | LatencyProfileName;
  /**
   * Use an external AWS endpoint (LocalStack or compatible) for IAM, STS and S3 instead of the
   * simulator's own; EKS, EKS Auth and the agent stay in the simulator and assume roles through it.
   */
  externalAws?: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /**
   * false: the cluster has no eks-pod-identity-agent add-on (DescribeAddon: ResourceNotFound) and
   * kube-system has no agent DaemonSet, as on a cluster where the agent was never installed; for testing
   * preflight checks. The simulator's agent itself still runs. Default true.
   */
  podIdentityAgentAddon?: boolean;
  /** A misconfigured cluster (network policy, nodes without the agent): see ClusterConditions. */
  conditions?: ClusterConditions;
  /**
   * Deliberate misbehaviour (sim/sabotage.ts), for the project's own negative tests only: proves that
   * each conformance case fails when the behaviour it checks is broken. Never set by targets. Only the
   * embedded AWS mode honours the IAM, S3 and node-credential flags.
   */
  sabotage?: Sabotage;
}

export interface SimHandle {
  /** Path of the kubeconfig file written under the state dir. */
  kubeconfigPath: string;
  kubeconfigYaml: string;
  /** The one endpoint for iam, sts, s3, eks and eks-auth (http://127.0.0.1:PORT). */
  awsEndpointUrl: string;
  /** Runner (admin) credentials. Secret: never log. */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  accountId: string;
  region: string;
  cluster: { name: string; arn: string };
  /** The second account (embedded AWS only): its id, admin keys (secret: never log) and the role the cluster account may assume there. */
  targetRoleAccount?: {
    accountId: string;
    adminCredentials: { accessKeyId: string; secretAccessKey: string };
    organizationAccessRoleArn: string;
  };
  /** Whether pods run in namespaces of their own (a pod sandbox), and why (not). */
  podSandbox: { enabled: boolean; reason: string };
  /** The instance metadata service pods can reach on 169.254.169.254, when the simulator serves one. */
  imds?: { httpTokens: 'optional' | 'required'; hopLimit: number };
  /** The agent on loopback (benchmarks; pods reach it on 169.254.170.23). Send `Host: 169.254.170.23`. */
  agentUrl?: string;
  /** Stops every process and frees every port the simulator started. */
  close(): Promise<void>;
}
