// Watch responses: a chunked stream of `{"type": ..., "object": ...}` lines. Without a resourceVersion
// the current objects come first as ADDED; with one, the changes after it are replayed; a version older
// than the kept history ends the watch with a 410 Expired ERROR event, as the API server does.

import type { ServerResponse } from 'node:http';
import type { KubeObject, ObjectStore, StoreEvent, WatchEventType } from './store.ts';

export interface WatchOptions {
  store: ObjectStore;
  res: ServerResponse;
  resource: string;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  resourceVersion: string | null;
  timeoutSeconds: number;
  present: (object: KubeObject) => unknown;
  list: () => KubeObject[];
}

export function serveWatch(options: WatchOptions): void {
  const { store, res, resource, namespace, matches, present } = options;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();

  const send = (type: WatchEventType | 'ERROR', object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const deliver = (event: StoreEvent) => {
    if (event.resource !== resource) return;
    if (namespace !== undefined && event.namespace !== namespace) return;
    const now = matches(event.object);
    if (event.type === 'MODIFIED' && event.previous) {
      const before = matches(event.previous);
      if (before && now) send('MODIFIED', present(event.object));
      else if (!before && now) send('ADDED', present(event.object));
      else if (before && !now) send('DELETED', present(event.object));
      return;
    }
    if (now) send(event.type, present(event.object));
  };

  // Store operations are synchronous, so the initial state and the subscription line up exactly.
  const requested = options.resourceVersion;
  if (requested === null || requested === '' || requested === '0') {
    for (const object of options.list()) if (matches(object)) send('ADDED', present(object));
  } else {
    const changes = store.changesSince(Number(requested));
    if (!Number.isFinite(Number(requested)) || changes === undefined) {
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${requested} (${store.resourceVersion})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    for (const change of changes) deliver(change);
  }

  const unsubscribe = store.subscribe(deliver);
  const timer =
    options.timeoutSeconds > 0 ? setTimeout(() => res.end(), options.timeoutSeconds * 1000) : undefined;
  timer?.unref();
  const stop = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
  res.on('close', stop);
  res.on('finish', stop);
}
