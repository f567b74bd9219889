import { fileURLToPath } from 'node:url';
import { defineConfig, type TestUserConfig } from 'vitest/config';
import type { TargetInfo } from './targets/target.ts';

// The conformance suites' vitest configuration. `npm test` (scripts/conformance.ts) builds it with
// conformanceTestConfig() for the selected suites and hands the resolved target to the tests, which read
// it with inject('target').

declare module 'vitest' {
  interface ProvidedContext {
    target: TargetInfo;
  }
}

/** Files that run after every other file of the run has finished (the cleanup check). */
export const LAST_FILE_SUFFIX = '.last.test.ts';

/**
 * The outer bound of a case or a hook. Each wait inside has its own bound (--wait-timeout, 120 s on a
 * real cluster); a set-up creating several pods, each waited on, needs several of them.
 */
const CASE_TIMEOUT_MS = 900_000;

export const SUITES_ROOT = fileURLToPath(new URL('./suites', import.meta.url));

export interface ConformanceSelection {
  /** Folder holding one folder per suite. */
  suitesRoot: string;
  /** Suite folder names; `*` for all. */
  suites: readonly string[];
  /** How many files run at once (vitest's maxWorkers); vitest's own default when absent. */
  parallelFiles?: number;
}

export function conformanceTestConfig(selection: ConformanceSelection): TestUserConfig {
  const { suitesRoot, suites, parallelFiles } = selection;
  return {
    // Suites provision real resources: a case gets minutes, not seconds. Waits inside a case are bounded
    // by TargetInfo.waitTimeoutMs.
    testTimeout: CASE_TIMEOUT_MS,
    hookTimeout: CASE_TIMEOUT_MS,
    teardownTimeout: CASE_TIMEOUT_MS,
    pool: 'forks',
    ...(parallelFiles ? { maxWorkers: parallelFiles } : {}),
    watch: false,
    // Two projects run one after the other (group order 1, then 2): everything else, then the `.last`
    // files. Group 0 is avoided on purpose: with one worker, vitest runs isolated group-0 files in a
    // trailing sequential group, after every numbered group.
    projects: [
      {
        extends: true,
        test: {
          name: 'conformance',
          dir: suitesRoot,
          include: suites.map((suite) => `${suite}/*.test.ts`),
          exclude: [`**/*${LAST_FILE_SUFFIX}`],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'conformance-last',
          dir: suitesRoot,
          include: suites.map((suite) => `${suite}/*${LAST_FILE_SUFFIX}`),
          sequence: { groupOrder: 2 },
        },
      },
    ],
  };
}

export default defineConfig({ test: conformanceTestConfig({ suitesRoot: SUITES_ROOT, suites: ['*'] }) });
