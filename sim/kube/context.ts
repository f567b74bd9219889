// What the API server's resources share: the store, the token issuer, the pod runtime, the hooks
// other parts of the simulator registered, and the server's own identity.

import type { V1Taint } from '@kubernetes/client-node';
import type { PodRuntime } from '../runtime/pod-runtime.ts';
import type { RestResource } from './rest.ts';
import type { ObjectStore } from './store.ts';
import type { ServiceAccountTokenIssuer } from './tokens.ts';
import type { PodAdmissionHook, SpawnEnvHook } from './types.ts';

export interface NodeIdentity {
  name: string;
  uid: string;
  taints?: V1Taint[];
}

export interface KubeContext {
  store: ObjectStore;
  tokens: ServiceAccountTokenIssuer;
  runtime: PodRuntime;
  /** https://127.0.0.1:PORT (set once the server listens). */
  apiServerUrl: string;
  /** The API server's token audiences (its issuer, as on EKS). */
  apiAudiences: string[];
  caCertPem: string;
  /** The first node: where the kubelet's events come from, and the only node without SimOptions nodes. */
  node: NodeIdentity;
  /** Every node, the first one first. */
  nodes: NodeIdentity[];
  clusterName: string;
  podAdmissionHooks: PodAdmissionHook[];
  spawnEnvHooks: SpawnEnvHook[];
  /** Resources by plural name (`pods`, `serviceaccounts`, ...), for cross-resource work like namespace deletion. */
  resources: Map<string, RestResource>;
  /** Latency profile: a deleted namespace stays Terminating this long after its content is gone. */
  namespaceDeletionMs?: number;
}
