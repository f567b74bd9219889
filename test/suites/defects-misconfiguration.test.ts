// The misconfiguration cases check how EKS treats each mistake before checking what the suite says about
// it: each fails when the simulator stops behaving as EKS does there, and the others still pass.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged, statusByName } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;
const FILES = ['misconfiguration'];

const OTHER_NAME =
  'misconfiguration › an association for another service account name leaves the pod without credentials; the failure lists the namespace’s associations';
const BEFORE_ASSOCIATION =
  'misconfiguration › a pod started before its association stays without credentials; the failure says to restart it';
const NO_TAG_SESSION =
  'misconfiguration › a role whose trust leaves out sts:TagSession is refused by CreatePodIdentityAssociation, named with the role';
const DELETED_ROLE =
  'misconfiguration › a role deleted under its association: the agent answers with EKS Auth’s error, and the failure names the role';

describe.concurrent('misconfiguration cases fail under the defect each one checks', () => {
  it('mutatesEveryPod: the other-name and before-association cases fail', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({ sabotage: { mutatesEveryPod: true }, files: FILES });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(statusByName(run.cases)).toEqual({
      [OTHER_NAME]: 'failed',
      [BEFORE_ASSOCIATION]: 'failed',
      [NO_TAG_SESSION]: 'passed',
      [DELETED_ROLE]: 'passed',
    });
    expect(findCase(run.cases, OTHER_NAME).message).toContain(
      'a pod of service account worker should not be mutated',
    );
    expect(findCase(run.cases, BEFORE_ASSOCIATION).message).toContain(
      'a pod created before the association should stay unmutated',
    );
  });

  it('associationTrustUnchecked: the sts:TagSession case fails', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await runSabotaged({ sabotage: { associationTrustUnchecked: true }, files: FILES });
    expect(run.exitCode, run.stderr).toBe(1);
    const reported = findCase(run.cases, NO_TAG_SESSION);
    expect(reported.status).toBe('failed');
    expect(reported.message).toContain(
      'CreatePodIdentityAssociation refuses a role whose trust policy allows sts:AssumeRole but not sts:TagSession: observed the association was accepted',
    );
    expect(findCase(run.cases, OTHER_NAME).status).toBe('passed');
  });

  it('roleDeletesIgnored: the deleted-role case fails', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await runSabotaged({ sabotage: { roleDeletesIgnored: true }, files: FILES });
    expect(run.exitCode, run.stderr).toBe(1);
    const reported = findCase(run.cases, DELETED_ROLE);
    expect(reported.status).toBe('failed');
    expect(reported.message).toMatch(/IAM role \S+-deleted-role gone|the pod still got/);
    expect(findCase(run.cases, NO_TAG_SESSION).status).toBe('passed');
  });
});
