// IAM, session tags and S3: each case fails when the simulator's authorization, EKS Auth's session tags
// or S3's storage is broken on purpose, and the cases next to it that do not depend on it still pass.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;

const OWN_PREFIX =
  "session tags › the pod may write under its namespace's prefix, not under another's [aws-cli]";
const UNLISTED = 'session tags › a service account the condition does not name is denied [aws-cli]';
const UNTAGGED = 'session tags › with disableSessionTags the ABAC write is denied [aws-cli]';
const ROLE_B = 'isolation › a pod with role B cannot write where only role A may [aws-cli]';

// Each run holds a run slot (suite-run.ts), so at most two run at once.
describe.concurrent('IAM, session-tag and S3 cases fail under the defect each one checks', () => {
  describe('iamAllowsEverything (policy evaluation bypassed)', () => {
    it('fails the cross-role write and every session-tag denial; the no-credentials cases still pass', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { iamAllowsEverything: true },
        files: ['isolation', 'session-tags'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      const status = statusByName(run.cases);
      expect(status[ROLE_B]).toBe('failed');
      expect(findCase(run.cases, ROLE_B).message).toContain(
        'role B writing under role A’s prefix should be denied but succeeded',
      );
      expect([status[OWN_PREFIX], status[UNLISTED], status[UNTAGGED]]).toEqual([
        'failed',
        'failed',
        'failed',
      ]);
      expect(findCase(run.cases, OWN_PREFIX).message).toMatch(/another namespace prefix/);
      expect(
        status['isolation › a service account without an association gets no credentials [aws-cli]'],
      ).toBe('passed');
    });
  });

  describe('sessionTagsDropped (EKS Auth assumes the role without tags)', () => {
    it('fails the own-prefix write; the denials still pass', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({ sabotage: { sessionTagsDropped: true }, files: ['session-tags'] });
      expect(run.exitCode, run.stderr).toBe(1);
      const status = statusByName(run.cases);
      expect([status[OWN_PREFIX], status[UNLISTED], status[UNTAGGED]]).toEqual([
        'failed',
        'passed',
        'passed',
      ]);
      expect(findCase(run.cases, OWN_PREFIX).message).toMatch(
        /own namespace prefix: expected 'denied' to be 'allowed'/,
      );
    });
  });

  describe('disableSessionTagsIgnored (EKS Auth tags the session anyway)', () => {
    it('fails the disableSessionTags case; the tagged cases still pass', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { disableSessionTagsIgnored: true },
        files: ['session-tags'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      const status = statusByName(run.cases);
      expect([status[OWN_PREFIX], status[UNLISTED], status[UNTAGGED]]).toEqual([
        'passed',
        'passed',
        'failed',
      ]);
      expect(findCase(run.cases, UNTAGGED).message).toMatch(/expected 'allowed' to be 'denied'/);
    });
  });

  describe('s3CorruptsObjects (S3 stores altered bytes)', () => {
    it('fails the round trip with either client (multipart and single PUT)', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { s3CorruptsObjects: true },
        files: ['s3-round-trip'],
        casePattern: '.',
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({
        's3 round trip › a file copied from the pod to S3 reads back byte-identical [aws-cli]': 'failed',
        's3 round trip › a file copied from the pod to S3 reads back byte-identical [sdk-probe]': 'failed',
      });
    });
  });
});
