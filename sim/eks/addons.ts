// The add-ons of one cluster and their lifecycle, as EKS's asynchronous workflows run it: CreateAddon
// answers CREATING and the add-on turns ACTIVE a moment later, UpdateAddon answers an InProgress update
// (UPDATING, then ACTIVE and Successful), DeleteAddon answers DELETING and the add-on is gone a moment
// later. Only eks-pod-identity-agent is in the catalog. What an add-on puts into the cluster (the
// agent's DaemonSet, the agent answering) is the listener's business: it hears when an add-on becomes
// installed and when it is removed.

import { randomUUID } from 'node:crypto';
import { addonArn } from './arns.ts';
import { invalidParameter, resourceInUse, resourceNotFound } from './errors.ts';

export const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';
/** The version a cluster starts with, and the default (newest) of DescribeAddonVersions. */
export const POD_IDENTITY_AGENT_ADDON_VERSION = 'v1.3.8-eksbuild.2';
/** How long CREATING, UPDATING and DELETING last (ms) unless the cluster says otherwise. */
export const DEFAULT_ADDON_TRANSITION_MS = 300;

export type AddonStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'CREATE_FAILED' | 'DELETE_FAILED';

interface CatalogEntry {
  type: string;
  publisher: string;
  owner: string;
  defaultNamespace: string;
  /** Newest first; the first is the default version. */
  versions: string[];
  /** Kubernetes versions every listed add-on version supports. */
  clusterVersions: string[];
}

const CATALOG = new Map<string, CatalogEntry>([
  [
    POD_IDENTITY_AGENT_ADDON,
    {
      type: 'security',
      publisher: 'eks',
      owner: 'aws',
      defaultNamespace: 'kube-system',
      versions: [
        POD_IDENTITY_AGENT_ADDON_VERSION,
        'v1.3.7-eksbuild.2',
        'v1.3.5-eksbuild.2',
        'v1.3.4-eksbuild.1',
      ],
      clusterVersions: ['1.33', '1.32', '1.31', '1.30', '1.29'],
    },
  ],
]);

export const RESOLVE_CONFLICTS = ['OVERWRITE', 'NONE', 'PRESERVE'];

/** What an add-on's installation did in the cluster; `removed` is not sent for DeleteAddon with preserve. */
export interface AddonChange {
  addonName: string;
  change: 'installed' | 'removed';
}

/** Throwing fails the step: CREATE_FAILED or DELETE_FAILED with the message as a health issue. */
export type AddonListener = (change: AddonChange) => void;

export interface CreateAddonInput {
  addonName: string;
  addonVersion?: string;
  serviceAccountRoleArn?: string;
  configurationValues?: string;
  tags?: Record<string, string>;
  clientRequestToken?: string;
}

/** Only these can change; an empty string for serviceAccountRoleArn or configurationValues removes it. */
export interface UpdateAddonInput {
  addonVersion?: string;
  serviceAccountRoleArn?: string;
  configurationValues?: string;
  resolveConflicts?: string;
  clientRequestToken?: string;
}

interface AddonUpdate {
  id: string;
  status: 'InProgress' | 'Successful' | 'Failed';
  params: Array<{ type: string; value: string }>;
  createdAt: Date;
}

interface AddonRecord {
  name: string;
  version: string;
  arn: string;
  status: AddonStatus;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
  serviceAccountRoleArn?: string;
  configurationValues?: string;
  clientRequestToken?: string;
  /** The listener has been told `installed` (and not yet `removed`). */
  installed: boolean;
  issues: Array<{ code: string; message: string; resourceIds: string[] }>;
  updates: Map<string, AddonUpdate>;
  updateTokens: Map<string, string>;
  /** The pending end of CREATING, UPDATING or DELETING. */
  timer?: NodeJS.Timeout;
}

export interface AddonStoreOptions {
  clusterName: string;
  region: string;
  accountId: string;
  kubernetesVersion: string;
  transitionMs?: number;
  now?: () => number;
}

export class AddonStore {
  readonly #options: AddonStoreOptions & { transitionMs: number; now: () => number };
  readonly #addons = new Map<string, AddonRecord>();
  readonly #listeners: AddonListener[] = [];

