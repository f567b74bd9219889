// The conformance run, end to end: parse and check the input (exit 2 before anything starts), resolve
// the target, run the selected suites in vitest, delete what the run ledger still lists, close the
// target, write junit.xml and summary.md. `scripts/conformance.ts` calls it with the real dependencies;
// the runner's own tests call it with a fake target and fixture suites.

import { appendFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { type LedgerRecord, ledgerPathFor, RunLedger } from '../helpers/ledger.ts';
import { redact, registerSecret } from '../helpers/redact.ts';
import { newRunId } from '../helpers/run-id.ts';
import {
  defaultPodClients,
  isClientCase,
  pinnedClientProblem,
  podClientMatrixLines,
} from '../suite-api/pinned-clients.ts';
import { clientContainers } from '../targets/eks/client-images.ts';
import type { TargetFactory } from '../targets/index.ts';
import type { PreflightCheck, Target, TargetName } from '../targets/target.ts';
import { caseCachePath, rememberCases, rememberedCases } from './case-cache.ts';
import { helpText, parseCommandLine } from './cli.ts';
import { TIMED_OUT, within } from './deadline.ts';
import { ConfigurationError, isUserFacingError, TargetStartError, UsageError } from './errors.ts';
import { InterruptHandler, SIGNAL_EXIT_CODES, type SignalSource } from './interrupts.ts';
import { type LeftoverScope, leftoverHint, leftoverScope } from './janitor-hint.ts';
import { renderJunit } from './junit.ts';
import { DEFAULT_PARALLEL_FILES } from './options.ts';
import { filesWallMs, type RunPhaseTimes } from './phases.ts';
import { PreflightError, preflightLine } from './preflight.ts';
import { type OutputStream, redactingStream } from './redacting-stream.ts';
import { checkReportDirUsable, createReportDir } from './report-dir.ts';
import {
  caseName,
  countCases,
  type FileReport,
  type RunReport,
  runFailed,
  summarizeError,
  summarizeFiles,
  unstartedFiles,
} from './results.ts';
import { applyRunControls } from './run-controls.ts';
import { type RunSettings, resolveSettings } from './settings.ts';
import { findSuites, resolveSuiteFiles } from './suites.ts';
import { renderSummary } from './summary.ts';
import type { OutstandingTeardown, TeardownResult } from './teardown.ts';
// vitest itself is loaded only to list or run: bad input and --help answer without it.
import type { SuiteRunOutcome, SuiteSelection } from './vitest-session.ts';

export const EXIT_PASSED = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface RunnerDeps {
  targets: Record<TargetName, TargetFactory>;
  /** Folder with one folder per bundled suite (--suites-dir adds more). */
  suitesRoot: string;
  /** vitest's root: the package folder. */
  packageRoot: string;
  /** Deletes what the ledger still lists after the run and on a signal. */
  teardown: OutstandingTeardown;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Where SIGINT/SIGTERM come from (the process). */
  signals: SignalSource;
  /** Ends the process at once: the third signal. */
  forceExit: (code: number) => void;
}

const PREFIX = 'pod-identity-conformance:';

export async function runConformance(argv: readonly string[], deps: RunnerDeps): Promise<number> {
  const warn = (line: string) => deps.stderr.write(`${redact(line)}\n`);
  try {
    const commandLine = parseCommandLine(argv);
    if (commandLine.help) {
      const bundled = await findSuites(deps.suitesRoot);
      deps.stdout.write(helpText(bundled.map((suite) => suite.name)));
      return EXIT_PASSED;
    }
    if (commandLine.version) {
      deps.stdout.write(`${await versionLine(deps.packageRoot)}\n`);
      return EXIT_PASSED;
    }
    const suitesIn = (dirs: readonly string[]) => findSuites(deps.suitesRoot, dirs, deps.cwd);
    const settings = await resolveSettings({
      commandLine,
      env: deps.env,
      cwd: deps.cwd,
      availableSuites: async (dirs) => (await suitesIn(dirs)).map((suite) => suite.name),
    });
    const pinnedProblem = pinnedClientProblem(settings.clients, settings.target);
    if (pinnedProblem) throw new UsageError(pinnedProblem);
    const suites = (await suitesIn(settings.suitesDirs ?? [])).filter((suite) =>
      settings.suites.includes(suite.name),
    );
    const selection: SuiteSelection = {
      packageRoot: deps.packageRoot,
      suites,
      parallelFiles: Number(settings.parallel ?? DEFAULT_PARALLEL_FILES),
      ...(settings.files ? { files: await resolveSuiteFiles(suites, settings.files) } : {}),
      ...(settings.casePattern ? { casePattern: settings.casePattern } : {}),
      ...(settings.bail ? { bail: true } : {}),
      podClients:
        settings.clients ??
        defaultPodClients(
          settings.target,
          clientContainers(settings.clientImages).map((c) => c.client),
        ),
    };
    if (commandLine.list) return await listCases(selection, deps);
    await checkReportDirUsable(settings.reportDir);
    return await runSelected(settings, selection, deps, warn);
  } catch (error) {
    if (isUserFacingError(error)) {
      warn(`${PREFIX} ${error.message}`);
      return EXIT_USAGE;
    }
    // A target that would not start is explained by its message; anything else is a bug: show the stack.
    const text =
      error instanceof TargetStartError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    warn(`${PREFIX} ${text}`);
    return EXIT_FAILED;
  }
}

/** `pod-identity-conformance 0.1.0 (5dfef44)`; the commit only when the package is a git checkout. */
async function versionLine(packageRoot: string): Promise<string> {
  const { version, commit } = (await import('./version.ts')).toolInfo(packageRoot);
  return `pod-identity-conformance ${version}${commit ? ` (${commit.slice(0, 7)})` : ''}`;
}

async function listCases(selection: SuiteSelection, deps: RunnerDeps): Promise<number> {
  const { listSuiteCases } = await import('./vitest-session.ts');
  const files = await listSuiteCases(selection, { stdout: deps.stdout, stderr: deps.stderr });
  // A full collection: an interrupted run lists the files it never started from these names.
  await rememberCases(
    caseCachePath(selection.packageRoot),
    files.filter((file) => file.errors.length === 0),
    selection.podClients,
  );
  const lines: string[] = [];
  for (const { name: suite } of selection.suites) {
    const suiteFiles = files.filter((file) => file.path.startsWith(`${suite}/`));
    const caseCount = suiteFiles.reduce((n, file) => n + file.cases.length, 0);
    lines.push(`${suite} (${suiteFiles.length} files, ${caseCount} cases)`);
    for (const file of suiteFiles) {
      lines.push(`  ${file.path}`);
      for (const name of file.cases) lines.push(`    ${name}`);
      for (const error of file.errors) lines.push(`    (could not be collected: ${error})`);
    }
  }
  // The client matrix, when the listed suites have client cases (`… [boto3]`).
  if (files.some((file) => file.cases.some(isClientCase)))
    lines.push(...podClientMatrixLines(selection.podClients));
  deps.stdout.write(`${redact(lines.join('\n'))}\n`);
  return files.some((file) => file.errors.length > 0) ? EXIT_FAILED : EXIT_PASSED;
}

async function runSelected(
  settings: RunSettings,
  selection: SuiteSelection,
  deps: RunnerDeps,
  warn: (line: string) => void,
): Promise<number> {
  const runId = newRunId();
  const startedAt = new Date();
  const scope = leftoverScope(settings, runId);
  const interrupts = new InterruptHandler({
    source: deps.signals,
    runId,
    leftoverHint: leftoverHint(scope),
    warn,
    forceExit: deps.forceExit,
  });
  interrupts.install();
  // Listening until the reports are written: a signal then (npm forwarding a Ctrl-C late, or a second
  // one) must not kill the runner before it has said what happened.
  try {
    let target: Target | undefined;
    let outcome: SuiteRunOutcome = { modules: [], unhandledErrors: [], noTestFiles: false, abandoned: false };
    let teardown: TeardownResult[] = [];
    let kept: LedgerRecord[] | undefined;
    let unstarted: FileReport[] = [];
    // --repeat: the repetitions before the last, as the report shows them (the last is `outcome`).
    const repetitions = Number(settings.repeat ?? 1);
    const earlierRounds: FileReport[][] = [];
    // --bail stopped the run (the last repetition).
    let bailed = false;
    // Time by phase (summary.md): each phase's end minus its start, as it happens.
    const phases: RunPhaseTimes = {
      targetStartMs: 0,
      suiteFilesMs: 0,
      files: [],
      runTeardownMs: 0,
      targetStopMs: 0,
    };
    let phaseStarted = Date.now();
    try {
      try {
        // Interrupted before it started: nothing to start, only the reports to write.
        target = interrupts.signal ? undefined : await startTarget(settings, runId, deps);
        phases.targetStartMs = Date.now() - phaseStarted;
      } catch (error) {
        if (error instanceof PreflightError) {
          await writePreflightReports(error.checks, { settings, runId, startedAt }, deps, warn);
        }
        // A start the interrupt cut short (its Ctrl-C reached a helper process too) is the interrupt:
        // the run reports and exits 130/143 like any other interrupted run.
        if (!interrupts.signal || error instanceof PreflightError) throw error;
        warn(`${PREFIX} the ${settings.target} target did not finish starting: ${(error as Error).message}`);
        target = undefined;
      }
      if (!target) {
        await createReportDir(settings.reportDir);
        unstarted = await casesNeverStarted(selection, outcome, interrupts.signal ?? 'SIGINT');
      } else {
        const { info } = target;
        if (target.preflight) {
          const lines = [`${PREFIX} preflight passed:`, ...target.preflight.map(preflightLine)];
          deps.stdout.write(`${redact(lines.join('\n'))}\n`);
        }
        registerSecret(info.credentials?.secretAccessKey);
        registerSecret(info.credentials?.sessionToken);
        await createReportDir(settings.reportDir);
        const output = {
          stdout: redactingStream(deps.stdout, redact),
          stderr: redactingStream(deps.stderr, redact),
        };
        const earlierErrors: unknown[] = [];
        for (let round = 1; round <= repetitions && !interrupts.signal; round++) {
          if (round > 1) {
            earlierRounds.push(
              summarizeFiles(outcome.modules, selection.suites, redact, undefined, selection.casePattern, {
                packageRoot: deps.packageRoot,
                cwd: deps.cwd,
              }),
            );
            earlierErrors.push(...outcome.unhandledErrors);
          }
          if (repetitions > 1) deps.stdout.write(`${PREFIX} repetition ${round} of ${repetitions}\n`);
          const { runSuites } = await import('./vitest-session.ts');
          // Whatever happens to the run, the ledger's leftovers are still torn down below.
          outcome = await runSuites(selection, output, {
            info,
            abortSignal: interrupts.abortSignal,
            verbose: settings.verbose ?? false,
          }).catch((error: unknown): SuiteRunOutcome => ({ ...NO_OUTCOME, unhandledErrors: [error] }));
          phases.files.push(...(outcome.filePhases ?? []));
          if (outcome.noTestFiles) warn(`${PREFIX} no test files in suite(s) ${settings.suites.join(', ')}`);
          if (outcome.abandoned)
            warn(`${PREFIX} the cancelled run did not stop; tearing down without waiting for it`);
          if (outcome.closeTimedOut)
            warn(`${PREFIX} vitest did not close its workers in time; tearing down without waiting for them`);
          if (outcome.noTestFiles || outcome.abandoned) break;
          // --bail: a case failed, so no more repetitions either.
          bailed = outcome.bailed === true && !interrupts.signal;
          if (bailed) break;
        }
        if (earlierErrors.length > 0)
          outcome = { ...outcome, unhandledErrors: [...earlierErrors, ...outcome.unhandledErrors] };
        if (interrupts.signal) unstarted = await casesNeverStarted(selection, outcome, interrupts.signal);
        else
          await rememberCases(
            caseCachePath(selection.packageRoot),
            collectedFiles(outcome),
            selection.podClients,
          );
        const outstanding = await new RunLedger(
          ledgerPathFor(settings.reportDir, runId),
          runId,
        ).outstanding();
        if (settings.keep) {
          kept = outstanding;
          if (outstanding.length > 0) {
            warn(
              `${PREFIX} --keep: kept ${outstanding.length} resource(s) of run ${runId} (listed in summary.md): ${leftoverHint(scope)}`,
            );
          }
        } else if (outstanding.length > 0) {
          const ledger = new RunLedger(ledgerPathFor(settings.reportDir, runId), runId);
          const bound = interrupts.signal ? INTERRUPTED_TEARDOWN_MS[settings.target] : undefined;
          phaseStarted = Date.now();
          teardown = await deleteOutstanding(deps.teardown, info, outstanding, warn, scope, ledger, bound);
          phases.runTeardownMs = Date.now() - phaseStarted;
        }
      }
    } finally {
      phaseStarted = Date.now();
      if (target) {
        const closing = target.close().catch((error: unknown) => {
          warn(`${PREFIX} closing the ${settings.target} target failed: ${(error as Error).message}`);
        });
        const bound = interrupts.signal ? TARGET_CLOSE_MS.interrupted : TARGET_CLOSE_MS.ended;
        if ((await within(closing, bound)) === TIMED_OUT)
          warn(
            `${PREFIX} the ${settings.target} target did not close within ${bound / 1000} s; exiting without it`,
          );
      }
      phases.targetStopMs = Date.now() - phaseStarted;
    }
    phases.suiteFilesMs = filesWallMs(phases.files);
    const report: RunReport = {
      runId,
      tool: (await import('./version.ts')).toolInfo(deps.packageRoot),
      target: settings.target,
      cluster: target?.info.cluster.name ?? settings.cluster,
      region: target?.info.region ?? settings.region,
      accounts: settings.accounts,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      files: [
        ...summarizeFiles(
          outcome.modules,
          selection.suites,
          redact,
          interrupts.signal,
          selection.casePattern,
          {
            packageRoot: deps.packageRoot,
            cwd: deps.cwd,
          },
        ),
        ...unstarted,
      ].sort((a, b) => a.name.localeCompare(b.name)),
      runErrors: outcome.unhandledErrors
        .filter((error) => !(interrupts.signal && isWorkerStoppedBySignal(error)))
        .map((error) => summarizeError(error, redact)),
      ...(interrupts.signal ? { interruptedBy: interrupts.signal } : {}),
      ...(kept ? { kept } : {}),
      teardown: teardown.map((t) => ({ ...t, ...(t.error ? { error: redact(t.error) } : {}) })),
      ...(target?.preflight ? { preflight: target.preflight } : {}),
      phases,
    };
    // --repeat, --bail, --require-all (run-controls.ts): the repetitions merged into one case each, the
    // verdicts applied; the lines about them and about capability skips go before the result line.
    const controls = applyRunControls([...earlierRounds, report.files], {
      repetitions,
      bail: bailed && !interrupts.signal,
      requireAll: settings.requireAll === true,
    });
    report.files = controls.files;
    for (const line of controls.lines)
      deps.stdout.write(`${redact(line.startsWith(' ') ? line : `${PREFIX} ${line}`)}\n`);
    await writeReports(report, settings.reportDir, deps, warn);

    if (interrupts.signal) return SIGNAL_EXIT_CODES[interrupts.signal];
    return runFailed(report) ? EXIT_FAILED : EXIT_PASSED;
  } finally {
    interrupts.uninstall();
  }
}

const NO_OUTCOME: SuiteRunOutcome = {
  modules: [],
  unhandledErrors: [],
  noTestFiles: false,
  abandoned: false,
};

/** Files the run collected without a load error, with their case names (for the case cache). */
function collectedFiles(outcome: SuiteRunOutcome) {
  // A --case run collects every case too (the others are skipped), so its names are complete.
  return outcome.modules
    .filter((module) => module.state() !== 'queued' && module.errors().length === 0)
    .map((module) => ({ moduleId: module.moduleId, cases: [...module.children.allTests()].map(caseName) }));
}

/** A Ctrl-C reaches vitest's workers too: that they stopped is the interrupt, not an error of the run. */
function isWorkerStoppedBySignal(error: unknown): boolean {
  const message =
    error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error);
  return /Worker forks emitted error|Worker exited unexpectedly/.test(message);
}

