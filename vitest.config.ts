import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestUserConfig } from 'vitest/config';
import type { TargetInfo } from './targets/target.ts';

// The conformance suites' vitest configuration. `npm test` (scripts/conformance.ts) builds it with
// conformanceTestConfig() for the selected suites and hands the resolved target to the tests, which read
// it with inject('target'). Run as plain vitest (`npx vitest run suites/pod-identity/credentials.test.ts`,
// watch mode, an editor's test button), the default export below starts the embedded target in a
// globalSetup instead (vitest.global-setup.ts).

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

/** The suite API's entry: suites outside this package (--suites-dir) import it by the package name. */
const SUITE_API = fileURLToPath(new URL('./suite-api/index.ts', import.meta.url));

export interface ConformanceSelection {
  /** The selected suites: name and folder. */
  suites: ReadonlyArray<{ name: string; dir: string }>;
  /** How many files run at once (vitest's maxWorkers); vitest's own default when absent. */
  parallelFiles?: number;
  /** A custom vitest test runner for every project (the runner's --bail: runner/bail-runner.ts). */
  testRunner?: string;
}

/**
 * Repeated in every project: the runner hands vitest this config as options (no config file), and a
 * project's `extends: true` inherits only a config file's settings, so without these its hooks and
 * cases would get vitest's 5-10 s defaults.
 */
const CASE_TIMEOUTS = {
  testTimeout: CASE_TIMEOUT_MS,
  hookTimeout: CASE_TIMEOUT_MS,
  teardownTimeout: CASE_TIMEOUT_MS,
};

export function conformanceTestConfig(selection: ConformanceSelection): TestUserConfig {
  const { suites, parallelFiles, testRunner } = selection;
  const runner = testRunner ? { runner: testRunner } : {};
  return {
    // Suites provision real resources: a case gets minutes, not seconds. Waits inside a case are bounded
    // by TargetInfo.waitTimeoutMs.
    ...CASE_TIMEOUTS,
    pool: 'forks',
    ...(parallelFiles ? { maxWorkers: parallelFiles } : {}),
    watch: false,
    // Two projects per suite, run in two groups one after the other (group order 1, then 2): its files,
    // then its `.last` files, which start once every file of every suite has finished. Group 0 is avoided
    // on purpose: with one worker, vitest runs isolated group-0 files in a trailing sequential group,
    // after every numbered group.
    projects: suites.flatMap((suite) => [
      {
        extends: true,
        resolve: { alias: { 'pod-identity-conformance/suite': SUITE_API } },
        test: {
          name: suite.name,
          ...CASE_TIMEOUTS,
          ...runner,
          dir: suite.dir,
          include: ['*.test.ts'],
          exclude: [`*${LAST_FILE_SUFFIX}`],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        resolve: { alias: { 'pod-identity-conformance/suite': SUITE_API } },
        test: {
          name: `${suite.name} (last)`,
          ...CASE_TIMEOUTS,
          ...runner,
          dir: suite.dir,
          include: [`*${LAST_FILE_SUFFIX}`],
          sequence: { groupOrder: 2 },
        },
      },
    ]),
  };
}

/** The bundled suites, for plain vitest runs. */
function bundledSuites(): Array<{ name: string; dir: string }> {
  return readdirSync(SUITES_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, dir: join(SUITES_ROOT, entry.name) }));
}

export default defineConfig({
  test: {
    ...conformanceTestConfig({ suites: bundledSuites() }),
    globalSetup: [fileURLToPath(new URL('./vitest.global-setup.ts', import.meta.url))],
  },
});
