// The IRSA half of the admission webhook (amazon-eks-pod-identity-webhook serves both, spec §1.1): a pod
// whose service account carries eks.amazonaws.com/role-arn gets AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE
// and the projected aws-iam-token volume. Applied only when the service account has no pod identity
// association: container credentials take precedence (spec §1.6). A pure function, like mutation.ts.

import type { V1Container, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import {
  ANNOTATION_SKIP_CONTAINERS,
  ANNOTATION_STS_REGIONAL_ENDPOINTS,
  ANNOTATION_TOKEN_EXPIRATION,
  DEFAULT_TOKEN_EXPIRATION_SECONDS,
  LABEL_SKIP_POD_IDENTITY_WEBHOOK,
  parseExpiration,
  parseSkipContainers,
} from './mutation.ts';

export const ANNOTATION_ROLE_ARN = 'eks.amazonaws.com/role-arn';
export const ANNOTATION_AUDIENCE = 'eks.amazonaws.com/audience';
export const IRSA_DEFAULT_AUDIENCE = 'sts.amazonaws.com';
export const IRSA_VOLUME_NAME = 'aws-iam-token';
export const IRSA_TOKEN_PATH = 'token';
export const IRSA_MOUNT_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

export interface IrsaMutationSettings {
  /** Adds AWS_DEFAULT_REGION and AWS_REGION when set (and the container sets neither). */
  region?: string;
  /** Adds AWS_STS_REGIONAL_ENDPOINTS=regional (default true; the SA annotation overrides). */
  regionalSts?: boolean;
  /** Annotations of the pod's service account: role-arn (required), audience, token-expiration, ... */
  serviceAccountAnnotations?: Record<string, string>;
}

/** The role the service account's annotation names, if any (an empty value names none). */
export function irsaRoleArnOf(
  serviceAccountAnnotations: Record<string, string> | undefined,
): string | undefined {
  const value = serviceAccountAnnotations?.[ANNOTATION_ROLE_ARN]?.trim();
  return value ? value : undefined;
}

/** Returns the pod as EKS would store it for an IRSA-annotated service account without an association. */
export function mutatePodForIrsa(pod: V1Pod, settings: IrsaMutationSettings): V1Pod {
  const result = structuredClone(pod);
  const annotations = settings.serviceAccountAnnotations ?? {};
  const roleArn = irsaRoleArnOf(annotations);
  if (!roleArn) return result;
  if (pod.metadata?.labels && LABEL_SKIP_POD_IDENTITY_WEBHOOK in pod.metadata.labels) return result;
  const spec = result.spec;
  if (!spec) return result;

  const audience = annotations[ANNOTATION_AUDIENCE]?.trim() || IRSA_DEFAULT_AUDIENCE;
  // No jitter on this path: the webhook jitters only the container-credentials token.
  const expiration =
    parseExpiration(pod.metadata?.annotations?.[ANNOTATION_TOKEN_EXPIRATION]) ??
    parseExpiration(annotations[ANNOTATION_TOKEN_EXPIRATION]) ??
    DEFAULT_TOKEN_EXPIRATION_SECONDS;
  const regionalAnnotation = annotations[ANNOTATION_STS_REGIONAL_ENDPOINTS];
  const regionalSts =
    regionalAnnotation === 'true'
      ? true
      : regionalAnnotation === 'false'
        ? false
        : (settings.regionalSts ?? true);
  let tokenFile = `${IRSA_MOUNT_PATH}/${IRSA_TOKEN_PATH}`;
  const nodeSelector = spec.nodeSelector ?? {};
  if (nodeSelector['kubernetes.io/os'] === 'windows' || nodeSelector['beta.kubernetes.io/os'] === 'windows') {
    tokenFile = `C:${tokenFile.replaceAll('/', '\\')}`;
  }
  const skipped = parseSkipContainers(pod.metadata?.annotations?.[ANNOTATION_SKIP_CONTAINERS]);
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    if (!skipped.has(container.name))
      addIrsaEnvAndMount(container, { region: settings.region, regionalSts, roleArn, tokenFile });
  }

  if (!spec.volumes?.some((v) => v.name === IRSA_VOLUME_NAME)) {
    const volume: V1Volume = {
      name: IRSA_VOLUME_NAME,
      projected: {
        sources: [
          { serviceAccountToken: { audience, expirationSeconds: expiration, path: IRSA_TOKEN_PATH } },
        ],
        defaultMode: 420,
      },
    };
    spec.volumes = [volume, ...(spec.volumes ?? [])];
  }
  return result;
}

function addIrsaEnvAndMount(
  container: V1Container,
  env: { region?: string; regionalSts: boolean; roleArn: string; tokenFile: string },
): void {
  const names = new Set((container.env ?? []).map((e) => e.name));
  const added: V1EnvVar[] = [];
  if (env.regionalSts && !names.has('AWS_STS_REGIONAL_ENDPOINTS')) {
    added.push({ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' });
  }
  if (env.region && !names.has('AWS_REGION') && !names.has('AWS_DEFAULT_REGION')) {
    added.push({ name: 'AWS_DEFAULT_REGION', value: env.region }, { name: 'AWS_REGION', value: env.region });
  }
  // A container that names its own web identity (either variable) keeps it.
  if (!names.has('AWS_ROLE_ARN') && !names.has('AWS_WEB_IDENTITY_TOKEN_FILE')) {
    added.push(
      { name: 'AWS_ROLE_ARN', value: env.roleArn },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: env.tokenFile },
    );
  }
  if (added.length > 0) container.env = [...(container.env ?? []), ...added];
  if (!(container.volumeMounts ?? []).some((m) => m.name === IRSA_VOLUME_NAME)) {
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: IRSA_VOLUME_NAME, readOnly: true, mountPath: IRSA_MOUNT_PATH },
    ];
  }
}
