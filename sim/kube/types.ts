// Contract between the simulator's Kubernetes part (sim/kube, sim/runtime) and the parts that plug into
// it (sim/eks mutates pods at admission and verifies tokens; sim/index.ts composes everything).
// Objects are plain JSON as Kubernetes serialises them (the @kubernetes/client-node V1* types describe them).

import type { V1DaemonSet, V1Pod, V1ServiceAccount } from '@kubernetes/client-node';

/** Context for a pod admission hook, on CREATE only (as EKS's mutating webhook). */
export interface PodAdmissionContext {
  namespace: string;
  serviceAccount: V1ServiceAccount;
}

/**
 * Mutates the pod in place before it is stored (defaults such as uid, serviceAccountName and the
 * kube-api-access volume are already applied). Throwing rejects the pod; a hook that must fail open
 * (failurePolicy: Ignore) catches its own errors.
 */
export type PodAdmissionHook = (pod: V1Pod, ctx: PodAdmissionContext) => void | Promise<void>;

export interface ServiceAccountTokenRequest {
  namespace: string;
  serviceAccountName: string;
  audiences: string[];
  expirationSeconds: number;
  /** Bind the token to a pod: adds kubernetes.io.pod {name, uid} claims. */
  boundPod?: { name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/**
 * Per-process environment rewriting at spawn time. The stored pod shows what a real cluster stores;
 * only when a process starts does the runtime map, e.g., the agent's link-local address to loopback.
 * Called for every container start and every exec.
 */
export type SpawnEnvHook = (
  env: Record<string, string>,
  pod: V1Pod,
  containerName: string,
) => Record<string, string>;

export interface KubeSim {
  /** https://127.0.0.1:PORT */
  apiServerUrl: string;
  /** A kubeconfig (YAML) with the CA, the server and an admin bearer token. */
  kubeconfigYaml: string;
  caCertPem: string;
  /** The service-account issuer (iss claim) and its JWKS, as /.well-known/openid-configuration says. */
  issuer: string;
  jwks(): { keys: Array<Record<string, unknown>> };
  addPodAdmissionHook(hook: PodAdmissionHook): void;
  addSpawnEnvHook(hook: SpawnEnvHook): void;
  issueServiceAccountToken(request: ServiceAccountTokenRequest): Promise<IssuedToken>;
  /**
   * Objects the simulator itself publishes, read-only to clients (e.g. the pod identity agent's DaemonSet),
   * with one Running pod on the node that the runtime does not run (a record of what the simulator serves).
   */
  publishDaemonSet(daemonSet: V1DaemonSet): void;
  /** Takes a published DaemonSet and its pods away; false when there was none. */
  unpublishDaemonSet(namespace: string, name: string): boolean;
  close(): Promise<void>;
}
