// Each IRSA case fails when the simulator breaks the behaviour it checks: the real suite, through the
// real runner, on the embedded target started with one deliberate defect.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 150_000;

const MUTATION =
  'IRSA › an annotated service account gets AWS_ROLE_ARN, the web identity token file and the aws-iam-token volume';
const IRSA_ROLE =
  'IRSA › the IRSA pod is a session of the IRSA role, through AssumeRoleWithWebIdentity [aws-cli]';
const REFUSED =
  "IRSA › a service account the role's trust does not name is refused (the :sub condition) [aws-cli]";
const PRECEDENCE =
  'IRSA › with an IRSA annotation and an association, a new pod gets only the Pod Identity variables';
const PRECEDENCE_ROLE = 'IRSA › that pod is a session of the Pod Identity role [aws-cli]';
const BOTH_SETS =
  'IRSA › a pod carrying both sets of variables is on the IRSA role: web identity comes first in the SDK chain [aws-cli]';
const MIGRATION =
  'IRSA › migration: association, restarted pods, annotation removed: every pod ends on the Pod Identity role';

/** The statuses of the cases the runs select (the SDK probe variants are left out, as by default). */
const selected = (cases: Parameters<typeof statusByName>[0]) =>
  Object.fromEntries(Object.entries(statusByName(cases)).filter(([name]) => !name.endsWith('[sdk-probe]')));

// Each run holds a run slot (suite-run.ts), so at most two run at once.
describe.concurrent('IRSA cases fail under the defect each one checks', () => {
  describe('irsaMutationOff (the webhook ignores the role-arn annotation)', () => {
    it('fails every case that needs the IRSA mutation, naming it; the precedence cases pass', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { irsaMutationOff: true }, files: ['irsa'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(selected(run.cases)).toEqual({
        [MUTATION]: 'failed',
        [IRSA_ROLE]: 'failed',
        [REFUSED]: 'failed',
        [PRECEDENCE]: 'passed',
        [PRECEDENCE_ROLE]: 'passed',
        // The pod carries its web identity in its own spec: the webhook is not needed for it.
        [BOTH_SETS]: 'passed',
        [MIGRATION]: 'failed',
      });
      for (const name of [MUTATION, IRSA_ROLE, REFUSED, MIGRATION]) {
        expect(findCase(run.cases, name).message, name).toContain(
          'the webhook did not apply the IRSA mutation',
        );
      }
    });
  });

  describe('webIdentityTrustIgnored (STS skips the role trust policy)', () => {
    it('fails only the refusal case, with the role the untrusted pod got', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { webIdentityTrustIgnored: true }, files: ['irsa'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(selected(run.cases)).toEqual({
        [MUTATION]: 'passed',
        [IRSA_ROLE]: 'passed',
        [REFUSED]: 'failed',
        [PRECEDENCE]: 'passed',
        [PRECEDENCE_ROLE]: 'passed',
        [BOTH_SETS]: 'passed',
        [MIGRATION]: 'passed',
      });
      expect(findCase(run.cases, REFUSED).message).toMatch(
        /credentials for arn:aws:sts::\d+:assumed-role\/pic-/,
      );
    });
  });

  describe('irsaOverridesPodIdentity (the webhook gives IRSA precedence over an association)', () => {
    it('fails the precedence and migration cases; IRSA alone still passes', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { irsaOverridesPodIdentity: true }, files: ['irsa'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(selected(run.cases)).toEqual({
        [MUTATION]: 'passed',
        [IRSA_ROLE]: 'passed',
        [REFUSED]: 'passed',
        [PRECEDENCE]: 'failed',
        [PRECEDENCE_ROLE]: 'failed',
        [BOTH_SETS]: 'failed',
        [MIGRATION]: 'failed',
      });
      for (const name of [PRECEDENCE, MIGRATION]) {
        expect(findCase(run.cases, name).message, name).toMatch(
          /mutated by Pod Identity: the new pod was not mutated/,
        );
      }
    });
  });
});
