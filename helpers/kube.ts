// Kubernetes clients built from a target's kubeconfig (and context, when one is named).

import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
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
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/** True when a client-node error is the API server's 404. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 404;
}

/** True when a client-node error is the API server's 409 (AlreadyExists or Conflict). */
export function isConflict(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 409;
}
