// What a suite file needs around its cases: the target handed over by the runner, a run context, a
// fixture stack torn down after the file, capability checks that skip with the target's reason, and the
// in-pod clients. `useSuiteRun()` registers the file's beforeAll/afterAll hooks.

import { afterAll, beforeAll, inject } from 'vitest';
import { createRunContext, type RunContext } from '../fixtures/run-context.ts';
import { FixtureStack } from '../fixtures/stack.ts';
import type { CapabilityName, TargetInfo } from '../targets/target.ts';
import { awsCliClient, type PodClient, type PodClientName, sdkProbeClient } from './pod-clients.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    target: TargetInfo;
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

/** Registers the file's hooks and returns accessors valid inside hooks and cases. */
export function useSuiteRun(): SuiteRun {
  let run: RunContext | undefined;
  let stack: FixtureStack | undefined;
  beforeAll(() => {
    const info = targetInfo();
    run = createRunContext(info);
    stack = new FixtureStack({ keep: info.keep });
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

/** The in-pod client for a case, skipping when the target's pods cannot run it; notes which one ran. */
export async function podClientFor(
  ctx: CaseContext,
  info: TargetInfo,
  name: PodClientName,
): Promise<PodClient> {
  const client = name === 'aws-cli' ? awsCliClient(info) : sdkProbeClient(info);
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
