// Recognising AWS errors by name. SDK v3 exceptions carry the service's error code as `name` (and, for
// Query/XML services, sometimes as `Code`); IAM's "NoSuchEntity" arrives as NoSuchEntityException.

export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

/** True when the error is one of the named AWS errors ("NoSuchEntity" also matches NoSuchEntityException). */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  const name = awsErrorName(error);
  if (!name) return false;
  return names.some((n) => name === n || name === `${n}Exception` || `${name}Exception` === n);
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
