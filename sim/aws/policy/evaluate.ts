// AWS's policy evaluation logic for one request in one account. Pure: no I/O, no clock (the time, when a
// policy asks for it, comes from aws:CurrentTime / aws:EpochTime in the request context).
//
// Sources:
// [LOGIC] Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// [DENYALLOW] Determining whether a request is allowed or denied within an account:
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// [PRINCIPAL] AWS JSON policy elements: Principal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// [SESSION] Session policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
// [TRUST] Role trust policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_compare-resource-policies.html
// [CROSS] Cross-account policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
//
// | # | Rule | Source |
// |---|------|--------|
// | 1 | A request is denied by default (ImplicitDeny). | [DENYALLOW] |
// | 2 | A Deny statement that applies, in any policy (identity, resource, session), wins: ExplicitDeny. | [DENYALLOW] |
// | 3 | A statement applies when its Action/NotAction, Resource/NotResource, Principal/NotPrincipal (resource policies only) and every condition match. | [LOGIC] |
// | 4 | An Allow in an identity policy allows the request, if every session policy present also allows (intersection). | [LOGIC], [SESSION] |
// | 5 | An Allow in a resource policy that names the caller exactly (user ARN, session ARN, service, federated provider) allows on its own: implicit denies in identity and session policies do not limit it. | [DENYALLOW] |
// | 6 | An Allow in a resource policy that names the caller's role ARN (or `*`) allows, but session policies present must also allow. | [DENYALLOW], [PRINCIPAL] |
// | 7 | An Allow in a resource policy that names only the caller's account delegates to the account: the identity policies must allow (rule 4). | [PRINCIPAL] |
// | 8 | Role trust policies are an exception to "identity OR resource": for sts:AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, TagSession, SetSourceIdentity and SetContext, when the caller passes the trust policy as a resource policy, the trust policy must allow. Same account: rules 5-6 alone, or the trust policy names the account and the identity policies allow (rule 7). | [DENYALLOW], [TRUST] |
// | 9 | Cross-account AssumeRole (the role ARN's account differs from the caller's): both the trust policy and the caller's identity policies must allow. | [CROSS] |
// | 10 | Service and federated principals have no identity policies: the resource (trust) policy alone decides. | [PRINCIPAL] |
// | 11 | The account root user has full access in its account unless explicitly denied (not for the trust actions of rule 8, which follow the trust policy). | [DENYALLOW] |
//
// Conditions, variables and wildcards are documented in conditions.ts, variables.ts and wildcard.ts.

import { type CompiledResource, type CompiledStatement, compilePolicy } from './compile.ts';
import { evaluateConditions } from './conditions.ts';
import { accountOfArn, buildContext, type ContextLookup, principalAccount } from './context.ts';
import {
  matchPrincipal,
  notPrincipalExempts,
  PRINCIPAL_EXACT,
  PRINCIPAL_NOT_NAMED,
  PRINCIPAL_VIA_ACCOUNT,
  PRINCIPAL_VIA_ROLE,
  type PrincipalMatchLevel,
} from './principal.ts';
import type { EvaluationInput, EvaluationResult, PolicyDocument, RequestPrincipal } from './types.ts';
import { templateMatcher } from './variables.ts';

/** Actions whose resource policy is a role trust policy (rule 8). Lower-case. */
const TRUST_POLICY_ACTIONS: ReadonlySet<string> = new Set([
  'sts:assumerole',
  'sts:assumerolewithwebidentity',
  'sts:assumerolewithsaml',
  'sts:tagsession',
  'sts:setsourceidentity',
  'sts:setcontext',
]);

const ROOT_USER_ARN = /^arn:[^:]+:iam::\d{12}:root$/;

type Source = 'identity' | 'resource' | 'session';

interface Request {
  principal: RequestPrincipal;
  action: string;
  resource: string;
  context: ContextLookup;
  account: string | undefined;
}

function actionMatches(statement: CompiledStatement, action: string): boolean {
  let matched = false;
  for (const matcher of statement.actions) {
    if (matcher(action)) {
      matched = true;
      break;
    }
  }
  return statement.notAction ? !matched : matched;
}

function resourcePatternMatches(
  pattern: CompiledResource,
  resource: string,
  context: ContextLookup,
): boolean {
  if ('matcher' in pattern) return pattern.matcher(resource);
  // A variable without a value makes this Resource entry match nothing.
  const matcher = templateMatcher(pattern.template, context, 'resource');
  return matcher?.(resource) === true;
}

function resourceMatches(statement: CompiledStatement, request: Request, source: Source): boolean {
  const resources = statement.resources;
  // Without Resource, a resource-based policy statement covers the resource it is attached to (a trust
  // policy covers its role); identity and session statements need a Resource.
  if (resources === undefined) return source === 'resource';
  let matched = false;
  for (const pattern of resources) {
    if (resourcePatternMatches(pattern, request.resource, request.context)) {
      matched = true;
      break;
    }
  }
  return statement.notResource ? !matched : matched;
}

/** How the statement's Principal names the caller; PRINCIPAL_NOT_NAMED when the statement does not apply. */
function principalLevel(statement: CompiledStatement, request: Request): PrincipalMatchLevel {
  if (statement.principal === undefined) return PRINCIPAL_NOT_NAMED;
  if (!statement.notPrincipal) return matchPrincipal(statement.principal, request.principal, request.account);
  // NotPrincipal applies to everyone it does not exempt, like a wildcard.
  return notPrincipalExempts(statement.principal, request.principal, request.account)
    ? PRINCIPAL_NOT_NAMED
    : PRINCIPAL_VIA_ROLE;
}

