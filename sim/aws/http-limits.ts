// The AWS endpoint's connection limits (sim/http-limits.ts serves both listeners): its defaults.

import { type ConnectionLimits, resolveLimits } from '../http-limits.ts';

export {
  applyConnectionLimits,
  declaredLength,
  hasBody,
  lingerThenClose,
  RelayedConnections,
  readBodyUpTo,
  serverOptions,
} from '../http-limits.ts';

export type HttpLimits = ConnectionLimits;

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
};

export function resolveHttpLimits(given: Partial<HttpLimits> = {}): HttpLimits {
  return resolveLimits(DEFAULT_HTTP_LIMITS, given, 'AWS simulator');
}
