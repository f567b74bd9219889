// An EKS cluster as the control plane knows it: what DescribeCluster reports, the Kubernetes side it
// fronts (API server, CA, service-account issuer and keys), its add-ons and its associations.

import { randomUUID } from 'node:crypto';
import type { Sabotage } from '../sabotage.ts';
import { addonArn, clusterArn } from './arns.ts';
import { AssociationStore } from './associations.ts';

export const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';
export const POD_IDENTITY_AGENT_ADDON_VERSION = 'v1.3.8-eksbuild.2';
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
  now?: () => number;
  sabotage?: Sabotage;
}

interface Addon {
  name: string;
  version: string;
  arn: string;
  createdAt: Date;
}

export class EksCluster {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly accountId: string;
  readonly createdAt: Date;
  readonly kubernetes: ClusterKubernetesSide;
  readonly associations: AssociationStore;
  readonly #addons = new Map<string, Addon>();

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
    this.#addons.set(POD_IDENTITY_AGENT_ADDON, {
      name: POD_IDENTITY_AGENT_ADDON,
      version: POD_IDENTITY_AGENT_ADDON_VERSION,
      arn: addonArn(options.region, options.accountId, options.name, POD_IDENTITY_AGENT_ADDON, randomUUID()),
      createdAt: this.createdAt,
    });
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
    return this.#addons.delete(name);
  }

  addonNames(): string[] {
    return [...this.#addons.keys()];
  }

  /** The `addon` member of DescribeAddon, or undefined when the cluster has no such add-on. */
  describeAddon(name: string): Record<string, unknown> | undefined {
    const addon = this.#addons.get(name);
    if (!addon) return undefined;
    return {
      addonName: addon.name,
      clusterName: this.name,
      status: 'ACTIVE',
      addonVersion: addon.version,
      health: { issues: [] },
      addonArn: addon.arn,
      createdAt: epochSeconds(addon.createdAt),
      modifiedAt: epochSeconds(addon.createdAt),
      tags: {},
      podIdentityAssociations: [],
    };
  }
}

/** AWS JSON protocols carry timestamps as epoch seconds with millisecond fractions. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
