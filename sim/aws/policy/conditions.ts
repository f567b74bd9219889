// The Condition element: operators, set qualifiers and the missing-key rules.
//
// | Rule | Source |
// |---|---|
// | Multiple operators in a block are ANDed; multiple keys under one operator are ANDed; multiple values for one key are ORed, and NORed for a negated operator | [multiple keys or values](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html) |
// | A key absent from the request: the condition is false, except for negated operators (true), `...IfExists` (true) and `Null` | [condition operators](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html) |
// | `ForAllValues`: every request value must match; true when the key is absent or empty. `ForAnyValue`: at least one request value must match; false when absent | [single- vs multivalued keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html) |
// | `ForAllValues:StringNotLike` is true when no request value matches any policy value (per request value: NOR over policy values) | [multivalued examples](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html) |
// | Context key names match case-insensitively; values case-sensitively except the `IgnoreCase` operators | [Condition element](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html) |
// | `Null`: `true` means the key is absent, `false` that it is present | [condition operators](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null) |
// | `ArnLike`/`ArnEquals`: the six colon-delimited components compared separately | same page, ARN operators |
// | Policy variables work in String, ARN and Bool values | [variables](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html) |
//
// A multivalued request key under an operator without a set qualifier (which AWS says not to write) is
// evaluated here as ForAnyValue for positive operators and as "no request value matches" for negated ones,
// so that a negated operator stays the negation of its positive form.
// A request value of the wrong type (a Numeric key whose value is not a number, say) matches neither the
// operator nor its negation.

import type { ContextLookup } from './context.ts';
import {
  type IpRange,
  ipInRange,
  normalizeBase64,
  parseBool,
  parseDate,
  parseIpAddress,
  parseIpRange,
  parseNumber,
} from './values.ts';
import { parseTemplate, resolveText, type Template, templateMatcher } from './variables.ts';
import { arnLikeMatcher, type GlobPiece, globMatcher, type Matcher } from './wildcard.ts';

type Family =
  | 'string'
  | 'stringIgnoreCase'
  | 'stringLike'
  | 'numeric'
  | 'date'
  | 'bool'
  | 'binary'
  | 'ip'
  | 'arn'
  | 'null';
type Comparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface OperatorSpec {
  family: Family;
  comparison: Comparison;
  negated: boolean;
}

function spec(family: Family, comparison: Comparison, negated = false): OperatorSpec {
  return { family, comparison, negated };
}

/** Base operator names (lower-cased) as documented, without set qualifier or IfExists. */
const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map([
  ['stringequals', spec('string', 'eq')],
  ['stringnotequals', spec('string', 'eq', true)],
  ['stringequalsignorecase', spec('stringIgnoreCase', 'eq')],
  ['stringnotequalsignorecase', spec('stringIgnoreCase', 'eq', true)],
  ['stringlike', spec('stringLike', 'eq')],
  ['stringnotlike', spec('stringLike', 'eq', true)],
  ['numericequals', spec('numeric', 'eq')],
  ['numericnotequals', spec('numeric', 'eq', true)],
  ['numericlessthan', spec('numeric', 'lt')],
  ['numericlessthanequals', spec('numeric', 'lte')],
  ['numericgreaterthan', spec('numeric', 'gt')],
  ['numericgreaterthanequals', spec('numeric', 'gte')],
  ['dateequals', spec('date', 'eq')],
  ['datenotequals', spec('date', 'eq', true)],
  ['datelessthan', spec('date', 'lt')],
  ['datelessthanequals', spec('date', 'lte')],
  ['dategreaterthan', spec('date', 'gt')],
  ['dategreaterthanequals', spec('date', 'gte')],
  ['bool', spec('bool', 'eq')],
  ['binaryequals', spec('binary', 'eq')],
  ['ipaddress', spec('ip', 'eq')],
  ['notipaddress', spec('ip', 'eq', true)],
  ['arnequals', spec('arn', 'eq')],
  ['arnlike', spec('arn', 'eq')],
  ['arnnotequals', spec('arn', 'eq', true)],
  ['arnnotlike', spec('arn', 'eq', true)],
  ['null', spec('null', 'eq')],
]);

export type SetQualifier = 'none' | 'forAnyValue' | 'forAllValues';

export interface ParsedOperator extends OperatorSpec {
  qualifier: SetQualifier;
  ifExists: boolean;
}

