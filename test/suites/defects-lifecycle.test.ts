// Association changes and cleanup: each case fails when the simulator's control plane answers success
// but does not act on it, and the other lifecycle case (which needs the other half working) passes.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;

const AFTER_UPDATE = 'association lifecycle › after the association moves to another role, a new pod gets it';
const AFTER_DELETE = 'association lifecycle › after the association is deleted, a new pod gets nothing';
const CLEANUP = 'cleanup › after teardown nothing carrying the run id remains';

// Each run holds a run slot (suite-run.ts), so at most two run at once.
describe.concurrent('lifecycle and cleanup cases fail under the defect each one checks', () => {
  describe('associationUpdatesIgnored (the data plane keeps the old role)', () => {
    it('fails the update case; the delete case still passes', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({
        sabotage: { associationUpdatesIgnored: true },
        files: ['association-lifecycle'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({ [AFTER_UPDATE]: 'failed', [AFTER_DELETE]: 'passed' });
      expect(findCase(run.cases, AFTER_UPDATE).message).toMatch(
        /with role \S+-lifecycle-b: the new pod got \S+lifecycle-a/,
      );
    });
  });

  describe('associationDeletesIgnored (the data plane keeps the deleted association)', () => {
    it('fails the delete case; the update case still passes', { timeout: RUN_TIMEOUT_MS }, async () => {
      const run = await runSabotaged({
        sabotage: { associationDeletesIgnored: true },
        files: ['association-lifecycle'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      expect(statusByName(run.cases)).toEqual({ [AFTER_UPDATE]: 'passed', [AFTER_DELETE]: 'failed' });
      expect(findCase(run.cases, AFTER_DELETE).message).toMatch(
        /not mutated by Pod Identity: the new pod was still mutated/,
      );
    });
  });

  describe('deletesLeaveResources (DeleteBucket answers 204, the bucket stays)', () => {
    it('fails the cleanup case; everything else of the run is still torn down and the leftover is reported', {
      timeout: RUN_TIMEOUT_MS,
    }, async () => {
      const run = await runSabotaged({
        sabotage: { deletesLeaveResources: true },
        files: ['s3-round-trip', 'cleanup'],
      });
      expect(run.exitCode, run.stderr).toBe(1);
      const cleanup = findCase(run.cases, CLEANUP);
      expect(cleanup.status).toBe('failed');
      expect(cleanup.message).toContain('ledger entries never torn down');
      // The cases themselves passed; the file's own teardown is what failed.
      expect(
        findCase(
          run.cases,
          's3 round trip › a file copied from the pod to S3 reads back byte-identical [aws-cli]',
        ).status,
      ).toBe('passed');
      expect(run.fileErrors).toEqual([
        {
          file: 'pod-identity/s3-round-trip',
          message: expect.stringMatching(/S3 bucket \S+ gone: HeadBucket still finds it/),
        },
      ]);
      // The run tore down all it could: only the bucket is left, and the summary says so.
      expect([...new Set(run.created.map((r) => r.kind))].sort()).toEqual([
        'iam-role',
        'namespace',
        'pod',
        'pod-identity-association',
        's3-bucket',
        'service-account',
      ]);
      expect(run.outstanding.map((r) => r.kind)).toEqual(['s3-bucket']);
      expect(run.stderr).toContain('1 resource(s) were still listed in the run ledger: 0 deleted, 1 not');
    });
  });
});
