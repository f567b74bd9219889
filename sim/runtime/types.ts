// What the pod runtime needs from the API server side (sim/kube), and what it offers to it.

import type { V1ConfigMap, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { IssuedToken } from '../kube/types.ts';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** e.g. `spec.containers{app}` */
  fieldPath?: string;
}

export interface PodRuntimeHost {
  /** A token for the pod's service account, bound to the pod (projected serviceAccountToken sources). */
  issuePodToken(pod: V1Pod, audiences: string[], expirationSeconds: number): Promise<IssuedToken>;
  /** The API server's audiences: the default audience of projected tokens. */
  defaultTokenAudiences: string[];
  readConfigMap(namespace: string, name: string): V1ConfigMap | undefined;
  /** Changes the stored pod's status, if the pod with this uid is still stored. */
  updatePodStatus(pod: V1Pod, mutate: (status: V1PodStatus) => void): void;
  recordPodEvent(pod: V1Pod, event: PodEvent): void;
  /** Applies the registered SpawnEnvHooks to a process environment. */
  applySpawnEnvHooks(env: Record<string, string>, pod: V1Pod, containerName: string): Record<string, string>;
  /** Variables every container gets from the cluster (KUBERNETES_SERVICE_HOST, ...). */
  serviceEnv(): Record<string, string>;
  /** Address of the node (and of pods): the simulator runs them on the host's loopback. */
  hostIP: string;
  /** Sandbox mode: addresses the pod's network drops packets to (an emulated network policy). */
  droppedAddresses?(pod: V1Pod): string[];
}

export interface PodRuntimeOptions {
  /** Pod sandboxes are created under `<stateDir>/pods/<uid>/`. */
  stateDir: string;
  /** Extra directories put first on pods' PATH. */
  podPath?: string[];
  /**
   * Host directories pod sandboxes show at their own paths, like the tools of an image (e.g. a
   * checkout whose scripts and node_modules pods run), also where the host's own directory is fresh
   * in a container (/tmp, /root).
   */
  podToolDirs?: string[];
  /**
   * Fraction of a projected token's lifetime after which it is reissued and rewritten (kubelet: 0.8).
   * Tests may lower it to see a refresh without waiting minutes.
   */
  tokenRefreshFraction?: number;
  /** The node's namespaces: pods run in namespaces of their own inside it. Absent: host processes. */
  node?: import('./sandbox/node.ts').NodeSandbox;
  /** Cap on terminationGracePeriodSeconds (SIGTERM → SIGKILL), in seconds. Default 2. */
  maxGracePeriodSeconds?: number;
  /**
   * The kubelet's restart back-off base in ms (default 10 000): doubled per restart up to 30 times it,
   * forgotten after a run of 60 times it. Tests lower it to see restarts quickly.
   */
  restartBackoffMs?: number;
  /** A latency profile's pod start: scheduling, the first pull of each image, container start (ms). */
  podStartLatency?: PodStartLatency;
}

export interface PodStartLatency {
  schedulingMs?: number;
  imagePullMs?: number;
  containerStartMs?: number;
}

export interface ExecOptions {
  stdin: boolean;
  tty: boolean;
}
