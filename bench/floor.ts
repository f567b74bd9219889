// The floor of a suite under a latency profile: how long its waits alone take, with every step
// starting the moment what it needs is done, the files spread over the runner's parallel slots (longest
// first), and the node's one image pull shared by every pod (it starts with the run's first pod; pods
// after it find the image cached). CPU time counts nothing: the floor is what no faster machine or
// cleverer code could beat under the profile. Computed from the plan (bench/fixture-plan.ts), not
// from a run.

import type { SimLatency } from '@pod-identity-conformance/sim';
import type { FilePlan, PlanStep, Wait } from './fixture-plan.ts';

export interface FileFloor {
  file: string;
  startMs: number;
  endMs: number;
}

export interface SuiteFloor {
  floorMs: number;
  /** The longest single file's chain with a cold image cache (the floor with unlimited parallelism). */
  longestChainMs: number;
  files: FileFloor[];
}

/** The clients' default instance metadata timeout (botocore, the JS SDK): 1 s. */
const CLIENT_IMDS_TIMEOUT_MS = 1_000;

/** How long a wait lasts under the profile; pod starts are resolved against the image pull. */
function waitMs(wait: Wait, profile: SimLatency): number {
  const api = (service: string) => profile.apiMs?.[service] ?? 0;
  if (typeof wait === 'object') return 'heldMs' in wait ? wait.heldMs : api(wait.api) * (wait.calls ?? 1);
  switch (wait) {
    case 'iamPropagation':
      return profile.iamPropagationDelayMs ?? 0;
    case 'associationPropagation':
      return profile.associationPropagationDelayMs ?? 0;
    case 'namespaceDeletion':
      return profile.namespaceDeletionMs ?? 0;
    case 'podCredentials':
      return api('eks-auth') + api('sts');
    case 'noCredentialsTimeout':
      return CLIENT_IMDS_TIMEOUT_MS;
    case 'podStart':
      return 0; // see ImageCache
  }
}

/** The node's image: pulled once, starting when the run's first pod is scheduled. */
class ImageCache {
  /** The earliest time a pod asked for it (when the pull starts), and when the pull ends. */
  firstAskedAt = Number.POSITIVE_INFINITY;
  readonly #pulledAt: number | undefined;
  readonly #pullMs: number;
  constructor(profile: SimLatency, pullStartsAt?: number) {
    this.#pullMs = profile.imagePullMs ?? 0;
    this.#pulledAt = pullStartsAt === undefined ? undefined : pullStartsAt + this.#pullMs;
  }

  /** When a pod scheduled at `scheduledAt` may start its container. */
  readyAt(scheduledAt: number): number {
    this.firstAskedAt = Math.min(this.firstAskedAt, scheduledAt);
    return Math.max(scheduledAt, this.#pulledAt ?? this.firstAskedAt + this.#pullMs);
  }
}

/** End times of a file's steps when it starts at `startMs`. */
function runFile(plan: FilePlan, startMs: number, profile: SimLatency, image: ImageCache): number {
  const ends = new Map<string, number>();
  const byId = new Map(plan.steps.map((step) => [step.id, step]));
  const endOf = (step: PlanStep, seen: Set<string>): number => {
    const known = ends.get(step.id);
    if (known !== undefined) return known;
    if (seen.has(step.id)) throw new Error(`${plan.file}: step ${step.id} depends on itself`);
    seen.add(step.id);
    let t = Math.max(
      startMs,
      ...(step.after ?? []).map((id) => {
        const before = byId.get(id);
        if (!before) throw new Error(`${plan.file}: step ${step.id} is after unknown step ${id}`);
        return endOf(before, seen);
      }),
    );
    for (const wait of step.waits) {
      if (wait === 'podStart') {
        t = image.readyAt(t + (profile.podSchedulingMs ?? 0)) + (profile.containerStartMs ?? 0);
      } else t += waitMs(wait, profile);
    }
    ends.set(step.id, t);
    return t;
  };
  return Math.max(startMs, ...plan.steps.map((step) => endOf(step, new Set())));
}

/**
 * Files on `parallel` slots, longest first; the `.last` files after all others. Pod starts are
 * evaluated in the order files start, so the pull is charged to the first file whose pod needs it.
 */
export function suiteFloor(plans: readonly FilePlan[], profile: SimLatency, parallel: number): SuiteFloor {
  const coldLength = (plan: FilePlan) => runFile(plan, 0, profile, new ImageCache(profile));
  const ordered = plans
    .filter((plan) => !plan.last)
    .map((plan) => ({ plan, length: coldLength(plan) }))
    .sort((a, b) => b.length - a.length);
  // The pull starts with the earliest pod of the files that start at once.
  const probe = new ImageCache(profile);
  for (const { plan } of ordered.slice(0, Math.max(1, parallel))) runFile(plan, 0, profile, probe);
  const image = new ImageCache(profile, Number.isFinite(probe.firstAskedAt) ? probe.firstAskedAt : 0);
  const slots: number[] = Array.from({ length: Math.max(1, parallel) }, () => 0);
  const files: FileFloor[] = [];
  for (const { plan } of ordered) {
    const slot = slots.indexOf(Math.min(...slots));
    const startMs = slots[slot]!;
    const endMs = runFile(plan, startMs, profile, image);
    slots[slot] = endMs;
    files.push({ file: plan.file, startMs, endMs });
  }
  let endMs = Math.max(0, ...slots);
  for (const plan of plans.filter((p) => p.last)) {
    const fileEnd = runFile(plan, endMs, profile, image);
    files.push({ file: plan.file, startMs: endMs, endMs: fileEnd });
    endMs = fileEnd;
  }
  return { floorMs: endMs, longestChainMs: Math.max(0, ...ordered.map((o) => o.length)), files };
}
