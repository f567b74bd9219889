// Server-side printing: `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and
// prints the columns the server chooses, as a real API server does.

import type { IncomingHttpHeaders } from 'node:http';
import type { KubeObject } from './store.ts';

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface TablePrinter {
  columns: TableColumn[];
  cells(object: KubeObject): unknown[];
}

export function column(name: string, description: string, options: Partial<TableColumn> = {}): TableColumn {
  return { name, type: 'string', format: '', description, priority: 0, ...options };
}

export const NAME_COLUMN = column(
  'Name',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  { format: 'name' },
);

export const AGE_COLUMN = column(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
);

/** True when the client asked for a meta.k8s.io Table (kubectl get). */
export function wantsTable(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept ?? '';
  return accept.split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

function rowObject(object: KubeObject, includeObject: string): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

export function toTable(
  printer: TablePrinter,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  includeObject: string | null,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: printer.columns,
    rows: objects.map((object) => ({
      cells: printer.cells(object),
      object: rowObject(object, includeObject ?? 'Metadata'),
    })),
  };
}
