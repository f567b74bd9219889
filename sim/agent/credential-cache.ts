// The agent's credential cache (spec §2.7, agent main): keyed by the exact service-account token,
// refreshed after min(expiry - now, 3 h), never serving credentials with 15 s or less left, merging
// concurrent requests for one token, at most 2000 entries (least recently used evicted first).
// The real agent refreshes due entries from a janitor every minute; here a due entry is refreshed by
// the next request for it, which is indistinguishable to a pod.

import type { PodCredentials } from './eks-auth-client.ts';
import { EksAuthResponseError } from './eks-auth-client.ts';

export const DEFAULT_MAX_RETENTION_MS = 3 * 60 * 60 * 1000;
export const DEFAULT_MAX_CACHE_SIZE = 2000;
export const MIN_CREDENTIAL_TTL_MS = 15_000;

/** EKS Auth errors after which the agent drops cached credentials instead of keeping them. */
const NON_RECOVERABLE = new Set([
  'ResourceNotFoundException',
  'ExpiredTokenException',
  'InvalidTokenException',
  'AccessDeniedException',
]);

export interface CredentialCacheOptions {
  /** --max-credential-retention-before-renewal (0 turns caching off). */
  maxRetentionMs?: number;
  /** --max-cache-size (0 turns caching off). */
  maxEntries?: number;
  now?: () => number;
  /**
   * The window before expiry in which credentials are no longer served is min(15 s, a quarter of their
   * remaining lifetime when fetched), so that credentials shorter than a minute (the simulator's
   * credentialLifetimeSeconds) are served for most of their life. Default false: always 15 s, as the agent.
   */
  scaleRefreshWindow?: boolean;
}

interface Entry {
  credentials: PodCredentials;
  refreshAt: number;
  /** Credentials with this little left are not served from the cache. */
  minTtlMs: number;
}

export class CredentialCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<PodCredentials>>();
  readonly #maxRetentionMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #scaleRefreshWindow: boolean;

  constructor(options: CredentialCacheOptions = {}) {
    this.#scaleRefreshWindow = options.scaleRefreshWindow ?? false;
    this.#maxRetentionMs = options.maxRetentionMs ?? DEFAULT_MAX_RETENTION_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_CACHE_SIZE;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get enabled(): boolean {
    return this.#maxRetentionMs > 0 && this.#maxEntries > 0;
  }

  /** Forgets every cached entry (calls in flight still complete and are cached). */
  clear(): void {
    this.#entries.clear();
  }

  /** Credentials for the token: from the cache while fresh, else from `fetch` (one call per token at a time). */
  get(token: string, fetch: () => Promise<PodCredentials>): Promise<PodCredentials> {
    if (!this.enabled)
      return fetch().then((credentials) => {
        this.#checkTtl(credentials);
        return credentials;
      });
    const entry = this.#entries.get(token);
    const now = this.#now();
    if (entry && now < entry.refreshAt && this.#remaining(entry.credentials) > entry.minTtlMs) {
      // Re-insert to mark it most recently used.
      this.#entries.delete(token);
      this.#entries.set(token, entry);
      return Promise.resolve(entry.credentials);
    }
    const pending = this.#inFlight.get(token);
    if (pending) return pending;
    const call = this.#refresh(token, fetch, entry).finally(() => this.#inFlight.delete(token));
    this.#inFlight.set(token, call);
    return call;
  }

  async #refresh(
    token: string,
    fetch: () => Promise<PodCredentials>,
    previous?: Entry,
  ): Promise<PodCredentials> {
    let credentials: PodCredentials;
    try {
      credentials = await fetch();
    } catch (error) {
      const nonRecoverable = error instanceof EksAuthResponseError && NON_RECOVERABLE.has(error.code);
      if (nonRecoverable) this.#entries.delete(token);
      else if (previous && this.#remaining(previous.credentials) > previous.minTtlMs)
        return previous.credentials;
      throw error;
    }
    const minTtlMs = this.#checkTtl(credentials);
    const remaining = this.#remaining(credentials);
    this.#entries.delete(token);
    this.#entries.set(token, {
      credentials,
      refreshAt: this.#now() + Math.min(remaining, this.#maxRetentionMs),
      minTtlMs,
    });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return credentials;
  }

  /** Refuses fetched credentials that expire within the window; returns the window for them. */
  #checkTtl(credentials: PodCredentials): number {
    const remaining = this.#remaining(credentials);
    const minTtlMs = this.#scaleRefreshWindow
      ? Math.min(MIN_CREDENTIAL_TTL_MS, remaining / 4)
      : MIN_CREDENTIAL_TTL_MS;
    if (remaining <= minTtlMs) {
      throw new Error(
        `fetched credentials are expired or will expire within the next ${(remaining / 1000).toFixed(2)} seconds`,
      );
    }
    return minTtlMs;
  }

  #remaining(credentials: PodCredentials): number {
    return credentials.expiration.getTime() - this.#now();
  }
}
