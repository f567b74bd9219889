// The pod identity associations of one cluster. One association per (namespace, service account).
// Changes are eventually consistent, as in EKS: a created or updated association takes effect for the
// admission mutation and EKS Auth only after the propagation delay; until then the previous version
// (or nothing, for a new one) is what they see. Deletion takes effect at once.

import { randomUUID } from 'node:crypto';
import { randomLowerAlphanumeric } from '../random.ts';
import type { Sabotage } from '../sabotage.ts';
import { associationArn } from './arns.ts';
import { invalidParameter, resourceInUse, resourceNotFound } from './errors.ts';

export interface PodIdentityAssociation {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  associationArn: string;
  associationId: string;
  tags: Record<string, string>;
  createdAt: Date;
  modifiedAt: Date;
  ownerArn?: string;
  disableSessionTags: boolean;
  targetRoleArn?: string;
  externalId?: string;
  policy?: string;
}

export interface CreateAssociationInput {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  tags?: Record<string, string>;
  disableSessionTags?: boolean;
  targetRoleArn?: string;
  policy?: string;
  clientRequestToken?: string;
}

/** Only these can change; an empty string for targetRoleArn or policy removes it. */
export interface UpdateAssociationInput {
  roleArn?: string;
  disableSessionTags?: boolean;
  targetRoleArn?: string;
  policy?: string;
}

export interface AssociationFilter {
  namespace?: string;
  serviceAccount?: string;
}

interface StoredAssociation {
  /** Creation order, for stable pagination. */
  sequence: number;
  current: PodIdentityAssociation;
  /** What the data plane sees: versions with the time each takes effect, oldest first. */
  versions: Array<{ effectiveAt: number; association: PodIdentityAssociation }>;
}

export interface AssociationStoreOptions {
  clusterName: string;
  region: string;
  accountId: string;
  /** Delay before a created or updated association takes effect (ms). */
  propagationDelayMs?: number;
  now?: () => number;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

export const ASSOCIATION_ID_PATTERN = /^a-[a-z0-9]{17}$/;

export class AssociationStore {
  readonly #options: Required<Omit<AssociationStoreOptions, 'now' | 'sabotage'>> & {
    now: () => number;
    sabotage?: Sabotage;
  };
  readonly #byId = new Map<string, StoredAssociation>();
  readonly #idempotency = new Map<string, string>();
  /** Deleted associations the data plane still uses (sabotage associationDeletesIgnored). */
  readonly #ignoredDeletes: StoredAssociation[] = [];
  #sequence = 0;

  constructor(options: AssociationStoreOptions) {
    this.#options = { propagationDelayMs: 0, now: Date.now, ...options };
  }

