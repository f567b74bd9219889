// junit.xml against the JUnit format as Jenkins accepts it (test/runner/fixtures/junit-report.xsd) and its counts, for every
// kind of run, rendered from RunReports made by hand; where the reports put diagnostics, teardown
// failures, the tool's version and commit; and how suite files are named. Real runs of the same kinds:
// test/runner/junit-reports.test.ts.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../helpers/ledger.ts';
import { renderJunit } from '../../runner/junit.ts';
import {
  type CaseReport,
  type FileReport,
  type RunReport,
  reportedFilePath,
  runFailed,
} from '../../runner/results.ts';
import { renderSummary } from '../../runner/summary.ts';
import type { PreflightCheck } from '../../targets/target.ts';
import { countMismatches, junitSchemaErrors, parseJunit, propertiesOf } from './junit-report-checks.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function file(name: string, cases: CaseReport[], errors: FileReport['errors'] = []): FileReport {
  return {
    suite: 'pod-identity',
    name: `pod-identity/${name}`,
    path: `pod-identity/${name}.test.ts`,
    file: `suites/pod-identity/${name}.test.ts`,
    durationMs: 1500,
    cases,
    errors,
  };
}

const passed: CaseReport = {
  name: 'credentials › gets the role',
  status: 'passed',
  durationMs: 12,
  notes: [],
};
const skipped: CaseReport = {
  name: 'credentials › sdk probe',
  status: 'skipped',
  durationMs: 0,
  notes: [],
  reason: 'needs podSdkProbe: the pod image has no node',
};
const DIAGNOSTICS = 'diagnostics for pod pic-ns/app:\n  phase: Pending';
const failed: CaseReport = {
  name: 'credentials › a <failing> & "quoted" case',
  status: 'failed',
  durationMs: 30,
  notes: ['client: aws-cli'],
  failure: { type: 'AssertionError', message: 'expected 1\nto be 2', details: '- Expected\n+ Received' },
  diagnostics: DIAGNOSTICS,
};
const notRun: CaseReport = {
  name: 'credentials › later',
  status: 'not run',
  durationMs: 0,
  notes: [],
  reason: 'interrupted by SIGTERM before it finished',
};

const leaked: LedgerRecord = {
  event: 'created',
  id: 'id-1',
  kind: 'iam-role',
  ref: { name: 'pic-role-a' },
  runId: 'pic-202611281000-abcde',
  at: '2026-11-28T10:00:05.000Z',
};

const PREFLIGHT: PreflightCheck[] = [
  { name: 'caller identity', status: 'passed', detail: 'arn:aws:iam::111122223333:user/ci' },
  { name: 'account allowed', status: 'failed', detail: 'account 111122223333 is not allowed' },
  ...['cluster', 'platform version', 'Kubernetes access', 'pod identity agent', 'runner permissions'].map(
    (name): PreflightCheck => ({
      name,
      status: 'not checked',
      detail: 'not checked: the account is not allowed',
    }),
  ),
  { name: 'extra', status: 'warning', detail: 'could not simulate' },
];

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'pic-202611281000-abcde',
    tool: { version: '1.2.3', commit: COMMIT },
    target: 'eks',
    cluster: 'prod',
    region: 'eu-west-1',
    accounts: ['111122223333'],
    startedAt: new Date('2026-11-28T10:00:00.000Z'),
    durationMs: 65_432,
    files: [],
    runErrors: [],
    teardown: [],
    ...overrides,
  };
}

