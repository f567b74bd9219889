// What EKS Pod Identity puts into a pod (spec §1.2–§1.3), and how to recognise it.

import type { V1Container, V1Pod } from '@kubernetes/client-node';

export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
export const ENV_FULL_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
export const ENV_TOKEN_FILE = 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
export const TOKEN_FILE_PATH = `${TOKEN_MOUNT_PATH}/eks-pod-identity-token`;
export const TOKEN_VOLUME_NAME = 'eks-pod-identity-token';
/** IPv4 and IPv6 cluster values of AWS_CONTAINER_CREDENTIALS_FULL_URI. */
export const AGENT_URIS = ['http://169.254.170.23/v1/credentials', 'http://[fd00:ec2::23]/v1/credentials'];
/** The webhook jitters the default 86400 s into [79200, 86400] (spec §1.3). */
export const TOKEN_EXPIRATION_RANGE = { min: 79_200, max: 86_400 } as const;

export function envValue(container: V1Container | undefined, name: string): string | undefined {
  return container?.env?.find((e) => e.name === name)?.value;
}

/** True when the pod identity mutation reached the pod's first container. */
export function isPodIdentityMutated(pod: V1Pod): boolean {
  return envValue(pod.spec?.containers[0], ENV_FULL_URI) !== undefined;
}

/** Decodes a JWT's claims (never its signature). Claims alone grant nothing and may be shown. */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.trim().split('.')[1];
  if (!payload) throw new Error('not a JWT: expected three dot-separated parts');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