  create(input: CreateAssociationInput): PodIdentityAssociation {
    if (input.clientRequestToken) {
      const earlier = this.#idempotency.get(input.clientRequestToken);
      const stored = earlier ? this.#byId.get(earlier) : undefined;
      if (stored) return clone(stored.current);
    }
    const existing = this.#findByServiceAccount(input.namespace, input.serviceAccount);
    if (existing) {
      throw resourceInUse(`Association already exists: ${existing.current.associationId}`, {
        clusterName: this.#options.clusterName,
      });
    }
    const { clusterName, region, accountId } = this.#options;
    let id: string;
    do id = `a-${randomLowerAlphanumeric(17)}`;
    while (this.#byId.has(id));
    const now = new Date(this.#options.now());
    const association: PodIdentityAssociation = {
      clusterName,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      roleArn: input.roleArn,
      associationArn: associationArn(region, accountId, clusterName, id),
      associationId: id,
      tags: { ...(input.tags ?? {}) },
      createdAt: now,
      modifiedAt: now,
      disableSessionTags: input.disableSessionTags ?? false,
      ...(input.targetRoleArn ? { targetRoleArn: input.targetRoleArn, externalId: randomUUID() } : {}),
      ...(input.policy ? { policy: input.policy } : {}),
    };
    validateCombination(association);
    this.#byId.set(id, {
      sequence: ++this.#sequence,
      current: association,
      versions: [{ effectiveAt: now.getTime() + this.#options.propagationDelayMs, association }],
    });
    if (input.clientRequestToken) this.#idempotency.set(input.clientRequestToken, id);
    return clone(association);
  }

  describe(associationId: string): PodIdentityAssociation {
    return clone(this.#get(associationId).current);
  }

  list(filter: AssociationFilter = {}): PodIdentityAssociation[] {
    return [...this.#byId.values()]
      .sort((a, b) => a.sequence - b.sequence)
      .map((stored) => stored.current)
      .filter(
        (a) =>
          (filter.namespace === undefined || a.namespace === filter.namespace) &&
          (filter.serviceAccount === undefined || a.serviceAccount === filter.serviceAccount),
      )
      .map(clone);
  }

  /** The associations after the one with this creation sequence number, with their sequence numbers. */
  listPage(
    filter: AssociationFilter,
    afterSequence: number,
    limit: number,
  ): { items: PodIdentityAssociation[]; lastSequence?: number; more: boolean } {
    const matching = [...this.#byId.values()]
      .filter((s) => s.sequence > afterSequence)
      .filter(
        (s) =>
          (filter.namespace === undefined || s.current.namespace === filter.namespace) &&
          (filter.serviceAccount === undefined || s.current.serviceAccount === filter.serviceAccount),
      )
      .sort((a, b) => a.sequence - b.sequence);
    const page = matching.slice(0, limit);
    return {
      items: page.map((s) => clone(s.current)),
      lastSequence: page.at(-1)?.sequence,
      more: matching.length > limit,
    };
  }

  update(associationId: string, input: UpdateAssociationInput): PodIdentityAssociation {
    const stored = this.#get(associationId);
    const next: PodIdentityAssociation = {
      ...clone(stored.current),
      modifiedAt: new Date(this.#options.now()),
    };
    if (input.roleArn !== undefined) next.roleArn = input.roleArn;
    if (input.disableSessionTags !== undefined) next.disableSessionTags = input.disableSessionTags;
    if (input.targetRoleArn !== undefined) {
      if (input.targetRoleArn === '') {
        delete next.targetRoleArn;
        delete next.externalId;
      } else {
        next.targetRoleArn = input.targetRoleArn;
        next.externalId ??= randomUUID();
      }
    }
    if (input.policy !== undefined) {
      if (input.policy === '') delete next.policy;
      else next.policy = input.policy;
    }
    validateCombination(next);
    stored.current = next;
    if (!this.#options.sabotage?.associationUpdatesIgnored)
      stored.versions.push({
        effectiveAt: next.modifiedAt.getTime() + this.#options.propagationDelayMs,
        association: next,
      });
    return clone(next);
  }

  delete(associationId: string): PodIdentityAssociation {
    const stored = this.#get(associationId);
    this.#byId.delete(associationId);
    if (this.#options.sabotage?.associationDeletesIgnored) this.#ignoredDeletes.push(stored);
    return clone(stored.current);
  }

  /** The association the data plane (admission, EKS Auth) sees for a service account right now. */
  effectiveFor(namespace: string, serviceAccount: string): PodIdentityAssociation | undefined {
    const stored =
      this.#findByServiceAccount(namespace, serviceAccount) ??
      this.#ignoredDeletes.find(
        (s) => s.current.namespace === namespace && s.current.serviceAccount === serviceAccount,
      );
    if (!stored) return undefined;
    const now = this.#options.now();
    const effective = stored.versions.filter((v) => v.effectiveAt <= now).at(-1);
    // Drop versions that have been superseded by an effective one.
    if (effective) stored.versions = stored.versions.filter((v) => v.effectiveAt >= effective.effectiveAt);
    return effective ? clone(effective.association) : undefined;
  }

  get size(): number {
    return this.#byId.size;
  }

  #get(associationId: string): StoredAssociation {
    const stored = this.#byId.get(associationId);
    if (!stored) {
      throw resourceNotFound(
        `No Pod Identity Association found for id: ${associationId} in cluster: ${this.#options.clusterName}`,
        { clusterName: this.#options.clusterName },
      );
    }
    return stored;
  }

  #findByServiceAccount(namespace: string, serviceAccount: string): StoredAssociation | undefined {
    for (const stored of this.#byId.values()) {
      if (stored.current.namespace === namespace && stored.current.serviceAccount === serviceAccount)
        return stored;
    }
    return undefined;
  }
}

function validateCombination(association: PodIdentityAssociation): void {
  if (association.policy !== undefined && !association.disableSessionTags) {
    throw invalidParameter(
      'A session policy can only be set on an association when disableSessionTags is true: set disableSessionTags to true or remove the policy',
    );
  }
}

function clone(association: PodIdentityAssociation): PodIdentityAssociation {
  return {
    ...association,
    tags: { ...association.tags },
    createdAt: new Date(association.createdAt),
    modifiedAt: new Date(association.modifiedAt),
  };
}
