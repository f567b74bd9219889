// Kubernetes `Status` objects: every API error the simulator returns has this shape, as a real API
// server's does, so clients (client-node, kubectl) print the message and branch on `reason`/`code`.

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Forbidden'
  | 'Invalid'
  | 'Unauthorized'
  | 'MethodNotAllowed'
  | 'BadRequest'
  | 'Gone'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'InternalError';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

const CODE_BY_REASON: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Forbidden: 403,
  Invalid: 422,
  Unauthorized: 401,
  MethodNotAllowed: 405,
  BadRequest: 400,
  Gone: 410,
  UnsupportedMediaType: 415,
  NotAcceptable: 406,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  ServiceUnavailable: 503,
  Timeout: 504,
  InternalError: 500,
};

/** An API error carrying the Status the server answers with. Admission hooks may throw it too. */
export class KubeStatusError extends Error {
  readonly status: KubeStatus;

  constructor(reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeStatusError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code: CODE_BY_REASON[reason],
    };
  }

  get code(): number {
    return this.status.code;
  }
}

/** Resource reference as Kubernetes words it in messages: `pods "x"`, `daemonsets.apps "y"`. */
export function qualifiedResource(resource: string, group = ''): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(resource: string, name: string, group = '', kind?: string): KubeStatusError {
  return new KubeStatusError('NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind: kind ?? resource,
  });
}

export function alreadyExists(resource: string, name: string, group = ''): KubeStatusError {
  return new KubeStatusError(
    'AlreadyExists',
    `${qualifiedResource(resource, group)} "${name}" already exists`,
    {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    },
  );
}

export function conflict(resource: string, name: string, group = ''): KubeStatusError {
  return new KubeStatusError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...(group ? { group } : {}), kind: resource },
  );
}

export function forbidden(resource: string, name: string, why: string, group = ''): KubeStatusError {
  return new KubeStatusError(
    'Forbidden',
    `${qualifiedResource(resource, group)} "${name}" is forbidden: ${why}`,
    {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    },
  );
}

export interface FieldError {
  field: string;
  /** Kubernetes cause type: FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden. */
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden';
  /** The text after the field name, e.g. `Invalid value: "x": must be ...` or `Required value`. */
  detail: string;
}

/** 422 Invalid, worded as `Kind "name" is invalid: field: detail, field2: detail2`. */
export function invalid(kind: string, name: string, errors: FieldError[], group = ''): KubeStatusError {
  const summary = errors.map((e) => `${e.field}: ${e.detail}`).join(', ');
  const wordedErrors = errors.length > 1 ? `[${summary}]` : summary;
  return new KubeStatusError('Invalid', `${kind} "${name}" is invalid: ${wordedErrors}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError('BadRequest', message);
}

export function methodNotAllowed(): KubeStatusError {
  return new KubeStatusError(
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError('Unauthorized', 'Unauthorized');
}

export function resourceNotFound(): KubeStatusError {
  const error = new KubeStatusError('NotFound', 'the server could not find the requested resource');
  error.status.details = {};
  return error;
}

export function internalError(message: string): KubeStatusError {
  return new KubeStatusError('InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** Any thrown value as a Status error; unexpected errors become 500 InternalError. */
export function toStatusError(error: unknown): KubeStatusError {
  if (error instanceof KubeStatusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return internalError(message);
}

export function successStatus(details?: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details ? { details } : {}),
  };
}
