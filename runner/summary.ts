// summary.md: the run at a glance for people (and for GitHub's job summary): what ran where (tool
// version and commit, target, cluster, region), a row per case with its status, duration and notes,
// totals, failures with their diffs, what --keep kept and what the teardown did (and failed to do).
// Rendered from the redacted RunReport.

import { CAUSES, type CauseId } from '../diagnosis/causes.ts';
import type { LedgerRecord } from '../helpers/ledger.ts';
import { leftoverHint } from './janitor-hint.ts';
import { renderPhaseSection } from './phases.ts';
import { preflightFailed } from './preflight.ts';
import {
  countCases,
  type FailureReport,
  NAME_SEPARATOR,
  type RunReport,
  runFailed,
  teardownFailures,
} from './results.ts';

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
  const failedOtherwise =
    report.runErrors.length > 0 ||
    report.files.some((f) => f.errors.length > 0) ||
    teardownFailures(report).length > 0;
  if (counts.total === 0 && !failedOtherwise) return 'no cases ran';
  return runFailed(report) ? 'failed' : 'passed';
}

function toolRows(report: RunReport): string[] {
  if (!report.tool) return [];
  return [
    `| Version | pod-identity-conformance ${cell(report.tool.version)} |`,
    `| Commit | ${cell(report.tool.commit ?? '- (not a git checkout)')} |`,
  ];
}

function teardownFailureBlock(report: RunReport): string[] {
  const failed = teardownFailures(report);
  if (failed.length === 0) return [];
  const lines = failed.map((t) => `${t.record.kind} ${describeRef(t.record)}: ${t.error ?? 'unknown error'}`);
  return failureBlock('teardown', {
    type: 'TeardownFailure',
    message: `${failed.length} of ${report.teardown.length} resource(s) still listed in the run ledger were not deleted`,
    details: [...lines, '', `What is left: ${leftoverHint(report)}`].join('\n'),
  });
}

/** `; teardown: 2 resource(s) not deleted` when the teardown failed. */
function teardownTotal(report: RunReport): string {
  const failed = teardownFailures(report).length;
  return failed > 0 ? `; teardown: ${failed} resource(s) not deleted` : '';
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

/**
 * Failed cases grouped by the cause the suite recognised, each cause with its fix once: what a reader of a
 * failed run needs first. Failures without a recognised cause are counted, pointing at the details.
 */
function likelyCausesSection(report: RunReport): string[] {
  const byCause = new Map<CauseId, string[]>();
  let undiagnosed = 0;
  for (const file of report.files) {
    for (const testCase of file.cases) {
      if (testCase.status !== 'failed') continue;
      if (!testCase.cause) {
        undiagnosed++;
        continue;
      }
      const cases = byCause.get(testCase.cause) ?? [];
      cases.push(`${file.name}${NAME_SEPARATOR}${testCase.name}`);
      byCause.set(testCase.cause, cases);
    }
  }
  if (byCause.size === 0) return [];
  const lines = ['## Likely causes', ''];
  for (const [cause, cases] of byCause) {
    lines.push(`### ${CAUSES[cause].title}`, '', `**Fix:** ${CAUSES[cause].fix}`, '');
    lines.push(...cases.map((name) => `- ${name}`), '');
  }
  if (undiagnosed > 0)
    lines.push(`${undiagnosed} other failed case(s) had no recognised cause: see Failures below.`, '');
  return lines;
}

export function renderSummary(report: RunReport): string {
  const counts = countCases(report.files);
  const lines: string[] = [
    `# Pod Identity conformance: ${outcome(report)}`,
    '',
    ...likelyCausesSection(report),
    '| | |',
    '|---|---|',
    ...toolRows(report),
    `| Target | ${cell(report.target)} |`,
    `| Cluster | ${cell(report.cluster ?? '-')} |`,
    `| Region | ${cell(report.region ?? '-')} |`,
    `| Run id | ${cell(report.runId)} |`,
    `| Started | ${report.startedAt.toISOString()} |`,
    `| Duration | ${duration(report.durationMs)} |`,
    '',
    ...preflightSection(report),
    `**Totals:** ${counts.total} cases: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts['not run']} not run${teardownTotal(report)}`,
    '',
    ...(report.phases ? renderPhaseSection(report.phases, report.target) : []),
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
  const teardown = teardownFailureBlock(report);
  if (failures.length + runErrors.length + teardown.length > 0)
    lines.push('## Failures', '', ...failures, ...runErrors, ...teardown);

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
    const failed = teardownFailures(report).length;
    if (failed > 0) {
      lines.push(
        `**${failed} resource(s) were not deleted**${report.interruptedBy ? '' : ', so the run failed'}; ${leftoverHint(report)}.`,
        '',
      );
    }
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