/** After a signal, how long deleting what the ledger lists may take before the run exits without it. */
const INTERRUPTED_TEARDOWN_MS: Record<TargetName, number> = {
  embedded: 15_000,
  localstack: 30_000,
  eks: 180_000,
};
const TARGET_CLOSE_MS = { interrupted: 10_000, ended: 60_000 };
const NOT_STARTED_LISTING_MS = 10_000;

/**
 * The cases of the files an interrupt kept from starting, as `not run`, so that the reports list the
 * whole selection. Collected as --list does (no hook and no case runs); bounded in time.
 */
async function casesNeverStarted(
  selection: SuiteSelection,
  outcome: SuiteRunOutcome,
  signal: string,
): Promise<FileReport[]> {
  const started = new Set(
    outcome.modules.filter((module) => module.state() !== 'queued').map((module) => module.moduleId),
  );
  const { listSuiteCases } = await import('./vitest-session.ts');
  const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  const listing = listSuiteCases(selection, { stdout: quiet(), stderr: quiet() }, { staticParse: true });
  const listed = await within(listing, NOT_STARTED_LISTING_MS).catch((): typeof TIMED_OUT => TIMED_OUT);
  if (listed === TIMED_OUT) return [];
  const cache = caseCachePath(selection.packageRoot);
  const files = await Promise.all(
    listed
      .filter((file) => !started.has(file.moduleId))
      .map(async (file) => ({
        ...file,
        cases: (await rememberedCases(cache, file.moduleId, selection.podClients)) ?? file.cases,
      })),
  );
  return unstartedFiles(files, selection.casePattern, signal);
}