interface Tally {
  explicitDeny: boolean;
  identityAllow: boolean;
  sessionAllow: boolean;
  /** Strongest principal level among applying Allow statements of resource policies. */
  resourceAllow: PrincipalMatchLevel;
  matched: EvaluationResult['matched'];
}

function evaluateSource(policies: unknown, source: Source, request: Request, tally: Tally): void {
  if (!Array.isArray(policies)) return;
  for (const document of policies as PolicyDocument[]) {
    const { statements } = compilePolicy(document);
    for (const statement of statements) {
      if (!actionMatches(statement, request.action)) continue;
      if (!resourceMatches(statement, request, source)) continue;
      let level: PrincipalMatchLevel = PRINCIPAL_EXACT;
      if (source === 'resource') {
        level = principalLevel(statement, request);
        if (level === PRINCIPAL_NOT_NAMED) continue;
      }
      if (!evaluateConditions(statement.conditions, request.context)) continue;
      tally.matched.push({ source, sid: statement.sid, effect: statement.effect });
      if (statement.effect === 'Deny') {
        tally.explicitDeny = true;
      } else if (source === 'identity') {
        tally.identityAllow = true;
      } else if (source === 'session') {
        tally.sessionAllow = true;
      } else if (level > tally.resourceAllow) {
        tally.resourceAllow = level;
      }
    }
  }
}

function hasDocuments(policies: unknown): boolean {
  return Array.isArray(policies) && policies.length > 0;
}

function isPrincipal(value: unknown): value is RequestPrincipal {
  if (value === null || typeof value !== 'object') return false;
  const principal = value as Record<string, unknown>;
  return (
    (principal.type === 'AWS' || principal.type === 'Service' || principal.type === 'Federated') &&
    typeof principal.id === 'string'
  );
}

function decide(input: EvaluationInput): EvaluationResult {
  const matched: EvaluationResult['matched'] = [];
  if (input === null || typeof input !== 'object') return { decision: 'ImplicitDeny', matched };
  const raw = input.request as unknown;
  if (raw === null || typeof raw !== 'object') return { decision: 'ImplicitDeny', matched };
  const { principal, action, resource, context } = raw as Record<string, unknown>;
  if (!isPrincipal(principal) || typeof action !== 'string' || typeof resource !== 'string') {
    return { decision: 'ImplicitDeny', matched };
  }

  const request: Request = {
    principal,
    action,
    resource,
    context: buildContext(context, principal),
    account: principalAccount(principal),
  };
  const tally: Tally = {
    explicitDeny: false,
    identityAllow: false,
    sessionAllow: false,
    resourceAllow: PRINCIPAL_NOT_NAMED,
    matched,
  };

  const isAwsPrincipal = principal.type === 'AWS';
  // Rule 10: only AWS principals (users, roles, sessions) carry identity and session policies.
  if (isAwsPrincipal) evaluateSource(input.identityPolicies, 'identity', request, tally);
  evaluateSource(input.resourcePolicies, 'resource', request, tally);
  const sessionPresent = isAwsPrincipal && hasDocuments(input.sessionPolicies);
  if (sessionPresent) evaluateSource(input.sessionPolicies, 'session', request, tally);

  if (tally.explicitDeny) return { decision: 'ExplicitDeny', matched };

  const allowed = isAllowed(request, tally, sessionPresent, hasDocuments(input.resourcePolicies));
  return { decision: allowed ? 'Allow' : 'ImplicitDeny', matched };
}

function isAllowed(
  request: Request,
  tally: Tally,
  sessionPresent: boolean,
  resourcePoliciesPresent: boolean,
): boolean {
  const { principal } = request;
  if (principal.type !== 'AWS') return tally.resourceAllow !== PRINCIPAL_NOT_NAMED;

  const sessionAllows = !sessionPresent || tally.sessionAllow;
  const identityAllows = tally.identityAllow && sessionAllows;
  const resourceAllowsAlone =
    tally.resourceAllow === PRINCIPAL_EXACT || (tally.resourceAllow === PRINCIPAL_VIA_ROLE && sessionAllows);

  const trustDecides = resourcePoliciesPresent && TRUST_POLICY_ACTIONS.has(request.action.toLowerCase());
  if (trustDecides) {
    const trustNamesCaller = tally.resourceAllow >= PRINCIPAL_VIA_ACCOUNT;
    const roleAccount = accountOfArn(request.resource);
    const crossAccount =
      roleAccount !== undefined && request.account !== undefined && roleAccount !== request.account;
    if (crossAccount) return trustNamesCaller && identityAllows;
    return resourceAllowsAlone || (trustNamesCaller && identityAllows);
  }

  // Rule 11: the root user of the account.
  if (ROOT_USER_ARN.test(principal.id)) return true;
  return resourceAllowsAlone || identityAllows;
}

/**
 * Evaluates one request against the principal's identity policies, the resource's policies (for
 * sts:AssumeRole*, the role's trust policy) and session policies. Never throws: malformed input is an
 * ImplicitDeny and malformed statements never apply.
 */
export function evaluatePolicies(input: EvaluationInput): EvaluationResult {
  try {
    return decide(input);
  } catch {
    return { decision: 'ImplicitDeny', matched: [] };
  }
}
