// REST/JSON service errors as EKS and EKS Auth send them: the HTTP status of the modelled exception,
// the code in `x-amzn-ErrorType` (which the SDKs read first), and `{"message": "..."}` as the body.

import type { ServiceResponse } from '../aws/service.ts';

export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra members of the exception shape, e.g. clusterName. */
  readonly members: Record<string, string>;

  constructor(code: string, status: number, message: string, members: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.members = members;
  }
}

export function jsonResponse(status: number, body: unknown, requestId: string): ServiceResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: ServiceError, requestId: string): ServiceResponse {
  return {
    status: error.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
    },
    body: JSON.stringify({ ...error.members, message: error.message }),
  };
}

// Constructors for the exceptions both models use, with the HTTP status each model assigns.

export const invalidParameter = (message: string, members?: Record<string, string>) =>
  new ServiceError('InvalidParameterException', 400, message, members);

export const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', 400, message);

export const resourceNotFound = (message: string, members?: Record<string, string>) =>
  new ServiceError('ResourceNotFoundException', 404, message, members);

export const resourceInUse = (message: string, members?: Record<string, string>) =>
  new ServiceError('ResourceInUseException', 409, message, members);

/** EKS models AccessDeniedException as 403; EKS Auth models it as 400. */
export const accessDenied = (message: string, status: 400 | 403) =>
  new ServiceError('AccessDeniedException', status, message);
