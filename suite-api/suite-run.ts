// What a suite file needs around its cases: the target handed over by the runner, a run context, a
// fixture stack torn down after the file, capability checks that skip with the target's reason, and the
// in-pod clients. `useSuiteRun()` registers the file's beforeAll/afterAll hooks, and a failure hook that
// attaches the diagnostics of the file's pods (status, events, env names) to a failed case's report.

import { afterAll, beforeAll, beforeEach, expect, inject } from 'vitest';
import { podDiagnostics } from '../fixtures/pod.ts';
import { createRunContext, type RunContext } from '../fixtures/run-context.ts';
import { type FixtureHandle, FixtureStack } from '../fixtures/stack.ts';
import { runIdLabelSelector } from '../helpers/naming.ts';
import { setProgressOrigin } from '../helpers/progress.ts';
import type { CapabilityName, TargetInfo } from '../targets/target.ts';
import { defaultPodClients } from './pinned-clients.ts';
import { POD_CLIENT_NAMES, type PodClient, type PodClientId, podClientNamed } from './pod-clients.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    target: TargetInfo;
    /** --client, when given. */
    podClients?: string[];
  }
}

/** The part of vitest's test context these helpers use. */
export interface CaseContext {
  skip(note?: string): never;
  annotate(message: string, type?: string): Promise<unknown>;
}

export interface SuiteRun {
  readonly info: TargetInfo;
  readonly run: RunContext;
  readonly stack: FixtureStack;
}

export function targetInfo(): TargetInfo {
  const info = inject('target');
  if (!info) {
    throw new Error(
      'no target was provided: run the suites with `npm test` (scripts/conformance.ts), not vitest directly',
    );
  }
  return info;
}

interface PodRef {
  namespace: string;
  name: string;
}

/** A file's fixture stack that also remembers the namespaces and pods it holds, for diagnostics. */
class DiagnosableStack extends FixtureStack {
  readonly namespaces = new Set<string>();
  readonly #pods = new Map<string, PodRef>();

  get pods(): PodRef[] {
    return [...this.#pods.values()];
  }

  override adopt<T extends FixtureHandle>(handle: T): T {
    const { name, namespace } = handle as FixtureHandle & { name?: unknown; namespace?: unknown };
    if (handle.kind === 'namespace' && typeof name === 'string') this.namespaces.add(name);
    if (handle.kind === 'pod' && typeof name === 'string' && typeof namespace === 'string') {
      this.#pods.set(`${namespace}/${name}`, { namespace, name });
    }
    return super.adopt(handle);
  }
}

const MAX_DIAGNOSED_PODS = 10;

/** Diagnostics of the file's pods: those it adopted and those still in its namespaces. */
export async function diagnoseFilePods(
  run: RunContext,
  fixtures: { namespaces: Iterable<string>; pods: Iterable<PodRef> },
): Promise<string> {
  const pods = new Map<string, PodRef>();
  for (const pod of fixtures.pods) pods.set(`${pod.namespace}/${pod.name}`, pod);
  for (const namespace of fixtures.namespaces) {
    try {
      const list = await run.kube.core.listNamespacedPod({
        namespace,
        labelSelector: runIdLabelSelector(run.info.runId),
      });
      for (const pod of list.items) {
        const name = pod.metadata?.name;
        if (name) pods.set(`${namespace}/${name}`, { namespace, name });
      }
    } catch {
      // The namespace may be gone already; the adopted pods are still diagnosed.
    }
  }
  const sections: string[] = [];
  for (const pod of [...pods.values()].slice(0, MAX_DIAGNOSED_PODS)) {
    sections.push(await podDiagnostics(run, pod));
  }
  if (pods.size > MAX_DIAGNOSED_PODS)
    sections.push(`(${pods.size - MAX_DIAGNOSED_PODS} more pods not shown)`);
  return sections.join('\n');
}

/** Registers the file's hooks and returns accessors valid inside hooks and cases. */
export function useSuiteRun(): SuiteRun {
  let run: RunContext | undefined;
  let stack: DiagnosableStack | undefined;
  beforeAll(() => {
    const info = targetInfo();
    setProgressOrigin(expect.getState().testPath);
    run = createRunContext(info);
    stack = new DiagnosableStack({ keep: info.keep });
  });
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      if (!run || !stack) return;
      const diagnostics = await diagnoseFilePods(run, stack).catch(
        (error: unknown) => `pod diagnostics could not be gathered: ${(error as Error).message}`,
      );
      // Annotations are closed once a case has failed; the runner reads this from the case's meta.
      if (diagnostics) ctx.task.meta.podDiagnostics = diagnostics;
    });
  });
  afterAll(async () => {
    try {
      await stack?.dispose();
    } finally {
      run?.aws.destroy();
    }
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the suite run is only available inside hooks and cases');
    return value;
  };
  return {
    get info() {
      return ready(run).info;
    },
    get run() {
      return ready(run);
    },
    get stack() {
      return ready(stack);
    },
  };
}

/** Skips the case, with the target's reason, unless the target has every named capability. */
export function requireCapabilities(ctx: CaseContext, info: TargetInfo, ...names: CapabilityName[]): void {
  for (const name of names) {
    const capability = info.capabilities[name];
    if (!capability.available) ctx.skip(`needs ${name}: ${capability.reason}`);
  }
}

/**
 * The in-pod clients of this run: the runner hands them over (--client, else the target's defaults,
 * pinned-clients.ts defaultPodClients); under plain vitest, the target's defaults.
 */
export function selectedPodClients(info: TargetInfo | undefined = inject('target')): PodClientId[] {
  const asked = inject('podClients');
  if (asked) return asked as PodClientId[];
  if (!info) return [...POD_CLIENT_NAMES];
  return defaultPodClients(
    info.name,
    (info.pod.clientContainers ?? []).map((container) => container.client),
  );
}

/**
 * The in-pod client for a case, skipping when the target's pods cannot run it; notes which one ran.
 * Cases made per client loop over selectedPodClients(), so that --client picks them.
 */
export async function podClientFor(
  ctx: CaseContext,
  info: TargetInfo,
  name: PodClientId,
): Promise<PodClient> {
  const client = podClientNamed(info, name);
  requireCapabilities(ctx, info, client.capability);
  await ctx.annotate(`client: ${name}`, 'client');
  return client;
}

/**
 * Behaviour the spec marks UNCONFIRMED: asserted on simulated targets (which implement the assumption),
 * only observed and reported on a real cluster, never failed there.
 */
export async function expectUnconfirmed(
  ctx: CaseContext,
  info: TargetInfo,
  behaviour: string,
  holds: boolean,
  observed: string,
): Promise<void> {
  if (info.name === 'eks') {
    await ctx.annotate(
      `${holds ? 'as expected' : 'differs (UNCONFIRMED behaviour)'}: ${behaviour}; observed ${observed}`,
      'observation',
    );
    return;
  }
  if (!holds) throw new Error(`${behaviour}: observed ${observed}`);
}
