// Latency profiles: the simulator made as slow as a real cluster where a real cluster is slow, so that
// the time a run spends waiting (pod start, IAM and association propagation, EKS Auth, namespace
// deletion) can be measured offline. A deliberate delay, applied where the real wait happens. The
// figures and their sources are in sim/README.md ("Latency profiles").

/** Where a profile makes the simulator wait, in milliseconds. Absent or 0: no wait. */
export interface SimLatency {
  /** Pod created → bound to the node (the scheduler); the pod is Pending until then. */
  podSchedulingMs?: number;
  /** First pull of an image on the node; pulls are serialized, later pods find it cached. */
  imagePullMs?: number;
  /** Container creation and start once the image is on the node. */
  containerStartMs?: number;
  /** A new role is not visible or assumable for this long (joins `faults.iamPropagationDelayMs`). */
  iamPropagationDelayMs?: number;
  /** A new or updated association reaches the webhook and EKS Auth after this long. */
  associationPropagationDelayMs?: number;
  /** Added to every call of the service with this signing name (`iam`, `sts`, `s3`, `eks`, `eks-auth`). */
  apiMs?: Partial<Record<string, number>>;
  /** A deleted namespace stays Terminating this long after its content is gone. */
  namespaceDeletionMs?: number;
}

/**
 * EKS as a run meets it: a fresh node pulling the AWS CLI image, us-east-1 IAM, the documented
 * "several seconds" of association propagation. Sources per figure in sim/README.md.
 */
export const EKS_LATENCY: Readonly<Required<SimLatency>> = Object.freeze({
  podSchedulingMs: 1_000,
  imagePullMs: 15_000,
  containerStartMs: 1_000,
  iamPropagationDelayMs: 5_000,
  associationPropagationDelayMs: 5_000,
  apiMs: Object.freeze({ iam: 150, sts: 100, s3: 50, eks: 200, 'eks-auth': 150 }),
  namespaceDeletionMs: 5_000,
});

export const LATENCY_PROFILES = { eks: EKS_LATENCY } as const;
export type LatencyProfileName = keyof typeof LATENCY_PROFILES;
export const LATENCY_PROFILE_NAMES = Object.keys(LATENCY_PROFILES) as LatencyProfileName[];

export function isLatencyProfileName(name: string): name is LatencyProfileName {
  return Object.hasOwn(LATENCY_PROFILES, name);
}

/** The profile a name or an object stands for (undefined: none). */
export function resolveLatency(latency: SimLatency | LatencyProfileName | undefined): SimLatency {
  if (latency === undefined) return {};
  if (typeof latency === 'string') {
    if (!isLatencyProfileName(latency))
      throw new Error(
        `unknown latency profile '${latency}'; choose from: ${LATENCY_PROFILE_NAMES.join(', ')}`,
      );
    return LATENCY_PROFILES[latency];
  }
  return latency;
}

/** The same profile with every wait multiplied by `factor` (tests use a small factor). */
export function scaleLatency(latency: SimLatency, factor: number): SimLatency {
  const scale = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * factor));
  return {
    podSchedulingMs: scale(latency.podSchedulingMs),
    imagePullMs: scale(latency.imagePullMs),
    containerStartMs: scale(latency.containerStartMs),
    iamPropagationDelayMs: scale(latency.iamPropagationDelayMs),
    associationPropagationDelayMs: scale(latency.associationPropagationDelayMs),
    apiMs: Object.fromEntries(Object.entries(latency.apiMs ?? {}).map(([k, v]) => [k, scale(v)])),
    namespaceDeletionMs: scale(latency.namespaceDeletionMs),
  };
}

/** One line saying what a profile makes the simulator wait for. */
export function describeLatency(latency: SimLatency): string {
  const s = (ms = 0) => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
  const api = Object.entries(latency.apiMs ?? {})
    .map(([service, ms]) => `${service} ${ms} ms`)
    .join(', ');
  return [
    `pod scheduling ${s(latency.podSchedulingMs)}, image pull ${s(latency.imagePullMs)} (first pod), container start ${s(latency.containerStartMs)};`,
    `IAM propagation ${s(latency.iamPropagationDelayMs)}, association propagation ${s(latency.associationPropagationDelayMs)};`,
    `API calls ${api || 'no delay'}; namespace deletion ${s(latency.namespaceDeletionMs)}`,
  ].join(' ');
}
