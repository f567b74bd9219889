// core/v1 Events: what `kubectl describe` shows under "Events". The simulator records the kubelet's
// and scheduler's usual ones (Scheduled, Pulled, Created, Started, Killing, Failed, FailedMount).

import { randomBytes } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, timestamp } from '../objects.ts';
import { RestResource } from '../rest.ts';
import type { KubeObject } from '../store.ts';
import { column, NAME_COLUMN } from '../tables.ts';

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
  component?: string;
}

export class EventsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'events',
        singular: 'event',
        kind: 'Event',
        namespaced: true,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['ev'],
        fieldSelectors: [
          'involvedObject.kind',
          'involvedObject.namespace',
          'involvedObject.name',
          'involvedObject.uid',
          'involvedObject.apiVersion',
          'involvedObject.resourceVersion',
          'involvedObject.fieldPath',
          'reason',
          'reportingComponent',
          'source',
          'type',
        ],
      },
      ctx,
    );
    this.printer = {
      columns: [
        column('Last Seen', 'The last time the event was seen'),
        column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
        column(
          'Reason',
          "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        ),
        column('Object', 'The object that this event is about. Mapped from event.involvedObject.'),
        column(
          'Subobject',
          'The subobject that this event is about. Mapped from event.involvedObject.fieldPath.',
          { priority: 1 },
        ),
        column(
          'Source',
          'The component reporting this event. Should be a short machine understandable string.',
          { priority: 1 },
        ),
        column('Message', 'A human-readable description of the status of this operation.'),
        column('First Seen', 'The first time the event was seen', { priority: 1 }),
        column('Count', 'The number of times this event has occurred', { priority: 1 }),
        { ...NAME_COLUMN, priority: 1 },
      ],
      cells: (object: KubeObject) => {
        const event = object as unknown as CoreV1Event;
        const involved = event.involvedObject;
        return [
          humanDuration(event.lastTimestamp as unknown as string),
          event.type ?? '',
          event.reason ?? '',
          `${(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`,
          involved.fieldPath ?? '',
          [event.source?.component, event.source?.host].filter(Boolean).join(', '),
          event.message ?? '',
          humanDuration(event.firstTimestamp as unknown as string),
          event.count ?? 1,
          event.metadata.name ?? '',
        ];
      },
    };
  }

  protected override validateName(): [] {
    return [];
  }

  /** Records an event about an object, as the kubelet or scheduler would. */
  record(involved: KubeObject, event: RecordedEvent, host: string): void {
    const meta = involved.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    if (
      (this.ctx.store.get('namespaces', undefined, namespace)?.status as { phase?: string } | undefined)
        ?.phase !== 'Active'
    ) {
      return;
    }
    const component = event.component ?? 'kubelet';
    const time = timestamp();
    const object: KubeObject = {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: {
        name: `${meta.name}.${randomBytes(8).toString('hex')}`,
        namespace,
        uid: crypto.randomUUID(),
        creationTimestamp: time as unknown as Date,
      },
      involvedObject: {
        kind: involved.kind,
        namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: meta.resourceVersion,
        ...(event.fieldPath ? { fieldPath: event.fieldPath } : {}),
      },
      reason: event.reason,
      message: event.message,
      source: component === 'kubelet' ? { component, host } : { component },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      type: event.type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? host : '',
    };
    this.ctx.store.create('events', object);
  }
}