/** Parses `ForAnyValue:StringLikeIfExists` and the like (case-insensitively); undefined if unknown. */
export function parseOperator(name: string): ParsedOperator | undefined {
  if (typeof name !== 'string') return undefined;
  let rest = name.toLowerCase();
  let qualifier: SetQualifier = 'none';
  if (rest.startsWith('foranyvalue:')) {
    qualifier = 'forAnyValue';
    rest = rest.slice('foranyvalue:'.length);
  } else if (rest.startsWith('forallvalues:')) {
    qualifier = 'forAllValues';
    rest = rest.slice('forallvalues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'ifexists'.length);
  }
  const base = OPERATORS.get(rest);
  if (base === undefined) return undefined;
  // "You can add IfExists to the end of any condition operator name except the Null condition."
  if (ifExists && base.family === 'null') return undefined;
  return { ...base, qualifier, ifExists };
}

/** Policy-side values, parsed once per family. Unparseable entries are undefined and never match. */
type CompiledValues =
  | { family: 'string' | 'stringIgnoreCase' | 'bool'; templates: Template[] }
  | {
      family: 'stringLike' | 'arn';
      templates: Template[];
      /** Ready matchers for templates without variables (same index). */
      matchers: Array<Matcher | undefined>;
    }
  | { family: 'numeric' | 'date'; numbers: Array<number | undefined> }
  | { family: 'binary'; texts: Array<string | undefined> }
  | { family: 'ip'; ranges: Array<IpRange | undefined> }
  | { family: 'null'; flags: Array<boolean | undefined> };

export interface CompiledCondition {
  operator: ParsedOperator;
  /** The context key, lower-cased. */
  lowerKey: string;
  values: CompiledValues;
}

type PolicyScalar = string | number | boolean;

function isScalar(value: unknown): value is PolicyScalar {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** The values under a key as a list of scalars; undefined when the shape is not one IAM accepts. */
export function conditionValueList(value: unknown): PolicyScalar[] | undefined {
  if (isScalar(value)) return [value];
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (!isScalar(item)) return undefined;
  return value as PolicyScalar[];
}

function compileValues(family: Family, raw: PolicyScalar[], variablesEnabled: boolean): CompiledValues {
  switch (family) {
    case 'string':
    case 'stringIgnoreCase':
    case 'bool':
      return { family, templates: raw.map((value) => parseTemplate(String(value), variablesEnabled)) };
    case 'stringLike':
    case 'arn': {
      const templates = raw.map((value) => parseTemplate(String(value), variablesEnabled));
      const matchers = templates.map((template) => {
        if (template.hasVariables) return undefined;
        const pieces = template.parts as GlobPiece[];
        return family === 'arn' ? arnLikeMatcher(pieces) : globMatcher(pieces, 'string');
      });
      return { family, templates, matchers };
    }
    case 'numeric':
      return { family, numbers: raw.map(parseNumber) };
    case 'date':
      return { family, numbers: raw.map(parseDate) };
    case 'binary':
      return { family, texts: raw.map(normalizeBase64) };
    case 'ip':
      return { family, ranges: raw.map(parseIpRange) };
    case 'null':
      return { family, flags: raw.map(parseBool) };
  }
}

/**
 * Compiles a statement's Condition element. Undefined when the element is malformed or uses an unknown
 * operator with entries: such a statement never applies.
 */
export function compileConditionBlock(
  block: unknown,
  variablesEnabled: boolean,
): CompiledCondition[] | undefined {
  if (block === undefined) return [];
  if (block === null || typeof block !== 'object' || Array.isArray(block)) return undefined;
  const compiled: CompiledCondition[] = [];
  for (const operatorName of Object.keys(block)) {
    const entries = (block as Record<string, unknown>)[operatorName];
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return undefined;
    const keys = Object.keys(entries);
    const operator = parseOperator(operatorName);
    if (operator === undefined) {
      if (keys.length === 0) continue;
      return undefined;
    }
    for (const key of keys) {
      const raw = conditionValueList((entries as Record<string, unknown>)[key]);
      if (raw === undefined) return undefined;
      compiled.push({
        operator,
        lowerKey: key.toLowerCase(),
        values: compileValues(operator.family, raw, variablesEnabled),
      });
    }
  }
  return compiled;
}

function compare(left: number, right: number, comparison: Comparison): boolean {
  switch (comparison) {
    case 'eq':
      return left === right;
    case 'lt':
      return left < right;
    case 'lte':
      return left <= right;
    case 'gt':
      return left > right;
    case 'gte':
      return left >= right;
  }
}

const MATCH = 1;
const NO_MATCH = 0;
const WRONG_TYPE = -1;

function asText(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * Whether one request value matches any policy value under the positive form of the operator:
 * MATCH, NO_MATCH, or WRONG_TYPE when the request value is not of the operator's type.
 */
function matchOne(
  condition: CompiledCondition,
  requestValue: string | number | boolean,
  context: ContextLookup,
): number {
  const values = condition.values;
  const comparison = condition.operator.comparison;
  switch (values.family) {
    case 'string': {
      const text = asText(requestValue);
      for (const template of values.templates) {
        const expected = resolveText(template, context);
        if (expected !== undefined && expected === text) return MATCH;
      }
      return NO_MATCH;
    }
    case 'stringIgnoreCase': {
      const text = asText(requestValue).toLowerCase();
      for (const template of values.templates) {
        const expected = resolveText(template, context);
        if (expected !== undefined && expected.toLowerCase() === text) return MATCH;
      }
      return NO_MATCH;
    }
    case 'stringLike':
    case 'arn': {
      const text = asText(requestValue);
      const kind = values.family === 'arn' ? 'arn' : 'string';
      for (let i = 0; i < values.templates.length; i++) {
        const matcher = values.matchers[i] ?? templateMatcher(values.templates[i]!, context, kind);
        if (matcher?.(text)) return MATCH;
      }
      return NO_MATCH;
    }
    case 'bool': {
      const actual = parseBool(requestValue);
      if (actual === undefined) return WRONG_TYPE;
      for (const template of values.templates) {
        const expected = parseBool(resolveText(template, context));
        if (expected !== undefined && expected === actual) return MATCH;
      }
      return NO_MATCH;
    }
    case 'numeric':
    case 'date': {
      const actual = values.family === 'numeric' ? parseNumber(requestValue) : parseDate(requestValue);
      if (actual === undefined) return WRONG_TYPE;
      for (const expected of values.numbers) {
        if (expected !== undefined && compare(actual, expected, comparison)) return MATCH;
      }
      return NO_MATCH;
    }
    case 'binary': {
      const actual = normalizeBase64(requestValue);
      if (actual === undefined) return WRONG_TYPE;
      for (const expected of values.texts) if (expected !== undefined && expected === actual) return MATCH;
      return NO_MATCH;
    }
    case 'ip': {
      const address = parseIpAddress(requestValue);
      if (address === undefined) return WRONG_TYPE;
      for (const range of values.ranges) if (range !== undefined && ipInRange(address, range)) return MATCH;
      return NO_MATCH;
    }
    case 'null':
      return NO_MATCH;
  }
}

/** Whether one request value satisfies the operator (its negated form included). */
function satisfies(
  condition: CompiledCondition,
  requestValue: string | number | boolean,
  context: ContextLookup,
): boolean {
  const result = matchOne(condition, requestValue, context);
  return condition.operator.negated ? result === NO_MATCH : result === MATCH;
}

export function evaluateCondition(condition: CompiledCondition, context: ContextLookup): boolean {
  const { operator } = condition;
  const requestValue = context.get(condition.lowerKey);
  if (condition.values.family === 'null') {
    const absent = requestValue === undefined;
    for (const flag of condition.values.flags) if (flag !== undefined && flag === absent) return true;
    return false;
  }
  if (requestValue === undefined) {
    if (operator.ifExists) return true;
    if (operator.qualifier === 'forAllValues') return true;
    if (operator.qualifier === 'forAnyValue') return false;
    return operator.negated;
  }
  if (!Array.isArray(requestValue)) {
    return satisfies(condition, requestValue, context);
  }
  switch (operator.qualifier) {
    case 'forAllValues':
      for (const value of requestValue) if (!satisfies(condition, value, context)) return false;
      return true;
    case 'forAnyValue':
      for (const value of requestValue) if (satisfies(condition, value, context)) return true;
      return false;
    case 'none':
      if (operator.negated) {
        for (const value of requestValue) if (matchOne(condition, value, context) !== NO_MATCH) return false;
        return true;
      }
      for (const value of requestValue) if (matchOne(condition, value, context) === MATCH) return true;
      return false;
  }
}

/** All conditions of a statement (ANDed). */
export function evaluateConditions(
  conditions: readonly CompiledCondition[],
  context: ContextLookup,
): boolean {
  for (const condition of conditions) if (!evaluateCondition(condition, context)) return false;
  return true;
}
