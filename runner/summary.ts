// summary.md: the run at a glance for people (and for GitHub's job summary): where it ran, a row per
// case with its status, duration and notes, totals, failures with their diffs, what --keep kept and what
// the teardown did. Rendered from the redacted RunReport.

import type { LedgerRecord } from '../helpers/ledger.ts';
import { leftoverHint } from './janitor-hint.ts';
import { preflightFailed } from './preflight.ts';
import { countCases, type FailureReport, NAME_SEPARATOR, type RunReport } from './results.ts';

const MAX_FAILURE_DETAILS = 4000;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function describeRef(record: LedgerRecord): string {
  return Object.entries(record.ref)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

function outcome(report: RunReport): string {
  if (report.interruptedBy) return `interrupted (${report.interruptedBy})`;
  if (report.preflight && preflightFailed(report.preflight)) return 'preflight failed, nothing was created';
  const counts = countCases(report.files);
  const failed =
    counts.failed > 0 || report.runErrors.length > 0 || report.files.some((f) => f.errors.length > 0);
  if (failed) return 'failed';
  return counts.total === 0 ? 'no cases ran' : 'passed';
}

function fence(text: string): string[] {
  const body =
    text.length > MAX_FAILURE_DETAILS ? `${text.slice(0, MAX_FAILURE_DETAILS)}\n... (truncated)` : text;
  return ['```', body.replace(/```/g, "'''"), '```'];
}

function failureBlock(title: string, failure: FailureReport, diagnostics?: string): string[] {
  return [
    `### ${title}`,
    '',
    ...fence([`${failure.type}: ${failure.message}`, failure.details].filter(Boolean).join('\n\n')),
    '',
    ...(diagnostics ? ['Diagnostics:', '', ...fence(diagnostics), ''] : []),
  ];
}

function preflightSection(report: RunReport): string[] {
  if (!report.preflight) return [];
  return [
    '## Preflight',
    '',
    '| Check | Result | Detail |',
    '|---|---|---|',
    ...report.preflight.map((check) => `| ${cell(check.name)} | ${check.status} | ${cell(check.detail)} |`),
    '',
  ];
}

export function renderSummary(report: RunReport): string {
  const counts = countCases(report.files);
  const lines: string[] = [
    `# Pod Identity conformance: ${outcome(report)}`,
    '',
    '| | |',
    '|---|---|',
    `| Target | ${cell(report.target)} |`,
    `| Cluster | ${cell(report.cluster ?? '-')} |`,
    `| Region | ${cell(report.region ?? '-')} |`,
    `| Run id | ${cell(report.runId)} |`,
    `| Started | ${report.startedAt.toISOString()} |`,
    `| Duration | ${duration(report.durationMs)} |`,
    '',
    ...preflightSection(report),
    `**Totals:** ${counts.total} cases: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts['not run']} not run`,
    '',
    '## Cases',
    '',
    '| File | Case | Status | Duration | Note |',
    '|---|---|---|---|---|',
  ];
  for (const file of report.files) {
    for (const testCase of file.cases) {
      const note = [...testCase.notes, ...(testCase.reason ? [testCase.reason] : [])].join('; ');
      const failure = testCase.failure ? testCase.failure.message.split('\n')[0] : '';
      lines.push(
        `| ${cell(file.name)} | ${cell(testCase.name)} | ${testCase.status} | ${duration(testCase.durationMs)} | ${cell([note, failure].filter(Boolean).join('; '))} |`,
      );
    }
    for (const error of file.errors) {
      lines.push(
        `| ${cell(file.name)} | (file) | failed | - | ${cell(error.message.split('\n')[0] ?? '')} |`,
      );
    }
  }
  lines.push('');

  const failures = report.files.flatMap((file) => [
    ...file.cases.flatMap((c) =>
      c.failure ? failureBlock(`${file.name}${NAME_SEPARATOR}${c.name}`, c.failure, c.diagnostics) : [],
    ),
    ...file.errors.flatMap((error) => failureBlock(`${file.name} (file)`, error)),
  ]);
  const runErrors = report.runErrors.flatMap((error) => failureBlock('Outside any file', error));
  if (failures.length + runErrors.length > 0) lines.push('## Failures', '', ...failures, ...runErrors);

  if (report.kept) {
    lines.push('## Kept resources', '');
    if (report.kept.length === 0) lines.push('Run with --keep: nothing was left to keep.', '');
    else {
      lines.push(
        `Run with --keep: these were not deleted; ${leftoverHint(report)}.`,
        '',
        '| Kind | Reference | Created |',
        '|---|---|---|',
        ...report.kept.map((r) => `| ${cell(r.kind)} | ${cell(describeRef(r))} | ${r.at} |`),
        '',
      );
    }
  }

  if (report.teardown.length > 0) {
    const reason = report.interruptedBy ? `after ${report.interruptedBy}` : 'after the run';
    lines.push(
      '## Teardown',
      '',
      `Deleted ${reason}, from the run ledger (resources the cases had not removed themselves):`,
      '',
      '| Kind | Reference | Result |',
      '|---|---|---|',
      ...report.teardown.map(
        (t) =>
          `| ${cell(t.record.kind)} | ${cell(describeRef(t.record))} | ${t.ok ? 'deleted' : cell(`not deleted: ${t.error ?? 'unknown error'}`)} |`,
      ),
      '',
    );
  } else if (report.interruptedBy && !report.kept) {
    lines.push(
      '## Teardown',
      '',
      `Nothing was left to delete after ${report.interruptedBy}: the run ledger lists every resource of the run as deleted (the suite files removed what they had created).`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
