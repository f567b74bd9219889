// What --repeat, --bail and --require-all do to the reported cases, and the console's closing lines
// about them and about the cases a missing capability skipped. Plain functions over the report's
// FileReports (results.ts): the renderers see ordinary cases, the repetitions told in their notes.

import { BAIL_NOTE } from './bail.ts';
import type { CaseReport, CaseStatus, FileReport } from './results.ts';
import { NAME_SEPARATOR } from './results.ts';

/** A case that passed in some repetitions and failed in others. */
export interface FlakyCase {
  /** `<file> › <case>`: pod-identity/credentials › a pod gets its role. */
  name: string;
  /** 1-based repetitions it failed in. */
  failedIn: number[];
  repetitions: number;
}

export interface RunControls {
  /** --repeat N (1 when not repeated). */
  repetitions: number;
  /** --bail stopped the run (set only when no signal did). */
  bail: boolean;
  /** --require-all */
  requireAll: boolean;
}

export interface ControlledFiles {
  files: FileReport[];
  flaky: FlakyCase[];
  /** The console's closing lines, without the runner's prefix. */
  lines: string[];
}

/** The reason results.ts gives a case --case left out. */
const NOT_SELECTED = /^not selected by --case /;
/** The reason requireCapabilities (suite-api) gives: `needs podAwsCli: <the target's reason>`. */
const CAPABILITY_SKIP = /^needs (\w+): ([\s\S]+)$/;

/**
 * The files of every repetition (the last one as the report has it), merged into one report, then
 * --bail's and --require-all's verdicts applied; and the lines that say what happened.
 */
