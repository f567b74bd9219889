import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../helpers/ledger.ts';
import { renderJunit } from '../../runner/junit.ts';
import type { RunReport } from '../../runner/results.ts';
import { runFailed } from '../../runner/results.ts';
import { renderSummary } from '../../runner/summary.ts';

const leaked: LedgerRecord = {
  event: 'created',
  id: 'id-1',
  kind: 'iam-role',
  ref: { name: 'pic-role-a' },
  runId: 'pic-202611281000-abcde',
  at: '2026-11-28T10:00:05.000Z',
};

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'pic-202611281000-abcde',
    target: 'eks',
    cluster: 'prod',
    region: 'eu-west-1',
    startedAt: new Date('2026-11-28T10:00:00.000Z'),
    durationMs: 65_432,
    files: [
      {
        suite: 'pod-identity',
        name: 'pod-identity/credentials',
        path: 'pod-identity/credentials.test.ts',
        file: 'suites/pod-identity/credentials.test.ts',
        durationMs: 12_000,
        errors: [],
        cases: [
          {
            name: 'credentials › gets the role [aws-cli]',
            status: 'passed',
            durationMs: 1234,
            notes: ['client: aws-cli v1.45'],
          },
          {
            name: 'credentials › a | pipe & <xml> "quotes"',
            status: 'failed',
            durationMs: 20,
            notes: [],
            failure: {
              type: 'AssertionError',
              message: 'expected 1\nto be 2',
              details: '- Expected\n+ Received\n\n- 2\n+ 1',
            },
          },
          {
            name: 'credentials › sdk probe',
            status: 'skipped',
            durationMs: 0,
            notes: [],
            reason: 'needs podSdkProbe: the pod image has no node',
          },
          {
            name: 'credentials › later',
            status: 'not run',
            durationMs: 0,
            notes: [],
            reason: 'interrupted by SIGINT before it finished',
          },
        ],
      },
      {
        suite: 'pod-identity',
        name: 'pod-identity/broken',
        path: 'pod-identity/broken.test.ts',
        durationMs: 0,
        cases: [],
        errors: [{ type: 'SyntaxError', message: 'Unexpected token', details: 'at broken.test.ts:1:1' }],
      },
    ],
    runErrors: [],
    teardown: [],
    ...overrides,
  };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

describe('renderJunit', () => {
  it('writes one testsuite per file with counts, properties and a testcase per case', () => {
    const xml = parser.parse(renderJunit(report()));
    const root = xml.testsuites;
    expect(root).toMatchObject({
      name: 'pod-identity-conformance',
      tests: '5',
      failures: '1',
      errors: '1',
      time: '65.432',
    });
    // junit-10.xsd allows neither on <testsuites>: the testsuites carry them.
    expect(root.skipped).toBeUndefined();
    expect(root.timestamp).toBeUndefined();
    expect(root.testsuite.map((s: { name: string }) => s.name)).toEqual([
      'pod-identity/credentials',
      'pod-identity/broken',
    ]);
    const [credentials, broken] = root.testsuite;
    expect(credentials).toMatchObject({
      tests: '4',
      failures: '1',
      errors: '0',
      skipped: '2',
      time: '12.000',
      file: 'suites/pod-identity/credentials.test.ts',
      timestamp: '2026-11-28T10:00:00.000Z',
    });
    expect(
      Object.fromEntries(
        credentials.properties.property.map((p: { name: string; value: string }) => [p.name, p.value]),
      ),
    ).toMatchObject({
      target: 'eks',
      cluster: 'prod',
      region: 'eu-west-1',
      'run-id': 'pic-202611281000-abcde',
      file: 'suites/pod-identity/credentials.test.ts',
    });
    const [passed, failed, skipped, notRun] = credentials.testcase;
    expect(passed).toMatchObject({
      name: 'credentials › gets the role [aws-cli]',
      classname: 'pod-identity/credentials',
      time: '1.234',
      'system-out': 'client: aws-cli v1.45',
    });
    expect(failed.name).toBe('credentials › a | pipe & <xml> "quotes"');
    expect(failed.failure).toMatchObject({ message: 'expected 1 to be 2', type: 'AssertionError' });
    expect(failed.failure['#text']).toContain('- Expected\n+ Received');
    expect(skipped.skipped).toEqual({ message: 'needs podSdkProbe: the pod image has no node' });
    expect(notRun.skipped).toEqual({ message: 'interrupted by SIGINT before it finished' });
    expect(broken.testcase[0]).toMatchObject({
      name: 'pod-identity/broken (file)',
      error: { message: 'Unexpected token', type: 'SyntaxError' },
    });
  });

  it('drops characters XML cannot carry', () => {
    const xml = renderJunit(
      report({
        files: [
          {
            suite: 's',
            name: 's/f',
            path: 's/f.test.ts',
            durationMs: 1,
            errors: [],
            cases: [{ name: 'bell\u0007 and escape\u001b[31m', status: 'passed', durationMs: 1, notes: [] }],
          },
        ],
      }),
    );
    expect(xml).not.toContain('\u0007');
    expect(xml).not.toContain('\u001b');
    expect(parser.parse(xml).testsuites.testsuite[0].testcase[0].name).toBe('bell and escape[31m');
  });
});

