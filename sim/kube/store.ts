// The simulator's object store: every API object, a cluster-wide resourceVersion counter, and the
// change history that watches replay from a given resourceVersion (as etcd's watch does).

import type { V1ObjectMeta } from '@kubernetes/client-node';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: string;
  namespace: string;
  resourceVersion: number;
  object: KubeObject;
  /** The object before a MODIFIED change (watches with selectors turn a change out of scope into DELETED). */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

/** How many changes a watch can resume from; older resourceVersions get 410 Gone, as on a compacted etcd. */
const HISTORY_LIMIT = 5000;

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  #resourceVersion = 1000;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #history: StoreEvent[] = [];
  readonly #listeners = new Set<StoreListener>();

  get resourceVersion(): string {
    return String(this.#resourceVersion);
  }

  #table(resource: string): Map<string, KubeObject> {
    let table = this.#objects.get(resource);
    if (!table) {
      table = new Map();
      this.#objects.set(resource, table);
    }
    return table;
  }

  get<T = KubeObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    const object = this.#table(resource).get(keyOf(namespace, name));
    return object ? (structuredClone(object) as T) : undefined;
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace then name (a stable list order). */
  list<T = KubeObject>(resource: string, namespace?: string): T[] {
    const items: KubeObject[] = [];
    for (const object of this.#table(resource).values()) {
      if (namespace === undefined || object.metadata?.namespace === namespace) items.push(object);
    }
    items.sort((a, b) =>
      keyOf(a.metadata?.namespace, a.metadata?.name ?? '').localeCompare(
        keyOf(b.metadata?.namespace, b.metadata?.name ?? ''),
      ),
    );
    return items.map((item) => structuredClone(item) as T);
  }

  count(resource: string, namespace?: string): number {
    let n = 0;
    for (const object of this.#table(resource).values()) {
      if (namespace === undefined || object.metadata?.namespace === namespace) n++;
    }
    return n;
  }

  /** Stores a new object (the caller has checked it does not exist) and returns the stored copy. */
  create<T extends object>(resource: string, input: T): T {
    const object = input as KubeObject;
    const meta = object.metadata ?? {};
    const table = this.#table(resource);
    const key = keyOf(meta.namespace, meta.name ?? '');
    if (table.has(key)) throw new Error(`store: ${resource} ${key} already exists`);
    const stored = structuredClone(object);
    stored.metadata = { ...meta, resourceVersion: this.#nextVersion() };
    table.set(key, stored);
    this.#emit('ADDED', resource, stored);
    return structuredClone(stored) as T;
  }

  /** Replaces an existing object, bumping its resourceVersion. */
  update<T extends object>(resource: string, input: T): T {
    const object = input as KubeObject;
    const meta = object.metadata ?? {};
    const table = this.#table(resource);
    const key = keyOf(meta.namespace, meta.name ?? '');
    if (!table.has(key)) throw new Error(`store: ${resource} ${key} does not exist`);
    const previous = table.get(key);
    const stored = structuredClone(object);
    stored.metadata = { ...meta, resourceVersion: this.#nextVersion() };
    table.set(key, stored);
    this.#emit('MODIFIED', resource, stored, previous);
    return structuredClone(stored) as T;
  }

  /** Removes an object; returns its last state (with the deletion's resourceVersion), if it existed. */
  delete<T = KubeObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    const table = this.#table(resource);
    const key = keyOf(namespace, name);
    const existing = table.get(key);
    if (!existing) return undefined;
    table.delete(key);
    const last = structuredClone(existing);
    last.metadata = { ...last.metadata, resourceVersion: this.#nextVersion() };
    this.#emit('DELETED', resource, last);
    return structuredClone(last) as T;
  }

  /** Changes after `resourceVersion`, or `undefined` when the history no longer reaches back that far. */
  changesSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion >= this.#resourceVersion) return [];
    const oldest = this.#history[0];
    if (!oldest || oldest.resourceVersion > resourceVersion + 1) return undefined;
    return this.#history.filter((event) => event.resourceVersion > resourceVersion);
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #nextVersion(): string {
    this.#resourceVersion += 1;
    return String(this.#resourceVersion);
  }

  #emit(type: WatchEventType, resource: string, object: KubeObject, previous?: KubeObject): void {
    const event: StoreEvent = {
      type,
      resource,
      namespace: object.metadata?.namespace ?? '',
      resourceVersion: Number(object.metadata?.resourceVersion),
      object: structuredClone(object),
      ...(previous ? { previous } : {}),
    };
    this.#history.push(event);
    if (this.#history.length > HISTORY_LIMIT) this.#history.splice(0, this.#history.length - HISTORY_LIMIT);
    for (const listener of this.#listeners) listener(event);
  }
}
