// Fails on purpose after creating a pod, so the runner's reports must carry the pod's diagnostics
// (test/targets/eks/eks-target.test.ts runs it through the runner and reads junit.xml).

import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace } from '../../../../../fixtures/namespace.ts';
import { createPod } from '../../../../../fixtures/pod.ts';
import { createServiceAccount } from '../../../../../fixtures/service-account.ts';
import { useSuiteRun } from '../../../../../suite-api/suite-run.ts';

describe('diagnostics', () => {
  const suite = useSuiteRun();

  beforeAll(async () => {
    const { run, stack } = suite;
    const namespace = stack.adopt(await createNamespace(run, 'diagnostics'));
    stack.adopt(await createServiceAccount(run, { namespace: namespace.name, name: 'app' }));
    stack.adopt(
      await createPod(run, {
        namespace: namespace.name,
        name: 'app',
        serviceAccountName: 'app',
        env: { DIAGNOSTICS_MARKER: 'value-that-must-not-appear' },
      }),
    );
  });

  it('fails on purpose, with a pod in place', () => {
    expect('what the pod did').toBe('what the case expected');
  });

  it('passes, and carries no diagnostics', () => {
    expect(suite.info.name).toBe('eks');
  });
});
