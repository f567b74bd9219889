// The association's wider surface: session policies, credential refresh and cross-account target roles.
// Each case fails by name when the simulator breaks the behaviour it checks, and its neighbours pass.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;

const SESSION_POLICY =
  'session policy › the pod may write where role and session policy both allow, not where only the role does [aws-cli]';

const REFRESH_CLI =
  "credential refresh › a client keeps working past several credential lifetimes, served from the agent's cache within each [aws-cli]";
const REFRESH_SDK =
  "credential refresh › a client keeps working past several credential lifetimes, served from the agent's cache within each [sdk-probe]";

const TARGET_IDENTITY = "target role › the pod is the target role's session in the second account [aws-cli]";
const TARGET_TAGS = "target role › the session tags reach the target role's policies [aws-cli]";
const TARGET_REFUSED =
  "target role › a target role whose trust refuses the source role gives no credentials, with EKS Auth's error [aws-cli]";

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

  describe('agentCacheBypassed (the agent asks EKS Auth for every request)', () => {
    it('fails the refresh case with both clients: every call had new credentials', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { agentCacheBypassed: true },
        files: ['credential-refresh'],
        casePattern: '.',
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({ [REFRESH_CLI]: 'failed', [REFRESH_SDK]: 'failed' });
      for (const name of [REFRESH_CLI, REFRESH_SDK]) {
        expect(findCase(run.cases, name).message).toMatch(
          /the agent must serve repeated calls from its cache/,
        );
      }
    });
  });

  describe('credentialsNotRefreshed (the agent serves the first credentials after they expired)', () => {
    it('fails the refresh case with both clients once the first credentials have expired', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { credentialsNotRefreshed: true },
        files: ['credential-refresh'],
        casePattern: '.',
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({ [REFRESH_CLI]: 'failed', [REFRESH_SDK]: 'failed' });
      for (const name of [REFRESH_CLI, REFRESH_SDK]) {
        // The later client meets the expired credentials already in its first call.
        expect(findCase(run.cases, name).message).toMatch(
          /calls past the first credentials expiry: expected 'call \d+ of \d+|ExpiredToken/,
        );
      }
    });
  });

  describe('targetRoleIgnored (EKS Auth never chains to the target role)', () => {
    it('fails every target-role case: the pods are the source role in the cluster account', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({ sabotage: { targetRoleIgnored: true }, files: ['target-role'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toMatchObject({
        [TARGET_IDENTITY]: 'failed',
        [TARGET_TAGS]: 'failed',
        [TARGET_REFUSED]: 'failed',
      });
      expect(findCase(run.cases, TARGET_IDENTITY).message).toMatch(/the account of the pod identity/);
      expect(findCase(run.cases, TARGET_REFUSED).message).toMatch(/credentials of arn:aws:sts::/);
    });
  });

  describe('sessionTagsDropped (no session tags to carry into the target role session)', () => {
    it('fails only the target-role session-tag case', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({ sabotage: { sessionTagsDropped: true }, files: ['target-role'] });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toMatchObject({
        [TARGET_IDENTITY]: 'passed',
        [TARGET_TAGS]: 'failed',
        [TARGET_REFUSED]: 'passed',
      });
    });
  });
});
