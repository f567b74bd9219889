// DaemonSets are read-only to clients: the simulator itself publishes the ones it "runs" (e.g. the
// pod identity agent's), with a status saying they run on its single node.

import type { V1DaemonSet } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, newUid, timestamp } from '../objects.ts';
import { RestResource } from '../rest.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';

export class DaemonSetsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: 'apps',
        version: 'v1',
        resource: 'daemonsets',
        singular: 'daemonset',
        kind: 'DaemonSet',
        namespaced: true,
        verbs: ['get', 'list', 'watch'],
        shortNames: ['ds'],
        categories: ['all'],
      },
      ctx,
    );
    const integer = { type: 'integer' as const };
    this.printer = {
      columns: [
        NAME_COLUMN,
        column('Desired', 'The desired number of nodes that should be running the daemon pod.', integer),
        column(
          'Current',
          'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
          integer,
        ),
        column(
          'Ready',
          'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
          integer,
        ),
        column('Up-to-date', 'The total number of nodes that are running updated daemon pod', integer),
        column(
          'Available',
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
          integer,
        ),
        column(
          'Node Selector',
          "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
        ),
        AGE_COLUMN,
        column('Containers', 'Names of each container in the template.', { priority: 1 }),
        column('Images', 'Images referenced by each container in the template.', { priority: 1 }),
        column('Selector', 'A label query over pods that are managed by the daemon set.', { priority: 1 }),
      ],
      cells: (object: KubeObject) => {
        const ds = object as V1DaemonSet;
        const status = ds.status;
        const containers = ds.spec?.template.spec?.containers ?? [];
        const nodeSelector = Object.entries(ds.spec?.template.spec?.nodeSelector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        const selector = Object.entries(ds.spec?.selector.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        return [
          ds.metadata?.name ?? '',
          status?.desiredNumberScheduled ?? 0,
          status?.currentNumberScheduled ?? 0,
          status?.numberReady ?? 0,
          status?.updatedNumberScheduled ?? 0,
          status?.numberAvailable ?? 0,
          nodeSelector || '<none>',
          humanDuration(ds.metadata?.creationTimestamp as unknown as string),
          containers.map((c) => c.name).join(','),
          containers.map((c) => c.image).join(','),
          selector || '<none>',
        ];
      },
    };
  }

  /** Stores or replaces a DaemonSet the simulator runs (namespace defaults to kube-system). */
  publish(daemonSet: V1DaemonSet): V1DaemonSet {
    const object = structuredClone(daemonSet) as V1DaemonSet & KubeObject;
    const namespace = object.metadata?.namespace ?? 'kube-system';
    const name = object.metadata?.name;
    if (!name) throw new Error('publishDaemonSet: the DaemonSet needs metadata.name');
    const existing = this.ctx.store.get<V1DaemonSet & KubeObject>('daemonsets', namespace, name);
    const generation = (existing?.metadata?.generation ?? 0) + 1;
    object.kind = 'DaemonSet';
    object.apiVersion = 'apps/v1';
    object.metadata = {
      ...object.metadata,
      name,
      namespace,
      uid: existing?.metadata?.uid ?? newUid(),
      creationTimestamp: existing?.metadata?.creationTimestamp ?? (timestamp() as unknown as Date),
      generation,
    };
    object.status = {
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberAvailable: 1,
      numberMisscheduled: 0,
      numberReady: 1,
      observedGeneration: generation,
      updatedNumberScheduled: 1,
      ...(daemonSet.status ?? {}),
    };
    const stored = existing
      ? this.ctx.store.update('daemonsets', object)
      : this.ctx.store.create('daemonsets', object);
    return stored as V1DaemonSet;
  }
}