  constructor(options: AddonStoreOptions) {
    this.#options = {
      ...options,
      transitionMs: options.transitionMs ?? DEFAULT_ADDON_TRANSITION_MS,
      now: options.now ?? Date.now,
    };
  }

  /** Listens to installations and removals; called synchronously from the lifecycle's timers. */
  onChange(listener: AddonListener): void {
    this.#listeners.push(listener);
  }

  /** An add-on that is ACTIVE from the start (the cluster was created with it); the listener is not told. */
  seed(name: string, createdAt: Date): void {
    const record = this.#record(name, this.#catalogEntry(name).versions[0]!, createdAt, {});
    record.status = 'ACTIVE';
    record.installed = true;
    this.#addons.set(name, record);
  }

  /** Takes an add-on away at once, with no DELETING and no listener call; false when it was absent. */
  remove(name: string): boolean {
    const record = this.#addons.get(name);
    if (record?.timer) clearTimeout(record.timer);
    return this.#addons.delete(name);
  }

  names(): string[] {
    return [...this.#addons.keys()].sort();
  }

  describe(name: string): Record<string, unknown> | undefined {
    const record = this.#addons.get(name);
    return record ? this.#shape(record) : undefined;
  }

  create(input: CreateAddonInput): Record<string, unknown> {
    const existing = this.#addons.get(input.addonName);
    if (existing && input.clientRequestToken && existing.clientRequestToken === input.clientRequestToken) {
      return this.#shape(existing);
    }
    const entry = this.#supportedEntry(input.addonName);
    const version = input.addonVersion ?? entry.versions[0]!;
    this.#checkVersion(input.addonName, version);
    if (existing) throw resourceInUse('Addon already exists.');
    const record = this.#record(input.addonName, version, new Date(this.#options.now()), input.tags ?? {});
    if (input.serviceAccountRoleArn) record.serviceAccountRoleArn = input.serviceAccountRoleArn;
    if (input.configurationValues) record.configurationValues = input.configurationValues;
    record.clientRequestToken = input.clientRequestToken;
    this.#addons.set(record.name, record);
    this.#after(record, () => {
      try {
        this.#tell({ addonName: record.name, change: 'installed' });
        record.installed = true;
        this.#settle(record, 'ACTIVE');
      } catch (error) {
        record.issues = [{ code: 'InternalFailure', message: errorMessage(error), resourceIds: [] }];
        this.#settle(record, 'CREATE_FAILED');
      }
    });
    return this.#shape(record);
  }

  update(name: string, input: UpdateAddonInput): Record<string, unknown> {
    const record = this.#mustGet(name);
    const repeated = input.clientRequestToken && record.updateTokens.get(input.clientRequestToken);
    if (repeated) return updateShape(record.updates.get(repeated)!);
    if (record.status !== 'ACTIVE') {
      throw resourceInUse(`Addon ${name} cannot be updated as it is currently in ${record.status} state`, {
        clusterName: this.#options.clusterName,
        addonName: name,
      });
    }
    if (input.addonVersion !== undefined) this.#checkVersion(name, input.addonVersion);
    const params: AddonUpdate['params'] = [];
    if (input.addonVersion !== undefined) {
      record.version = input.addonVersion;
      params.push({ type: 'AddonVersion', value: input.addonVersion });
    }
    if (input.serviceAccountRoleArn !== undefined) {
      record.serviceAccountRoleArn = input.serviceAccountRoleArn || undefined;
      params.push({ type: 'ServiceAccountRoleArn', value: input.serviceAccountRoleArn });
    }
    if (input.resolveConflicts !== undefined) {
      params.push({ type: 'ResolveConflicts', value: input.resolveConflicts });
    }
    if (input.configurationValues !== undefined) {
      record.configurationValues = input.configurationValues || undefined;
      params.push({ type: 'ConfigurationValues', value: input.configurationValues });
    }
    const update: AddonUpdate = {
      id: randomUUID(),
      status: 'InProgress',
      params,
      createdAt: new Date(this.#options.now()),
    };
    record.updates.set(update.id, update);
    if (input.clientRequestToken) record.updateTokens.set(input.clientRequestToken, update.id);
    record.status = 'UPDATING';
    record.modifiedAt = update.createdAt;
    this.#after(record, () => {
      update.status = 'Successful';
      this.#settle(record, 'ACTIVE');
    });
    return updateShape(update);
  }

  /** The `update` member of DescribeUpdate for an add-on update, or undefined. */
  describeUpdate(name: string, updateId: string): Record<string, unknown> | undefined {
    const update = this.#addons.get(name)?.updates.get(updateId);
    return update ? updateShape(update) : undefined;
  }

  /** DELETING now, gone after the transition; `preserve` keeps what the add-on installed in the cluster. */
  delete(name: string, preserve: boolean): Record<string, unknown> {
    const record = this.#mustGet(name);
    if (record.status === 'DELETING') return this.#shape(record);
    record.status = 'DELETING';
    record.modifiedAt = new Date(this.#options.now());
    for (const update of record.updates.values())
      if (update.status === 'InProgress') update.status = 'Failed';
    this.#after(record, () => {
      try {
        if (record.installed && !preserve) this.#tell({ addonName: name, change: 'removed' });
        record.installed = false;
        this.#addons.delete(name);
      } catch (error) {
        record.issues = [{ code: 'InternalFailure', message: errorMessage(error), resourceIds: [] }];
        this.#settle(record, 'DELETE_FAILED');
      }
    });
    return this.#shape(record);
  }

  #catalogEntry(name: string): CatalogEntry {
    const entry = CATALOG.get(name);
    if (!entry) throw new Error(`AddonStore: ${name} is not in the simulator's add-on catalog`);
    return entry;
  }

  /** The catalog entry of an add-on the cluster's Kubernetes version supports, else EKS's 400. */
  #supportedEntry(name: string): CatalogEntry {
    const entry = CATALOG.get(name);
    if (!entry?.clusterVersions.includes(this.#options.kubernetesVersion)) {
      throw invalidParameter(
        `Addon ${name} specified is not supported in ${this.#options.kubernetesVersion} kubernetes version`,
        { clusterName: this.#options.clusterName, addonName: name },
      );
    }
    return entry;
  }

  #checkVersion(name: string, version: string): void {
    if (!this.#supportedEntry(name).versions.includes(version)) {
      throw invalidParameter('Addon version specified is not supported', {
        clusterName: this.#options.clusterName,
        addonName: name,
      });
    }
  }

  #mustGet(name: string): AddonRecord {
    const record = this.#addons.get(name);
    if (!record) {
      throw resourceNotFound(`No addon: ${name} found in cluster: ${this.#options.clusterName}`, {
        clusterName: this.#options.clusterName,
        addonName: name,
      });
    }
    return record;
  }

  #record(name: string, version: string, createdAt: Date, tags: Record<string, string>): AddonRecord {
    const { region, accountId, clusterName } = this.#options;
    return {
      name,
      version,
      arn: addonArn(region, accountId, clusterName, name, randomUUID()),
      status: 'CREATING',
      createdAt,
      modifiedAt: createdAt,
      tags: { ...tags },
      installed: false,
      issues: [],
      updates: new Map(),
      updateTokens: new Map(),
    };
  }

  /** Runs the end of a transition later (a timer, not holding the process open), replacing any pending one. */
  #after(record: AddonRecord, finish: () => void): void {
    if (record.timer) clearTimeout(record.timer);
    record.timer = setTimeout(() => {
      record.timer = undefined;
      finish();
    }, this.#options.transitionMs);
    record.timer.unref();
  }

  #settle(record: AddonRecord, status: AddonStatus): void {
    record.status = status;
    record.modifiedAt = new Date(this.#options.now());
  }

  #tell(change: AddonChange): void {
    for (const listener of this.#listeners) listener(change);
  }

  #shape(record: AddonRecord): Record<string, unknown> {
    return {
      addonName: record.name,
      clusterName: this.#options.clusterName,
      status: record.status,
      addonVersion: record.version,
      health: { issues: record.issues.map((issue) => ({ ...issue })) },
      addonArn: record.arn,
      createdAt: epochSeconds(record.createdAt),
      modifiedAt: epochSeconds(record.modifiedAt),
      ...(record.serviceAccountRoleArn ? { serviceAccountRoleArn: record.serviceAccountRoleArn } : {}),
      tags: { ...record.tags },
      ...(record.configurationValues ? { configurationValues: record.configurationValues } : {}),
      podIdentityAssociations: [],
    };
  }
}