const KINDS: Array<{ kind: string; report: RunReport; root: [number, number, number] }> = [
  {
    kind: 'passing',
    report: report({ files: [file('credentials', [passed, skipped]), file('isolation', [passed])] }),
    root: [3, 0, 0],
  },
  {
    kind: 'failing',
    report: report({
      files: [
        file('credentials', [passed, failed]),
        file('broken', [], [{ type: 'SyntaxError', message: 'Unexpected token', details: 'at 1:1' }]),
      ],
    }),
    root: [3, 1, 1],
  },
  {
    kind: 'skipped',
    report: report({ files: [file('credentials', [skipped, { ...skipped, name: 'other' }])] }),
    root: [2, 0, 0],
  },
  {
    kind: 'interrupted',
    report: report({
      interruptedBy: 'SIGTERM',
      files: [file('credentials', [passed, notRun])],
      teardown: [{ record: leaked, ok: true }],
    }),
    root: [2, 0, 0],
  },
  { kind: 'preflight-failed', report: report({ preflight: PREFLIGHT }), root: [8, 1, 0] },
  {
    kind: 'errors outside any file',
    report: report({
      files: [file('credentials', [passed])],
      runErrors: [
        { type: 'Error', message: 'worker exited', details: '' },
        { type: 'TypeError', message: 'x is undefined', details: 'at y' },
      ],
    }),
    root: [3, 0, 2],
  },
  {
    kind: 'teardown-failed',
    report: report({
      files: [file('credentials', [passed])],
      teardown: [
        { record: leaked, ok: false, error: 'AccessDenied' },
        { record: { ...leaked, id: 'id-2', kind: 's3-bucket', ref: { name: 'b' } }, ok: true },
      ],
    }),
    root: [2, 1, 0],
  },
];

describe.each(KINDS)('junit.xml of a $kind run', ({ report: run, root }) => {
  const xml = renderJunit(run);
  const junit = parseJunit(xml);

  it('is valid against junit-report.xsd', async () => {
    expect(await junitSchemaErrors(xml)).toEqual([]);
  });

  it('counts the same at every level', () => {
    expect(countMismatches(junit)).toEqual([]);
    expect([junit.tests, junit.failures, junit.errors].map(Number)).toEqual(root);
  });

  it('names the tool version, commit and target in every testsuite', () => {
    for (const suite of junit.testsuite ?? []) {
      expect(propertiesOf(suite)).toMatchObject({ version: '1.2.3', commit: COMMIT, target: 'eks' });
    }
  });
});

describe('junit-report.xsd', () => {
  it('refuses what junit.xml used to write: skipped and timestamp on <testsuites>', async () => {
    const errors = await junitSchemaErrors(
      '<testsuites name="x" tests="0" skipped="0" timestamp="2026-11-28T10:00:00.000Z"></testsuites>',
    );
    expect(errors.join('\n')).toMatch(/attribute 'skipped': The attribute 'skipped' is not allowed/);
    expect(errors.join('\n')).toMatch(/attribute 'timestamp': The attribute 'timestamp' is not allowed/);
  });
});

describe('junit.xml', () => {
  it('puts a failed case’s pod diagnostics in its failure only, its notes in system-out', () => {
    const xml = renderJunit(report({ files: [file('credentials', [failed])] }));
    expect(xml.split('diagnostics for pod pic-ns/app:')).toHaveLength(2);
    const [testcase] = parseJunit(xml).testsuite![0]!.testcase!;
    expect(testcase!.failure!['#text']).toBe(
      `expected 1\nto be 2\n\n- Expected\n+ Received\n\nDiagnostics:\n${DIAGNOSTICS}`,
    );
    expect(testcase!['system-out']).toBe('client: aws-cli');
  });

  it('makes a failed teardown a failed `teardown` testcase naming what is left and how to delete it', () => {
    const [, teardown] = parseJunit(renderJunit(KINDS.find((k) => k.kind === 'teardown-failed')!.report))
      .testsuite!;
    expect(teardown).toMatchObject({ name: 'teardown', tests: '1', failures: '1' });
    const [testcase] = teardown!.testcase!;
    expect(testcase).toMatchObject({ name: 'teardown', classname: 'teardown' });
    expect(testcase!.failure).toMatchObject({
      type: 'TeardownFailure',
      message: '1 of 2 resource(s) still listed in the run ledger were not deleted',
    });
    expect(testcase!.failure!['#text']).toContain('iam-role name=pic-role-a: AccessDenied');
    expect(testcase!.failure!['#text']).toContain(
      'npm run janitor -- --target eks --cluster prod --region eu-west-1 --account 111122223333 --run-id pic-202611281000-abcde --delete',
    );
  });

  it('has no teardown testsuite when the teardown deleted everything', () => {
    const names = parseJunit(renderJunit(KINDS.find((k) => k.kind === 'interrupted')!.report)).testsuite!.map(
      (s) => s.name,
    );
    expect(names).toEqual(['pod-identity/credentials']);
  });

  it('puts errors outside any file in a `run` testsuite, one error testcase each', () => {
    const junit = parseJunit(renderJunit(KINDS.find((k) => k.kind === 'errors outside any file')!.report));
    const run = junit.testsuite!.find((s) => s.name === 'run')!;
    expect(run.testcase!.map((c) => [c.name, c.error?.message])).toEqual([
      ['outside any file (1)', 'worker exited'],
      ['outside any file (2)', 'x is undefined'],
    ]);
  });

  it('leaves out the commit property when the tool is not a git checkout', () => {
    const junit = parseJunit(
      renderJunit(report({ tool: { version: '1.2.3' }, files: [file('credentials', [passed])] })),
    );
    const properties = propertiesOf(junit.testsuite![0]!);
    expect(properties.version).toBe('1.2.3');
    expect('commit' in properties).toBe(false);
  });
});

