// The client compatibility case tells a client too old for Pod Identity from one that works, with real
// old releases: aws-sdk 2.1400.0 from the npm registry and Debian's python3-botocore 1.29.27 (installed
// into .pic/clients by the case). Run as the self-check, they are reported too old and the case passes;
// named with --client (a client the user asked about), the case fails with the cause and the fix, and
// the current clients beside them still get the role.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeRegExp } from '../../helpers/naming.ts';
import { findCase, runSabotaged } from './suite-run.ts';

const RUN_TIMEOUT_MS = 300_000;
const CASE =
  'client compatibility › each client in an associated pod gets the role, or is reported too old for Pod Identity';
const AGENT = 'http://169.254.170.23/v1/credentials';
const CAUSE_AND_FIX =
  'Likely cause: the AWS SDK or CLI in the pod predates Pod Identity. Fix: upgrade the client to at least the version in https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html (botocore 1.34.41, AWS CLI v1 1.30.0 / v2 2.15.0, JS v2 2.1550.0, JS v3 3.458.0, Go v1 1.47.11).';
const OLD_NODE_V2 = `node-v2@2.1400.0 (aws-sdk 2.1400.0) is too old for Pod Identity: it refused the agent's address ${AGENT} (ECSCredentialsProviderFailure: Unsupported hostname: AWS.RemoteCredentials only supports localhost,127.0.0.1 for http:; http://169.254.170.23 requested.); it needs at least aws-sdk 2.1550.0`;
const OLD_BOTOCORE = `boto3@1.29.27 (botocore 1.29.27) is too old for Pod Identity: it refused the agent's address ${AGENT} (ValueError: Unsupported host '169.254.170.23'.  Can only retrieve metadata from these hosts: 169.254.170.2, localhost, 127.0.0.1); it needs at least botocore 1.34.41 (boto3 1.34.41)`;
const LIKELY_CAUSES = `## Likely causes\n\n### the AWS SDK or CLI in the pod predates Pod Identity\n\n**Fix:** upgrade the client to at least the version in https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html`;
const hasApt =
  existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg') && existsSync('/usr/bin/python3');

/** The case's row in summary.md: its notes, one per client, joined by "; ". */
function notesOf(summary: string): string {
  const row = summary.split('\n').find((line) => line.startsWith('| pod-identity/client-compatibility |'));
  return row ?? '';
}

describe.concurrent('client compatibility on the embedded target, with real old clients', () => {
  it('the default run: both old releases are reported too old as expected, the current clients get the role', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['client-compatibility'],
      casePattern: '.',
      clients: ['aws-cli', 'sdk-probe', 'boto3', 'node-v2'],
      waitTimeoutSeconds: 60,
    });
    expect(run.exitCode, `${run.stderr}\n${run.summary}`).toBe(0);
    expect(findCase(run.cases, CASE).status).toBe('passed');
    const notes = notesOf(run.summary);
    expect(notes).toContain(`${OLD_NODE_V2} (expected: a release from before Pod Identity)`);
    if (hasApt) expect(notes).toContain(`${OLD_BOTOCORE} (expected: a release from before Pod Identity)`);
    for (const current of [
      'aws-cli',
      'sdk-probe \\(@aws-sdk/client-sts 3\\.\\d+\\.\\d+\\)',
      'boto3 \\(botocore 1\\.\\d+\\.\\d+\\)',
      'node-v2 \\(aws-sdk 2\\.1693\\.0\\)',
    ])
      expect(notes).toMatch(
        new RegExp(`${current}: got the role \\(assumed-role/pic-[^/]+-client-compat/eks-`),
      );
  });

  it('--client node-v2@2.1400.0: the case fails naming it too old, with the cause and the fix; sdk-probe gets the role', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['client-compatibility'],
      casePattern: '.',
      clients: ['node-v2@2.1400.0', 'sdk-probe'],
      waitTimeoutSeconds: 60,
    });
    expect(run.exitCode, run.stderr).toBe(1);
    const reported = findCase(run.cases, CASE);
    expect(reported.status).toBe('failed');
    expect(reported.message).toBe(`${OLD_NODE_V2}. ${CAUSE_AND_FIX}`);
    expect(run.summary).toMatch(
      new RegExp(`^# Pod Identity conformance: failed\\n\\n${escapeRegExp(LIKELY_CAUSES)}`),
    );
    expect(run.summary).toContain(`- pod-identity/client-compatibility › ${CASE}\n`);
    expect(notesOf(run.summary)).toMatch(/sdk-probe \(@aws-sdk\/client-sts [\d.]+\): got the role/);
  });

  it('on a node whose IMDS pods reach, aws-sdk 2.1400.0 is still too old: its chain going on to the node role is why', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['client-compatibility'],
      casePattern: '.',
      clients: ['aws-cli'],
      simOptions: { imds: { hopLimit: 2 } },
    });
    expect(run.exitCode, `${run.stderr}\n${run.summary}`).toBe(0);
    expect(notesOf(run.summary)).toMatch(
      new RegExp(
        `${escapeRegExp(OLD_NODE_V2.replace(/; it needs at least .*$/, ''))} \\(its credential chain went on to another provider and got arn:aws:sts::\\d+:assumed-role/eks-node-role/i-[0-9a-f]+\\); it needs at least aws-sdk 2\\.1550\\.0 \\(expected: a release from before Pod Identity\\)`,
      ),
    );
  });

  it.skipIf(!hasApt)(
    "--client boto3@1.29.27 (Debian's botocore): the case fails naming it too old; the machine's boto3 gets the role",
    { timeout: RUN_TIMEOUT_MS },
    async () => {
      const run = await runSabotaged({
        sabotage: {},
        files: ['client-compatibility'],
        casePattern: '.',
        clients: ['boto3@1.29.27', 'boto3'],
        waitTimeoutSeconds: 60,
      });
      expect(run.exitCode, run.stderr).toBe(1);
      const reported = findCase(run.cases, CASE);
      expect(reported.status).toBe('failed');
      expect(reported.message).toBe(`${OLD_BOTOCORE}. ${CAUSE_AND_FIX}`);
      expect(run.summary).toMatch(
        new RegExp(`^# Pod Identity conformance: failed\\n\\n${escapeRegExp(LIKELY_CAUSES)}`),
      );
      expect(notesOf(run.summary)).toMatch(/boto3 \(botocore 1\.\d+\.\d+\): got the role/);
    },
  );
});