async function startTarget(settings: RunSettings, runId: string, deps: RunnerDeps): Promise<Target> {
  try {
    const target = await deps.targets[settings.target](settings, runId);
    const labels = (settings.namespaceLabels as string[] | undefined) ?? [];
    if (labels.length > 0) target.info.namespaceLabels = Object.fromEntries(labels.map(labelOf));
    return target;
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TargetStartError(`could not start the ${settings.target} target: ${message}`, { cause: error });
  }
}

/** KEY=VALUE, already checked by the option's own check. */
function labelOf(text: string): [string, string] {
  const at = text.indexOf('=');
  return [text.slice(0, at), text.slice(at + 1)];
}

async function deleteOutstanding(
  teardown: OutstandingTeardown,
  info: Target['info'],
  outstanding: LedgerRecord[],
  warn: (line: string) => void,
  scope: LeftoverScope,
  ledger: RunLedger,
  /** After a signal the teardown is bounded: what it has not deleted by then is left to the janitor. */
  boundMs?: number,
): Promise<TeardownResult[]> {
  let results: TeardownResult[];
  try {
    const deleting = teardown(info, outstanding);
    const done = boundMs === undefined ? await deleting : await within(deleting, boundMs);
    if (done === TIMED_OUT) {
      // The ledger knows which deletions were confirmed meanwhile.
      const left = new Set((await ledger.outstanding()).map((record) => record.id));
      const error = `not deleted within ${(boundMs ?? 0) / 1000} s of the interrupt; left to the janitor`;
      results = outstanding.map((record) =>
        left.has(record.id) ? { record, ok: false, error } : { record, ok: true },
      );
    } else {
      results = done;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results = outstanding.map((record) => ({ record, ok: false, error: message }));
  }
  for (const result of results) {
    const what = `${result.record.kind} ${Object.values(result.record.ref).join('/')}`;
    warn(
      `${PREFIX} teardown: ${what} ${result.ok ? 'deleted' : `not deleted: ${result.error ?? 'unknown error'}`}`,
    );
  }
  const failed = results.filter((r) => !r.ok);
  warn(
    `${PREFIX} ${outstanding.length} resource(s) were still listed in the run ledger: ${results.length - failed.length} deleted, ${failed.length} not`,
  );
  if (failed.length > 0) {
    warn(`${PREFIX} what is left: ${leftoverHint(scope)}`);
  }
  return results;
}

/** A failed preflight started and created nothing; its checks still go to junit.xml and summary.md. */
async function writePreflightReports(
  checks: PreflightCheck[],
  run: { settings: RunSettings; runId: string; startedAt: Date },
  deps: RunnerDeps,
  warn: (line: string) => void,
): Promise<void> {
  const { settings, runId, startedAt } = run;
  const report: RunReport = {
    runId,
    tool: (await import('./version.ts')).toolInfo(deps.packageRoot),
    target: settings.target,
    cluster: settings.cluster,
    region: settings.region,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    files: [],
    runErrors: [],
    teardown: [],
    preflight: checks,
    // Nothing ran after the preflight: its time is all there is.
    phases: {
      targetStartMs: Date.now() - startedAt.getTime(),
      suiteFilesMs: 0,
      files: [],
      runTeardownMs: 0,
      targetStopMs: 0,
    },
  };
  try {
    await createReportDir(settings.reportDir);
    const summary = redact(renderSummary(report));
    await writeFile(join(settings.reportDir, 'junit.xml'), redact(renderJunit(report)));
    await writeFile(join(settings.reportDir, 'summary.md'), summary);
    if (deps.env.GITHUB_STEP_SUMMARY) await appendFile(deps.env.GITHUB_STEP_SUMMARY, summary);
  } catch (error) {
    warn(`${PREFIX} could not write the preflight reports (${(error as Error).message})`);
  }
}

async function writeReports(
  report: RunReport,
  reportDir: string,
  deps: RunnerDeps,
  warn: (line: string) => void,
): Promise<void> {
  const summary = redact(renderSummary(report));
  await writeFile(join(reportDir, 'junit.xml'), redact(renderJunit(report)));
  await writeFile(join(reportDir, 'summary.md'), summary);
  const stepSummary = deps.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    await appendFile(stepSummary, summary).catch((error: unknown) => {
      warn(`${PREFIX} could not append to GITHUB_STEP_SUMMARY (${(error as Error).message})`);
    });
  }
  const counts = countCases(report.files);
  const relativeDir = relative(deps.cwd, reportDir);
  const where = relativeDir === '' ? '.' : relativeDir.startsWith('..') ? reportDir : relativeDir;
  const notDeleted = report.teardown.filter((t) => !t.ok).length;
  const teardownFailed = notDeleted > 0 ? `, teardown: ${notDeleted} resource(s) not deleted` : '';
  deps.stdout.write(
    `${PREFIX} run ${report.runId} on ${report.target}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts['not run']} not run${teardownFailed}; reports in ${where}/ (junit.xml, summary.md)\n`,
  );
}