describe('renderSummary', () => {
  it('shows where the run went, a row per case, totals and the failures', () => {
    const md = renderSummary(report());
    expect(md).toMatch(/^# Pod Identity conformance: failed\n/);
    for (const row of [
      '| Target | eks |',
      '| Cluster | prod |',
      '| Region | eu-west-1 |',
      '| Run id | pic-202611281000-abcde |',
      '| Started | 2026-11-28T10:00:00.000Z |',
      '| Duration | 65.4 s |',
    ]) {
      expect(md).toContain(row);
    }
    expect(md).toContain('**Totals:** 4 cases: 1 passed, 1 failed, 1 skipped, 1 not run');
    expect(md).toContain(
      '| pod-identity/credentials | credentials › gets the role [aws-cli] | passed | 1.2 s | client: aws-cli v1.45 |',
    );
    expect(md).toContain(
      '| pod-identity/credentials | credentials › a \\| pipe & <xml> "quotes" | failed | 20 ms | expected 1 |',
    );
    expect(md).toContain(
      '| pod-identity/credentials | credentials › sdk probe | skipped | 0 ms | needs podSdkProbe: the pod image has no node |',
    );
    expect(md).toContain(
      '| pod-identity/credentials | credentials › later | not run | 0 ms | interrupted by SIGINT before it finished |',
    );
    expect(md).toContain('| pod-identity/broken | (file) | failed | - | Unexpected token |');
    expect(md).toContain(
      '### pod-identity/credentials › credentials › a | pipe & <xml> "quotes"\n\n```\nAssertionError: expected 1\nto be 2',
    );
    expect(md).not.toContain('## Kept resources');
    expect(md).not.toContain('## Teardown');
  });

  it('lists what --keep kept, and says so when nothing was left', () => {
    expect(renderSummary(report({ kept: [leaked] }))).toContain(
      '## Kept resources\n\nRun with --keep: these were not deleted; find and delete them with `npm run janitor -- --target eks --cluster prod --region eu-west-1 --run-id pic-202611281000-abcde --delete`.\n\n| Kind | Reference | Created |\n|---|---|---|\n| iam-role | name=pic-role-a | 2026-11-28T10:00:05.000Z |',
    );
    expect(renderSummary(report({ kept: [] }))).toContain('Run with --keep: nothing was left to keep.');
  });

  it('lists the teardown results after a signal', () => {
    const md = renderSummary(
      report({
        interruptedBy: 'SIGTERM',
        teardown: [
          { record: leaked, ok: true },
          {
            record: { ...leaked, id: 'id-2', kind: 's3-bucket', ref: { name: 'b' } },
            ok: false,
            error: 'AccessDenied',
          },
        ],
      }),
    );
    expect(md).toMatch(/^# Pod Identity conformance: interrupted \(SIGTERM\)\n/);
    expect(md).toContain('## Teardown\n\nDeleted after SIGTERM, from the run ledger');
    expect(md).toContain('| iam-role | name=pic-role-a | deleted |');
    expect(md).toContain('| s3-bucket | name=b | not deleted: AccessDenied |');
  });
});

describe('runFailed', () => {
  it('fails on a failed case, a file error, a run error, or when no case ran; passes with skips', () => {
    expect(runFailed(report())).toBe(true);
    const skippedOnly = report({
      files: [
        {
          suite: 's',
          name: 's/f',
          path: 's/f.test.ts',
          durationMs: 1,
          errors: [],
          cases: [{ name: 'c', status: 'skipped', durationMs: 0, notes: [], reason: 'r' }],
        },
      ],
    });
    expect(runFailed(skippedOnly)).toBe(false);
    expect(
      runFailed({ ...skippedOnly, runErrors: [{ type: 'Error', message: 'worker died', details: '' }] }),
    ).toBe(true);
    expect(runFailed(report({ files: [] }))).toBe(true);
  });
});
