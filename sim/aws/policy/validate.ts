// The checks behind IAM's MalformedPolicyDocument, with IAM's messages, applied in IAM's order: syntax
// first ("Syntax errors in policy."), then legacy parsing, Sid uniqueness, actions, then the checks that
// depend on the kind of policy (identity, role trust, other resource-based).
//
// References: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html.

import { conditionValueList, parseOperator } from './conditions.ts';
import type { PolicyDocument } from './types.ts';
import { parseDate } from './values.ts';
import { matchesAction } from './wildcard.ts';

export type PolicyKind = 'identity' | 'trust' | 'resource';

export type ValidationResult = { ok: true; document: PolicyDocument } | { ok: false; message: string };

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string };

const SYNTAX_ERROR = 'Syntax errors in policy.';
const LEGACY_PARSING = 'The policy failed legacy parsing';

const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS: ReadonlySet<string> = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);
const VERSIONS: ReadonlySet<string> = new Set(['2012-10-17', '2008-10-17']);

/** What a role trust policy may allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html). */
const TRUST_ACTIONS = [
  'sts:AssumeRole',
  'sts:AssumeRoleWithSAML',
  'sts:AssumeRoleWithWebIdentity',
  'sts:TagSession',
  'sts:SetSourceIdentity',
  'sts:SetContext',
];
const TRUST_PREFIX = 'AssumeRolePolicy policy: ';

class PolicyError extends Error {}

function fail(message: string): never {
  throw new PolicyError(message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringOrStringList(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function listOf(value: unknown): string[] {
  return typeof value === 'string' ? [value] : (value as string[]);
}

function statementsOf(document: Record<string, unknown>): Record<string, unknown>[] {
  const statement = document.Statement;
  return (Array.isArray(statement) ? statement : [statement]) as Record<string, unknown>[];
}

function checkPrincipalSyntax(value: unknown): void {
  if (value === '*') return;
  if (!isPlainObject(value)) fail(SYNTAX_ERROR);
  for (const type of Object.keys(value)) {
    if (!isStringOrStringList(value[type])) fail(SYNTAX_ERROR);
  }
}

function checkConditionSyntax(value: unknown): void {
  if (!isPlainObject(value)) fail(SYNTAX_ERROR);
  for (const operatorName of Object.keys(value)) {
    const entries = value[operatorName];
    if (!isPlainObject(entries)) fail(SYNTAX_ERROR);
    const keys = Object.keys(entries);
    // An unknown operator is tolerated only with nothing under it.
    if (parseOperator(operatorName) === undefined && keys.length > 0) fail(SYNTAX_ERROR);
    for (const key of keys) {
      if (conditionValueList(entries[key]) === undefined) fail(SYNTAX_ERROR);
    }
  }
}

function checkStatementSyntax(statement: unknown): void {
  if (!isPlainObject(statement)) fail(SYNTAX_ERROR);
  for (const key of Object.keys(statement)) if (!STATEMENT_KEYS.has(key)) fail(SYNTAX_ERROR);
  if ('Action' in statement && 'NotAction' in statement) fail(SYNTAX_ERROR);
  if ('Resource' in statement && 'NotResource' in statement) fail(SYNTAX_ERROR);
  if ('Principal' in statement && 'NotPrincipal' in statement) fail(SYNTAX_ERROR);
  if (typeof statement.Effect !== 'string') fail(SYNTAX_ERROR);
  if (!['allow', 'deny'].includes(statement.Effect.toLowerCase())) fail(SYNTAX_ERROR);
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    if (key in statement && !isStringOrStringList(statement[key])) fail(SYNTAX_ERROR);
  }
  if ('Sid' in statement && typeof statement.Sid !== 'string') fail(SYNTAX_ERROR);
  if ('Principal' in statement) checkPrincipalSyntax(statement.Principal);
  if ('NotPrincipal' in statement) checkPrincipalSyntax(statement.NotPrincipal);
  if ('Condition' in statement) checkConditionSyntax(statement.Condition);
}

function checkSyntax(document: unknown): asserts document is Record<string, unknown> {
  if (!isPlainObject(document)) fail(SYNTAX_ERROR);
  for (const key of Object.keys(document)) if (!TOP_LEVEL_KEYS.has(key)) fail(SYNTAX_ERROR);
  if ('Version' in document && !(typeof document.Version === 'string' && VERSIONS.has(document.Version))) {
    fail(SYNTAX_ERROR);
  }
  if ('Id' in document && typeof document.Id !== 'string') fail(SYNTAX_ERROR);
  const statement = document.Statement;
  if (Array.isArray(statement)) {
    if (statement.length === 0) fail(SYNTAX_ERROR);
    for (const item of statement) checkStatementSyntax(item);
  } else {
    checkStatementSyntax(statement);
  }
}

/** Effect is case-sensitive, and date condition values must parse. */
function checkLegacyParsing(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') fail(LEGACY_PARSING);
    if (!isPlainObject(statement.Condition)) continue;
    for (const [operatorName, entries] of Object.entries(statement.Condition)) {
      if (parseOperator(operatorName)?.family !== 'date') continue;
      for (const value of Object.values(entries as Record<string, unknown>)) {
        for (const item of conditionValueList(value) ?? []) {
          if (parseDate(item) === undefined) fail(LEGACY_PARSING);
        }
      }
    }
  }
}

function checkSidsUnique(statements: Record<string, unknown>[]): void {
  const seen = new Set<string>();
  for (const statement of statements) {
    const sid = statement.Sid;
    if (typeof sid !== 'string' || sid === '') continue;
    if (seen.has(sid)) fail('Statement IDs (SID) in a single policy must be unique.');
    seen.add(sid);
  }
}

function checkActionsPresent(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    const actions = statement.Action ?? statement.NotAction;
    if (actions === undefined || (Array.isArray(actions) && actions.length === 0)) {
      fail('Policy statement must contain actions.');
    }
  }
}

