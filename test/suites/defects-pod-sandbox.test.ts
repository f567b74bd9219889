// The suite in both pod runtimes of the simulator: in the sandbox (the default where the kernel allows)
// the case that checks the pod's environment against the stored pod fails by name when the runtime
// rewrites it; with the sandbox off, the whole suite passes with the sandbox-only case skipped, and
// the skip says why.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged } from './suite-run.ts';

const RUN_TIMEOUT_MS = 180_000;
const ENV_CASE = 'mutation › inside the pod, the agent URI and the token file are exactly the ones stored';

describe.concurrent('pod sandbox and fallback', () => {
  it('podEnvRewritten (the fallback rewriting inside the sandbox) fails the environment case by name', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({ sabotage: { podEnvRewritten: true }, files: ['mutation'] });
    expect(run.exitCode, run.stderr).toBe(1);
    const reported = findCase(run.cases, ENV_CASE);
    expect(reported.status).toBe('failed');
    expect(reported.message).toMatch(/127\.0\.0\.1/);
    expect(
      findCase(run.cases, 'mutation › the token volume is mounted read-only at the documented path').status,
    ).toBe('passed');
  });

  it('--pod-sandbox off: every case passes or skips, the sandbox-only case with the reason', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({ sabotage: {}, files: [], simOptions: { podSandbox: 'off' } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/pod-identity-conformance: pod sandbox switched off/);
    const reported = findCase(run.cases, ENV_CASE);
    expect(reported.status).toBe('skipped');
    expect(reported.message).toMatch(/pod sandbox switched off/);
    expect(run.cases.filter((c) => c.status === 'failed')).toEqual([]);
    expect(run.cases.filter((c) => c.status === 'passed').length).toBeGreaterThan(20);
  });
});
