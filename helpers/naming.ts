// Names and markers for everything the suites create. Every resource carries the run id, so the
// cleanup check and the janitor can find it: AWS tags, the IAM path, Kubernetes labels, and the name
// itself (resourceName: the run id first), which is all a resource has when a run died between creating
// it and tagging it.

import { runIdTime } from './run-id.ts';

export const TOOL_NAME = 'pod-identity-conformance';
export const IAM_PATH = `/${TOOL_NAME}/`;
export const TAG_RUN_ID = `${TOOL_NAME}:run-id`;
export const TAG_CREATED_AT = `${TOOL_NAME}:created-at`;
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_RUN_ID = `${TOOL_NAME}/run-id`;
export const RUN_ID_PATTERN = /^pic-\d{12}-[a-z0-9]{5}$/;
/** Every name this tool gives starts with the run id, so with this. */
export const NAME_PREFIX = 'pic-';

/** The name prefix of a run's resources, or of every run's when no run id is given. */
export function namePrefix(filter: { runId?: string }): string {
  return filter.runId ?? NAME_PREFIX;
}

export function awsTags(runId: string, now = new Date()): Array<{ Key: string; Value: string }> {
  return [
    { Key: TAG_RUN_ID, Value: runId },
    { Key: TAG_CREATED_AT, Value: now.toISOString() },
  ];
}

/** The same markers as a map (EKS and S3 tagging APIs take maps or TagSets). */
export function awsTagMap(runId: string, now = new Date()): Record<string, string> {
  return Object.fromEntries(awsTags(runId, now).map((t) => [t.Key, t.Value]));
}

/** The time in a created-at tag, or undefined when the tag is absent or not a date. */
export function createdAtFromTag(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function kubeLabels(runId: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: TOOL_NAME, [LABEL_RUN_ID]: runId };
}

export function runIdLabelSelector(runId: string): string {
  return `${LABEL_MANAGED_BY}=${TOOL_NAME},${LABEL_RUN_ID}=${runId}`;
}

/**
 * A resource name made of the run id and a purpose, within a length limit. The run id part keeps names
 * unique across concurrent runs; the purpose keeps them readable ("pic-202611281000-ab3de-creds").
 * Kubernetes and S3 need lowercase DNS labels; IAM role names allow more, but the same form fits all.
 */
export function resourceName(runId: string, purpose: string, maxLength = 63): string {
  const cleanPurpose = purpose
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = `${runId}-${cleanPurpose}`.slice(0, maxLength).replace(/-+$/, '');
  return name;
}

/** A name resourceName gives: a run id, then `-purpose` (lowercase letters, digits and dashes). */
const TOOL_RESOURCE_NAME = /^(pic-\d{12}-[a-z0-9]{5})(?:-[a-z0-9-]*)?$/;

/**
 * The run id a resource name starts with when the name is one this tool gives
 * (`pic-202611281000-ab3de-creds` -> `pic-202611281000-ab3de`), else undefined. The stamp must be a real
 * UTC minute, so a name merely starting with `pic-` and twelve digits is not taken for the tool's.
 */
export function runIdFromName(name: string): string | undefined {
  const runId = TOOL_RESOURCE_NAME.exec(name)?.[1];
  return runId !== undefined && runIdTime(runId) !== undefined ? runId : undefined;
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
