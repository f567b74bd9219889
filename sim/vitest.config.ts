import { defineConfig } from 'vitest/config';

// The simulator package's own tests (`npm test` here, or the root's `npm run test:self`, which runs
// them as its `sim` project).
export default defineConfig({
  test: {
    name: 'sim',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
