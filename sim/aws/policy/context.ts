// The request context as conditions and variables see it: keys matched case-insensitively
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html: "Context
// key names are not case-sensitive"), empty multivalued keys treated as absent, and a few principal keys
// derived from the principal when the caller did not supply them.

import type { ContextValue, RequestPrincipal } from './types.ts';

export interface ContextLookup {
  /** The value for a lower-cased key; undefined when absent (an empty list counts as absent). */
  get(lowerKey: string): ContextValue | undefined;
}

/** The account id in an ARN (`arn:aws:iam::123456789012:...` → `123456789012`), if any. */
export function accountOfArn(arn: string): string | undefined {
  if (!arn.startsWith('arn:')) return undefined;
  let start = 0;
  for (let i = 0; i < 4; i++) {
    const colon = arn.indexOf(':', start);
    if (colon < 0) return undefined;
    start = colon + 1;
  }
  const end = arn.indexOf(':', start);
  if (end < 0) return undefined;
  const account = arn.slice(start, end);
  return account === '' ? undefined : account;
}

/** The principal's account: its declared account id, else the account in its ARN. */
export function principalAccount(principal: RequestPrincipal): string | undefined {
  if (typeof principal.accountId === 'string' && principal.accountId !== '') return principal.accountId;
  return typeof principal.id === 'string' ? accountOfArn(principal.id) : undefined;
}

function normalizeValue(value: unknown): ContextValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (!Array.isArray(value)) return undefined;
      const list: string[] = [];
      for (const item of value) {
        if (typeof item === 'string') list.push(item);
        else if (typeof item === 'number' || typeof item === 'boolean') list.push(String(item));
      }
      return list.length === 0 ? undefined : list;
    }
    default:
      return undefined;
  }
}

/** Keys IAM puts in every request for the principal, derived here when the caller left them out. */
function derivedPrincipalKeys(principal: RequestPrincipal, into: Map<string, ContextValue>): void {
  const setIfAbsent = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '' && !into.has(key)) into.set(key, value);
  };
  if (principal.type === 'Service') {
    setIfAbsent('aws:principalservicename', principal.id);
    return;
  }
  if (principal.type !== 'AWS') return;
  const id = principal.id;
  // aws:PrincipalArn of a role session is the role's ARN, not the session's.
  setIfAbsent('aws:principalarn', typeof principal.roleArn === 'string' ? principal.roleArn : id);
  setIfAbsent('aws:principalaccount', principalAccount(principal));
  if (/^arn:[^:]+:sts::[^:]*:assumed-role\//.test(id)) {
    setIfAbsent('aws:principaltype', 'AssumedRole');
  } else if (/^arn:[^:]+:sts::[^:]*:federated-user\//.test(id)) {
    setIfAbsent('aws:principaltype', 'FederatedUser');
  } else if (/^arn:[^:]+:iam::[^:]*:root$/.test(id)) {
    setIfAbsent('aws:principaltype', 'Account');
  } else {
    const user = /^arn:[^:]+:iam::[^:]*:user\/(?:.*\/)?([^/]+)$/.exec(id);
    if (user) {
      setIfAbsent('aws:principaltype', 'User');
      setIfAbsent('aws:username', user[1]);
    }
  }
}

/** Builds the lookup for one request. Garbage values (objects, NaN) are treated as absent. */
export function buildContext(context: unknown, principal: RequestPrincipal): ContextLookup {
  const map = new Map<string, ContextValue>();
  if (context !== null && typeof context === 'object' && !Array.isArray(context)) {
    for (const key of Object.keys(context)) {
      const value = normalizeValue((context as Record<string, unknown>)[key]);
      if (value !== undefined) map.set(key.toLowerCase(), value);
    }
  }
  derivedPrincipalKeys(principal, map);
  return map;
}
