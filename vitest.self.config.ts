import { defineConfig } from 'vitest/config';

// The project's own tests (unit, protocol, suites against the simulator). `npm test` runs the
// conformance suites instead, through scripts/conformance.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
