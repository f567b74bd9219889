// The AWS Query protocol (IAM, STS): form-encoded parameters in, `<ActionResponse>` XML out.

import { AwsError, QUERY_NAMESPACES } from './errors.ts';
import type { ServiceResponse, SignedRequest } from './service.ts';
import { buildXml } from './xml.ts';

export interface QueryRequest {
  action: string;
  version?: string;
  params: URLSearchParams;
}

/** Parameters from the form body (POST) merged over those of the URL query. */
export function parseQueryRequest(req: Pick<SignedRequest, 'query' | 'body' | 'headers'>): QueryRequest {
  const params = new URLSearchParams();
  for (const [key, value] of req.query) params.append(key, value);
  if (req.body.length > 0) {
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType && !contentType.includes('application/x-www-form-urlencoded'))
      throw new AwsError(
        'InvalidParameterValue',
        'Query requests must be form-encoded (Content-Type: application/x-www-form-urlencoded).',
        400,
      );
    for (const [key, value] of new URLSearchParams(req.body.toString('utf8'))) params.set(key, value);
  }
  const action = params.get('Action');
  if (!action) throw new AwsError('MissingAction', 'Missing Action', 400);
  return { action, version: params.get('Version') ?? undefined, params };
}

/** `Prefix.member.N` (or `Prefix.member.N.Field`) entries in index order. */
export function memberList(params: URLSearchParams, prefix: string): Array<Record<string, string>> {
  const byIndex = new Map<number, Record<string, string>>();
  const head = `${prefix}.member.`;
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) continue;
    const entry = byIndex.get(index) ?? {};
    entry[dot < 0 ? '' : rest.slice(dot + 1)] = value;
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, entry]) => entry);
}

export function stringList(params: URLSearchParams, prefix: string): string[] {
  return memberList(params, prefix).map((entry) => entry[''] ?? '');
}

/** `{member: [...]}` for a non-empty list, an empty element otherwise. */
export function members<T>(list: T[]): { member: T[] } | '' {
  return list.length > 0 ? { member: list } : '';
}

/** IAM and STS timestamps: ISO 8601 without milliseconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function queryResponse(
  service: string,
  action: string,
  requestId: string,
  result?: Record<string, unknown>,
): ServiceResponse {
  const body = buildXml(
    `${action}Response`,
    {
      ...(result ? { [`${action}Result`]: result } : {}),
      ResponseMetadata: { RequestId: requestId },
    },
    QUERY_NAMESPACES[service],
  );
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

export function invalidAction(action: string, version: string): AwsError {
  return new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`, 400);
}
