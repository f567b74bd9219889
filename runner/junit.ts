// junit.xml: one <testsuite> per suite file (named like pod-identity/credentials), one <testcase> per
// case with its readable name, time, skip reason, failure message and diff, and report notes as
// <system-out>. Built from the redacted RunReport.

import { hostname } from 'node:os';
import { XMLBuilder } from 'fast-xml-parser';
import type { PreflightCheck } from '../targets/target.ts';
import { preflightFailed } from './preflight.ts';
import {
  type CaseReport,
  countCases,
  type FailureReport,
  type FileReport,
  type RunReport,
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
  return (ms / 1000).toFixed(3);
}

function renderFailure(failure: FailureReport): Record<string, string> {
  return {
    '@_message': xmlAttribute(failure.message),
    '@_type': xmlAttribute(failure.type),
    '#text': xmlText([failure.message, failure.details].filter(Boolean).join('\n\n')),
  };
}

function renderCase(file: FileReport, testCase: CaseReport): Record<string, unknown> {
  const element: Record<string, unknown> = {
    '@_classname': xmlAttribute(file.name),
    '@_name': xmlAttribute(testCase.name),
    '@_time': seconds(testCase.durationMs),
  };
  if (testCase.status === 'failed' && testCase.failure) {
    element.failure = renderFailure(testCase.failure);
    if (testCase.diagnostics) {
      const failure = element.failure as Record<string, string>;
      failure['#text'] += `\n\nDiagnostics:\n${xmlText(testCase.diagnostics)}`;
    }
  }
  if (testCase.status === 'skipped' || testCase.status === 'not run') {
    element.skipped = { '@_message': xmlAttribute(testCase.reason ?? testCase.status) };
  }
  const output = [...testCase.notes, ...(testCase.diagnostics ? [testCase.diagnostics] : [])];
  if (output.length > 0) element['system-out'] = xmlText(output.join('\n'));
  return element;
}

function renderFile(report: RunReport, file: FileReport): Record<string, unknown> {
  const counts = countCases([file]);
  const properties = [
    ['target', report.target],
    ['cluster', report.cluster ?? ''],
    ['region', report.region ?? ''],
    ['run-id', report.runId],
    ['file', file.path],
    ...(report.preflight ?? []).map((check) => [
      `preflight: ${check.name}`,
      `${check.status}: ${check.detail}`,
    ]),
  ].map(([name, value]) => ({ '@_name': name, '@_value': xmlAttribute(value ?? '') }));
  const cases = file.cases.map((testCase) => renderCase(file, testCase));
  // A file that failed outside its cases (did not load, a hook threw) gets a case of its own, so CI
  // systems that only read <testcase> elements still see it.
  for (const error of file.errors) {
    cases.push({
      '@_classname': xmlAttribute(file.name),
      '@_name': xmlAttribute(`${file.name} (file)`),
      '@_time': '0.000',
      error: renderFailure(error),
    });
  }
  return {
    '@_name': xmlAttribute(file.name),
    '@_tests': String(cases.length),
    '@_failures': String(counts.failed),
    '@_errors': String(file.errors.length),
    '@_skipped': String(counts.skipped + counts['not run']),
    '@_time': seconds(file.durationMs),
    '@_timestamp': report.startedAt.toISOString(),
    '@_hostname': xmlAttribute(hostname()),
    '@_file': xmlAttribute(file.path),
    properties: { property: properties },
    testcase: cases,
  };
}

/** A failed preflight ran no suite: its checks become the one testsuite, so CI shows what to fix. */
function renderPreflightSuite(report: RunReport, checks: PreflightCheck[]): Record<string, unknown> {
  const cases = checks.map((check) => ({
    '@_classname': 'preflight',
    '@_name': xmlAttribute(check.name),
    '@_time': '0.000',
    ...(check.status === 'failed'
      ? {
          failure: {
            '@_message': xmlAttribute(check.detail),
            '@_type': 'PreflightFailure',
            '#text': xmlText(check.detail),
          },
        }
      : check.status === 'not checked'
        ? { skipped: { '@_message': xmlAttribute(check.detail) } }
        : { 'system-out': xmlText(`${check.status}: ${check.detail}`) }),
  }));
  return {
    '@_name': 'preflight',
    '@_tests': String(cases.length),
    '@_failures': String(checks.filter((c) => c.status === 'failed').length),
    '@_errors': '0',
    '@_skipped': String(checks.filter((c) => c.status === 'not checked').length),
    '@_time': '0.000',
    '@_timestamp': report.startedAt.toISOString(),
    '@_hostname': xmlAttribute(hostname()),
    testcase: cases,
  };
}

export function renderJunit(report: RunReport): string {
  const counts = countCases(report.files);
  const fileErrors = report.files.reduce((n, file) => n + file.errors.length, 0);
  const preflight = report.preflight && preflightFailed(report.preflight) ? report.preflight : [];
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
      '@_tests': String(counts.total + fileErrors + preflight.length),
      '@_failures': String(counts.failed + preflight.filter((check) => check.status === 'failed').length),
      '@_errors': String(fileErrors + report.runErrors.length),
      '@_skipped': String(counts.skipped + counts['not run']),
      '@_time': seconds(report.durationMs),
      '@_timestamp': report.startedAt.toISOString(),
      testsuite: [
        ...(preflight.length > 0 ? [renderPreflightSuite(report, preflight)] : []),
        ...report.files.map((file) => renderFile(report, file)),
      ],
      ...(report.runErrors.length > 0
        ? {
            'system-err': xmlText(
              report.runErrors.map((e) => `${e.type}: ${e.message}\n${e.details}`).join('\n\n'),
            ),
          }
        : {}),
    },
  };
  return builder.build(document) as string;
}
