// Kubernetes clients built from a target's kubeconfig (and context, when one is named).

import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pRetry, { AbortError } from 'p-retry';
import type { TargetInfo } from '../targets/target.ts';

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
}

export function loadKubeConfig(info: Pick<TargetInfo, 'kubeconfigPath' | 'kubeContext'>): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(info.kubeconfigPath);
  if (info.kubeContext) config.setCurrentContext(info.kubeContext);
  return config;
}

export function createKubeClients(info: Pick<TargetInfo, 'kubeconfigPath' | 'kubeContext'>): KubeClients {
  const config = loadKubeConfig(info);
  return {
    config,
    core: retryingTransientErrors(config.makeApiClient(CoreV1Api)),
    apps: retryingTransientErrors(config.makeApiClient(AppsV1Api)),
  };
}

/** Statuses an API server answers when it is busy or briefly failing (priority and fairness, etcd). */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRIES = 4;

/**
 * The client with every call retried, as kubectl and client-go do, on 429 (always: the request was not
 * processed) and, for reads and deletes, on 5xx and dropped connections. A create or update that failed
 * with 5xx may have happened, so it is not repeated.
 */
export function retryingTransientErrors<T extends object>(api: T): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const idempotent = /^(read|list|delete|get)/.test(property);
      return (...args: unknown[]) =>
        pRetry(
          async () => {
            try {
              return await value.apply(target, args);
            } catch (error) {
              if (isTransient(error, idempotent)) throw error;
              throw new AbortError(error as Error);
            }
          },
          { retries: RETRIES, minTimeout: 200, maxTimeout: 2000 },
        );
    },
  });
}

function isTransient(error: unknown, idempotent: boolean): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 429) return true;
  if (!idempotent) return false;
  if (typeof code === 'number') return TRANSIENT_STATUSES.has(code);
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

/** True when a client-node error is the API server's 404. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 404;
}

/** True when a client-node error is the API server's 409 (AlreadyExists or Conflict). */
export function isConflict(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 409;
}