/** The `addons` of DescribeAddonVersions, filtered as the request's query parameters say. */
export function describeAddonVersions(filter: {
  addonName?: string;
  kubernetesVersion?: string;
  types?: string[];
  publishers?: string[];
  owners?: string[];
}): Array<Record<string, unknown>> {
  const matches = (wanted: string[] | undefined, value: string) =>
    !wanted || wanted.length === 0 || wanted.includes(value);
  const result: Array<Record<string, unknown>> = [];
  for (const [name, entry] of CATALOG) {
    if (filter.addonName !== undefined && filter.addonName !== name) continue;
    if (!matches(filter.types, entry.type) || !matches(filter.publishers, entry.publisher)) continue;
    if (!matches(filter.owners, entry.owner)) continue;
    const clusterVersions = filter.kubernetesVersion
      ? entry.clusterVersions.filter((v) => v === filter.kubernetesVersion)
      : entry.clusterVersions;
    if (clusterVersions.length === 0) continue;
    result.push({
      addonName: name,
      type: entry.type,
      addonVersions: entry.versions.map((version, index) => ({
        addonVersion: version,
        architecture: ['amd64', 'arm64'],
        computeTypes: ['ec2', 'hybrid'],
        compatibilities: clusterVersions.map((clusterVersion) => ({
          clusterVersion,
          platformVersions: ['*'],
          defaultVersion: index === 0,
        })),
        requiresConfiguration: false,
        requiresIamPermissions: false,
      })),
      publisher: entry.publisher,
      owner: entry.owner,
      defaultNamespace: entry.defaultNamespace,
    });
  }
  return result;
}

function updateShape(update: AddonUpdate): Record<string, unknown> {
  return {
    id: update.id,
    status: update.status,
    type: 'AddonUpdate',
    params: update.params.map((param) => ({ ...param })),
    createdAt: epochSeconds(update.createdAt),
    errors: [],
  };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
