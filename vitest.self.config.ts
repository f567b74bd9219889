import { configDefaults, defineConfig } from 'vitest/config';

// The project's own tests, both packages: the harness's (test/) and the simulator's (sim/test/, its
// own vitest config). `npm test` runs the conformance suites instead, through scripts/conformance.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'harness',
          include: ['test/**/*.test.ts'],
          // Suites the conformance runner's own tests run through the runner (test/runner/fixture-runner.ts).
          exclude: [...configDefaults.exclude, 'test/**/fixture-suites/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          // The in-pod clients' releases, installed into .pic/clients before any test starts a run.
          globalSetup: ['test/global-setup-clients.ts'],
        },
      },
      'sim',
    ],
  },
});
