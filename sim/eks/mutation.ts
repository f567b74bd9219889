// The pod mutation EKS applies on pod CREATE when the pod's service account has a pod identity
// association (the "container credentials" path of amazon-eks-pod-identity-webhook, spec §1.2-§1.6).
// A pure function: it returns a mutated copy and never touches its input.

import type { V1Container, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';

export const POD_IDENTITY_FULL_URI = 'http://169.254.170.23/v1/credentials';
export const POD_IDENTITY_FULL_URI_IPV6 = 'http://[fd00:ec2::23]/v1/credentials';
export const POD_IDENTITY_TOKEN_AUDIENCE = 'pods.eks.amazonaws.com';
export const POD_IDENTITY_VOLUME_NAME = 'eks-pod-identity-token';
export const POD_IDENTITY_TOKEN_PATH = 'eks-pod-identity-token';
export const POD_IDENTITY_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';

export const ANNOTATION_SKIP_CONTAINERS = 'eks.amazonaws.com/skip-containers';
export const ANNOTATION_TOKEN_EXPIRATION = 'eks.amazonaws.com/token-expiration';
export const ANNOTATION_STS_REGIONAL_ENDPOINTS = 'eks.amazonaws.com/sts-regional-endpoints';
export const LABEL_SKIP_POD_IDENTITY_WEBHOOK = 'eks.amazonaws.com/skip-pod-identity-webhook';
export const LABEL_POD_IDENTITY = 'eks.amazonaws.com/pod-identity';

export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 86400;
export const MIN_JITTERED_TOKEN_EXPIRATION_SECONDS = 79200;
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;

export interface PodIdentityMutationSettings {
  /** Adds AWS_DEFAULT_REGION and AWS_REGION when set (and the container sets neither). */
  region?: string;
  /** Adds AWS_STS_REGIONAL_ENDPOINTS=regional (default true; the SA annotation overrides). */
  regionalSts?: boolean;
  /** Default http://169.254.170.23/v1/credentials (IPv4 clusters). */
  fullUri?: string;
  /**
   * The token lifetime used when it would be the default 86400 s: the webhook replaces the default by
   * a random value in [79200, 86400]. The caller draws it (seeded), which keeps this function pure.
   */
  jitteredExpirationSeconds: number;
  /** Annotations of the pod's service account (token-expiration, sts-regional-endpoints). */
  serviceAccountAnnotations?: Record<string, string>;
  /** Adds the label eks.amazonaws.com/pod-identity=enabled (newer webhook builds; default false). */
  addPodIdentityLabel?: boolean;
}

/**
 * Returns the pod as EKS would store it for a service account that has an association. Pods labelled
 * eks.amazonaws.com/skip-pod-identity-webhook come back unchanged.
 */
export function mutatePodForPodIdentity(pod: V1Pod, settings: PodIdentityMutationSettings): V1Pod {
  const result = structuredClone(pod);
  if (pod.metadata?.labels && LABEL_SKIP_POD_IDENTITY_WEBHOOK in pod.metadata.labels) return result;
  const spec = result.spec;
  if (!spec) return result;

  const tokenExpiration = resolveTokenExpiration(pod, settings);
  const regionalSts = resolveRegionalSts(settings);
  const containersToSkip = parseSkipContainers(pod.metadata?.annotations?.[ANNOTATION_SKIP_CONTAINERS]);
  let tokenFilePath = `${POD_IDENTITY_MOUNT_PATH}/${POD_IDENTITY_TOKEN_PATH}`;
  const nodeSelector = spec.nodeSelector ?? {};
  if (nodeSelector['kubernetes.io/os'] === 'windows' || nodeSelector['beta.kubernetes.io/os'] === 'windows') {
    tokenFilePath = `C:${tokenFilePath.replaceAll('/', '\\')}`;
  }
  const fullUri = settings.fullUri ?? POD_IDENTITY_FULL_URI;

  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    if (containersToSkip.has(container.name)) continue;
    addEnvAndMount(container, { region: settings.region, regionalSts, fullUri, tokenFilePath });
  }

  if (settings.addPodIdentityLabel) {
    result.metadata ??= {};
    result.metadata.labels = { ...(result.metadata.labels ?? {}), [LABEL_POD_IDENTITY]: 'enabled' };
  }

  if (!spec.volumes?.some((v) => v.name === POD_IDENTITY_VOLUME_NAME)) {
    const volume: V1Volume = {
      name: POD_IDENTITY_VOLUME_NAME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: POD_IDENTITY_TOKEN_AUDIENCE,
              expirationSeconds: tokenExpiration,
              path: POD_IDENTITY_TOKEN_PATH,
            },
          },
        ],
        defaultMode: 420,
      },
    };
    spec.volumes = [volume, ...(spec.volumes ?? [])];
  }
  return result;
}

