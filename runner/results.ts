// The run's outcome as plain data, converted once from vitest's reported tasks, with every string
// already redacted. junit.xml and summary.md are both rendered from this model.

import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { SerializedError, TestCase, TestModule, TestSuite } from 'vitest/node';
import { type CauseId, causeOf } from '../diagnosis/causes.ts';
import type { LedgerRecord } from '../helpers/ledger.ts';
import type { PreflightCheck, TargetName } from '../targets/target.ts';
import type { RunPhaseTimes } from './phases.ts';
import { type SuiteFolder, suiteFileOf } from './suites.ts';
import type { TeardownResult } from './teardown.ts';
import type { ToolInfo } from './version.ts';

export type CaseStatus = 'passed' | 'failed' | 'skipped' | 'not run';

export interface FailureReport {
  /** Error class, e.g. AssertionError. */
  type: string;
  message: string;
  /** Diff and stack. */
  details: string;
}

export interface CaseReport {
  /** Readable name: describe › it. */
  name: string;
  status: CaseStatus;
  durationMs: number;
  notes: string[];
  /** Why it was skipped or not run. */
  reason?: string;
  failure?: FailureReport;
  /** What the suite gathered when the case failed (pod status, events, env names), for the reader. */
  diagnostics?: string;
  /** The cause the suite recognised in the failure (a DiagnosedFailure), for "Likely causes". */
  cause?: CauseId;
}

export interface FileReport {
  suite: string;
  /** `<suite>/<file without .test.ts>`, e.g. pod-identity/credentials. */
  name: string;
  /** Path relative to the suites folder: `<suite>/<file>.test.ts`. */
  path: string;
  /**
   * The file as the reports point at it (junit.xml's `file`): relative to the package root
   * (`suites/pod-identity/credentials.test.ts`), else to the working directory, else absolute.
   */
  file?: string;
  durationMs: number;
  cases: CaseReport[];
  /** Errors outside any case: the file failed to load, a hook failed. */
  errors: FailureReport[];
}

export interface RunReport {
  runId: string;
  /** The tool's version and, from a git checkout, its commit. */
  tool?: ToolInfo;
  target: TargetName;
  cluster?: string;
  region?: string;
  /** Accounts the run was allowed to use (--account), repeated in the janitor hint. */
  accounts?: readonly string[];
  startedAt: Date;
  durationMs: number;
  files: FileReport[];
  /** Errors vitest could not attribute to a file. */
  runErrors: FailureReport[];
  interruptedBy?: NodeJS.Signals;
  /** What --keep left in place; undefined without --keep. */
  kept?: LedgerRecord[];
  /** Results of deleting what the ledger still listed after the run or on a signal. */
  teardown: TeardownResult[];
  /** The target's checks before anything was created (eks), when it made any. */
  preflight?: PreflightCheck[];
  /** Where the time went: target start, the files' provisioning, cases and teardown, target stop. */
  phases?: RunPhaseTimes;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Pod status, events and env names a suite gathered when the case failed (suite-api/suite-run.ts). */
    podDiagnostics?: string;
  }
}

export const NAME_SEPARATOR = ' › ';

/** Where the reports' file paths are relative to. */
export interface ReportRoots {
  /** The package root: the repository root of a checkout. */
  packageRoot: string;
  cwd: string;
}

/** This package's root and the process's working directory. */
function defaultRoots(): ReportRoots {
  return { packageRoot: fileURLToPath(new URL('..', import.meta.url)), cwd: process.cwd() };
}

/**
 * A suite file's path as the reports show it: relative to the package root when it is inside it (the
 * bundled suites: `suites/pod-identity/credentials.test.ts`), else relative to the working directory
 * when inside that (a --suites-dir of the project that runs the tool), else absolute. Always `/`.
 */
export function reportedFilePath(absolutePath: string, roots: ReportRoots = defaultRoots()): string {
  const inside = (root: string) => {
    const path = relative(root, absolutePath);
    return path !== '' && !path.startsWith('..') && !isAbsolute(path) ? path : undefined;
  };
  const path = inside(roots.packageRoot) ?? inside(roots.cwd) ?? absolutePath;
  return path.split(sep).join('/');
}

