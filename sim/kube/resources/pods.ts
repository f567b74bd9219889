// Pods: admission (defaults, service account, the kube-api-access volume, then the registered hooks),
// scheduling onto the simulator's single node, the runtime's processes, graceful deletion, and the
// status and log subresources. Exec is served over websocket by exec.ts.

import type { V1Container, V1Node, V1Pod, V1ServiceAccount, V1Volume } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, randomSuffix, timestamp, validateDns1123Label } from '../objects.ts';
import { type ApiRequest, type DeleteOptions, type Reply, RestResource } from '../rest.ts';
import { chooseNode } from '../scheduling.ts';
import {
  badRequest,
  type FieldError,
  forbidden,
  internalError,
  invalid,
  KubeStatusError,
  resourceNotFound,
} from '../status.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';
import type { EventsResource, RecordedEvent } from './events.ts';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The volume a real cluster adds for the service account token, CA bundle and namespace. */
export function kubeApiAccessVolume(): V1Volume {
  return {
    name: `kube-api-access-${randomSuffix()}`,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/** The API server's container defaults (also applied to the pods DaemonSets make). */
export function defaultContainer(container: V1Container): void {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  if (!container.imagePullPolicy) {
    const image = container.image ?? '';
    const lastPart = image.split('/').pop() ?? '';
    const tag = lastPart.includes('@')
      ? 'digest'
      : lastPart.includes(':')
        ? lastPart.split(':').pop()
        : 'latest';
    container.imagePullPolicy = tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  container.resources ??= {};
}

/** STATUS as `kubectl get pods` shows it (the pod printer's logic). */
export function podStatusReason(pod: V1Pod): string {
  let reason = pod.status?.reason ?? pod.status?.phase ?? '';
  let initializing = false;
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  for (const [index, status] of initStatuses.entries()) {
    const terminated = status.state?.terminated;
    const waiting = status.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (status.state?.running && (pod.spec?.initContainers ?? [])[index]?.restartPolicy === 'Always')
      continue;
    if (terminated) {
      reason = terminated.reason ? `Init:${terminated.reason}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${index}/${(pod.spec?.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const state = statuses[i].state;
      if (state?.waiting?.reason) reason = state.waiting.reason;
      else if (state?.terminated?.reason) reason = state.terminated.reason;
      else if (state?.terminated) reason = `ExitCode:${state.terminated.exitCode}`;
      else if (state?.running && statuses[i].ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp) reason = 'Terminating';
  return reason;
}

/**
 * RESTARTS as `kubectl get pods` shows it: the init containers' restarts while the pod initialises,
 * then the sidecars' and regular containers', with the time since the latest of those ended.
 */
export function podRestarts(pod: V1Pod): string {
  const initialized = pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  const counted = [
    ...(pod.status?.initContainerStatuses ?? []).filter((s) => !initialized || sidecars.has(s.name)),
    ...(initialized ? (pod.status?.containerStatuses ?? []) : []),
  ];
  let restarts = 0;
  let last = '';
  for (const status of counted) {
    restarts += status.restartCount ?? 0;
    const finished = status.lastState?.terminated?.finishedAt as unknown as string | undefined;
    if (finished && finished > last) last = finished;
  }
  return restarts > 0 && last ? `${restarts} (${humanDuration(last)} ago)` : String(restarts);
}

type PodObject = V1Pod & KubeObject;

export class PodsResource extends RestResource {
  /** Deletions in progress, by pod uid: resolve once the pod is gone from the store. */
  readonly #removals = new Map<string, Promise<void>>();

  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'pods',
        singular: 'pod',
        kind: 'Pod',
        namespaced: true,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['po'],
        categories: ['all'],
        fieldSelectors: [
          'spec.nodeName',
          'spec.restartPolicy',
          'spec.schedulerName',
          'spec.serviceAccountName',
          'spec.hostNetwork',
          'status.phase',
          'status.podIP',
          'status.nominatedNodeName',
        ],
      },
      ctx,
    );
    this.printer = {
      columns: [
        NAME_COLUMN,
        column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
        column('Status', 'The aggregate status of the containers in this pod.'),
        column(
          'Restarts',
          'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
        ),
        AGE_COLUMN,
        column(
          'IP',
          'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
          { priority: 1 },
        ),
        column('Node', 'NodeName is a request to schedule this pod onto a specific node.', { priority: 1 }),
        column(
          'Nominated Node',
          'nominatedNodeName is set only when this pod preempts other pods on the node.',
          { priority: 1 },
        ),
        column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', {
          priority: 1,
        }),
      ],
      cells: (object: KubeObject) => {
        const pod = object as V1Pod;
        const statuses = pod.status?.containerStatuses ?? [];
        const ready = statuses.filter((status) => status.ready).length;
        return [
          pod.metadata?.name ?? '',
          `${ready}/${(pod.spec?.containers ?? []).length}`,
          podStatusReason(pod),
          podRestarts(pod),
          humanDuration(pod.metadata?.creationTimestamp as unknown as string),
          pod.status?.podIP ?? '<none>',
          pod.spec?.nodeName ?? '<none>',
          '<none>',
          '<none>',
        ];
      },
    };
  }

  override subresourceInfo() {
    return [
      { name: 'pods/exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', kind: 'Pod', verbs: ['get'] },
      { name: 'pods/status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ];
  }

  protected override async admit(object: KubeObject): Promise<void> {
    const pod = object as PodObject;
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    if (!pod.spec || typeof pod.spec !== 'object') {
      throw invalid('Pod', name, [
        { field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' },
      ]);
    }
    const spec = pod.spec;
    spec.containers ??= [];
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.securityContext ??= {};
    spec.schedulerName ??= 'default-scheduler';
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    spec.priority ??= 0;
    spec.tolerations ??= [];
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      if (!spec.tolerations.some((toleration) => toleration.key === key)) {
        spec.tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
      }
    }
    for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) defaultContainer(container);

    // ServiceAccount admission.
    const serviceAccountName = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccountName = serviceAccountName;
    spec.serviceAccount = serviceAccountName;
    const serviceAccount = this.ctx.store.get<V1ServiceAccount>(
      'serviceaccounts',
      namespace,
      serviceAccountName,
    );
    if (!serviceAccount) {
      throw forbidden(
        'pods',
        name,
        `error looking up service account ${namespace}/${serviceAccountName}: serviceaccount "${serviceAccountName}" not found`,
      );
    }
    const automount =
      spec.automountServiceAccountToken ?? serviceAccount.automountServiceAccountToken ?? true;
    const allContainers = [...spec.containers, ...(spec.initContainers ?? [])];
    const alreadyMounted = allContainers.every((c) =>
      (c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH),
    );
    if (automount && !alreadyMounted) {
      const volume = kubeApiAccessVolume();
      spec.volumes = [...(spec.volumes ?? []), volume];
      for (const container of allContainers) {
        if ((container.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
        container.volumeMounts = [
          ...(container.volumeMounts ?? []),
          { name: volume.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
        ];
      }
    }
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };

    // Mutating admission (e.g. the EKS pod identity webhook), CREATE only.
    for (const hook of this.ctx.podAdmissionHooks) {
      try {
        await hook(pod, { namespace, serviceAccount });
      } catch (error) {
        if (error instanceof KubeStatusError) throw error;
        throw internalError(
          `pod admission hook failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  protected override validate(object: KubeObject): FieldError[] {
    const pod = object as PodObject;
    const errors: FieldError[] = [];
    const spec = pod.spec;
    if (!spec?.containers || spec.containers.length === 0) {
      return [{ field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' }];
    }
    const volumeNames = new Set<string>();
    for (const [index, volume] of (spec.volumes ?? []).entries()) {
      if (volumeNames.has(volume.name)) {
        errors.push({
          field: `spec.volumes[${index}].name`,
          type: 'FieldValueDuplicate',
          detail: `Duplicate value: "${volume.name}"`,
        });
      }
      volumeNames.add(volume.name);
    }
    const containerNames = new Set<string>();
    const check = (containers: V1Container[], path: string) => {
      for (const [index, container] of containers.entries()) {
        const field = `${path}[${index}]`;
        if (!container.name)
          errors.push({ field: `${field}.name`, type: 'FieldValueRequired', detail: 'Required value' });
        else {
          errors.push(...validateDns1123Label(`${field}.name`, container.name));
          if (containerNames.has(container.name)) {
            errors.push({
              field: `${field}.name`,
              type: 'FieldValueDuplicate',
              detail: `Duplicate value: "${container.name}"`,
            });
          }
          containerNames.add(container.name);
        }
        if (!container.image)
          errors.push({ field: `${field}.image`, type: 'FieldValueRequired', detail: 'Required value' });
        for (const [mountIndex, mount] of (container.volumeMounts ?? []).entries()) {
          if (!volumeNames.has(mount.name)) {
            errors.push({
              field: `${field}.volumeMounts[${mountIndex}].name`,
              type: 'FieldValueNotSupported',
              detail: `Not found: "${mount.name}"`,
            });
          }
        }
      }
    };
    check(spec.containers, 'spec.containers');
    check(spec.initContainers ?? [], 'spec.initContainers');
    return errors;
  }

  protected override afterCreate(object: KubeObject): void {
    const pod = object as PodObject;
    // Scheduling, at once: a pod bound by its spec stays there, others go where they fit.
    const placement = pod.spec?.nodeName ? { node: pod.spec.nodeName } : this.#schedule(pod);
    if ('unschedulable' in placement) {
      pod.status = {
        ...pod.status,
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: placement.unschedulable,
            lastProbeTime: null as unknown as undefined,
            lastTransitionTime: timestamp() as unknown as Date,
          },
        ],
      };
      const pending = this.ctx.store.update('pods', pod) as PodObject;
      this.recordEvent(pending, {
        type: 'Warning',
        reason: 'FailedScheduling',
        message: placement.unschedulable,
        component: 'default-scheduler',
      });
      return;
    }
    pod.spec = { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: placement.node };
    pod.status = {
      ...pod.status,
      conditions: [
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null as unknown as undefined,
          lastTransitionTime: timestamp() as unknown as Date,
        },
      ],
    };
    const scheduled = this.ctx.store.update('pods', pod) as PodObject;
    this.recordEvent(scheduled, {
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${scheduled.metadata?.namespace}/${scheduled.metadata?.name} to ${placement.node}`,
      component: 'default-scheduler',
    });
    this.ctx.runtime.startPod(scheduled);
  }

  #schedule(pod: PodObject): { node: string } | { unschedulable: string } {
    const nodes = this.ctx.store.list<V1Node>('nodes');
    const running = this.ctx.store.list<PodObject>('pods').filter((p) => !p.metadata?.deletionTimestamp);
    return chooseNode(
      pod.spec ?? { containers: [] },
      nodes,
      (name) => running.filter((p) => p.spec?.nodeName === name).length,
    );
  }

  recordEvent(pod: V1Pod, event: RecordedEvent): void {
    const events = this.ctx.resources.get('events') as EventsResource | undefined;
    events?.record({ kind: 'Pod', apiVersion: 'v1', ...(pod as KubeObject) }, event, this.ctx.node.name);
  }

  protected override prepareUpdate(
    existing: KubeObject,
    updated: KubeObject,
    subresource?: string,
  ): KubeObject {
    const old = existing as PodObject;
    if (subresource === 'status') {
      return { ...structuredClone(old), status: (updated as PodObject).status } as KubeObject;
    }
    const prepared = super.prepareUpdate(existing, updated, subresource) as PodObject;
    const comparable = (pod: PodObject) => {
      const spec = structuredClone(pod.spec ?? { containers: [] });
      for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])])
        container.image = '';
      delete spec.activeDeadlineSeconds;
      delete spec.tolerations;
      return JSON.stringify(spec);
    };
    if (comparable(prepared) !== comparable(old)) {
      throw invalid('Pod', old.metadata?.name ?? '', [
        {
          field: 'spec',
          type: 'FieldValueForbidden',
          detail:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        },
      ]);
    }
    prepared.status = old.status;
    return prepared;
  }

  /** Updates the stored pod's status (the kubelet's status manager); ignored once that pod is gone. */
  updateStatus(pod: V1Pod, mutate: (status: NonNullable<V1Pod['status']>) => void): void {
    const current = this.ctx.store.get<PodObject>('pods', pod.metadata?.namespace, pod.metadata?.name ?? '');
    if (!current || current.metadata?.uid !== pod.metadata?.uid) return;
    current.status ??= {};
    mutate(current.status);
    this.ctx.store.update('pods', current);
  }

  protected override async handleSubresource(req: ApiRequest): Promise<Reply> {
    switch (req.subresource) {
      case 'status':
        if (req.method === 'GET') return this.get(req);
        if (req.method === 'PUT') return this.update(req, 'status');
        if (req.method === 'PATCH') return this.patch(req, 'status');
        throw new KubeStatusError(
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      case 'log':
        if (req.method !== 'GET')
          throw new KubeStatusError(
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        return this.#log(req);
      case 'exec':
        this.mustGet(req.namespace, req.name ?? '');
        throw badRequest('Upgrade request required');
      default:
        throw resourceNotFound();
    }
  }

  #log(req: ApiRequest): Reply {
    const pod = this.mustGet(req.namespace, req.name ?? '') as PodObject;
    const podName = pod.metadata?.name ?? '';
    const mainNames = (pod.spec?.containers ?? []).map((c) => c.name);
    const initNames = (pod.spec?.initContainers ?? []).map((c) => c.name);
    let container = req.query.get('container') ?? '';
    if (!container) {
      const defaultName = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
      if (mainNames.length === 1) container = mainNames[0];
      else if (defaultName) container = defaultName;
      else {
        throw badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${mainNames.join(' ')}]${initNames.length > 0 ? ` or one of the init containers: [${initNames.join(' ')}]` : ''}`,
        );
      }
    }
    if (!mainNames.includes(container) && !initNames.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${podName}`);
    }
    if (req.query.get('previous') === 'true') {
      throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    }
    const log = this.ctx.runtime.containerLog(pod.metadata?.uid ?? '', container);
    if (!log) {
      const statuses = [
        ...(pod.status?.containerStatuses ?? []),
        ...(pod.status?.initContainerStatuses ?? []),
      ];
      const waiting =
        statuses.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
      throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${waiting}`);
    }
    let content = log.content();
    const tailLines = req.query.get('tailLines');
    if (tailLines !== null && tailLines !== '') {
      const lines = content.toString('utf8').split(/(?<=\n)/);
      content = Buffer.from(lines.slice(Math.max(0, lines.length - Number(tailLines))).join(''), 'utf8');
    }
    const limitBytes = Number(req.query.get('limitBytes') ?? '0');
    if (limitBytes > 0) content = content.subarray(0, limitBytes);
    const follow = req.query.get('follow') === 'true' || req.query.get('follow') === '1';
    if (!follow || log.ended) return { code: 200, body: content, contentType: 'text/plain' };
    const { res } = req;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.write(content);
    const onData = (chunk: Buffer) => res.write(chunk);
    const onEnd = () => res.end();
    log.on('data', onData);
    log.once('end', onEnd);
    res.on('close', () => {
      log.off('data', onData);
      log.off('end', onEnd);
    });
    return { streamed: true };
  }

  override async remove(existing: KubeObject, options: DeleteOptions): Promise<KubeObject> {
    const pod = existing as PodObject;
    const meta = pod.metadata ?? {};
    const uid = meta.uid ?? '';
    const requested = options.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const grace = Math.max(0, Math.floor(requested));
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    const inProgress = this.#removals.get(uid);
    if (inProgress && grace > 0) return existing;
    if (grace === 0 || terminal || !pod.spec?.nodeName) {
      // Immediate deletion: gone from the API now, processes stopped in the background.
      const removed = this.ctx.store.delete('pods', meta.namespace, meta.name ?? '') ?? existing;
      const stopping = this.ctx.runtime.stopPod(uid, 0);
      this.#track(uid, stopping);
      return removed;
    }
    pod.metadata = {
      ...meta,
      deletionTimestamp: timestamp(new Date(Date.now() + grace * 1000)) as unknown as Date,
      deletionGracePeriodSeconds: grace,
    };
    const marked = this.ctx.store.update('pods', pod);
    const removal = this.ctx.runtime.stopPod(uid, grace).then(() => {
      const current = this.ctx.store.get('pods', meta.namespace, meta.name ?? '');
      if (current?.metadata?.uid === uid) this.ctx.store.delete('pods', meta.namespace, meta.name ?? '');
    });
    this.#track(uid, removal);
    return marked;
  }

  #track(uid: string, removal: Promise<void>): void {
    const tracked = removal
      .catch(() => {})
      .finally(() => {
        if (this.#removals.get(uid) === tracked) this.#removals.delete(uid);
      });
    this.#removals.set(uid, tracked);
  }

  /** Deletes a pod and resolves once it is gone from the store and its processes have stopped. */
  async removeAndWait(existing: KubeObject, options: DeleteOptions): Promise<void> {
    await this.remove(existing, options);
    await this.#removals.get(existing.metadata?.uid ?? '');
  }

  /** Waits for every deletion in progress. */
  async settled(): Promise<void> {
    await Promise.all(this.#removals.values());
  }
}
