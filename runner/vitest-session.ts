// Starts vitest through its Node API with the conformance configuration (vitest.config.ts), either to
// list the selected suites' cases without running them, or to run them with the resolved target handed
// to the tests (inject('target')).

import type { CancelReason, SerializedError } from 'vitest';
import {
  type CliOptions,
  createVitest,
  type Reporter,
  type TestModule,
  type TestRunEndReason,
  type Vitest,
} from 'vitest/node';
import type { TargetInfo } from '../targets/target.ts';
import { conformanceTestConfig } from '../vitest.config.ts';
import { TIMED_OUT, within } from './deadline.ts';
import { STOP_SIGNALS } from './interrupts.ts';
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
}

export interface VitestOutput {
  stdout: OutputStream;
  stderr: OutputStream;
}

/** How long a cancelled run may take to stop before teardown goes ahead without it. */
const CANCEL_GRACE_MS = 10_000;
/** How long vitest may take to close (stop its workers): after an interrupt, and after a normal end. */
const CLOSE_TIMEOUT_MS = { interrupted: 5_000, ended: 30_000 };

async function openVitest(
  selection: SuiteSelection,
  output: VitestOutput,
  extra: { reporters: Array<Reporter | 'default'>; provide?: { target: TargetInfo } },
): Promise<Vitest> {
  const before = new Map(STOP_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const options: CliOptions = {
    config: false,
    root: selection.packageRoot,
    ...conformanceTestConfig({ suites: selection.suites, parallelFiles: selection.parallelFiles }),
    reporters: extra.reporters,
    ...(extra.provide ? { provide: extra.provide } : {}),
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
}

export async function runSuites(
  selection: SuiteSelection,
  output: VitestOutput,
  options: { info: TargetInfo; abortSignal: AbortSignal },
): Promise<SuiteRunOutcome> {
  const recorder = new RunRecorder();
  const vitest = await openVitest(selection, output, {
    reporters: ['default', recorder],
    provide: { target: options.info },
  });
  let ended: { abandoned: boolean; noTestFiles: boolean } = { abandoned: false, noTestFiles: false };
  let closeTimedOut = false;
  try {
    if (!options.abortSignal.aborted) ended = await startAndWait(vitest, selection, options.abortSignal);
  } finally {
    // close() waits for the run: when it would not stop, leave it to die with the process. A worker
    // that died mid-start can keep close() waiting too: it is bounded.
    if (!ended.abandoned) {
      const bound = options.abortSignal.aborted ? CLOSE_TIMEOUT_MS.interrupted : CLOSE_TIMEOUT_MS.ended;
      closeTimedOut = (await within(vitest.close(), bound)) === TIMED_OUT;
    }
  }
  return {
    modules: [...recorder.modules.values()],
    unhandledErrors: recorder.unhandledErrors,
    ...ended,
    closeTimedOut,
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
