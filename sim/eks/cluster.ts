// An EKS cluster as the control plane knows it: what DescribeCluster reports, the Kubernetes side it
// fronts (API server, CA, service-account issuer and keys), its add-ons and its associations.

import type { Sabotage } from '../sabotage.ts';
import { AddonStore, POD_IDENTITY_AGENT_ADDON } from './addons.ts';
import { clusterArn } from './arns.ts';
import { AssociationStore } from './associations.ts';

export { POD_IDENTITY_AGENT_ADDON, POD_IDENTITY_AGENT_ADDON_VERSION } from './addons.ts';
export const KUBERNETES_VERSION = '1.33';
export const PLATFORM_VERSION = 'eks.9';

/** The Kubernetes side of a cluster, as the simulator's API server exposes it. */
export interface ClusterKubernetesSide {
  apiServerUrl: string;
  caCertPem: string;
  /** The service-account issuer (iss of projected tokens). */
  issuer: string;
  /** The keys that sign service-account tokens (JWKS). Read on every verification: keys may rotate. */
  jwks(): { keys: Array<Record<string, unknown>> };
}

export interface ClusterOptions {
  name: string;
  region: string;
  accountId: string;
  kubernetes: ClusterKubernetesSide;
  associationPropagationDelayMs?: number;
  /** How long an add-on stays CREATING, UPDATING or DELETING (ms; default 300). */
  addonTransitionMs?: number;
  now?: () => number;
  sabotage?: Sabotage;
}

export class EksCluster {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly accountId: string;
  readonly createdAt: Date;
  readonly kubernetes: ClusterKubernetesSide;
  readonly associations: AssociationStore;
  /** The add-ons and their lifecycle; the cluster starts with the pod identity agent add-on ACTIVE. */
  readonly addons: AddonStore;

  constructor(options: ClusterOptions) {
    const now = options.now ?? Date.now;
    this.name = options.name;
    this.region = options.region;
    this.accountId = options.accountId;
    this.arn = clusterArn(options.region, options.accountId, options.name);
    this.createdAt = new Date(now());
    this.kubernetes = options.kubernetes;
    this.associations = new AssociationStore({
      clusterName: options.name,
      region: options.region,
      accountId: options.accountId,
      propagationDelayMs: options.associationPropagationDelayMs ?? 0,
      now,
      sabotage: options.sabotage,
    });
    this.addons = new AddonStore({
      clusterName: options.name,
      region: options.region,
      accountId: options.accountId,
      kubernetesVersion: KUBERNETES_VERSION,
      transitionMs: options.addonTransitionMs,
      now,
    });
    this.addons.seed(POD_IDENTITY_AGENT_ADDON, this.createdAt);
  }

  /** The `cluster` member of DescribeCluster (timestamps as epoch seconds, as on the wire). */
  describe(): Record<string, unknown> {
    return {
      name: this.name,
      arn: this.arn,
      createdAt: epochSeconds(this.createdAt),
      version: KUBERNETES_VERSION,
      endpoint: this.kubernetes.apiServerUrl,
      roleArn: `arn:aws:iam::${this.accountId}:role/eks-cluster-role`,
      resourcesVpcConfig: {
        subnetIds: [],
        securityGroupIds: [],
        endpointPublicAccess: true,
        endpointPrivateAccess: false,
        publicAccessCidrs: ['0.0.0.0/0'],
      },
      kubernetesNetworkConfig: {
        serviceIpv4Cidr: '10.100.0.0/16',
        ipFamily: 'ipv4',
        elasticLoadBalancing: { enabled: false },
      },
      logging: {
        clusterLogging: [
          { types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false },
        ],
      },
      identity: { oidc: { issuer: this.kubernetes.issuer } },
      status: 'ACTIVE',
      certificateAuthority: { data: Buffer.from(this.kubernetes.caCertPem).toString('base64') },
      platformVersion: PLATFORM_VERSION,
      tags: {},
      health: { issues: [] },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      upgradePolicy: { supportType: 'STANDARD' },
    };
  }

  /** Takes an add-on away (a cluster without the pod identity agent add-on); false when it was absent. */
  removeAddon(name: string): boolean {
    return this.addons.remove(name);
  }
}

/** AWS JSON protocols carry timestamps as epoch seconds with millisecond fractions. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
