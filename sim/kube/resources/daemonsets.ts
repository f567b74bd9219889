// DaemonSets are read-only to clients: the simulator itself publishes the ones it "runs" (e.g. the
// pod identity agent's) and takes them away again. Like the DaemonSet controller, it keeps one pod per
// node (the simulator has one) from the template, owned by the DaemonSet, replaced when deleted and
// removed with it. These pods are records only, shown Running and Ready: the simulator serves what
// they stand for itself (the agent), so the pod runtime never starts them.

import { createHash } from 'node:crypto';
import type { V1Container, V1DaemonSet, V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, newUid, randomSuffix, timestamp } from '../objects.ts';
import { RestResource } from '../rest.ts';
import { fitsNode } from '../scheduling.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';
import type { EventsResource } from './events.ts';
import { defaultContainer } from './pods.ts';

type DaemonSetObject = V1DaemonSet & KubeObject;
type PodObject = V1Pod & KubeObject;

/** The DaemonSet controller's defaults (pkg/controller/daemon/util.AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const HOST_NETWORK_TOLERATION = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};
/** The priority admission plugin's values for the built-in classes. */
const PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

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

  /** Subscribes to pod deletions: a deleted daemon pod is replaced while its DaemonSet exists. */
  watchPods(): void {
    this.ctx.store.subscribe((event) => {
      if (event.resource !== 'pods' || event.type !== 'DELETED') return;
      const owner = event.object.metadata?.ownerReferences?.find((ref) => ref.controller);
      if (owner?.kind !== 'DaemonSet') return;
      // After the DELETED event has reached every watcher, so that watches see it before the new pod.
      queueMicrotask(() => {
        const ds = this.ctx.store.get<DaemonSetObject>('daemonsets', event.namespace, owner.name);
        if (ds?.metadata?.uid === owner.uid) this.#reconcilePods(ds);
      });
    });
  }

  /** Stores or replaces a DaemonSet the simulator runs (namespace defaults to kube-system), with its pod. */
  publish(daemonSet: V1DaemonSet): V1DaemonSet {
    const object = structuredClone(daemonSet) as DaemonSetObject;
    const namespace = object.metadata?.namespace ?? 'kube-system';
    const name = object.metadata?.name;
    if (!name) throw new Error('publishDaemonSet: the DaemonSet needs metadata.name');
    const existing = this.ctx.store.get<DaemonSetObject>('daemonsets', namespace, name);
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
    const scheduled = this.#reconcilePods(object);
    const desired = this.#nodesFor(object).length;
    // The counts follow the pods (Running and Ready as soon as they exist), whatever the caller said.
    object.status = {
      ...(daemonSet.status ?? {}),
      currentNumberScheduled: scheduled,
      desiredNumberScheduled: desired,
      numberAvailable: scheduled,
      numberMisscheduled: 0,
      numberReady: scheduled,
      observedGeneration: generation,
      updatedNumberScheduled: scheduled,
    };
    const stored = existing
      ? this.ctx.store.update('daemonsets', object)
      : this.ctx.store.create('daemonsets', object);
    return stored as V1DaemonSet;
  }

  /** Deletes a published DaemonSet, then its pods (as the garbage collector would); false when absent. */
  unpublish(namespace: string, name: string): boolean {
    const removed = this.ctx.store.delete<DaemonSetObject>('daemonsets', namespace, name);
    if (!removed) return false;
    for (const pod of this.#podsOf(removed)) {
      this.ctx.store.delete('pods', namespace, pod.metadata?.name ?? '');
      this.#recordEvent(removed, 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
    }
    return true;
  }

  /**
   * One current pod on every node the template fits (its tolerations, with the controller's own, against
   * the node's taints): pods of an older template generation go, a missing pod is created. Returns how
   * many pods are scheduled (0 when the namespace no longer takes new content).
   */
  #reconcilePods(ds: DaemonSetObject): number {
    const namespace = ds.metadata?.namespace ?? '';
    const generation = String(ds.metadata?.generation ?? 1);
    const currentOn = new Set<string>();
    for (const pod of this.#podsOf(ds)) {
      if (pod.metadata?.labels?.['pod-template-generation'] === generation)
        currentOn.add(pod.spec?.nodeName ?? '');
      else this.ctx.store.delete('pods', namespace, pod.metadata?.name ?? '');
    }
    const ns = this.ctx.store.get('namespaces', undefined, namespace);
    const active = (ns?.status as { phase?: string } | undefined)?.phase === 'Active';
    for (const node of this.#nodesFor(ds)) {
      const name = node.metadata?.name ?? '';
      if (currentOn.has(name) || !active) continue;
      const pod = this.ctx.store.create('pods', this.#daemonPod(ds, node));
      this.#recordEvent(ds, 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
      currentOn.add(name);
    }
    return currentOn.size;
  }

  /** The nodes a DaemonSet's pods belong on. */
  #nodesFor(ds: DaemonSetObject): V1Node[] {
    const spec = ds.spec?.template?.spec;
    const tolerations = [...(spec?.tolerations ?? []), ...DAEMON_TOLERATIONS];
    return this.ctx.store
      .list<V1Node>('nodes')
      .filter((node) => fitsNode({ tolerations, nodeSelector: spec?.nodeSelector }, node));
  }

  #podsOf(ds: DaemonSetObject): PodObject[] {
    return this.ctx.store
      .list<PodObject>('pods', ds.metadata?.namespace)
      .filter(
        (pod) =>
          !pod.metadata?.deletionTimestamp &&
          pod.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === ds.metadata?.uid),
      );
  }

  /** The pod the DaemonSet controller makes from the template, bound to the node, as the kubelet reports it once running. */
  #daemonPod(ds: DaemonSetObject, node: V1Node): PodObject {
    const meta = ds.metadata ?? {};
    const template = structuredClone(ds.spec?.template ?? {});
    const spec = template.spec ?? { containers: [] };
    const nodeName = node.metadata?.name ?? '';
    const hostIP = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
    const now = timestamp() as unknown as Date;
    const containerID = () => `containerd://${createHash('sha256').update(newUid()).digest('hex')}`;
    const containers = spec.containers ?? [];
    const initContainers = spec.initContainers ?? [];
    for (const container of [...containers, ...initContainers]) defaultContainer(container);
    // Pinned to the node through node affinity, as the controller does (not through spec.nodeName alone).
    const pinned = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
    const terms =
      spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    const tolerations = [...(spec.tolerations ?? [])];
    for (const toleration of [
      ...DAEMON_TOLERATIONS,
      ...(spec.hostNetwork ? [HOST_NETWORK_TOLERATION] : []),
    ]) {
      if (!tolerations.some((t) => t.key === toleration.key && t.effect === toleration.effect))
        tolerations.push(toleration);
    }
    const serviceAccountName = spec.serviceAccountName || 'default';
    const condition = (type: string) => ({
      type,
      status: 'True',
      lastProbeTime: null as unknown as undefined,
      lastTransitionTime: now,
    });
    const status = (container: V1Container, ready: boolean) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      containerID: containerID(),
      ready,
      restartCount: 0,
    });
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...template.metadata,
        name: `${meta.name}-${randomSuffix()}`,
        generateName: `${meta.name}-`,
        namespace: meta.namespace,
        uid: newUid(),
        creationTimestamp: now,
        labels: {
          ...(template.metadata?.labels ?? {}),
          'controller-revision-hash': revisionHash(template),
          'pod-template-generation': String(meta.generation ?? 1),
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: meta.name ?? '',
            uid: meta.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        ...spec,
        containers,
        ...(initContainers.length > 0 ? { initContainers } : {}),
        nodeName,
        affinity: {
          ...spec.affinity,
          nodeAffinity: {
            ...spec.affinity?.nodeAffinity,
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: terms?.length
                ? terms.map((term) => ({ ...term, matchFields: pinned.matchFields }))
                : [pinned],
            },
          },
        },
        tolerations,
        serviceAccountName,
        serviceAccount: serviceAccountName,
        restartPolicy: spec.restartPolicy ?? 'Always',
        terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
        dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
        securityContext: spec.securityContext ?? {},
        schedulerName: spec.schedulerName ?? 'default-scheduler',
        enableServiceLinks: spec.enableServiceLinks ?? true,
        preemptionPolicy: spec.preemptionPolicy ?? 'PreemptLowerPriority',
        priority: spec.priority ?? PRIORITY_CLASSES[spec.priorityClassName ?? ''] ?? 0,
      },
      status: {
        phase: 'Running',
        conditions: [
          condition('PodReadyToStartContainers'),
          condition('Initialized'),
          condition('Ready'),
          condition('ContainersReady'),
          condition('PodScheduled'),
        ],
        hostIP,
        hostIPs: [{ ip: hostIP }],
        // hostNetwork: the pod has the node's address.
        podIP: hostIP,
        podIPs: [{ ip: hostIP }],
        startTime: now,
        qosClass: 'BestEffort',
        ...(initContainers.length > 0
          ? {
              initContainerStatuses: initContainers.map((container) => ({
                ...status(container, true),
                started: false,
                state: {
                  terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now },
                },
              })),
            }
          : {}),
        containerStatuses: containers.map((container) => ({
          ...status(container, true),
          started: true,
          state: { running: { startedAt: now } },
        })),
      },
    };
  }

  #recordEvent(ds: DaemonSetObject, reason: string, message: string): void {
    const events = this.ctx.resources.get('events') as EventsResource | undefined;
    events?.record(
      { kind: 'DaemonSet', apiVersion: 'apps/v1', ...ds },
      { type: 'Normal', reason, message, component: 'daemonset-controller' },
      '',
    );
  }
}

/** A stable short hash of the template, in the alphabet of generated names (like controller-revision-hash). */
function revisionHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...digest.subarray(0, 10)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
