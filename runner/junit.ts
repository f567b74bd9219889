// junit.xml: one <testsuite> per suite file (named like pod-identity/credentials), one <testcase> per
// case with its readable name, time, skip reason, failure message, diff and pod diagnostics, and report
// notes as <system-out>. What failed outside the cases gets a testcase of its own: a file that did not
// load, a failed preflight (a `preflight` testsuite), errors outside any file (`run`), resources the
// teardown could not delete (`teardown`). Built from the redacted RunReport.
//
// The document is valid against Jenkins' junit-10.xsd (its rules written out in test/runner/fixtures/junit-report.xsd): the root
// carries only name, tests, failures, errors and time, and every count is computed from the testcases
// as rendered, so each testsuite's counts are those of its testcases and the root's are their sums.

import { hostname } from 'node:os';
import { XMLBuilder } from 'fast-xml-parser';
import type { PreflightCheck } from '../targets/target.ts';
import { leftoverHint } from './janitor-hint.ts';
import { preflightFailed } from './preflight.ts';
import {
  type CaseReport,
  type FailureReport,
  type FileReport,
  type RunReport,
  teardownFailures,
} from './results.ts';

// Characters XML 1.0 cannot carry at all, even escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const XML_INVALID_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function xmlText(text: string): string {
  return text.replace(XML_INVALID_CHARACTERS, '');
}

/** Attribute values are read back with newlines folded into spaces: say so ourselves, on one line. */
function xmlAttribute(text: string): string {
  return xmlText(text)
    .replace(/\s*\r?\n\s*/g, ' ')
    .trim();
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

type Element = Record<string, unknown>;

interface Outcome {
  '@_message': string;
  '@_type': string;
  '#text': string;
}

function outcome(failure: FailureReport, extra?: string): Outcome {
  return {
    '@_message': xmlAttribute(failure.message),
    '@_type': xmlAttribute(failure.type),
    '#text': xmlText([failure.message, failure.details, extra].filter(Boolean).join('\n\n')),
  };
}

function testcase(classname: string, name: string, ms: number, content: Element = {}): Element {
  return {
    '@_classname': xmlAttribute(classname),
    '@_name': xmlAttribute(name),
    '@_time': seconds(ms),
    ...content,
  };
}

function renderCase(file: FileReport, testCase: CaseReport): Element {
  const content: Element = {};
  if (testCase.status === 'failed') {
    const failure = testCase.failure ?? { type: 'Error', message: 'failed', details: '' };
    // The pods' diagnostics go with the failure they explain, and only there.
    content.failure = outcome(
      failure,
      testCase.diagnostics ? `Diagnostics:\n${testCase.diagnostics}` : undefined,
    );
  }
  if (testCase.status === 'skipped' || testCase.status === 'not run') {
    content.skipped = { '@_message': xmlAttribute(testCase.reason ?? testCase.status) };
  }
  if (testCase.notes.length > 0) content['system-out'] = xmlText(testCase.notes.join('\n'));
  return testcase(file.name, testCase.name, testCase.durationMs, content);
}

/** Attribute counts from the testcases themselves: tests, failures, errors, skipped. */
function counts(cases: readonly Element[]): Record<'tests' | 'failures' | 'errors' | 'skipped', number> {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure !== undefined).length,
    errors: cases.filter((c) => c.error !== undefined).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  };
}

interface SuiteParts {
  name: string;
  cases: Element[];
  durationMs: number;
  /** The suite file (the `file` attribute). */
  file?: string;
  properties: Array<[string, string]>;
}

function renderSuite(report: RunReport, parts: SuiteParts): Element {
  const { tests, failures, errors, skipped } = counts(parts.cases);
  return {
    '@_name': xmlAttribute(parts.name),
    '@_tests': String(tests),
    '@_failures': String(failures),
    '@_errors': String(errors),
    '@_skipped': String(skipped),
    '@_time': seconds(parts.durationMs),
    '@_timestamp': report.startedAt.toISOString(),
    '@_hostname': xmlAttribute(hostname()),
    ...(parts.file ? { '@_file': xmlAttribute(parts.file) } : {}),
    properties: {
      property: parts.properties.map(([name, value]) => ({
        '@_name': xmlAttribute(name),
        '@_value': xmlAttribute(value),
      })),
    },
    testcase: parts.cases,
  };
}

