// Each misconfiguration the suite diagnoses, reproduced by a simulator setting: the suite run on it, the
// failure message asserted on the cause and the fix, summary.md's "Likely causes" naming it; and the
// same suite passing with the condition removed.

import { describe, expect, it } from 'vitest';
import { findCase, runSabotaged } from './suite-run.ts';

const RUN_TIMEOUT_MS = 180_000;
const CREDENTIALS_CASE =
  "credentials › the pod is the associated role's session assumed-role/ROLE/eks-CLUSTER-POD-… [aws-cli]";
const LABEL = { key: 'egress-policy', value: 'deny-all' };

function expectLikelyCause(summary: string, title: string, fix: string, cases: string[]): void {
  expect(summary).toMatch(/^# Pod Identity conformance: failed\n\n## Likely causes\n\n/);
  const section = summary.slice(0, summary.indexOf('\n| |'));
  expect(section).toContain(`### ${title}\n\n**Fix:** ${fix}\n\n`);
  for (const name of cases) expect(section).toContain(`- ${name}\n`);
}

describe.concurrent('cluster conditions, diagnosed', () => {
  it('a network policy dropping the agent for a namespace label: the credentials case names the namespace and the egress rule to add', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['credentials'],
      simOptions: { conditions: { agentBlockedForNamespaceLabel: LABEL } },
      extraArgs: ['--namespace-label', `${LABEL.key}=${LABEL.value}`],
    });
    expect(run.exitCode, run.stderr).toBe(1);
    const reported = findCase(run.cases, CREDENTIALS_CASE);
    expect(reported.status).toBe('failed');
    expect(reported.message).toMatch(
      /^the agent at 169\.254\.170\.23:80 did not answer from namespace pic-[a-z0-9-]+-credentials \(pod app\), though its agent pod on node sim-node-1 is ready\. Likely cause: the pod identity agent does not answer from the pod \(a network policy or firewall drops the traffic\)\. Fix: allow egress to 169\.254\.170\.23\/32 port 80 \(and \[fd00:ec2::23\]\/128\) in your network policies\.$/,
    );
    expectLikelyCause(
      run.summary,
      'the pod identity agent does not answer from the pod (a network policy or firewall drops the traffic)',
      'allow egress to 169.254.170.23/32 port 80 (and [fd00:ec2::23]/128) in your network policies',
      [`pod-identity/credentials › ${CREDENTIALS_CASE}`],
    );
  });

  it('the same policy, test namespaces without its label: the credentials case passes', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['credentials'],
      simOptions: { conditions: { agentBlockedForNamespaceLabel: LABEL } },
      extraArgs: ['--namespace-label', `${LABEL.key}=allow`],
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(findCase(run.cases, CREDENTIALS_CASE).status).toBe('passed');
    expect(run.summary).not.toContain('## Likely causes');
  });

  it('no agent add-on (nothing on 169.254.170.23): the credentials case says the agent is not installed and how to install it', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const run = await runSabotaged({
      sabotage: {},
      files: ['credentials'],
      simOptions: { podIdentityAgentAddon: false },
    });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(findCase(run.cases, CREDENTIALS_CASE).message).toMatch(
      /^the agent at 169\.254\.170\.23:80 did not answer pod pic-[a-z0-9-]+-credentials\/app, and kube-system has no pod identity agent pod \(app\.kubernetes\.io\/name=eks-pod-identity-agent\)\. Likely cause: the pod identity agent is not installed in the cluster\. Fix: install the add-on: aws eks create-addon --cluster-name CLUSTER --addon-name eks-pod-identity-agent\.$/,
    );
    expectLikelyCause(
      run.summary,
      'the pod identity agent is not installed in the cluster',
      'install the add-on: aws eks create-addon --cluster-name CLUSTER --addon-name eks-pod-identity-agent',
      [`pod-identity/credentials › ${CREDENTIALS_CASE}`],
    );
  });
});
