// The isolation cases exercise the node's instance metadata service for real: on a node whose IMDS
// answers pods (hop limit 2), an unassociated pod gets the node role and both no-credentials cases fail
// naming IMDS and the fix; with EKS's recommended setting (the simulator's default) they pass.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged } from './suite-run.ts';

const RUN_TIMEOUT_MS = 120_000;
const NO_CREDENTIALS_CASES = [
  'isolation › a service account without an association gets no credentials [aws-cli]',
  'isolation › the associated name in another namespace gets no credentials [aws-cli]',
];

describe.concurrent('isolation on a node whose IMDS pods can reach', () => {
  it('hop limit 2: both no-credentials cases fail, naming the node role, IMDS and the fix', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['isolation'],
      simOptions: { imds: { hopLimit: 2 } },
    });
    expect(run.exitCode, run.stderr).toBe(1);
    for (const name of NO_CREDENTIALS_CASES) {
      const reported = findCase(run.cases, name);
      expect(reported.status, name).toBe('failed');
      expect(reported.message).toMatch(
        /received credentials for arn:aws:sts::\d+:assumed-role\/eks-node-role\/i-/,
      );
      expect(reported.message).toContain(
        'that is the node role (an EC2 instance session). Likely cause: pods reach the instance metadata service and get the node role. Fix: in the node group launch template require IMDSv2 (HttpTokens required) with HttpPutResponseHopLimit 1, or block 169.254.169.254 from pods.',
      );
    }
    expect(run.summary).toMatch(
      /^# Pod Identity conformance: failed\n\n## Likely causes\n\n### pods reach the instance metadata service and get the node role\n\n\*\*Fix:\*\* in the node group launch template require IMDSv2/,
    );
    for (const name of NO_CREDENTIALS_CASES)
      expect(run.summary).toContain(`- pod-identity/isolation › ${name}\n`);
    expect(
      findCase(run.cases, 'isolation › a pod with role B cannot write where only role A may [aws-cli]')
        .status,
    ).toBe('passed');
  });

  it('the default (IMDSv2 required, hop limit 1): every isolation case passes', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({ sabotage: {}, files: ['isolation'] });
    expect(run.exitCode, run.stderr).toBe(0);
    for (const name of NO_CREDENTIALS_CASES) expect(findCase(run.cases, name).status, name).toBe('passed');
  });
});
