// Each case of the pod-facing files fails when the simulator breaks the behaviour it checks: the real
// suite, through the real runner, on the embedded target started with one deliberate defect.

import { DEFAULT_ACCOUNT_ID } from '@pod-identity-conformance/sim';
import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;

// Each run holds a run slot (suite-run.ts), so at most two run at once.
describe.concurrent('pod-facing cases fail under the defect each one checks', () => {
  describe('mutationOff (the webhook fails open)', () => {
    it('fails every mutation case, by name, and the run exits 1', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({ sabotage: { mutationOff: true }, files: ['mutation'] });
      expect(run.exitCode, run.stderr).toBe(1);
      const mutationCases = [
        'mutation › a pod of an associated service account gets the container credential variables',
        'mutation › the token is a projected token for pods.eks.amazonaws.com lasting about a day',
        'mutation › the token volume is mounted read-only at the documented path',
        'mutation › the token file in the pod names the pod, its service account and the audience',
      ];
      for (const name of mutationCases) {
        const reported = findCase(run.cases, name);
        expect(reported.status, name).toBe('failed');
        // The file's set-up waits for a mutated pod, so the failure names what never happened.
        expect(reported.message).toMatch(/mutated by Pod Identity: the new pod was not mutated/);
      }
      expect(run.fileErrors.map((e) => e.file)).toEqual(['pod-identity/mutation']);
    });
  });

  describe('mutatesEveryPod (the webhook ignores associations)', () => {
    it('fails only the unassociated-pod mutation case', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({ sabotage: { mutatesEveryPod: true }, files: ['mutation'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({
        'mutation › a pod of an associated service account gets the container credential variables': 'passed',
        'mutation › the token is a projected token for pods.eks.amazonaws.com lasting about a day': 'passed',
        'mutation › the token volume is mounted read-only at the documented path': 'passed',
        'mutation › the token file in the pod names the pod, its service account and the audience': 'passed',
        'mutation › a pod of an unassociated service account gets no variables, volume or mount': 'failed',
        'mutation › inside the pod, the agent URI and the token file are exactly the ones stored': 'passed',
      });
    });
  });

  describe('agentServesRoleArn (credentials for another role)', () => {
    it('fails the credentials case with the role the pod really got', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const decoy = `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:role/pic-decoy`;
      const run = await runSabotaged({ sabotage: { agentServesRoleArn: decoy }, files: ['credentials'] });
      expect(run.exitCode, run.stderr).toBe(1);
      const credentials = findCase(
        run.cases,
        "credentials › the pod is the associated role's session assumed-role/ROLE/eks-CLUSTER-POD-… [aws-cli]",
      );
      expect(credentials.status).toBe('failed');
      expect(credentials.message).toContain(`:assumed-role/pic-decoy/eks-`);
    });
  });

  describe('credentialsForUnassociatedPods (pods reach the node role, as through IMDS)', () => {
    it('fails both no-credentials cases naming the node role and IMDS; role B stays confined', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { credentialsForUnassociatedPods: true },
        files: ['isolation'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      for (const name of [
        'isolation › a service account without an association gets no credentials [aws-cli]',
        'isolation › the associated name in another namespace gets no credentials [aws-cli]',
      ]) {
        const reported = findCase(run.cases, name);
        expect(reported.status, name).toBe('failed');
        expect(reported.message).toMatch(
          /received credentials for arn:aws:sts::\d+:assumed-role\/eks-node-role\//,
        );
        expect(reported.message).toContain('Likely cause: pods reach the instance metadata service');
      }
      expect(
        findCase(run.cases, 'isolation › a pod with role B cannot write where only role A may [aws-cli]')
          .status,
        'the associated pod is not affected',
      ).toBe('passed');
    });
  });

  describe('agentServesRoleArn naming a role EKS cannot assume (the agent serves nothing)', () => {
    it('fails the control case while every refusal still passes', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({
        sabotage: { agentServesRoleArn: `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:role/pic-missing-role` },
        files: ['agent-hardening'],
        createDecoyRole: false,
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({
        "agent hardening › the pod's own token gets credentials (the control case)": 'failed',
        'agent hardening › a call through another address is refused with 403 before the token is read':
          'passed',
        'agent hardening › a request without a token is refused with 400': 'passed',
        'agent hardening › an expired token is refused with 400 before any upstream call': 'passed',
        'agent hardening › a forged token (valid shape, signed with another key) is refused': 'passed',
        "agent hardening › the pod's API-audience service-account token is refused": 'passed',
      });
    });
  });

  describe('agentAcceptsAnyToken (the agent skips its token checks)', () => {
    it('fails every refusal case while the control case still passes', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { agentAcceptsAnyToken: true },
        files: ['agent-hardening'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({
        "agent hardening › the pod's own token gets credentials (the control case)": 'passed',
        'agent hardening › a call through another address is refused with 403 before the token is read':
          'passed',
        'agent hardening › a request without a token is refused with 400': 'failed',
        'agent hardening › an expired token is refused with 400 before any upstream call': 'failed',
        'agent hardening › a forged token (valid shape, signed with another key) is refused': 'failed',
        "agent hardening › the pod's API-audience service-account token is refused": 'failed',
      });
      expect(
        findCase(
          run.cases,
          'agent hardening › a forged token (valid shape, signed with another key) is refused',
        ).message,
      ).toContain('the agent must not return credentials for a forged token');
    });
  });
  describe('agentAcceptsAnyHost (the agent skips its Host check)', () => {
    it('fails the wrong-address case while every other agent case passes', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { agentAcceptsAnyHost: true }, files: ['agent-hardening'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({
        "agent hardening › the pod's own token gets credentials (the control case)": 'passed',
        'agent hardening › a call through another address is refused with 403 before the token is read':
          'failed',
        'agent hardening › a request without a token is refused with 400': 'passed',
        'agent hardening › an expired token is refused with 400 before any upstream call': 'passed',
        'agent hardening › a forged token (valid shape, signed with another key) is refused': 'passed',
        "agent hardening › the pod's API-audience service-account token is refused": 'passed',
      });
    });
  });
});