function checkActionFormat(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    for (const action of listOf(statement.Action ?? statement.NotAction)) {
      const parts = action.split(':');
      if (parts.length === 1 && action !== '*') {
        fail('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
      if (parts.length > 2) fail('Actions/Condition can contain only one colon.');
      if (action !== '*' && /[^a-zA-Z0-9\-.*?]/.test(parts[0]!)) fail(`Vendor ${parts[0]} is not valid`);
    }
  }
}

/** Condition keys carry a vendor prefix too (`aws:`, `s3:`, `sts:`, an OIDC provider host, ...). */
function checkConditionKeyFormat(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if (!isPlainObject(statement.Condition)) continue;
    for (const entries of Object.values(statement.Condition)) {
      for (const key of Object.keys(entries as Record<string, unknown>)) {
        if (!key.includes(':') || key.startsWith(':')) {
          fail('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
        }
      }
    }
  }
}

/** IAM (unlike some resource-based policies) takes only alphanumeric Sids. */
function checkSidsAlphanumeric(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if (typeof statement.Sid === 'string' && !/^[0-9A-Za-z]*$/.test(statement.Sid)) {
      fail(
        'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
      );
    }
  }
}

function checkResourceFormat(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    const resources = statement.Resource ?? statement.NotResource;
    if (resources === undefined) continue;
    for (const resource of listOf(resources)) {
      if (resource === '*') continue;
      const colons = resource.split(':').length - 1;
      // An ARN has five colons; a shorter one must end in a wildcard that covers the rest.
      if (!resource.startsWith('arn:') || (colons < 5 && !resource.endsWith('*'))) {
        fail(`Resource ${resource} must be in ARN format or "*".`);
      }
    }
  }
}

function checkResourcesPresent(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    const resources = statement.Resource ?? statement.NotResource;
    if (resources === undefined || (Array.isArray(resources) && resources.length === 0)) {
      fail('Policy statement must contain resources.');
    }
  }
}

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$/;

function checkPrincipalValues(statements: Record<string, unknown>[], prefix: string): void {
  for (const statement of statements) {
    const block = statement.Principal ?? statement.NotPrincipal;
    if (block === undefined || block === '*') continue;
    for (const [type, value] of Object.entries(block as Record<string, unknown>)) {
      for (const item of listOf(value)) {
        const valid =
          type === 'AWS'
            ? item === '*' || ACCOUNT_ID.test(item) || PRINCIPAL_ARN.test(item)
            : type === 'Service' || type === 'Federated' || type === 'CanonicalUser'
              ? item.length > 0
              : false;
        if (!valid) fail(`${prefix}Invalid principal in policy: "${type}":"${item}"`);
      }
    }
  }
}