/** What every testsuite says about the run: the tool, where it ran, the run id. */
function runProperties(report: RunReport): Array<[string, string]> {
  return [
    ...(report.tool ? [['version', report.tool.version] as [string, string]] : []),
    ...(report.tool?.commit ? [['commit', report.tool.commit] as [string, string]] : []),
    ['target', report.target],
    ['cluster', report.cluster ?? ''],
    ['region', report.region ?? ''],
    ['run-id', report.runId],
  ];
}

function renderFile(report: RunReport, file: FileReport): Element {
  const cases = file.cases.map((testCase) => renderCase(file, testCase));
  // A file that failed outside its cases (did not load, a hook threw) gets a case of its own, so CI
  // systems that only read <testcase> elements still see it.
  for (const error of file.errors) {
    cases.push(testcase(file.name, `${file.name} (file)`, 0, { error: outcome(error) }));
  }
  const path = file.file ?? file.path;
  return renderSuite(report, {
    name: file.name,
    cases,
    durationMs: file.durationMs,
    file: path,
    properties: [
      ...runProperties(report),
      ['file', path],
      ...(report.preflight ?? []).map((check): [string, string] => [
        `preflight: ${check.name}`,
        `${check.status}: ${check.detail}`,
      ]),
    ],
  });
}

/** A failed preflight ran no suite: its checks become the one testsuite, so CI shows what to fix. */
function renderPreflightSuite(report: RunReport, checks: PreflightCheck[]): Element {
  const cases = checks.map((check) =>
    testcase(
      'preflight',
      check.name,
      0,
      check.status === 'failed'
        ? { failure: outcome({ type: 'PreflightFailure', message: check.detail, details: '' }) }
        : check.status === 'not checked'
          ? { skipped: { '@_message': xmlAttribute(check.detail) } }
          : { 'system-out': xmlText(`${check.status}: ${check.detail}`) },
    ),
  );
  return renderSuite(report, { name: 'preflight', cases, durationMs: 0, properties: runProperties(report) });
}

/** Errors vitest could not attribute to a file (a worker died, an unhandled rejection). */
function renderRunErrorSuite(report: RunReport): Element {
  const cases = report.runErrors.map((error, i) =>
    testcase('run', report.runErrors.length > 1 ? `outside any file (${i + 1})` : 'outside any file', 0, {
      error: outcome(error),
    }),
  );
  return renderSuite(report, { name: 'run', cases, durationMs: 0, properties: runProperties(report) });
}

/** Resources the teardown could not delete: one failed `teardown` case listing them. */
function renderTeardownSuite(report: RunReport): Element {
  const failed = teardownFailures(report);
  const message = `${failed.length} of ${report.teardown.length} resource(s) still listed in the run ledger were not deleted`;
  const details = [
    ...failed.map(
      (t) =>
        `${t.record.kind} ${Object.entries(t.record.ref)
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')}: ${t.error ?? 'unknown error'}`,
    ),
    '',
    `What is left: ${leftoverHint(report)}`,
  ].join('\n');
  const cases = [
    testcase('teardown', 'teardown', 0, { failure: outcome({ type: 'TeardownFailure', message, details }) }),
  ];
  return renderSuite(report, { name: 'teardown', cases, durationMs: 0, properties: runProperties(report) });
}

export function renderJunit(report: RunReport): string {
  const preflight = report.preflight && preflightFailed(report.preflight) ? report.preflight : [];
  const suites = [
    ...(preflight.length > 0 ? [renderPreflightSuite(report, preflight)] : []),
    ...report.files.map((file) => renderFile(report, file)),
    ...(report.runErrors.length > 0 ? [renderRunErrorSuite(report)] : []),
    ...(teardownFailures(report).length > 0 ? [renderTeardownSuite(report)] : []),
  ];
  const total = (attribute: string) =>
    suites.reduce((sum, suite) => sum + Number(suite[`@_${attribute}`]), 0);
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
  });
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'pod-identity-conformance',
      '@_tests': String(total('tests')),
      '@_failures': String(total('failures')),
      '@_errors': String(total('errors')),
      '@_time': seconds(report.durationMs),
      testsuite: suites,
    },
  };
  return builder.build(document) as string;
}
