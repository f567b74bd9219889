// Namespaces. Creating one also creates what the cluster's controllers would: the `default` service
// account and the `kube-root-ca.crt` config map. Deleting one marks it Terminating, deletes its content
// (pods gracefully), and removes it once its pods are gone; meanwhile nothing new can be created in it.

import { setTimeout as delay } from 'node:timers/promises';
import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, timestamp, validateDns1123Label } from '../objects.ts';
import { type DeleteOptions, RestResource } from '../rest.ts';
import { type FieldError, forbidden } from '../status.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';

/** Namespaces a real cluster refuses to delete. */
const PROTECTED = new Set(['default', 'kube-system', 'kube-public']);

/** Namespaced resources whose objects go when their namespace goes, pods first. */
const NAMESPACED_CONTENT = ['pods', 'configmaps', 'serviceaccounts', 'events', 'daemonsets'];

export class NamespacesResource extends RestResource {
  readonly #finalizing = new Map<string, Promise<void>>();

  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'namespaces',
        singular: 'namespace',
        kind: 'Namespace',
        namespaced: false,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['ns'],
        fieldSelectors: ['status.phase'],
      },
      ctx,
    );
    this.printer = {
      columns: [NAME_COLUMN, column('Status', 'The status of the namespace'), AGE_COLUMN],
      cells: (object: KubeObject) => [
        object.metadata?.name ?? '',
        (object as V1Namespace).status?.phase ?? '',
        humanDuration(object.metadata?.creationTimestamp as unknown as string),
      ],
    };
  }

  protected override validateName(name: string): FieldError[] {
    return validateDns1123Label('metadata.name', name);
  }

  protected override async admit(object: KubeObject): Promise<void> {
    const namespace = object as V1Namespace;
    const name = namespace.metadata?.name ?? '';
    namespace.metadata = {
      ...namespace.metadata,
      labels: { ...(namespace.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': name },
    };
    namespace.spec = { finalizers: ['kubernetes'] };
    namespace.status = { phase: 'Active' };
  }

  protected override prepareUpdate(
    existing: KubeObject,
    updated: KubeObject,
    subresource?: string,
  ): KubeObject {
    const prepared = super.prepareUpdate(existing, updated, subresource) as V1Namespace;
    const old = existing as V1Namespace;
    prepared.status = old.status;
    prepared.spec = old.spec;
    prepared.metadata = {
      ...prepared.metadata,
      labels: {
        ...(prepared.metadata?.labels ?? {}),
        'kubernetes.io/metadata.name': old.metadata?.name ?? '',
      },
    };
    return prepared as KubeObject;
  }

  protected override afterCreate(object: KubeObject): void {
    const name = object.metadata?.name ?? '';
    this.ctx.store.create('serviceaccounts', {
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      metadata: {
        name: 'default',
        namespace: name,
        uid: crypto.randomUUID(),
        creationTimestamp: timestamp() as unknown as Date,
      },
    });
    this.ctx.store.create('configmaps', {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        uid: crypto.randomUUID(),
        creationTimestamp: timestamp() as unknown as Date,
        annotations: {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      },
      data: { 'ca.crt': this.ctx.caCertPem },
    });
  }

  override async remove(existing: KubeObject, options: DeleteOptions): Promise<KubeObject> {
    const name = existing.metadata?.name ?? '';
    if (PROTECTED.has(name)) throw forbidden('namespaces', name, 'this namespace may not be deleted');
    const namespace = existing as V1Namespace;
    if (namespace.status?.phase === 'Terminating') return existing;
    namespace.metadata = { ...namespace.metadata, deletionTimestamp: timestamp() as unknown as Date };
    const pods = this.ctx.store.count('pods', name);
    namespace.status = {
      phase: 'Terminating',
      ...(pods > 0
        ? {
            conditions: [
              {
                type: 'NamespaceContentRemaining',
                status: 'True',
                reason: 'SomeResourcesRemain',
                message: `Some resources are remaining: pods. has ${pods} resource instances`,
                lastTransitionTime: timestamp() as unknown as Date,
              },
            ],
          }
        : {}),
    };
    const terminating = this.ctx.store.update('namespaces', namespace);
    const finalizing = this.#finalize(name, options).finally(() => this.#finalizing.delete(name));
    this.#finalizing.set(name, finalizing);
    return terminating as KubeObject;
  }

  /** Deletes the namespace's content, waits for its pods to be gone, then removes the namespace. */
  async #finalize(name: string, options: DeleteOptions): Promise<void> {
    const removals: Promise<unknown>[] = [];
    for (const resourceName of NAMESPACED_CONTENT) {
      const resource = this.ctx.resources.get(resourceName);
      if (!resource) continue;
      for (const object of this.ctx.store.list(resourceName, name)) {
        const removal =
          resourceName === 'pods'
            ? (
                resource as RestResource & { removeAndWait(o: KubeObject, d: DeleteOptions): Promise<void> }
              ).removeAndWait(object, {
                gracePeriodSeconds: options.gracePeriodSeconds,
              })
            : Promise.resolve(this.ctx.store.delete(resourceName, name, object.metadata?.name ?? ''));
        removals.push(removal.catch(() => {}));
      }
    }
    await Promise.all(removals);
    // Latency profile: the namespace controller's sweep of a real cluster takes a while.
    if (this.ctx.namespaceDeletionMs) await delay(this.ctx.namespaceDeletionMs, undefined, { ref: false });
    // Objects made while pods were terminating (events from the kubelet) go too.
    for (const resourceName of NAMESPACED_CONTENT) {
      for (const object of this.ctx.store.list(resourceName, name))
        this.ctx.store.delete(resourceName, name, object.metadata?.name ?? '');
    }
    this.ctx.store.delete('namespaces', undefined, name);
  }

  /** Waits for namespaces being deleted to be gone (used when the simulator closes). */
  async settled(): Promise<void> {
    await Promise.all(this.#finalizing.values());
  }
}
