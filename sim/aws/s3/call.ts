// What every S3 operation receives: the request, the addressed bucket and key, the store, and
// authorization helpers that turn a denial into S3's AccessDenied.

import { AwsError } from '../errors.ts';
import type { ContextValue } from '../policy/index.ts';
import type { ServiceContext, ServiceResponse, SignedRequest } from '../service.ts';
import { buildXml } from '../xml.ts';
import type { S3Store } from './store.ts';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface S3Call {
  req: SignedRequest;
  ctx: ServiceContext;
  store: S3Store;
  bucketName: string;
  key: string;
  region: string;
  now: () => Date;
  /** Host the client addressed, for Location values. */
  host: string;
  require(action: string, resource: string, context?: Record<string, ContextValue>): void;
  allowed(action: string, resource: string, context?: Record<string, ContextValue>): boolean;
}

export function makeAuthorizers(
  req: SignedRequest,
  ctx: ServiceContext,
): Pick<S3Call, 'require' | 'allowed'> {
  return {
    require(action, resource, context) {
      const result = ctx.authorize(req.caller, { action, resource, context });
      if (!result.allowed) throw new AwsError('AccessDenied', result.message, 403);
    },
    allowed(action, resource, context) {
      return ctx.authorize(req.caller, { action, resource, context }).allowed;
    },
  };
}

export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

export function xmlResponse(
  root: string,
  body: Record<string, unknown> | string,
  status = 200,
): ServiceResponse {
  return { status, headers: { 'content-type': 'application/xml' }, body: buildXml(root, body, S3_NAMESPACE) };
}

/** S3 XML timestamps carry milliseconds; headers use the HTTP date format. */
export const s3Timestamp = (date: Date): string => date.toISOString();
export const httpDate = (date: Date): string => date.toUTCString();

/** Truncate to whole seconds, as S3 stores Last-Modified. */
export const toSeconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);

export function header(req: SignedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function invalidArgument(message: string, name?: string, value?: string): AwsError {
  const extra: Record<string, string> = {};
  if (name !== undefined) extra.ArgumentName = name;
  if (value !== undefined) extra.ArgumentValue = value;
  return new AwsError('InvalidArgument', message, 400, { extra });
}
