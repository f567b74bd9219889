// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge patch, which
// the simulator applies as a merge patch (lists are replaced rather than merged by key).

import { isPlainObject } from './objects.ts';
import { badRequest, KubeStatusError } from './status.ts';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === '$patch' ||
      key.startsWith('$setElementOrder/') ||
      key.startsWith('$deleteFromPrimitiveList/')
    )
      continue;
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer "${pointer}"`,
    );
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentAndKey(
  document: unknown,
  pointer: string,
): { parent: Record<string, unknown> | unknown[]; key: string } {
  const parts = decodePointer(pointer);
  if (parts.length === 0)
    throw badRequest('the server rejected our request: JSON patch on the document root is not supported');
  let current: unknown = document;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else current = undefined;
    if (current === undefined)
      throw new KubeStatusError('Invalid', `jsonpatch: path ${pointer} does not exist`);
  }
  if (!Array.isArray(current) && !isPlainObject(current)) {
    throw new KubeStatusError('Invalid', `jsonpatch: path ${pointer} does not exist`);
  }
  return { parent: current, key: parts[parts.length - 1] };
}

function readPointer(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const part of decodePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else return undefined;
  }
  return current;
}

interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  const document = structuredClone(target);
  for (const raw of operations as JsonPatchOperation[]) {
    const { op, path } = raw;
    if (op === 'test') {
      if (JSON.stringify(readPointer(document, path)) !== JSON.stringify(raw.value)) {
        throw new KubeStatusError('Invalid', `jsonpatch: test operation for path ${path} failed`);
      }
      continue;
    }
    const value =
      op === 'copy' || op === 'move' ? structuredClone(readPointer(document, raw.from ?? '')) : raw.value;
    if (op === 'move') remove(document, raw.from ?? '');
    if (op === 'remove') {
      remove(document, path);
    } else if (op === 'add' || op === 'copy' || op === 'move') {
      const { parent, key } = parentAndKey(document, path);
      if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, value);
      else parent[key] = value;
    } else if (op === 'replace') {
      const { parent, key } = parentAndKey(document, path);
      if (Array.isArray(parent)) parent[Number(key)] = value;
      else {
        if (!(key in parent))
          throw new KubeStatusError(
            'Invalid',
            `jsonpatch replace operation does not apply: doc is missing key: ${path}`,
          );
        parent[key] = value;
      }
    } else {
      throw badRequest(`unsupported json patch operation "${op}"`);
    }
  }
  return document;
}

function remove(document: unknown, path: string): void {
  const { parent, key } = parentAndKey(document, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else {
    if (!(key in parent))
      throw new KubeStatusError(
        'Invalid',
        `jsonpatch remove operation does not apply: doc is missing path: ${path}`,
      );
    delete parent[key];
  }
}

export type PatchType = 'merge' | 'strategic' | 'json';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base === 'application/merge-patch+json') return 'merge';
  if (base === 'application/strategic-merge-patch+json') return 'strategic';
  if (base === 'application/json-patch+json') return 'json';
  return undefined;
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  return type === 'json' ? applyJsonPatch(target, patch) : applyMergePatch(target, patch);
}
