// Turns policy documents into a form that is cheap to evaluate, once per document object. Evaluation
// must not throw on documents that were never validated, so anything malformed compiles to a statement
// that never applies (fail closed for Allow; a malformed Deny is inert, as IAM would have rejected it).
//
// Documents are cached by object identity: treat a document as immutable once it has been evaluated
// (store a new object on update, as IAM stores a new policy version).

import { type CompiledCondition, compileConditionBlock } from './conditions.ts';
import { type CompiledPrincipal, compilePrincipal } from './principal.ts';
import { parseTemplate, type Template } from './variables.ts';
import { type GlobPiece, globMatcher, type Matcher, patternMatcher } from './wildcard.ts';

export interface CompiledStatement {
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  /** Action or NotAction patterns. */
  actions: Matcher[];
  notAction: boolean;
  /** Resource or NotResource patterns; undefined when the statement has neither. */
  resources: CompiledResource[] | undefined;
  notResource: boolean;
  /** Principal or NotPrincipal; undefined when the statement has neither. */
  principal: CompiledPrincipal | undefined;
  notPrincipal: boolean;
  conditions: CompiledCondition[];
}

/** A Resource pattern: a ready matcher, or a template whose variables are resolved per request. */
export type CompiledResource = { matcher: Matcher } | { template: Template };

export interface CompiledPolicy {
  statements: CompiledStatement[];
}

const EMPTY_POLICY: CompiledPolicy = { statements: [] };
const cache = new WeakMap<object, CompiledPolicy>();

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}

function compileResources(value: unknown, variablesEnabled: boolean): CompiledResource[] | undefined {
  const patterns = stringList(value);
  if (patterns === undefined) return undefined;
  return patterns.map((pattern) => {
    const template = parseTemplate(pattern, variablesEnabled);
    if (template.hasVariables) return { template };
    // No variables: the pieces are fixed (`${*}` and friends already literal), so match them directly.
    return { matcher: globMatcher(template.parts as GlobPiece[], 'resource') };
  });
}

function compileStatement(raw: unknown, variablesEnabled: boolean): CompiledStatement | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const statement = raw as Record<string, unknown>;
  const effect = statement.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') return undefined;

  const hasAction = statement.Action !== undefined;
  const hasNotAction = statement.NotAction !== undefined;
  if (hasAction === hasNotAction) return undefined;
  const actionPatterns = stringList(hasAction ? statement.Action : statement.NotAction);
  if (actionPatterns === undefined) return undefined;

  const hasResource = statement.Resource !== undefined;
  const hasNotResource = statement.NotResource !== undefined;
  if (hasResource && hasNotResource) return undefined;
  let resources: CompiledResource[] | undefined;
  if (hasResource || hasNotResource) {
    resources = compileResources(hasResource ? statement.Resource : statement.NotResource, variablesEnabled);
    if (resources === undefined) return undefined;
  }

  const hasPrincipal = statement.Principal !== undefined;
  const hasNotPrincipal = statement.NotPrincipal !== undefined;
  if (hasPrincipal && hasNotPrincipal) return undefined;
  let principal: CompiledPrincipal | undefined;
  if (hasPrincipal || hasNotPrincipal) {
    principal = compilePrincipal(hasPrincipal ? statement.Principal : statement.NotPrincipal);
    if (principal === undefined) return undefined;
  }

  const conditions = compileConditionBlock(statement.Condition, variablesEnabled);
  if (conditions === undefined) return undefined;

  return {
    sid: typeof statement.Sid === 'string' ? statement.Sid : undefined,
    effect,
    actions: actionPatterns.map((pattern) => patternMatcher(pattern, 'action')),
    notAction: hasNotAction,
    resources,
    notResource: hasNotResource,
    principal,
    notPrincipal: hasNotPrincipal,
    conditions,
  };
}

function compileDocument(document: object): CompiledPolicy {
  const doc = document as Record<string, unknown>;
  // Policy variables exist only in the 2012-10-17 policy language.
  const variablesEnabled = doc.Version === '2012-10-17';
  const rawStatements = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  const statements: CompiledStatement[] = [];
  for (const raw of rawStatements) {
    const compiled = compileStatement(raw, variablesEnabled);
    if (compiled !== undefined) statements.push(compiled);
  }
  return { statements };
}

/** The compiled form of a document, cached per object; anything that is not an object compiles to nothing. */
export function compilePolicy(document: unknown): CompiledPolicy {
  if (document === null || typeof document !== 'object') return EMPTY_POLICY;
  const cached = cache.get(document);
  if (cached !== undefined) return cached;
  let compiled: CompiledPolicy;
  try {
    compiled = compileDocument(document);
  } catch {
    // Exotic objects (throwing getters, proxies) compile to nothing rather than failing the request.
    compiled = EMPTY_POLICY;
  }
  cache.set(document, compiled);
  return compiled;
}
