// Policy variables in Resource and Condition values
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
// - `${key}` is replaced by the single value of context key `key` (keys match case-insensitively).
// - `${key, 'default'}` uses `default` when the key is absent.
// - `${*}`, `${?}`, `${$}` stand for the literal characters (never wildcards).
// - A key that is absent (or multivalued: multivalued keys cannot be variables) and has no default makes
//   the element that uses it match nothing ("treated as not matching").
// - Variables exist only in policy language version 2012-10-17; in older documents `${...}` is literal text.
// - Substituted values are literal: a tag value of `*` does not become a wildcard.

import type { ContextLookup } from './context.ts';
import {
  arnLikeMatcher,
  cachedMatcher,
  type GlobMode,
  type GlobPiece,
  globMatcher,
  type Matcher,
} from './wildcard.ts';

export interface VariablePart {
  /** The context key, lower-cased for lookup. */
  lowerKey: string;
  fallback: string | undefined;
}

/** A parsed string: text pieces (`literal` ones never act as wildcards) and variable references. */
export interface Template {
  parts: Array<GlobPiece | VariablePart>;
  hasVariables: boolean;
  /** The whole text when there are no variables (special characters already substituted). */
  plain: string | undefined;
}

const VARIABLE = /\$\{([^}]*)\}/g;
const WITH_DEFAULT = /^\s*([^,]*?)\s*,\s*'([^']*)'\s*$/;
const SPECIAL: ReadonlyMap<string, string> = new Map([
  ['*', '*'],
  ['?', '?'],
  ['$', '$'],
]);

export function isVariablePart(part: GlobPiece | VariablePart): part is VariablePart {
  return (part as VariablePart).lowerKey !== undefined;
}

/** Parses `raw` into a template; without `variablesEnabled` the whole string is plain text. */
export function parseTemplate(raw: string, variablesEnabled: boolean): Template {
  if (!variablesEnabled || !raw.includes('${')) {
    return { parts: [{ text: raw, literal: false }], hasVariables: false, plain: raw };
  }
  const parts: Array<GlobPiece | VariablePart> = [];
  let hasVariables = false;
  let last = 0;
  for (const match of raw.matchAll(VARIABLE)) {
    const index = match.index;
    if (index > last) parts.push({ text: raw.slice(last, index), literal: false });
    const inner = match[1]!;
    const special = SPECIAL.get(inner.trim());
    if (special !== undefined) {
      parts.push({ text: special, literal: true });
    } else {
      const withDefault = WITH_DEFAULT.exec(inner);
      const key = withDefault ? withDefault[1]! : inner.trim();
      parts.push({ lowerKey: key.toLowerCase(), fallback: withDefault ? withDefault[2]! : undefined });
      hasVariables = true;
    }
    last = index + match[0].length;
  }
  if (last < raw.length) parts.push({ text: raw.slice(last), literal: false });
  const plain = hasVariables ? undefined : parts.map((part) => (part as GlobPiece).text).join('');
  return { parts, hasVariables, plain };
}

/** The single value of a context key as variable text, or undefined when absent or multivalued. */
export function variableValue(context: ContextLookup, part: VariablePart): string | undefined {
  const value = context.get(part.lowerKey);
  if (value === undefined || Array.isArray(value)) return part.fallback;
  return typeof value === 'string' ? value : String(value);
}

/**
 * Glob pieces with variables substituted (as literal text), or undefined when a variable has no value.
 * Returns the template's own array when it has no variables (no allocation).
 */
export function resolvePieces(template: Template, context: ContextLookup): readonly GlobPiece[] | undefined {
  if (!template.hasVariables) return template.parts as GlobPiece[];
  const pieces: GlobPiece[] = [];
  for (const part of template.parts) {
    if (isVariablePart(part)) {
      const value = variableValue(context, part);
      if (value === undefined) return undefined;
      pieces.push({ text: value, literal: true });
    } else {
      pieces.push(part);
    }
  }
  return pieces;
}

/** The template as plain text with variables substituted, or undefined when a variable has no value. */
export function resolveText(template: Template, context: ContextLookup): string | undefined {
  if (template.plain !== undefined) return template.plain;
  let text = '';
  for (const part of template.parts) {
    if (isVariablePart(part)) {
      const value = variableValue(context, part);
      if (value === undefined) return undefined;
      text += value;
    } else {
      text += part.text;
    }
  }
  return text;
}

export type MatchKind = GlobMode | 'arn';

/**
 * The matcher for a template under the current request, or undefined when a variable has no value. The
 * cache key is built straight from the resolved values, so a cache hit allocates only that key.
 */
export function templateMatcher(
  template: Template,
  context: ContextLookup,
  kind: MatchKind,
): Matcher | undefined {
  let key = `${kind}\u0004`;
  for (const part of template.parts) {
    if (isVariablePart(part)) {
      const value = variableValue(context, part);
      if (value === undefined) return undefined;
      key += `\u0001${value}`;
    } else {
      key += (part.literal ? '\u0001' : '\u0002') + part.text;
    }
  }
  return cachedMatcher(key, () => {
    const pieces = resolvePieces(template, context)!;
    return kind === 'arn' ? arnLikeMatcher(pieces) : globMatcher(pieces, kind);
  });
}
