// Wildcard matching for the three places IAM globs: Action (case-insensitive), Resource (ARN-aware,
// case-sensitive) and the Like condition operators. Compiled matchers are cached per pattern string, so
// the evaluation hot path compiles nothing after the first request that sees a pattern.
//
// Rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
// - `*` matches any run of characters (also none), `?` exactly one character.
// - Action: the whole `service:Name` string, case-insensitively.
// - Resource: within the five leading ARN segments (`arn:partition:service:region:account:`) a wildcard
//   stays inside its segment, except that a `*` that ends a segment may expand past colons; in the resource
//   part (after the fifth colon) wildcards match anything, colons included. Case-sensitive.
// - StringLike: the whole string, case-sensitive; wildcards match anything.
// - ArnLike: each of the six colon-delimited components separately (the sixth keeps its inner colons).

/** Text of a glob pattern: `literal` pieces (resolved policy variables, `${*}`) never act as wildcards. */
export interface GlobPiece {
  text: string;
  literal: boolean;
}

export type GlobMode = 'action' | 'resource' | 'string';

export type Matcher = (value: string) => boolean;

const MAX_CACHED_MATCHERS = 20_000;
const matcherCache = new Map<string, Matcher>();

function remember(key: string, matcher: Matcher): Matcher {
  // A simple bound: policies are few, but resolved variable patterns vary per principal.
  if (matcherCache.size >= MAX_CACHED_MATCHERS) matcherCache.clear();
  matcherCache.set(key, matcher);
  return matcher;
}

const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|/]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIALS, '\\$&');
}

/** Regular-expression source for pieces, following the wildcard rules of `mode`. */
function regexSource(pieces: readonly GlobPiece[], mode: GlobMode): string {
  let source = '';
  // Resource mode only: how many colons precede the current character (segment index).
  let colons = 0;
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    const text = piece.text;
    if (piece.literal) {
      source += escapeRegex(text);
      if (mode === 'resource') for (const ch of text) if (ch === ':') colons++;
      continue;
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '*') {
        if (mode === 'resource' && colons < 5 && !endsSegment(pieces, p, i)) source += '[^:]*';
        else source += '[\\s\\S]*';
      } else if (ch === '?') {
        source += mode === 'resource' && colons < 5 ? '[^:]' : '[\\s\\S]';
      } else {
        if (ch === ':') colons++;
        source += escapeRegex(ch);
      }
    }
  }
  return source;
}

/** Whether the `*` at pieces[p].text[i] is the last character of its ARN segment. */
function endsSegment(pieces: readonly GlobPiece[], p: number, i: number): boolean {
  let text = pieces[p]!.text;
  let index = i + 1;
  let pieceIndex = p;
  for (;;) {
    if (index < text.length) return text[index] === ':';
    pieceIndex++;
    if (pieceIndex >= pieces.length) return true;
    text = pieces[pieceIndex]!.text;
    index = 0;
  }
}

function hasWildcard(pieces: readonly GlobPiece[]): boolean {
  for (const piece of pieces) {
    if (!piece.literal && (piece.text.includes('*') || piece.text.includes('?'))) return true;
  }
  return false;
}

function joinText(pieces: readonly GlobPiece[]): string {
  let text = '';
  for (const piece of pieces) text += piece.text;
  return text;
}