function checkIdentity(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if ('Principal' in statement || 'NotPrincipal' in statement) {
      fail('Policy document should not specify a principal.');
    }
  }
  checkResourcesPresent(statements);
}

function checkTrust(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if (!('Principal' in statement) && !('NotPrincipal' in statement)) {
      fail(`${TRUST_PREFIX}Missing required field Principal.`);
    }
  }
  for (const statement of statements) {
    for (const action of listOf(statement.Action ?? statement.NotAction)) {
      const service = action.split(':')[0]!.toLowerCase();
      const allowed =
        (service === 'sts' || action === '*') && TRUST_ACTIONS.some((name) => matchesAction(action, name));
      if (!allowed) {
        fail(`${TRUST_PREFIX}Trust policy statement actions can only be ${TRUST_ACTIONS.join(', ')}.`);
      }
    }
  }
  for (const statement of statements) {
    if ('Resource' in statement || 'NotResource' in statement)
      fail(`${TRUST_PREFIX}Has prohibited field Resource.`);
  }
  checkPrincipalValues(statements, TRUST_PREFIX);
}

function checkResourcePolicy(statements: Record<string, unknown>[]): void {
  for (const statement of statements) {
    if (!('Principal' in statement) && !('NotPrincipal' in statement))
      fail('Missing required field Principal.');
  }
  checkResourcesPresent(statements);
  checkPrincipalValues(statements, '');
}

/**
 * Validates a parsed policy document as IAM does before storing it. Returns the document typed on
 * success, or IAM's MalformedPolicyDocument message. Never throws.
 */
export function validatePolicyDocument(doc: unknown, kind: PolicyKind): ValidationResult {
  try {
    checkSyntax(doc);
    const statements = statementsOf(doc);
    checkLegacyParsing(statements);
    checkSidsUnique(statements);
    checkActionsPresent(statements);
    checkActionFormat(statements);
    checkConditionKeyFormat(statements);
    checkResourceFormat(statements);
    if (kind === 'identity' || kind === 'trust') checkSidsAlphanumeric(statements);
    if (kind === 'identity') checkIdentity(statements);
    else if (kind === 'trust') checkTrust(statements);
    else if (kind === 'resource') checkResourcePolicy(statements);
    else fail(`Unknown policy kind ${String(kind)}: expected identity, trust or resource.`);
    return { ok: true, document: doc as unknown as PolicyDocument };
  } catch (error) {
    if (error instanceof PolicyError) return { ok: false, message: error.message };
    // Exotic input (throwing getters, proxies, cycles) is still only a malformed document.
    return { ok: false, message: SYNTAX_ERROR };
  }
}

/**
 * Parses a policy as IAM receives it: JSON text, or URL-encoded JSON (IAM returns policies URL-encoded
 * and clients may send them back that way). Never throws.
 */
export function parsePolicyJson(text: string): ParseResult {
  if (typeof text !== 'string') return { ok: false, message: SYNTAX_ERROR };
  const trimmed = text.trim();
  let json = trimmed;
  if (!trimmed.startsWith('{') && trimmed.includes('%')) {
    try {
      json = decodeURIComponent(trimmed).trim();
    } catch {
      return { ok: false, message: SYNTAX_ERROR };
    }
  }
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch {
    return { ok: false, message: SYNTAX_ERROR };
  }
}

/** parsePolicyJson then validatePolicyDocument. */
export function parseAndValidatePolicy(text: string, kind: PolicyKind): ValidationResult {
  const parsed = parsePolicyJson(text);
  if (!parsed.ok) return parsed;
  return validatePolicyDocument(parsed.value, kind);
}

/** A policy document as IAM returns it in responses (RFC 3986 percent-encoding of the JSON). */
export function encodePolicyForResponse(text: string): string {
  return encodeURIComponent(text);
}
