// Container environment as the kubelet builds it: `envFrom`, then `env` in order, with `$(VAR)`
// references expanded and `valueFrom` resolved from the pod and its config maps.

import type { V1ConfigMap, V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

/** A container cannot start because its configuration references something missing. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export interface EnvSources {
  readConfigMap(namespace: string, name: string): V1ConfigMap | undefined;
}

/**
 * Expands `$(NAME)` with defined variables; `$$(NAME)` escapes to a literal `$(NAME)`; references to
 * undefined variables are left as they are (Kubernetes' expansion rules).
 */
export function expandReferences(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const resolved = name === undefined ? undefined : lookup(name);
    return resolved ?? match;
  });
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function fieldRefValue(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapKey) return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return Object.entries(meta.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'metadata.annotations':
      return Object.entries(meta.annotations ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '127.0.0.1';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? [{ ip: '127.0.0.1' }]).map((entry) => entry.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '127.0.0.1';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? [{ ip: '127.0.0.1' }]).map((entry) => entry.ip).join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  }
}

function resolveEnvVar(
  variable: V1EnvVar,
  pod: V1Pod,
  sources: EnvSources,
  lookup: (name: string) => string | undefined,
): string | undefined {
  if (variable.value !== undefined) return expandReferences(variable.value, lookup);
  const from = variable.valueFrom;
  if (!from) return '';
  const namespace = pod.metadata?.namespace ?? '';
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath);
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const configMap = sources.readConfigMap(namespace, name);
    const value = configMap?.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(
        configMap
          ? `couldn't find key ${key} in ConfigMap ${namespace}/${name}`
          : `configmap "${name}" not found`,
      );
    }
    return value;
  }
  if (from.secretKeyRef) {
    if (from.secretKeyRef.optional) return undefined;
    throw new ContainerConfigError(`secret "${from.secretKeyRef.name}" not found`);
  }
  if (from.resourceFieldRef) return '0';
  return '';
}

/** The variables a container's spec defines (no PATH/HOME defaults: the caller adds those). */
export function containerEnvironment(
  pod: V1Pod,
  container: V1Container,
  sources: EnvSources,
  serviceEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const namespace = pod.metadata?.namespace ?? '';
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const configMap = sources.readConfigMap(namespace, source.configMapRef.name ?? '');
      if (!configMap) {
        if (source.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${source.configMapRef.name}" not found`);
      }
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        if (ENV_NAME.test(prefix + key)) env[prefix + key] = value;
      }
    } else if (source.secretRef && !source.secretRef.optional) {
      throw new ContainerConfigError(`secret "${source.secretRef.name}" not found`);
    }
  }
  const lookup = (name: string) => env[name] ?? serviceEnv[name];
  for (const variable of container.env ?? []) {
    const value = resolveEnvVar(variable, pod, sources, lookup);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

/** command + args with `$(VAR)` references expanded against the container's environment. */
export function containerArgv(container: V1Container, env: Record<string, string>): string[] {
  const lookup = (name: string) => env[name];
  return [...(container.command ?? []), ...(container.args ?? [])].map((part) =>
    expandReferences(part, lookup),
  );
}
