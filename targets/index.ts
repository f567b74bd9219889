// The target registry: name -> factory that resolves a Target from the run's settings. Factories are
// loaded on demand so `--help`, `--list` and bad input never load a simulator or an SDK.

import type { RunSettings } from '../runner/settings.ts';
import { type OutstandingTeardown, reportOnlyTeardown } from '../runner/teardown.ts';
import type { Target, TargetName } from './target.ts';

/**
 * Why a target is resolved. The janitor only lists and deletes: a target then skips what exists only to
 * run cases (capability probes that create resources).
 */
export interface TargetStartOptions {
  purpose: 'run' | 'janitor';
}

export type TargetFactory = (
  settings: RunSettings,
  runId: string,
  options?: TargetStartOptions,
) => Promise<Target>;

export const TARGETS: Record<TargetName, TargetFactory> = {
  embedded: async (settings, runId) => (await import('./embedded.ts')).createEmbeddedTarget(settings, runId),
  localstack: async (settings, runId, options) =>
    (await import('./localstack.ts')).createLocalstackTarget(settings, runId, options),
  eks: async (settings, runId, options) =>
    (await import('./eks.ts')).createEksTarget(settings, runId, options),
};

const FIXTURE_TEARDOWN_MODULE = new URL('../fixtures/teardown.ts', import.meta.url);

/**
 * The deleters for what a run's ledger still lists (fixtures/teardown.ts). Loaded only when something
 * is outstanding: it pulls in the AWS and Kubernetes clients. Without it, records are reported, not deleted.
 */
export async function loadOutstandingTeardown(warn: (line: string) => void): Promise<OutstandingTeardown> {
  try {
    const module = (await import(FIXTURE_TEARDOWN_MODULE.href)) as { teardownOutstanding?: unknown };
    if (typeof module.teardownOutstanding === 'function')
      return module.teardownOutstanding as OutstandingTeardown;
    warn(
      'pod-identity-conformance: fixtures/teardown.ts exports no teardownOutstanding; listing leftovers instead',
    );
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(FIXTURE_TEARDOWN_MODULE.pathname);
    if (!missing) {
      warn(
        `pod-identity-conformance: could not load fixtures/teardown.ts (${(error as Error).message.split('\n')[0]}); listing leftovers instead`,
      );
    }
  }
  return reportOnlyTeardown;
}
