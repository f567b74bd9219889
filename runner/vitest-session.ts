// Starts vitest through its Node API with the conformance configuration (vitest.config.ts), either to
// list the selected suites' cases without running them, or to run them with the resolved target handed
// to the tests (inject('target')).

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CancelReason, SerializedError } from 'vitest';
import {
  type CliOptions,
  createVitest,
  type Reporter,
  type TestCase,
  type TestModule,
  type TestRunEndReason,
  type Vitest,
} from 'vitest/node';
import { ledgerPathFor } from '../helpers/ledger.ts';
import type { TargetInfo } from '../targets/target.ts';
import { conformanceTestConfig } from '../vitest.config.ts';
import { bailMarkerPath } from './bail.ts';
import { TIMED_OUT, within } from './deadline.ts';
import { STOP_SIGNALS } from './interrupts.ts';
import type { FilePhaseTimes } from './phases.ts';
import { ProgressReporter } from './progress.ts';
import type { OutputStream } from './redacting-stream.ts';
import { caseName } from './results.ts';
import { type SuiteFolder, suiteFileOf } from './suites.ts';

export interface SuiteSelection {
  /** Package root: vitest's root (module resolution, cache). */
  packageRoot: string;
  suites: readonly SuiteFolder[];
  /** How many files run at once. */
  parallelFiles?: number;
  /** Only these files (absolute paths, --file); default: every file of the suites. */
  files?: readonly string[];
  /** Only the cases whose full name matches (--case, vitest's testNamePattern). */
  casePattern?: string;
  /**
   * --bail: after the first failed case no suite and no case starts (bail-runner.ts); the cases running
   * then finish, and the started suites' afterAll hooks run. Ignored when listing.
   */
  bail?: boolean;
  /** --client: the in-pod clients the suites make their client cases for; default: the target's. */
  podClients?: readonly string[];
}

/** The vitest workers' test runner under --bail. */
const BAIL_RUNNER = fileURLToPath(new URL('./bail-runner.ts', import.meta.url));

export interface VitestOutput {
  stdout: OutputStream;
  stderr: OutputStream;
}

/** How long a cancelled run may take to stop before teardown goes ahead without it. */
const CANCEL_GRACE_MS = 8_000;
/** How long vitest may take to close (stop its workers): after an interrupt, and after a normal end. */
const CLOSE_TIMEOUT_MS = { interrupted: 5_000, ended: 30_000 };

async function openVitest(
  selection: SuiteSelection,
  output: VitestOutput,
  extra: { reporters: Array<Reporter | string>; provide?: { target: TargetInfo } },
): Promise<Vitest> {
  const before = new Map(STOP_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const options: CliOptions = {
    config: false,
    root: selection.packageRoot,
    ...conformanceTestConfig({
      suites: selection.suites,
      parallelFiles: selection.parallelFiles,
      ...(selection.bail ? { testRunner: BAIL_RUNNER } : {}),
    }),
    reporters: extra.reporters,
    ...(extra.provide || selection.podClients
      ? {
          provide: {
            ...extra.provide,
            ...(selection.podClients ? { podClients: [...selection.podClients] } : {}),
          },
        }
      : {}),
    ...(selection.casePattern ? { testNamePattern: selection.casePattern } : {}),
  };
  const vitest = await createVitest(options, {}, { stdout: output.stdout, stderr: output.stderr });
  // vitest's logger exits the process 1 ms after SIGINT/SIGTERM; the runner must tear down first, so
  // the listeners vitest added are taken off again (the runner's own InterruptHandler stays).
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener as (...args: unknown[]) => void);
    }
  }
  return vitest;
}

export interface ListedFile {
  /** The file's absolute path (vitest's module id). */
  moduleId: string;
  suite: string;
  /** `<suite>/<file>`, e.g. pod-identity/credentials.test.ts. */
  path: string;
  /** Case names, describe › it. */
  cases: string[];
  /** Why the file could not be collected. */
  errors: string[];
}

/**
 * Collects the selected suites' cases. vitest imports each file and runs its describe blocks to learn
 * the case names (loops and it.each included), but runs no hook and no case; suite files create nothing
 * at import time, and no target is provided.
 */
export async function listSuiteCases(
  selection: SuiteSelection,
  output: VitestOutput,
  /** Read the files' source instead of importing them: fast, but names built at run time stay templates. */
  { staticParse = false }: { staticParse?: boolean } = {},
): Promise<ListedFile[]> {
  const vitest = await openVitest(selection, output, { reporters: [] });
  try {
    const result = await vitest.collect([...(selection.files ?? [])], { staticParse });
    return result.testModules
      .map((module) => ({
        moduleId: module.moduleId,
        suite: suiteFileOf(selection.suites, module.moduleId)?.suite ?? '',
        path: suiteFileOf(selection.suites, module.moduleId)?.path ?? module.moduleId,
        cases: [...module.children.allTests()].map(caseName),
        errors: module.errors().map((error) => error.message.split('\n')[0] ?? 'unknown error'),
      }))
      .sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await vitest.close();
  }
}

/** Keeps every module vitest reports on, so an interrupted run still reports what finished. */
class RunRecorder implements Reporter {
  readonly modules = new Map<string, TestModule>();
  unhandledErrors: ReadonlyArray<SerializedError> = [];
  endReason: TestRunEndReason | undefined;
  /** --bail: written at the first failure, the workers start nothing more (bail-runner.ts). */
  readonly bailMarker: string | undefined;
  bailed = false;

  constructor(bailMarker?: string) {
    this.bailMarker = bailMarker;
  }