export function applyRunControls(rounds: readonly FileReport[][], controls: RunControls): ControlledFiles {
  const { files, flaky } =
    rounds.length > 1 ? mergeRepetitions(rounds) : { files: [...(rounds[0] ?? [])], flaky: [] };
  const lines: string[] = [];
  const capabilitySkips = skipsByCapability(files);
  for (const { capability, reason, count } of capabilitySkips) {
    lines.push(
      `${count} ${count === 1 ? 'case needs' : 'cases need'} ${capability} and ${count === 1 ? 'was' : 'were'} skipped: ${reason}`,
    );
  }
  if (flaky.length > 0) {
    lines.push(
      `${flaky.length} flaky ${flaky.length === 1 ? 'case' : 'cases'}, passed in some of the ${controls.repetitions} repetitions and failed in others (counted as failed):`,
      ...flaky.map((c) => `  ${c.name}: failed in ${repetitionList(c.failedIn, c.repetitions)}`),
    );
  }
  const bailed = controls.bail ? markBailed(files) : 0;
  if (bailed > 0) {
    lines.push(`--bail: the run stopped at the first failed case; ${plural(bailed, 'case')} not run`);
  }
  const required = controls.requireAll ? failSkipped(files) : 0;
  if (required > 0) {
    lines.push(`--require-all: ${plural(required, 'skipped case')} counted as failed`);
  }
  return { files, flaky, lines };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * One file per name and one case per name across the repetitions. A case's status is the worst that
 * happened to it that says something: failed in any repetition is failed (a flaky case is a finding),
 * else passed in any is passed, else skipped, else not run. A case whose repetitions differ, or that
 * failed, gets a note saying which did what.
 */
export function mergeRepetitions(rounds: readonly FileReport[][]): {
  files: FileReport[];
  flaky: FlakyCase[];
} {
  const repetitions = rounds.length;
  const byFile = new Map<string, { file: FileReport; cases: Map<string, Array<CaseReport | undefined>> }>();
  rounds.forEach((round, index) => {
    for (const file of round) {
      let entry = byFile.get(file.name);
      if (!entry) {
        entry = { file: { ...file, durationMs: 0, cases: [], errors: [] }, cases: new Map() };
        byFile.set(file.name, entry);
      }
      entry.file.durationMs += file.durationMs;
      for (const error of file.errors) {
        const known = entry.file.errors.some((e) => e.type === error.type && e.message === error.message);
        if (!known) entry.file.errors.push(error);
      }
      for (const testCase of file.cases) {
        const perRound =
          entry.cases.get(testCase.name) ?? Array.from<CaseReport | undefined>({ length: repetitions });
        perRound[index] = testCase;
        entry.cases.set(testCase.name, perRound);
      }
    }
  });
  const flaky: FlakyCase[] = [];
  const files = [...byFile.values()].map(({ file, cases }) => {
    file.cases = [...cases.values()].map((perRound) => {
      const merged = mergeCase(perRound);
      const failedIn = indexesOf(perRound, 'failed');
      if (failedIn.length > 0 && indexesOf(perRound, 'passed').length > 0) {
        flaky.push({ name: `${file.name}${NAME_SEPARATOR}${merged.name}`, failedIn, repetitions });
      }
      return merged;
    });
    return file;
  });
  return { files: files.sort((a, b) => a.name.localeCompare(b.name)), flaky };
}

const STATUS_ORDER: readonly CaseStatus[] = ['failed', 'passed', 'skipped', 'not run'];

function mergeCase(perRound: ReadonlyArray<CaseReport | undefined>): CaseReport {
  const status = STATUS_ORDER.find((s) => perRound.some((c) => c?.status === s)) ?? 'not run';
  const representative = perRound.find((c) => c?.status === status)!;
  const statuses = perRound.map((c) => c?.status ?? 'not run');
  const uniform = statuses.every((s) => s === statuses[0]);
  const note = uniform && status !== 'failed' ? undefined : repetitionNote(perRound);
  return {
    ...representative,
    durationMs: perRound.reduce((total, c) => total + (c?.durationMs ?? 0), 0),
    notes: [...representative.notes, ...(note ? [note] : [])],
  };
}

/** `flaky: passed in repetitions 1, 3, failed in repetition 2`; `failed in all 3 repetitions`. */
function repetitionNote(perRound: ReadonlyArray<CaseReport | undefined>): string {
  const parts = (['passed', 'failed', 'skipped', 'not run'] as const)
    .map((status) => ({ status, rounds: indexesOf(perRound, status) }))
    .filter(({ rounds }) => rounds.length > 0)
    .map(({ status, rounds }) => `${status} in ${repetitionList(rounds, perRound.length)}`);
  const flaky = indexesOf(perRound, 'failed').length > 0 && indexesOf(perRound, 'passed').length > 0;
  return `${flaky ? 'flaky: ' : ''}${parts.join(', ')}`;
}

/** 1-based repetitions with that status; a repetition without the case (never collected) is not run. */
function indexesOf(perRound: ReadonlyArray<CaseReport | undefined>, status: CaseStatus): number[] {
  const found: number[] = [];
  for (let i = 0; i < perRound.length; i++) {
    if ((perRound[i]?.status ?? 'not run') === status) found.push(i + 1);
  }
  return found;
}

/** `repetition 2`, `repetitions 1, 3`, `all 3 repetitions`, `12 of 20 repetitions`. */
function repetitionList(rounds: readonly number[], total: number): string {
  if (rounds.length === total && total > 1) return `all ${total} repetitions`;
  if (rounds.length === 1) return `repetition ${rounds[0]}`;
  if (rounds.length <= 5) return `repetitions ${rounds.join(', ')}`;
  return `${rounds.length} of ${total} repetitions`;
}

/**
 * After --bail stopped a run, the cases it kept from running are `not run` with its reason: vitest
 * reports those it did not start as skipped with the bail note (bail-runner.ts), and those of suites
 * that did not start as never run. Returns how many.
 */
export function markBailed(files: FileReport[]): number {
  let count = 0;
  for (const file of files) {
    file.cases = file.cases.map((testCase) => {
      const bailed = testCase.status === 'skipped' && testCase.reason === BAIL_NOTE;
      if (!bailed && testCase.status !== 'not run') return testCase;
      count++;
      return { ...testCase, status: 'not run', reason: BAIL_NOTE };
    });
  }
  return count;
}

/** --require-all: every skipped case but those --case left out fails, its skip reason the message. */
export function failSkipped(files: FileReport[]): number {
  let count = 0;
  for (const file of files) {
    file.cases = file.cases.map((testCase): CaseReport => {
      if (testCase.status !== 'skipped' || NOT_SELECTED.test(testCase.reason ?? '')) return testCase;
      count++;
      const { reason, ...rest } = testCase;
      return {
        ...rest,
        status: 'failed',
        failure: {
          type: 'Skipped',
          message: `skipped, and --require-all counts a skipped case as failed: ${reason ?? 'no reason given'}`,
          details: '',
        },
      };
    });
  }
  return count;
}

/** Skipped cases grouped by the capability they need and the target's reason, most first. */
export function skipsByCapability(
  files: readonly FileReport[],
): Array<{ capability: string; reason: string; count: number }> {
  const groups = new Map<string, { capability: string; reason: string; count: number }>();
  for (const file of files) {
    for (const testCase of file.cases) {
      if (testCase.status !== 'skipped') continue;
      const match = CAPABILITY_SKIP.exec(testCase.reason ?? '');
      if (!match) continue;
      const key = testCase.reason!;
      const group = groups.get(key) ?? { capability: match[1]!, reason: match[2]!, count: 0 };
      group.count++;
      groups.set(key, group);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.capability.localeCompare(b.capability));
}
