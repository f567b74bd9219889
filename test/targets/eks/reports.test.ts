// How the reports carry what the eks target adds: the preflight (summary.md section, JUnit properties,
// a preflight testsuite when it failed) and pod diagnostics on failed cases.

import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../runner/junit.ts';
import { PreflightError, preflightLine } from '../../../runner/preflight.ts';
import type { RunReport } from '../../../runner/results.ts';
import { renderSummary } from '../../../runner/summary.ts';
import type { PreflightCheck } from '../../../targets/target.ts';

const CHECKS: PreflightCheck[] = [
  {
    name: 'caller identity',
    status: 'passed',
    detail: 'arn:aws:iam::111122223333:user/ci (account 111122223333)',
  },
  {
    name: 'account allowed',
    status: 'failed',
    detail: 'account 111122223333 is not allowed | use --account',
  },
  { name: 'cluster', status: 'not checked', detail: 'not checked: the account is not allowed' },
  { name: 'runner permissions', status: 'warning', detail: 'could not simulate' },
];

const DIAGNOSTICS = [
  'diagnostics for pod pic-ns/app:',
  '  phase: Pending',
  '  container main: waiting: ImagePullBackOff',
  '  container main env names: AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  '  event Warning Failed: Failed to pull image',
].join('\n');

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'pic-202611281000-abcde',
    target: 'eks',
    cluster: 'prod',
    region: 'eu-west-1',
    startedAt: new Date('2026-11-28T10:00:00Z'),
    durationMs: 1234,
    files: [],
    runErrors: [],
    teardown: [],
    ...overrides,
  };
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

describe('preflight in the reports', () => {
  it('prints one aligned line per check, failures saying what to fix', () => {
    expect(CHECKS.map(preflightLine)).toEqual([
      '  pass  caller identity: arn:aws:iam::111122223333:user/ci (account 111122223333)',
      '  FAIL  account allowed: account 111122223333 is not allowed | use --account',
      '  skip  cluster: not checked: the account is not allowed',
      '  warn  runner permissions: could not simulate',
    ]);
    const error = new PreflightError(CHECKS);
    expect(error.message.split('\n')).toHaveLength(5);
    expect(error.checks).toBe(CHECKS);
  });

  it('summary.md: the outcome says nothing was created, and a Preflight section lists every check', () => {
    const summary = renderSummary(report({ preflight: CHECKS }));
    expect(summary.split('\n')[0]).toBe('# Pod Identity conformance: preflight failed, nothing was created');
    expect(summary).toContain(
      [
        '## Preflight',
        '',
        '| Check | Result | Detail |',
        '|---|---|---|',
        '| caller identity | passed | arn:aws:iam::111122223333:user/ci (account 111122223333) |',
        '| account allowed | failed | account 111122223333 is not allowed \\| use --account |',
        '| cluster | not checked | not checked: the account is not allowed |',
        '| runner permissions | warning | could not simulate |',
      ].join('\n'),
    );
  });

  it('junit.xml: a failed preflight is a testsuite of its own, so CI shows what to fix', () => {
    const parsed = xml.parse(renderJunit(report({ preflight: CHECKS })));
    const suites = parsed.testsuites;
    expect(suites).toMatchObject({ tests: '4', failures: '1' });
    const suite = suites.testsuite;
    expect(suite).toMatchObject({ name: 'preflight', tests: '4', failures: '1', skipped: '1' });
    const [identity, account, cluster, permissions] = suite.testcase;
    expect(identity).toMatchObject({ name: 'caller identity' });
    expect(identity.failure).toBeUndefined();
    expect(account.failure).toMatchObject({ type: 'PreflightFailure', message: CHECKS[1]!.detail });
    expect(cluster.skipped).toMatchObject({ message: CHECKS[2]!.detail });
    expect(permissions['system-out']).toBe('warning: could not simulate');
  });

  it('junit.xml: a passed preflight rides along as properties of every testsuite', () => {
    const passed = CHECKS.map((check) => ({ ...check, status: 'passed' as const }));
    const parsed = xml.parse(
      renderJunit(
        report({
          preflight: passed,
          files: [
            {
              suite: 'pod-identity',
              name: 'pod-identity/credentials',
              path: 'pod-identity/credentials.test.ts',
              durationMs: 10,
              cases: [{ name: 'c › ok', status: 'passed', durationMs: 5, notes: [] }],
              errors: [],
            },
          ],
        }),
      ),
    );
    const properties = parsed.testsuites.testsuite.properties.property as Array<{
      name: string;
      value: string;
    }>;
    expect(properties).toContainEqual({
      name: 'preflight: caller identity',
      value: 'passed: arn:aws:iam::111122223333:user/ci (account 111122223333)',
    });
    expect(parsed.testsuites.testsuite.name).toBe('pod-identity/credentials');
  });
});

describe('pod diagnostics on a failed case', () => {
  const failedRun = report({
    files: [
      {
        suite: 'pod-identity',
        name: 'pod-identity/credentials',
        path: 'pod-identity/credentials.test.ts',
        durationMs: 10,
        cases: [
          {
            name: 'credentials › the pod gets the role',
            status: 'failed',
            durationMs: 5,
            notes: ['client: aws-cli'],
            failure: {
              type: 'AssertionError',
              message: 'expected a role',
              details: '- expected\n+ received',
            },
            diagnostics: DIAGNOSTICS,
          },
        ],
        errors: [],
      },
    ],
  });

  it('junit.xml carries them once, in the failure (the case output keeps its notes)', () => {
    const testcase = xml.parse(renderJunit(failedRun)).testsuites.testsuite.testcase;
    expect(testcase.failure['#text']).toContain(
      `expected a role\n\n- expected\n+ received\n\nDiagnostics:\n${DIAGNOSTICS}`,
    );
    expect(testcase['system-out']).toBe('client: aws-cli');
  });

  it('summary.md shows them under the failure', () => {
    const summary = renderSummary(failedRun);
    expect(summary).toContain(`Diagnostics:\n\n\`\`\`\n${DIAGNOSTICS}\n\`\`\``);
  });
});
