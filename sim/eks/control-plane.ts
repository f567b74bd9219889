// The EKS control plane of one simulated account and region: its clusters. The EKS API and EKS Auth
// handlers, the admission hook and the composed simulator all read the same instance.

import type { Sabotage } from '../sabotage.ts';
import { type ClusterKubernetesSide, EksCluster } from './cluster.ts';

export interface EksControlPlaneOptions {
  region: string;
  accountId: string;
  /** A created or updated association takes effect this long after the call returns (ms). */
  associationPropagationDelayMs?: number;
  /** How long an add-on stays CREATING, UPDATING or DELETING (ms; default 300). */
  addonTransitionMs?: number;
  now?: () => number;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

export class EksControlPlane {
  readonly region: string;
  readonly accountId: string;
  readonly #clusters = new Map<string, EksCluster>();
  readonly #options: EksControlPlaneOptions;

  constructor(options: EksControlPlaneOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.#options = options;
  }

  addCluster(name: string, kubernetes: ClusterKubernetesSide): EksCluster {
    if (this.#clusters.has(name)) {
      throw new Error(`Cannot add cluster ${name}: a cluster with that name already exists in the simulator`);
    }
    const cluster = new EksCluster({
      name,
      region: this.region,
      accountId: this.accountId,
      kubernetes,
      associationPropagationDelayMs: this.#options.associationPropagationDelayMs,
      addonTransitionMs: this.#options.addonTransitionMs,
      now: this.#options.now,
      sabotage: this.#options.sabotage,
    });
    this.#clusters.set(name, cluster);
    return cluster;
  }

  get sabotage(): Sabotage {
    return this.#options.sabotage ?? {};
  }

  getCluster(name: string): EksCluster | undefined {
    return this.#clusters.get(name);
  }

  clusterNames(): string[] {
    return [...this.#clusters.keys()].sort();
  }
}