function addEnvAndMount(
  container: V1Container,
  env: { region?: string; regionalSts: boolean; fullUri: string; tokenFilePath: string },
): void {
  const names = new Set((container.env ?? []).map((e) => e.name));
  const credentialsDefined =
    names.has('AWS_CONTAINER_CREDENTIALS_FULL_URI') || names.has('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE');
  const regionDefined = names.has('AWS_REGION') || names.has('AWS_DEFAULT_REGION');
  // As the webhook: a container that already has all three groups is left alone, mount included.
  if (credentialsDefined && regionDefined && names.has('AWS_STS_REGIONAL_ENDPOINTS')) return;
  const added: V1EnvVar[] = [];
  if (env.regionalSts && !names.has('AWS_STS_REGIONAL_ENDPOINTS')) {
    added.push({ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' });
  }
  if (env.region && !regionDefined) {
    added.push({ name: 'AWS_DEFAULT_REGION', value: env.region }, { name: 'AWS_REGION', value: env.region });
  }
  if (!credentialsDefined) {
    added.push(
      { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: env.fullUri },
      { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: env.tokenFilePath },
    );
  }
  if (added.length > 0) container.env = [...(container.env ?? []), ...added];
  if (!(container.volumeMounts ?? []).some((m) => m.name === POD_IDENTITY_VOLUME_NAME)) {
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: POD_IDENTITY_VOLUME_NAME, readOnly: true, mountPath: POD_IDENTITY_MOUNT_PATH },
    ];
  }
}

/** Pod annotation > service-account annotation > default; the default is jittered. Minimum 600 s. */
function resolveTokenExpiration(pod: V1Pod, settings: PodIdentityMutationSettings): number {
  let expiration = DEFAULT_TOKEN_EXPIRATION_SECONDS;
  const fromServiceAccount = parseExpiration(
    settings.serviceAccountAnnotations?.[ANNOTATION_TOKEN_EXPIRATION],
  );
  if (fromServiceAccount !== undefined) expiration = fromServiceAccount;
  const fromPod = parseExpiration(pod.metadata?.annotations?.[ANNOTATION_TOKEN_EXPIRATION]);
  if (fromPod !== undefined) expiration = fromPod;
  return expiration === DEFAULT_TOKEN_EXPIRATION_SECONDS ? settings.jitteredExpirationSeconds : expiration;
}

export function parseExpiration(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return undefined;
  return Math.max(Number.parseInt(value, 10), MIN_TOKEN_EXPIRATION_SECONDS);
}

function resolveRegionalSts(settings: PodIdentityMutationSettings): boolean {
  const annotation = settings.serviceAccountAnnotations?.[ANNOTATION_STS_REGIONAL_ENDPOINTS];
  if (annotation === 'true') return true;
  if (annotation === 'false') return false;
  return settings.regionalSts ?? true;
}

/** The annotation is one CSV record; an unparsable value skips nothing (as the webhook). */
export function parseSkipContainers(value: string | undefined): Set<string> {
  if (value === undefined) return new Set();
  const names: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (quoted) {
      if (char === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      names.push(field);
      field = '';
    } else if (char === '\n') break;
    else field += char;
  }
  if (quoted) return new Set();
  names.push(field);
  return new Set(names);
}
