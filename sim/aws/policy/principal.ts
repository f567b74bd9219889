// Principal / NotPrincipal in resource-based policies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
// - `"*"` is everyone; `{"AWS": "*"}` every AWS principal (not service principals).
// - `{"AWS": "123456789012"}` and `{"AWS": "arn:aws:iam::123456789012:root"}` name the account: they
//   delegate to the account, whose identity policies must then allow.
// - A role ARN names the role; its sessions match it, but such a grant is limited by session policies.
// - A session ARN (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`) or a user ARN names that principal
//   directly.
// - `{"Service": "pods.eks.amazonaws.com"}` names a service principal; `{"Federated": ...}` an identity
//   provider. No partial wildcards in principals.
// - NotPrincipal (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
//   AWS may check the account, then the role, then the session, so a principal is exempt only when each of
//   them is listed (the examples list user + account root, or session + role + account root).

import type { RequestPrincipal } from './types.ts';

/** How a Principal element names the caller, weakest to strongest. */
export const PRINCIPAL_NOT_NAMED = 0;
/** Named through its account (account id or `:root` ARN): identity policies must also allow. */
export const PRINCIPAL_VIA_ACCOUNT = 1;
/** Named through its role ARN, or by a `*` wildcard: session policies still limit the grant. */
export const PRINCIPAL_VIA_ROLE = 2;
/** Named exactly (session, user, service or federated principal): the grant stands alone. */
export const PRINCIPAL_EXACT = 3;

export type PrincipalMatchLevel = 0 | 1 | 2 | 3;

export interface CompiledPrincipal {
  everyone: boolean;
  anyAws: boolean;
  awsArns: Set<string>;
  accounts: Set<string>;
  services: Set<string>;
  anyService: boolean;
  federated: Set<string>;
  anyFederated: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:[^:]+:iam::(\d{12}):root$/;

function valuesOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}

/** Compiles a Principal block; undefined when its shape is not one IAM accepts. */
export function compilePrincipal(block: unknown): CompiledPrincipal | undefined {
  const compiled: CompiledPrincipal = {
    everyone: false,
    anyAws: false,
    awsArns: new Set(),
    accounts: new Set(),
    services: new Set(),
    anyService: false,
    federated: new Set(),
    anyFederated: false,
  };
  if (block === '*') {
    compiled.everyone = true;
    return compiled;
  }
  if (block === null || typeof block !== 'object' || Array.isArray(block)) return undefined;
  for (const type of Object.keys(block)) {
    const values = valuesOf((block as Record<string, unknown>)[type]);
    if (values === undefined) return undefined;
    for (const value of values) {
      switch (type) {
        case 'AWS': {
          if (value === '*') {
            compiled.anyAws = true;
            break;
          }
          const root = ROOT_ARN.exec(value);
          if (root) compiled.accounts.add(root[1]!);
          else if (ACCOUNT_ID.test(value)) compiled.accounts.add(value);
          else compiled.awsArns.add(value);
          break;
        }
        case 'Service':
          if (value === '*') compiled.anyService = true;
          else compiled.services.add(value.toLowerCase());
          break;
        case 'Federated':
          if (value === '*') compiled.anyFederated = true;
          else compiled.federated.add(value);
          break;
        default:
          // CanonicalUser and other kinds never name a principal of this simulator.
          break;
      }
    }
  }
  return compiled;
}

/** How strongly `compiled` names `principal`. `account` is the principal's account id, if known. */
export function matchPrincipal(
  compiled: CompiledPrincipal,
  principal: RequestPrincipal,
  account: string | undefined,
): PrincipalMatchLevel {
  const id = principal.id;
  switch (principal.type) {
    case 'AWS': {
      if (compiled.awsArns.has(id)) return PRINCIPAL_EXACT;
      const accountNamed = account !== undefined && compiled.accounts.has(account);
      // The account's root user is the account itself.
      if (accountNamed && ROOT_ARN.test(id)) return PRINCIPAL_EXACT;
      if (typeof principal.roleArn === 'string' && compiled.awsArns.has(principal.roleArn))
        return PRINCIPAL_VIA_ROLE;
      if (compiled.everyone || compiled.anyAws) return PRINCIPAL_VIA_ROLE;
      return accountNamed ? PRINCIPAL_VIA_ACCOUNT : PRINCIPAL_NOT_NAMED;
    }
    case 'Service':
      if (compiled.everyone || compiled.anyService) return PRINCIPAL_EXACT;
      return typeof id === 'string' && compiled.services.has(id.toLowerCase())
        ? PRINCIPAL_EXACT
        : PRINCIPAL_NOT_NAMED;
    case 'Federated':
      if (compiled.everyone || compiled.anyFederated) return PRINCIPAL_EXACT;
      return compiled.federated.has(id) ? PRINCIPAL_EXACT : PRINCIPAL_NOT_NAMED;
    default:
      return PRINCIPAL_NOT_NAMED;
  }
}

/**
 * Whether a NotPrincipal block exempts the caller: the caller, its role (for a session) and its account
 * must all be listed, since AWS may evaluate each of them.
 */
export function notPrincipalExempts(
  compiled: CompiledPrincipal,
  principal: RequestPrincipal,
  account: string | undefined,
): boolean {
  if (compiled.everyone) return true;
  switch (principal.type) {
    case 'AWS': {
      if (compiled.anyAws) return true;
      const isRoot = ROOT_ARN.test(principal.id);
      if (!isRoot && !compiled.awsArns.has(principal.id)) return false;
      if (typeof principal.roleArn === 'string' && !compiled.awsArns.has(principal.roleArn)) return false;
      return account !== undefined && compiled.accounts.has(account);
    }
    case 'Service':
      return compiled.anyService || compiled.services.has(principal.id.toLowerCase());
    case 'Federated':
      return compiled.anyFederated || compiled.federated.has(principal.id);
    default:
      return false;
  }
}
