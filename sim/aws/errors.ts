// AWS-shaped errors and how each protocol renders them. Handlers throw AwsError; the endpoint turns it
// into the wire shape of the service that was called (Query XML, S3 XML, or rest-json).

import type { ServiceResponse } from './service.ts';
import { buildXml } from './xml.ts';

export type AwsProtocol = 'query' | 'rest-xml' | 'rest-json';

export interface AwsErrorOptions {
  /** Extra elements for S3 error bodies (BucketName, Key, UploadId...). */
  extra?: Record<string, string>;
  headers?: Record<string, string>;
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, status = 400, options: AwsErrorOptions = {}) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  get senderFault(): boolean {
    return this.status < 500;
  }
}

/** Query-protocol XML namespaces by signing name. */
export const QUERY_NAMESPACES: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

export function renderError(
  protocol: AwsProtocol,
  service: string,
  error: AwsError,
  requestId: string,
  method: string,
): ServiceResponse {
  const headers: Record<string, string> = { ...error.headers };
  if (protocol === 'rest-xml') {
    headers['x-amz-request-id'] = requestId;
    if (method === 'HEAD') return { status: error.status, headers };
    headers['content-type'] = 'application/xml';
    const body = buildXml('Error', {
      Code: error.code,
      Message: error.message,
      ...error.extra,
      RequestId: requestId,
    });
    return { status: error.status, headers, body };
  }
  if (protocol === 'query') {
    headers['x-amzn-requestid'] = requestId;
    headers['content-type'] = 'text/xml';
    const body = buildXml(
      'ErrorResponse',
      {
        Error: { Type: error.senderFault ? 'Sender' : 'Receiver', Code: error.code, Message: error.message },
        RequestId: requestId,
      },
      QUERY_NAMESPACES[service],
    );
    return { status: error.status, headers, body };
  }
  headers['x-amzn-requestid'] = requestId;
  headers['x-amzn-errortype'] = error.code;
  headers['content-type'] = 'application/json';
  return { status: error.status, headers, body: JSON.stringify({ message: error.message }) };
}

/** Authentication failures, which every protocol names differently. */
export type AuthFailure =
  | 'missing'
  | 'unknown-key'
  | 'bad-token'
  | 'bad-signature'
  | 'expired'
  | 'skewed'
  | 'presign-expired'
  | 'malformed'
  | 'unsupported';

export function authError(protocol: AwsProtocol, failure: AuthFailure, detail = ''): AwsError {
  switch (failure) {
    case 'missing':
      if (protocol === 'rest-xml') return new AwsError('AccessDenied', 'Access Denied', 403);
      if (protocol === 'query')
        return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      return new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    case 'unknown-key':
      if (protocol === 'rest-xml')
        return new AwsError(
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          403,
        );
      return new AwsError(
        protocol === 'query' ? 'InvalidClientTokenId' : 'UnrecognizedClientException',
        'The security token included in the request is invalid.',
        403,
      );
    case 'bad-token':
      if (protocol === 'rest-xml')
        return new AwsError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
      return new AwsError(
        protocol === 'query' ? 'InvalidClientTokenId' : 'UnrecognizedClientException',
        'The security token included in the request is invalid.',
        403,
      );
    case 'bad-signature':
      if (protocol === 'rest-xml')
        return new AwsError(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          403,
        );
      return new AwsError(
        protocol === 'query' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        403,
      );
    case 'expired':
      if (protocol === 'rest-xml')
        return new AwsError('ExpiredToken', 'The provided token has expired.', 400);
      return new AwsError(
        protocol === 'query' ? 'ExpiredToken' : 'ExpiredTokenException',
        'The security token included in the request is expired',
        403,
      );
    case 'skewed':
      if (protocol === 'rest-xml')
        return new AwsError(
          'RequestTimeTooSkewed',
          'The difference between the request time and the current time is too large.',
          403,
        );
      return new AwsError(
        protocol === 'query' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
        detail,
        403,
      );
    case 'presign-expired':
      if (protocol === 'rest-xml') return new AwsError('AccessDenied', 'Request has expired', 403);
      return new AwsError(
        protocol === 'query' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
        detail || 'Signature expired',
        403,
      );
    case 'malformed':
      if (protocol === 'rest-xml') return new AwsError('AuthorizationHeaderMalformed', detail, 400);
      return new AwsError(
        protocol === 'query' ? 'IncompleteSignature' : 'IncompleteSignatureException',
        detail,
        400,
      );
    case 'unsupported':
      if (protocol === 'rest-xml') return new AwsError('InvalidRequest', detail, 400);
      return new AwsError(
        protocol === 'query' ? 'IncompleteSignature' : 'IncompleteSignatureException',
        detail,
        400,
      );
  }
}

export function throttlingError(protocol: AwsProtocol): AwsError {
  if (protocol === 'rest-xml') return new AwsError('SlowDown', 'Please reduce your request rate.', 503);
  if (protocol === 'query') return new AwsError('Throttling', 'Rate exceeded', 400);
  return new AwsError('ThrottlingException', 'Rate exceeded', 429);
}

export function internalError(protocol: AwsProtocol): AwsError {
  if (protocol === 'rest-xml')
    return new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500);
  if (protocol === 'query')
    return new AwsError(
      'InternalFailure',
      'The request processing has failed because of an unknown error.',
      500,
    );
  return new AwsError('ServerException', 'An internal error occurred. Please try again.', 500);
}

/** AWS's validation message format: "1 validation error detected: Value 'x' at 'field' failed to ...". */
export function validationError(field: string, value: unknown, constraint: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}
