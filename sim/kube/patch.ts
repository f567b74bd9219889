// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902, through fast-json-patch), and
// strategic merge patch, which the simulator applies as a merge patch (lists are replaced rather than
// merged by key).

import jsonPatch, { type Operation } from 'fast-json-patch';
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

/** The API server refuses JSON patches with more operations than this (413). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

interface JsonPatchOperation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
}

/**
 * What evanphx/json-patch (the API server's library) says about an operation that does not apply,
 * from fast-json-patch's error name: the API server hands that text back as the Status cause.
 */
function evanphxMessage(name: string, operation: JsonPatchOperation): string {
  const op = String(operation.op);
  const path = String(operation.path);
  const key = path.slice(path.lastIndexOf('/') + 1);
  switch (name) {
    case 'OPERATION_OP_INVALID':
      return `Unexpected kind: ${op}`;
    case 'OPERATION_VALUE_REQUIRED':
      return 'operation, missing value field: missing value';
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `error in ${op} for path: '${path}': value was not a proper array index: '${key}': strconv.Atoi: parsing "${key}": invalid syntax`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `error in ${op} for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`;
    case 'TEST_OPERATION_FAILED':
      return `testing value ${path} failed: test failed`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${op} operation does not apply: doc is missing from path: ${String(operation.from)}: missing value`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      if (op === 'replace')
        return `replace operation does not apply: doc is missing key: ${path}: missing value`;
      if (op === 'test') return `test operation does not apply: is missing path: ${path}: missing value`;
      return `${op} operation does not apply: doc is missing path: "${path}": missing value`;
    default:
      return `${op} operation does not apply: doc is missing path: "${path}": missing value`;
  }
}

/**
 * RFC 6902 JSON patch, applied with fast-json-patch (operations validated: array indexes must exist or be
 * `-`/the length for add, `test` compares deeply). Failures answer as the API server does: a patch that
 * is not a list of operations is 400, one that does not apply is 422 with the library's text as cause.
 */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations) || operations.some((operation) => !isPlainObject(operation))) {
    throw badRequest(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch: a JSON patch is a list of operations',
    );
  }
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new KubeStatusError(
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  try {
    return jsonPatch.applyPatch(structuredClone(target), operations as Operation[], true, true, true)
      .newDocument;
  } catch (error) {
    if (!(error instanceof jsonPatch.JsonPatchError)) throw error;
    throw new KubeStatusError('Invalid', 'the server rejected our request due to an error in our request', {
      causes: [
        {
          reason: 'UnexpectedServerResponse',
          message: evanphxMessage(error.name, (error.operation ?? {}) as JsonPatchOperation),
        },
      ],
    });
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
