// The runner hands vitest the conformance config as options, with no config file: each project must
// carry the case and hook timeouts itself (a project's `extends: true` inherits only a config file's).

import { describe, expect, it } from 'vitest';
import { conformanceTestConfig } from '../../vitest.config.ts';

describe('conformanceTestConfig', () => {
  it('gives every project the long case, hook and teardown timeouts', () => {
    const config = conformanceTestConfig({ suites: [{ name: 'one', dir: '/suites/one' }] });
    const projects = config.projects as Array<{ test: Record<string, unknown> }>;
    expect(projects).toHaveLength(2);
    for (const project of projects) {
      expect(project.test.testTimeout).toBe(config.testTimeout);
      expect(project.test.hookTimeout).toBe(config.hookTimeout);
      expect(project.test.teardownTimeout).toBe(config.teardownTimeout);
    }
    expect(config.hookTimeout).toBeGreaterThanOrEqual(600_000);
  });
});
