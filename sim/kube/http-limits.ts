// The API server's connection limits (sim/http-limits.ts serves both listeners): its defaults, and
// its body limit. Watches and log streams are exempt from the idle timeout while they run.

import { type ConnectionLimits, resolveLimits } from '../http-limits.ts';

export {
  applyConnectionLimits,
  declaredLength,
  lingerThenClose,
  RelayedConnections,
  readBodyUpTo,
  serverOptions,
} from '../http-limits.ts';

export interface ApiServerLimits extends ConnectionLimits {
  /** Largest request body; above it 413 RequestEntityTooLarge (kube-apiserver's default: 3 MiB). */
  maxRequestBodyBytes: number;
}

export const DEFAULT_API_SERVER_LIMITS: ApiServerLimits = {
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  // kube-apiserver's IdleTimeout (and client-go's idle connection timeout).
  keepAliveTimeoutMs: 90_000,
  idleTimeoutMs: 120_000,
  maxRequestBodyBytes: 3 * 1024 * 1024,
};

export function resolveApiServerLimits(given: Partial<ApiServerLimits> = {}): ApiServerLimits {
  return resolveLimits(DEFAULT_API_SERVER_LIMITS, given, 'Kubernetes simulator');
}
