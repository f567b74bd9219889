// Label and field selectors, parsed as the API server parses `labelSelector` and `fieldSelector`.

import { badRequest } from './status.ts';
import type { KubeObject } from './store.ts';

export type LabelPredicate = (labels: Record<string, string> | undefined) => boolean;
export type ObjectPredicate = (object: KubeObject) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b=c` → [`a in (x,y)`, `b=c`]. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkKey(key: string, requirement: string): string {
  if (!LABEL_KEY.test(key)) {
    throw badRequest(`unable to parse requirement: ${requirement}: invalid label key "${key}"`);
  }
  return key;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MAX_LENGTH = 63;
const LABEL_VALUE_INVALID =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Checks the values of one requirement as apimachinery's labels.NewRequirement does. */
function checkValues(key: string, values: readonly string[], requirement: string): void {
  values.forEach((value, index) => {
    const problems = [
      ...(value.length > LABEL_VALUE_MAX_LENGTH
        ? [`must be no more than ${LABEL_VALUE_MAX_LENGTH} characters`]
        : []),
      ...(LABEL_VALUE.test(value) ? [] : [LABEL_VALUE_INVALID]),
    ];
    if (problems.length > 0) {
      throw badRequest(
        `unable to parse requirement: values[${index}][${key}]: Invalid value: "${value}": ${problems.join('; ')}`,
      );
    }
  });
  if (values.length === 0)
    throw badRequest(
      `unable to parse requirement: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty (${requirement})`,
    );
}

export function parseLabelSelector(selector: string | null | undefined): LabelPredicate {
  if (!selector || selector.trim() === '') return () => true;
  const checks: LabelPredicate[] = splitRequirements(selector).map((requirement) => {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(requirement);
    if (setMatch) {
      const key = checkKey(setMatch[1], requirement);
      const listed = setMatch[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      checkValues(key, listed, requirement);
      const values = new Set(listed);
      return setMatch[2] === 'in'
        ? (labels) => labels?.[key] !== undefined && values.has(labels[key])
        : (labels) => labels?.[key] === undefined || !values.has(labels[key]);
    }
    const opMatch = /^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(requirement);
    if (opMatch) {
      const key = checkKey(opMatch[1], requirement);
      const value = opMatch[3];
      checkValues(key, [value], requirement);
      return opMatch[2] === '!=' ? (labels) => labels?.[key] !== value : (labels) => labels?.[key] === value;
    }
    const existsMatch = /^(!?)\s*([^=!<>\s()]+)$/.exec(requirement);
    if (existsMatch) {
      const key = checkKey(existsMatch[2], requirement);
      return existsMatch[1] === '!'
        ? (labels) => labels?.[key] === undefined
        : (labels) => labels?.[key] !== undefined;
    }
    throw badRequest(
      `unable to parse requirement: found '${requirement}', expected: in, notin, =, ==, !=, exists`,
    );
  });
  return (labels) => checks.every((check) => check(labels));
}

/** Reads a dotted field path (`status.phase`, `involvedObject.name`) from an object, as a string. */
export function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return String(current);
}

/**
 * Field selectors support `=`, `==` and `!=` on the fields a resource declares (the API server
 * rejects others with `field label not supported`).
 */
export function parseFieldSelector(
  selector: string | null | undefined,
  supportedFields: readonly string[],
): ObjectPredicate {
  if (!selector || selector.trim() === '') return () => true;
  const checks: ObjectPredicate[] = selector
    .split(/(?<!\\),/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((requirement) => {
      const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(requirement);
      if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${requirement}'`);
      const field = match[1].trim();
      const value = match[3].trim().replace(/\\(.)/g, '$1');
      if (!supportedFields.includes(field)) throw badRequest(`field label not supported: ${field}`);
      return match[2] === '!='
        ? (object) => fieldValue(object, field) !== value
        : (object) => fieldValue(object, field) === value;
    });
  return (object) => checks.every((check) => check(object));
}
