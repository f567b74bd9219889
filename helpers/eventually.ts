// Condition-based waiting. Every wait in the suites polls with backoff up to a deadline, and retries only
// failures that are named as transient: a NotYet thrown by the probe itself ("pod still Pending"), or an
// AWS/Kubernetes error whose name says the world has not caught up yet (IAM propagation, for example).
// Anything else fails at once, so real errors are not hidden behind a timeout.

import pRetry from 'p-retry';
import { emitProgress, HEARTBEAT_MS } from './progress.ts';

/** Thrown by a probe to say "the condition does not hold yet; ask again". */
export class NotYet extends Error {
  override readonly name = 'NotYet';
}

/** Raised when the deadline passes; carries the last reason the condition did not hold. */
export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

export interface EventuallyOptions {
  timeoutMs: number;
  /** Errors to retry besides NotYet: error names (AWS `name`/`Code`), or predicates. */
  retryOn?: Array<string | ((error: unknown) => boolean)>;
  /** First delay between attempts (default 100 ms); grows by 1.5x up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

export function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown; body?: { reason?: unknown } };
  if (typeof e.Code === 'string') return e.Code;
  if (e.body && typeof e.body.reason === 'string') return e.body.reason;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  return undefined;
}

/** A named rule matches the error's name, with or without the SDK's `Exception` suffix (NoSuchEntity). */
function matchesName(name: string | undefined, rule: string): boolean {
  return name !== undefined && (name === rule || name === `${rule}Exception` || `${name}Exception` === rule);
}

function isRetryable(error: unknown, retryOn: EventuallyOptions['retryOn']): boolean {
  if (error instanceof NotYet) return true;
  const name = errorName(error);
  return (retryOn ?? []).some((rule) => (typeof rule === 'string' ? matchesName(name, rule) : rule(error)));
}

/**
 * Runs `probe` until it returns, retrying named transient failures with backoff until `timeoutMs`.
 * `what` describes the condition for the timeout message ("pod ns/p Running").
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  options: EventuallyOptions,
): Promise<T> {
  const started = Date.now();
  let lastReason = 'no attempt finished';
  let ok = false;
  emitProgress({ type: 'wait-start', what, timeoutMs: options.timeoutMs });
  const heartbeat = setInterval(() => {
    emitProgress({
      type: 'wait-heartbeat',
      what,
      elapsedMs: Date.now() - started,
      timeoutMs: options.timeoutMs,
    });
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await pRetry(
      async () => {
        try {
          return await probe();
        } catch (error) {
          lastReason = error instanceof Error ? error.message : String(error);
          throw error;
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        maxRetryTime: options.timeoutMs,
        minTimeout: options.intervalMs ?? 100,
        maxTimeout: options.maxIntervalMs ?? 2_000,
        factor: 1.5,
        signal: options.signal,
        shouldRetry: ({ error }) => isRetryable(error, options.retryOn),
      },
    ).then((value) => {
      ok = true;
      return value;
    });
  } catch (error) {
    if (isRetryable(error, options.retryOn)) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw new WaitTimeout(`timed out after ${seconds}s waiting for ${what}: ${lastReason}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    clearInterval(heartbeat);
    emitProgress({ type: 'wait-end', what, elapsedMs: Date.now() - started, ok });
  }
}