describe('a failed teardown', () => {
  const run = KINDS.find((k) => k.kind === 'teardown-failed')!.report;

  it('fails the run (exit 1) though every case passed', () => {
    expect(runFailed(run)).toBe(true);
    expect(runFailed({ ...run, teardown: run.teardown.map((t) => ({ ...t, ok: true })) })).toBe(false);
  });

  it('is shown in summary.md: outcome, totals, the teardown table and a failure block', () => {
    const md = renderSummary(run);
    expect(md).toMatch(/^# Pod Identity conformance: failed\n/);
    expect(md).toContain(
      '**Totals:** 1 cases: 1 passed, 0 failed, 0 skipped, 0 not run; teardown: 1 resource(s) not deleted',
    );
    expect(md).toContain('| iam-role | name=pic-role-a | not deleted: AccessDenied |');
    expect(md).toContain('| s3-bucket | name=b | deleted |');
    expect(md).toContain(
      '**1 resource(s) were not deleted**, so the run failed; find and delete them with `npm run janitor',
    );
    expect(md).toContain(
      '### teardown\n\n```\nTeardownFailure: 1 of 2 resource(s) still listed in the run ledger were not deleted\n\niam-role name=pic-role-a: AccessDenied',
    );
  });

  it('after a signal is reported the same, without calling the run failed', () => {
    const md = renderSummary({ ...run, interruptedBy: 'SIGINT' });
    expect(md).toMatch(/^# Pod Identity conformance: interrupted \(SIGINT\)\n/);
    expect(md).toContain('**1 resource(s) were not deleted**; find and delete them');
  });
});

describe('summary.md header', () => {
  it('names the tool version and commit above the target', () => {
    const md = renderSummary(report({ files: [file('credentials', [passed])] }));
    expect(md).toContain(
      `| Version | pod-identity-conformance 1.2.3 |\n| Commit | ${COMMIT} |\n| Target | eks |`,
    );
  });

  it('says when the tool is not a git checkout', () => {
    const md = renderSummary(report({ tool: { version: '1.2.3' }, files: [file('credentials', [passed])] }));
    expect(md).toContain('| Commit | - (not a git checkout) |');
  });
});

describe('reportedFilePath', () => {
  const roots = { packageRoot: '/repo/', cwd: '/work/project' };

  it('is relative to the package root for the bundled suites', () => {
    expect(reportedFilePath('/repo/suites/pod-identity/credentials.test.ts', roots)).toBe(
      'suites/pod-identity/credentials.test.ts',
    );
  });

  it('is relative to the working directory for suites of its own, else absolute', () => {
    expect(reportedFilePath('/work/project/checks/team/app.test.ts', roots)).toBe('checks/team/app.test.ts');
    expect(reportedFilePath('/elsewhere/team/app.test.ts', roots)).toBe('/elsewhere/team/app.test.ts');
    expect(reportedFilePath(join('/repo', '..', 'team', 'app.test.ts'), roots)).toBe('/team/app.test.ts');
  });
});