  #bail(): void {
    if (this.bailMarker === undefined || this.bailed) return;
    this.bailed = true;
    // Synchronously: a worker about to start its next case must see it.
    writeFileSync(this.bailMarker, '');
  }

  onTestCaseResult(testCase: TestCase): void {
    if (testCase.result().state === 'failed') this.#bail();
  }

  onTestModuleEnd(module: TestModule): void {
    // A file that would not load, or a failed beforeAll/afterAll: the module failed without a failed case.
    if (module.state() === 'failed') this.#bail();
  }

  onTestModuleQueued(module: TestModule): void {
    this.modules.set(module.moduleId, module);
  }

  onTestModuleCollected(module: TestModule): void {
    this.modules.set(module.moduleId, module);
  }

  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    for (const module of modules) this.modules.set(module.moduleId, module);
    this.unhandledErrors = unhandledErrors;
    this.endReason = reason;
  }
}

export interface SuiteRunOutcome {
  modules: TestModule[];
  unhandledErrors: ReadonlyArray<unknown>;
  /** No test file matched the selection. */
  noTestFiles: boolean;
  /** The run was cancelled but did not stop within the grace period. */
  abandoned: boolean;
  /** vitest did not close within its bound (its workers are left to end with the process). */
  closeTimedOut?: boolean;
  /** --bail stopped the run: a case (or a file) failed, and nothing started after it. */
  bailed?: boolean;
  /** Each file's set-up, cases and teardown times (summary.md's time by phase). */
  filePhases?: FilePhaseTimes[];
}

export async function runSuites(
  selection: SuiteSelection,
  output: VitestOutput,
  options: { info: TargetInfo; abortSignal: AbortSignal; verbose?: boolean },
): Promise<SuiteRunOutcome> {
  const recorder = new RunRecorder(
    selection.bail ? bailMarkerPath(options.info.reportDir, options.info.runId) : undefined,
  );
  // The workers (forked after this) append their waits here; the progress reporter reads it.
  const progressPath = join(options.info.reportDir, `progress-${options.info.runId}.jsonl`);
  process.env.PIC_PROGRESS_FILE = progressPath;
  const progress = new ProgressReporter({
    ledgerPath: ledgerPathFor(options.info.reportDir, options.info.runId),
    progressPath,
    tty: Boolean((output.stdout as { isTTY?: boolean }).isTTY),
    verbose: options.verbose ?? false,
    fileName: (moduleId) => suiteFileOf(selection.suites, moduleId)?.path ?? moduleId,
    write: (line) => output.stdout.write(`${line}\n`),
  });
  const vitest = await openVitest(selection, output, {
    reporters: [
      'default',
      recorder,
      progress,
      // On GitHub Actions, vitest's `github-actions` reporter: an `::error` annotation per failed case,
      // at the line that failed. Not its job summary (summary.md is appended to GITHUB_STEP_SUMMARY)
      // nor a notice per case note (noteForReport), which would bury the errors.
      ...(process.env.GITHUB_ACTIONS === 'true'
        ? [
            new (await import('vitest/node')).GithubActionsReporter({
              displayAnnotations: false,
              jobSummary: { enabled: false },
            }),
          ]
        : []),
    ],
    provide: { target: options.info },
  });
  let ended: { abandoned: boolean; noTestFiles: boolean } = { abandoned: false, noTestFiles: false };
  let closeTimedOut = false;
  try {
    if (!options.abortSignal.aborted) ended = await startAndWait(vitest, selection, options.abortSignal);
  } finally {
    // close() stops the workers, so that none still creates or uses a resource while the teardown
    // deletes (also when the cancelled run would not stop); a worker that died mid-start can keep
    // close() waiting: it is bounded, and what it leaves dies with the process.
    const bound = options.abortSignal.aborted ? CLOSE_TIMEOUT_MS.interrupted : CLOSE_TIMEOUT_MS.ended;
    closeTimedOut = (await within(vitest.close(), bound)) === TIMED_OUT;
    if (recorder.bailMarker) rmSync(recorder.bailMarker, { force: true });
  }
  return {
    modules: [...recorder.modules.values()],
    unhandledErrors: recorder.unhandledErrors,
    ...ended,
    closeTimedOut,
    ...(recorder.bailed ? { bailed: true } : {}),
    filePhases: progress.filePhases(),
  };
}

/** Runs the selection; on abort, cancels the run and gives it CANCEL_GRACE_MS to stop. */
async function startAndWait(
  vitest: Vitest,
  selection: SuiteSelection,
  abortSignal: AbortSignal,
): Promise<{ abandoned: boolean; noTestFiles: boolean }> {
  // Cancelling stops the running cases; close() then stops the worker processes, so no worker is
  // still creating a resource while the teardown deletes.
  let graceTimer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const gaveUp = new Promise<'gave-up'>((resolve) => {
    onAbort = () => {
      void vitest.cancelCurrentRun('interrupted' as CancelReason);
      graceTimer = setTimeout(() => resolve('gave-up'), CANCEL_GRACE_MS);
      graceTimer.unref();
    };
    abortSignal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const ended = await Promise.race([vitest.start([...(selection.files ?? [])]), gaveUp]);
    return { abandoned: ended === 'gave-up', noTestFiles: false };
  } catch (error) {
    if ((error as { code?: string }).code === 'VITEST_FILES_NOT_FOUND')
      return { abandoned: false, noTestFiles: true };
    if (!abortSignal.aborted) throw error;
    return { abandoned: false, noTestFiles: false };
  } finally {
    abortSignal.removeEventListener('abort', onAbort);
    clearTimeout(graceTimer);
  }
}
