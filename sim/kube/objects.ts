// Small helpers on object metadata shared by every resource: timestamps, uids, generated names and
// Kubernetes' name validation rules.

import { randomInt, randomUUID } from 'node:crypto';
import type { FieldError } from './status.ts';

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newUid(): string {
  return randomUUID();
}

// Kubernetes' utilrand alphabet: no vowels (no words), no confusable characters.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters, the suffix of generateName and of `kube-api-access-*` volumes. */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return out;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 name rule as apimachinery's validation states it: a length limit and a pattern. */
interface DnsNameRule {
  maxLength: number;
  pattern: RegExp;
  /** apimachinery's message when the pattern does not match. */
  invalid: string;
}

const DNS1123_LABEL_RULE: DnsNameRule = {
  maxLength: 63,
  pattern: DNS1123_LABEL,
  invalid:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
};

const DNS1123_SUBDOMAIN_RULE: DnsNameRule = {
  maxLength: 253,
  pattern: DNS1123_SUBDOMAIN,
  invalid:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
};

function validateDnsName(field: string, value: string, rule: DnsNameRule): FieldError[] {
  const problem =
    value.length > rule.maxLength
      ? `must be no more than ${rule.maxLength} characters`
      : rule.pattern.test(value)
        ? undefined
        : rule.invalid;
  return problem
    ? [{ field, type: 'FieldValueInvalid', detail: `Invalid value: "${value}": ${problem}` }]
    : [];
}

export function validateDns1123Label(field: string, value: string): FieldError[] {
  return validateDnsName(field, value, DNS1123_LABEL_RULE);
}

export function validateDns1123Subdomain(field: string, value: string): FieldError[] {
  return validateDnsName(field, value, DNS1123_SUBDOMAIN_RULE);
}

/** Age as `kubectl get` shows it (apimachinery's duration.HumanDuration). */
export function humanDuration(fromIso: string | Date | undefined, now = Date.now()): string {
  if (!fromIso) return '<unknown>';
  const from = typeof fromIso === 'string' ? Date.parse(fromIso) : fromIso.getTime();
  const seconds = Math.floor((now - from) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** True when `value` is a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
