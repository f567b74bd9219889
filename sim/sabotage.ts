// Deliberate defects, for the project's own negative tests only (test/suites): each flag makes the
// simulator misbehave the way a broken real cluster or account could, so a test can prove that the
// conformance case checking that behaviour fails. Targets never set any of them. The parts read their
// flag where the behaviour lives (admission, agent, EKS Auth, associations, IAM, S3) from this one object.

import type { SpawnEnvHook } from './kube/types.ts';

export interface Sabotage {
  /** The pod identity admission mutation never happens, as a webhook that fails open. */
  mutationOff?: boolean;
  /** The admission mutation is applied to every pod, whether its service account has an association or not. */
  mutatesEveryPod?: boolean;
  /** EKS Auth assumes this role instead of the association's (the role must exist and trust the pods principal). */
  agentServesRoleArn?: string;
  /** S3 stores every uploaded object with its first byte changed. */
  s3CorruptsObjects?: boolean;
  /**
   * Pods without the container credential variables get the node role's credentials in their environment
   * at spawn, as a pod that can reach the instance metadata service gets the node role.
   */
  credentialsForUnassociatedPods?: boolean;
  /** IAM allows every call: identity, session and trust policy evaluation is bypassed. */
  iamAllowsEverything?: boolean;
  /** EKS Auth assumes the role without session tags even when the association enables them. */
  sessionTagsDropped?: boolean;
  /** EKS Auth adds the session tags even when the association disables them. */
  disableSessionTagsIgnored?: boolean;
  /**
   * The agent skips its token checks and answers every request with the credentials it fetched last:
   * missing, forged, expired and wrong-audience tokens get the associated role's credentials.
   */
  agentAcceptsAnyToken?: boolean;
  /** The agent skips its Host check: a call through any address is served, not refused with 403. */
  agentAcceptsAnyHost?: boolean;
  /** UpdatePodIdentityAssociation answers with the change, but mutation and EKS Auth keep the old version. */
  associationUpdatesIgnored?: boolean;
  /** DeletePodIdentityAssociation answers success, but mutation and EKS Auth keep using the association. */
  associationDeletesIgnored?: boolean;
  /** S3 DeleteBucket answers 204, but the (empty) bucket stays. */
  deletesLeaveResources?: boolean;
  /**
   * Sandboxed pods get the fallback's spawn-time rewriting anyway: a loopback agent URI and
   * AWS_EC2_METADATA_DISABLED in their environment, which then differs from the stored pod.
   */
  podEnvRewritten?: boolean;
  /** CreatePodIdentityAssociation accepts any role that exists, whatever its trust policy says. */
  associationTrustUnchecked?: boolean;
  /** IAM DeleteRole answers success, but the role stays (and stays assumable). */
  roleDeletesIgnored?: boolean;
  // IRSA (sim/eks/irsa-mutation.ts, sim/aws/sts/web-identity.ts)
  /** The webhook ignores eks.amazonaws.com/role-arn: IRSA pods get no web identity variables or volume. */
  irsaMutationOff?: boolean;
  /** The webhook gives IRSA precedence: a service account with both gets the IRSA mutation, not Pod Identity's. */
  irsaOverridesPodIdentity?: boolean;
  /** STS AssumeRoleWithWebIdentity skips the role's trust policy: any valid token of the issuer gets the role. */
  webIdentityTrustIgnored?: boolean;
  /** EKS Auth assumes the role without the association's session policy (`policy`). */
  sessionPolicyIgnored?: boolean;
  /** The agent calls EKS Auth for every request instead of serving cached credentials. */
  agentCacheBypassed?: boolean;
  /** The agent keeps serving the first credentials it fetched for a token, after they expired too. */
  credentialsNotRefreshed?: boolean;
  /** EKS Auth hands out the association's role and never chains to its target role. */
  targetRoleIgnored?: boolean;
}

export const SABOTAGE_FLAGS = [
  'mutationOff',
  'mutatesEveryPod',
  'agentServesRoleArn',
  's3CorruptsObjects',
  'credentialsForUnassociatedPods',
  'iamAllowsEverything',
  'sessionTagsDropped',
  'disableSessionTagsIgnored',
  'agentAcceptsAnyToken',
  'agentAcceptsAnyHost',
  'associationUpdatesIgnored',
  'associationDeletesIgnored',
  'deletesLeaveResources',
  'podEnvRewritten',
  'associationTrustUnchecked',
  'roleDeletesIgnored',
  'irsaMutationOff',
  'irsaOverridesPodIdentity',
  'webIdentityTrustIgnored',
  'sessionPolicyIgnored',
  'agentCacheBypassed',
  'credentialsNotRefreshed',
  'targetRoleIgnored',
] as const satisfies ReadonlyArray<keyof Sabotage>;

/**
 * The bytes S3 stores under s3CorruptsObjects: the same length with the first byte changed (incremented,
 * so that storing a corrupted copy again, as CopyObject does, never restores the original).
 */
export function corruptedCopy(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  if (copy.length > 0) copy[0] = (copy[0]! + 1) & 0xff;
  return copy;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/**
 * credentialsForUnassociatedPods: a spawn hook giving every process without the container credential
 * variables the node's credentials as environment variables (issued once, on first use).
 */
export function nodeCredentialsForUnassociatedPods(issue: () => StaticCredentials): SpawnEnvHook {
  let credentials: StaticCredentials | undefined;
  return (env) => {
    if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_ACCESS_KEY_ID) return env;
    credentials ??= issue();
    return {
      ...env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
  };
}
