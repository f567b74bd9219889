// The association's wider surface: session policies, credential refresh and cross-account target roles.
// Each case fails by name when the simulator breaks the behaviour it checks, and its neighbours pass.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;

const SESSION_POLICY =
  'session policy › the pod may write where role and session policy both allow, not where only the role does [aws-cli]';

// Each run holds a run slot (suite-run.ts), so at most two run at once.
describe.concurrent('session-policy, refresh and target-role cases fail under the defect each one checks', () => {
  describe('sessionPolicyIgnored (EKS Auth assumes the role without the session policy)', () => {
    it('fails the session-policy case on the write only the role allows', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { sessionPolicyIgnored: true }, files: ['session-policy'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)[SESSION_POLICY]).toBe('failed');
      expect(findCase(run.cases, SESSION_POLICY).message).toMatch(
        /the prefix only the role allows: expected 'allowed' to be 'denied'/,
      );
    });
  });
});
