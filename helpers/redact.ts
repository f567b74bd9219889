// Masks secrets in text bound for logs and reports: AWS secret access keys, session tokens, JWTs
// (service-account tokens), Authorization header values, and exact strings registered at run time (the
// target's own credentials). Recognisable labels keep their name so a reader still sees what was there.

export const REDACTED = '[REDACTED]';

/** Shorter strings are not registered: masking them would blank out ordinary words. */
const MIN_REGISTERED_SECRET_LENGTH = 8;

const registeredSecrets = new Set<string>();

/** Registers a value that must never appear in output, whatever surrounds it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_REGISTERED_SECRET_LENGTH) registeredSecrets.add(value);
}

// "label": "value", label=value, label: value, <Label>value</Label>
const SEPARATOR = String.raw`(?:["']?\s*[:=]\s*["']?|>)`;

interface RedactionRule {
  /** What the rule catches, for readers of this table. */
  catches: string;
  pattern: RegExp;
  /** Replacement; `$1` keeps the label. */
  replacement: string;
}

const RULES: readonly RedactionRule[] = [
  {
    catches: 'secret access keys after SecretAccessKey / secretAccessKey / aws_secret_access_key labels',
    pattern: new RegExp(`((?:aws_?)?secret_?access_?key${SEPARATOR})[A-Za-z0-9/+=]{16,}`, 'gi'),
    replacement: `$1${REDACTED}`,
  },
  {
    catches:
      'session tokens after SessionToken / sessionToken / X-Amz-Security-Token / aws_session_token labels',
    pattern: new RegExp(
      `((?:aws_?)?(?:session|security)_?token${SEPARATOR}|x-amz-security-token${SEPARATOR})[A-Za-z0-9/+=%._-]{16,}`,
      'gi',
    ),
    replacement: `$1${REDACTED}`,
  },
  {
    catches: 'credential "Token" fields (the pod identity agent answers with one)',
    pattern: new RegExp(String.raw`(\bToken${SEPARATOR})[A-Za-z0-9/+=%._-]{16,}`, 'g'),
    replacement: `$1${REDACTED}`,
  },
  {
    catches: 'Authorization header values, to the end of the line or the closing quote',
    pattern: /(\bauthorization["']?\s*[:=]\s*["']?)[^"'\r\n]+/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    catches: 'JWTs: three base64url segments starting with eyJ',
    pattern: /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
    replacement: REDACTED,
  },
  {
    catches: 'long base64 runs (100 characters or more): unlabelled session tokens',
    pattern: /[A-Za-z0-9+/]{100,}={0,2}/g,
    replacement: REDACTED,
  },
];

/** Returns `text` with every recognised secret, every registered secret and every `extraSecrets` masked. */
export function redact(text: string, extraSecrets: readonly string[] = []): string {
  const exact = [...registeredSecrets, ...extraSecrets.filter((s) => s.length > 0)];
  // Longest first, so a secret that contains another is masked whole.
  exact.sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of exact) result = result.replaceAll(secret, REDACTED);
  for (const rule of RULES) result = result.replace(rule.pattern, rule.replacement);
  return result;
}