/** The note vitest gives a case it cancelled (it reports such a case as skipped). */
const VITEST_CANCELLED_NOTE = /^The test run was aborted/;

export function summarizeFiles(
  modules: Iterable<TestModule>,
  suites: readonly SuiteFolder[],
  clean: (text: string) => string,
  interruptedBy: string | undefined,
  /** The run's --case pattern: cases it leaves out are skipped for that reason. */
  casePattern?: string,
  roots: ReportRoots = defaultRoots(),
): FileReport[] {
  const selected = casePattern ? new RegExp(casePattern) : undefined;
  const files: FileReport[] = [];
  for (const module of modules) {
    // Queued files never started (the run was interrupted first): nothing to say about their cases.
    if (module.state() === 'queued') continue;
    const { suite, path } = suiteFileOf(suites, module.moduleId) ?? {
      suite: basename(dirname(module.moduleId)),
      path: module.moduleId,
    };
    const cases = [...module.children.allTests()].map((test) =>
      summarizeCase(test, clean, interruptedBy, selected),
    );
    files.push({
      suite,
      name: clean(path.replace(/\.test\.ts$/, '')),
      path: clean(path),
      file: clean(reportedFilePath(module.moduleId, roots)),
      durationMs: module.diagnostic().duration,
      cases,
      // A failed beforeAll/afterAll of a describe block is that suite's error, not the module's.
      errors: [module, ...module.children.allSuites()]
        .flatMap((part) => part.errors())
        .map((error) => summarizeError(error, clean)),
    });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** Files an interrupt kept from starting, listed from their source: every case `not run`. */
export function unstartedFiles(
  /** moduleId: the file's absolute path, when known. */
  files: ReadonlyArray<{ suite: string; path: string; cases: string[]; moduleId?: string }>,
  casePattern: string | undefined,
  interruptedBy: string,
  roots: ReportRoots = defaultRoots(),
): FileReport[] {
  const selected = casePattern ? new RegExp(casePattern) : undefined;
  return files.map((file) => ({
    suite: file.suite,
    name: file.path.replace(/\.test\.ts$/, ''),
    path: file.path,
    ...(file.moduleId ? { file: reportedFilePath(file.moduleId, roots) } : {}),
    durationMs: 0,
    cases: file.cases.map((name): CaseReport => {
      // vitest matches --case against the names joined with spaces.
      if (selected && !selected.test(name.split(NAME_SEPARATOR).join(' '))) {
        return {
          name,
          status: 'skipped',
          durationMs: 0,
          notes: [],
          reason: `not selected by --case ${casePattern}`,
        };
      }
      return {
        name,
        status: 'not run',
        durationMs: 0,
        notes: [],
        reason: `interrupted by ${interruptedBy} before its file started`,
      };
    }),
    errors: [],
  }));
}

function summarizeCase(
  test: TestCase,
  clean: (text: string) => string,
  interruptedBy: string | undefined,
  selected: RegExp | undefined,
): CaseReport {
  const interrupted = `interrupted by ${interruptedBy} before it finished`;
  const result = test.result();
  // Every annotation is a note for the reader: noteForReport() writes them, and so may ctx.annotate().
  const notes = test.annotations().map((annotation) => clean(annotation.message));
  const base = { name: clean(caseName(test)), durationMs: test.diagnostic()?.duration ?? 0, notes };
  switch (result.state) {
    case 'passed':
      return { ...base, status: 'passed' };
    case 'failed': {
      const [first, ...rest] = result.errors.map((error) => summarizeError(error, clean));
      const failure = first ?? { type: 'Error', message: 'failed without an error', details: '' };
      const more = rest.map((error) => `${error.type}: ${error.message}\n${error.details}`).join('\n');
      const diagnostics = test.meta().podDiagnostics;
      const cause = result.errors.map(causeOf).find(Boolean);
      return {
        ...base,
        status: 'failed',
        failure: { ...failure, details: [failure.details, more].filter(Boolean).join('\n') },
        ...(typeof diagnostics === 'string' && diagnostics !== '' ? { diagnostics: clean(diagnostics) } : {}),
        ...(cause ? { cause } : {}),
      };
    }
    case 'skipped': {
      const cancelled = result.note === undefined || VITEST_CANCELLED_NOTE.test(result.note);
      if (interruptedBy && test.options.mode === 'run' && cancelled) {
        return { ...base, status: 'not run', reason: interrupted };
      }
      // vitest skips the cases of a describe block whose beforeAll failed: they failed to run. (A case
      // that skipped itself has started, so it has diagnostics.)
      const neverStarted = test.options.mode === 'run' && result.note === undefined && !test.diagnostic();
      const setUp = neverStarted ? failedSetUp(test) : undefined;
      if (setUp) {
        const error = summarizeError(setUp, clean);
        const cause = causeOf(setUp);
        return {
          ...base,
          status: 'failed',
          failure: { ...error, message: `its set-up (beforeAll) failed: ${error.message}` },
          ...(cause ? { cause } : {}),
        };
      }
      if (selected && test.options.mode === 'skip' && !selected.test(test.fullName)) {
        return { ...base, status: 'skipped', reason: clean(`not selected by --case ${selected.source}`) };
      }
      return {
        ...base,
        status: 'skipped',
        reason: clean(result.note ?? skipReasonFromMode(test.options.mode)),
      };
    }
    default:
      return { ...base, status: 'not run', reason: interruptedBy ? interrupted : 'the run ended before it' };
  }
}

/** The first error of the case's enclosing describe blocks or module: a hook of theirs failed. */
function failedSetUp(test: TestCase): SerializedError | undefined {
  for (let parent: TestSuite | TestModule = test.parent; ; parent = parent.parent) {
    const [error] = parent.errors();
    if (error) return error;
    if (parent.type === 'module') return undefined;
  }
}

function skipReasonFromMode(mode: TestCase['options']['mode']): string {
  if (mode === 'todo') return 'todo';
  if (mode === 'skip') return 'skipped in the suite (it.skip or skipIf)';
  return 'skipped';
}

/** describe › nested describe › it */
export function caseName(test: TestCase): string {
  const names = [test.name];
  let parent = test.parent;
  while (parent.type === 'suite') {
    names.unshift(parent.name);
    parent = parent.parent;
  }
  return names.join(NAME_SEPARATOR);
}

export function summarizeError(
  error: SerializedError | unknown,
  clean: (text: string) => string,
): FailureReport {
  const e = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as SerializedError & {
    diff?: unknown;
  };
  const plain = (text: unknown) => (typeof text === 'string' ? clean(stripVTControlCharacters(text)) : '');
  const details = [plain(e.diff), suiteFrames(plain(e.stack))].filter((part) => part !== '').join('\n\n');
  return { type: plain(e.name) || 'Error', message: plain(e.message) || 'unknown error', details };
}

/** The stack's frames without vitest's and Node's own: what is left points into the suites and helpers. */
function suiteFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line) && !/\/node_modules\/|node:internal|\(<anonymous>\)/.test(line))
    .join('\n');
}

export function countCases(files: readonly FileReport[]): Record<CaseStatus, number> & { total: number } {
  const counts = { passed: 0, failed: 0, skipped: 0, 'not run': 0, total: 0 };
  for (const file of files) {
    for (const c of file.cases) {
      counts[c.status]++;
      counts.total++;
    }
  }
  return counts;
}

/** What the teardown after the run (or after a signal) could not delete. */
export function teardownFailures(report: Pick<RunReport, 'teardown'>): TeardownResult[] {
  return report.teardown.filter((result) => !result.ok);
}

/**
 * Exit code 1 when anything failed, the teardown left resources behind, or nothing ran; the caller
 * handles signals and usage errors.
 */
export function runFailed(report: RunReport): boolean {
  const counts = countCases(report.files);
  const fileErrors = report.files.some((file) => file.errors.length > 0);
  return (
    counts.failed > 0 ||
    fileErrors ||
    report.runErrors.length > 0 ||
    teardownFailures(report).length > 0 ||
    counts.total === 0
  );
}