/** Whether `value` starts with `lowerPrefix`, ignoring case; allocation-free for ASCII (action names). */
function startsWithIgnoreCase(value: string, lowerPrefix: string): boolean {
  const length = lowerPrefix.length;
  if (value.length < length) return false;
  for (let i = 0; i < length; i++) {
    let code = value.charCodeAt(i);
    if (code > 127) return value.slice(0, length).toLowerCase() === lowerPrefix;
    if (code >= 65 && code <= 90) code += 32;
    if (code !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}

function buildMatcher(pieces: readonly GlobPiece[], mode: GlobMode): Matcher {
  const ignoreCase = mode === 'action';
  if (!hasWildcard(pieces)) {
    const exact = joinText(pieces);
    if (ignoreCase) {
      const lower = exact.toLowerCase();
      return (value) => value.length === lower.length && startsWithIgnoreCase(value, lower);
    }
    return (value) => value === exact;
  }
  if (pieces.length === 1) {
    const text = pieces[0]!.text;
    if (text === '*') return () => true;
    // `prefix*` (the common `s3:Get*`, `arn:aws:s3:::bucket/*`) without another wildcard: a prefix test.
    // A trailing `*` ends its ARN segment, so it may match past colons in resource mode too.
    const star = text.indexOf('*');
    if (star === text.length - 1 && !text.includes('?')) {
      const prefix = ignoreCase ? text.slice(0, -1).toLowerCase() : text.slice(0, -1);
      return ignoreCase
        ? (value) => startsWithIgnoreCase(value, prefix)
        : (value) => value.startsWith(prefix);
    }
  }
  const regex = new RegExp(`^${regexSource(pieces, mode)}$`, ignoreCase ? 'i' : '');
  return (value) => regex.test(value);
}

function cacheKey(pieces: readonly GlobPiece[], mode: GlobMode): string {
  let key = mode;
  for (const piece of pieces) key += (piece.literal ? '\u0001' : '\u0002') + piece.text;
  return key;
}

/** The cached matcher under `key`, built once by `build`. */
export function cachedMatcher(key: string, build: () => Matcher): Matcher {
  const cached = matcherCache.get(key);
  if (cached !== undefined) return cached;
  return remember(key, build());
}

/** A cached matcher for pattern pieces; use for patterns built from resolved policy variables. */
export function globMatcher(pieces: readonly GlobPiece[], mode: GlobMode): Matcher {
  const key = cacheKey(pieces, mode);
  const cached = matcherCache.get(key);
  if (cached !== undefined) return cached;
  return remember(key, buildMatcher(pieces, mode));
}

/** A cached matcher for a plain pattern string (no policy variables). */
export function patternMatcher(pattern: string, mode: GlobMode): Matcher {
  const key = mode + '\u0000' + pattern;
  const cached = matcherCache.get(key);
  if (cached !== undefined) return cached;
  return remember(key, buildMatcher([{ text: pattern, literal: false }], mode));
}

/** `s3:Get*` matches `s3:GetObject`; case-insensitive, `*` and `?` wildcards, `*` alone matches all. */
export function matchesAction(pattern: string, action: string): boolean {
  if (typeof pattern !== 'string' || typeof action !== 'string') return false;
  return patternMatcher(pattern, 'action')(action);
}

/** `arn:aws:s3:::bucket/*` matches `arn:aws:s3:::bucket/key`; case-sensitive, ARN-segment aware. */
export function matchesResource(pattern: string, arn: string): boolean {
  if (typeof pattern !== 'string' || typeof arn !== 'string') return false;
  return patternMatcher(pattern, 'resource')(arn);
}

/** StringLike: case-sensitive, `*` and `?` match any characters. */
export function matchesStringLike(pattern: string, value: string): boolean {
  if (typeof pattern !== 'string' || typeof value !== 'string') return false;
  return patternMatcher(pattern, 'string')(value);
}

/** Splits an ARN into its six components; the sixth keeps inner colons. Undefined if fewer than six. */
export function splitArn(arn: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = arn.indexOf(':', start);
    if (colon < 0) return undefined;
    parts.push(arn.slice(start, colon));
    start = colon + 1;
  }
  parts.push(arn.slice(start));
  return parts;
}

/** Splits glob pieces at the first five unescaped colons, for component-wise ArnLike matching. */
function splitPieces(pieces: readonly GlobPiece[]): GlobPiece[][] | undefined {
  const components: GlobPiece[][] = [[]];
  for (const piece of pieces) {
    let start = 0;
    for (let i = 0; i < piece.text.length; i++) {
      if (piece.text[i] === ':' && components.length < 6) {
        if (i > start)
          components[components.length - 1]!.push({
            text: piece.text.slice(start, i),
            literal: piece.literal,
          });
        components.push([]);
        start = i + 1;
      }
    }
    if (start < piece.text.length) {
      components[components.length - 1]!.push({ text: piece.text.slice(start), literal: piece.literal });
    }
  }
  return components.length === 6 ? components : undefined;
}

/**
 * ArnLike / ArnEquals: the six components compared one by one. A pattern that is not ARN-shaped (such
 * as a lone `*`) is compared as a whole string with StringLike rules.
 */
export function arnLikeMatcher(pieces: readonly GlobPiece[]): Matcher {
  const key = cacheKey(pieces, 'string') + '\u0003arn';
  const cached = matcherCache.get(key);
  if (cached !== undefined) return cached;
  const components = splitPieces(pieces);
  let matcher: Matcher;
  if (components === undefined) {
    matcher = globMatcher(pieces, 'string');
  } else {
    const componentMatchers = components.map((component) =>
      component.length === 0 ? (value: string) => value === '' : globMatcher(component, 'string'),
    );
    matcher = (value) => {
      const parts = splitArn(value);
      if (parts === undefined) return false;
      for (let i = 0; i < 6; i++) if (!componentMatchers[i]!(parts[i]!)) return false;
      return true;
    };
  }
  return remember(key, matcher);
}

/** ArnLike for a plain pattern string. */
export function matchesArnLike(pattern: string, arn: string): boolean {
  if (typeof pattern !== 'string' || typeof arn !== 'string') return false;
  return arnLikeMatcher([{ text: pattern, literal: false }])(arn);
}
