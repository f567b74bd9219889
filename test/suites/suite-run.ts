// Runs the real pod-identity suite through the real runner in a child process (test/suites/sabotaged-runner.ts,
// or `npm test` itself) and reads back what the run reported: every case's status from junit.xml, the
// file-level errors, and the run ledger.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sabotage, SimFaults, SimOptions } from '@pod-identity-conformance/sim';
import { execa, type ResultPromise } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { type LedgerRecord, RunLedger } from '../../helpers/ledger.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SABOTAGED_RUNNER = fileURLToPath(new URL('./sabotaged-runner.ts', import.meta.url));

/** Every case but the SDK probe variants: the defects here do not depend on the in-pod client. */
export const WITHOUT_SDK_PROBE = '^(?!.*\\[sdk-probe\\])';
const DEFECT_CHECK_CLIENTS = ['aws-cli', 'sdk-probe'];

/** A broken simulator must not cost a minute per wait: a healthy one answers within a second or two. */
export const BROKEN_RUN_WAIT_SECONDS = 5;

/**
 * Runs at most this many suite runs at once (per test file: vitest runs these files one after the
 * other, each file's cases concurrently). Two keep a two-core machine busy without starving the
 * simulators' pods of CPU.
 */
const CONCURRENT_RUNS = 2;
const waiting: Array<() => void> = [];
let running = 0;

/** Runs `work` once a run slot is free, first come first served. */
export async function inRunSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENT_RUNS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface ReportedCase {
  /** `pod-identity/credentials` */
  file: string;
  /** `credentials › get-caller-identity … [aws-cli]` */
  name: string;
  status: CaseStatus;
  /** Failure or skip message. */
  message?: string;
}

export interface SuiteRunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  reportDir: string;
  cases: ReportedCase[];
  /** Errors outside any case (a hook failed), by file. */
  fileErrors: Array<{ file: string; message: string }>;
  /** What the run ledger still lists after the run. */
  outstanding: LedgerRecord[];
  /** Every record the ledger ever had. */
  created: LedgerRecord[];
  /** summary.md, or '' when the run wrote none. */
  summary: string;
}

/** A scratch directory for one run: the working directory and its reports/ folder. */
export async function scratchDir(): Promise<{ dir: string; reportDir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pic-suite-'));
  return { dir, reportDir: join(dir, 'reports'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The parent's environment without anything that would steer the runner or the nested vitest. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PIC_|VITEST|GITHUB_STEP_SUMMARY$|TEST$|NODE_ENV$)/.test(key)) continue;
    env[key] = value;
  }
  // The Node.js running these tests (22) first, so `npm test` runs the runner with it too.
  env.PATH = [dirname(process.execPath), env.PATH].filter(Boolean).join(delimiter);
  return { ...env, ...extra };
}

export interface SabotagedRunOptions {
  sabotage: Sabotage;
  /** Suite files, as --file takes them (`credentials`, `cleanup`). */
  files: string[];
  /** --case; default: every case but the SDK probe variants. */
  casePattern?: string;
  /** --client; default aws-cli and sdk-probe, the clients the defect checks are written for. */
  clients?: string[];
  waitTimeoutSeconds?: number;
  /** With agentServesRoleArn: create that role first, assumable by EKS (default true). */
  createDecoyRole?: boolean;
  /** Simulator faults (propagation delays, throttling) on top of the defects. */
  faults?: SimFaults;
  /** Further simulator settings: a misconfigured node (IMDS) or cluster, the pod sandbox mode. */
  simOptions?: Pick<SimOptions, 'imds' | 'podSandbox' | 'conditions' | 'podIdentityAgentAddon'>;
  /** More runner flags (e.g. --namespace-label). */
  extraArgs?: string[];
}

/** The pod-identity suite's selected files on the embedded target with `sabotage`, run to the end. */
export function runSabotaged(options: SabotagedRunOptions): Promise<SuiteRunResult> {
  return inRunSlot(() => runSabotagedNow(options));
}

async function runSabotagedNow(options: SabotagedRunOptions): Promise<SuiteRunResult> {
  const scratch = await scratchDir();
  try {
    const args = [
      '--suite',
      'pod-identity',
      ...options.files.flatMap((file) => ['--file', file]),
      '--case',
      options.casePattern ?? WITHOUT_SDK_PROBE,
      ...(options.clients ?? DEFECT_CHECK_CLIENTS).flatMap((client) => ['--client', client]),
      '--wait-timeout',
      String(options.waitTimeoutSeconds ?? BROKEN_RUN_WAIT_SECONDS),
      '--report-dir',
      scratch.reportDir,
      ...(options.extraArgs ?? []),
    ];
    const child = execa(process.execPath, [SABOTAGED_RUNNER, ...args], {
      cwd: scratch.dir,
      env: childEnv({
        PIC_SABOTAGE: JSON.stringify(options.sabotage),
        PIC_SIM_FAULTS: JSON.stringify(options.faults ?? {}),
        PIC_SIM_OPTIONS: JSON.stringify(options.simOptions ?? {}),
        ...(options.createDecoyRole === false ? { PIC_SABOTAGE_NO_DECOY: '1' } : {}),
      }),
      extendEnv: false,
      reject: false,
    });
    return await collectRun(child, scratch.reportDir);
  } finally {
    await scratch.remove();
  }
}

/** Waits for the run and reads its reports; call before the report dir is removed. */
export async function collectRun(
  child: ResultPromise<{ reject: false }>,
  reportDir: string,
): Promise<SuiteRunResult> {
  const result = await child;
  const junit = await readJunit(reportDir);
  const ledger = await readLedger(reportDir);
  const summary = await readFile(join(reportDir, 'summary.md'), 'utf8').catch(() => '');
  return {
    summary,
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    reportDir,
    ...junit,
    ...ledger,
  };
}

interface JunitCase {
  name: string;
  classname: string;
  skipped?: { message?: string };
  failure?: { message?: string };
  error?: { message?: string };
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

export async function readJunit(
  reportDir: string,
): Promise<{ cases: ReportedCase[]; fileErrors: SuiteRunResult['fileErrors'] }> {
  const path = join(reportDir, 'junit.xml');
  if (!existsSync(path)) return { cases: [], fileErrors: [] };
  const suites = (xml.parse(await readFile(path, 'utf8')).testsuites?.testsuite ?? []) as Array<{
    testcase?: JunitCase[];
  }>;
  const cases: ReportedCase[] = [];
  const fileErrors: SuiteRunResult['fileErrors'] = [];
  for (const testCase of suites.flatMap((suite) => suite.testcase ?? [])) {
    if (testCase.error) {
      fileErrors.push({ file: testCase.classname, message: testCase.error.message ?? '' });
    } else if (testCase.failure) {
      cases.push({
        file: testCase.classname,
        name: testCase.name,
        status: 'failed',
        message: testCase.failure.message,
      });
    } else if (testCase.skipped) {
      cases.push({
        file: testCase.classname,
        name: testCase.name,
        status: 'skipped',
        message: testCase.skipped.message,
      });
    } else {
      cases.push({ file: testCase.classname, name: testCase.name, status: 'passed' });
    }
  }
  return { cases, fileErrors };
}

/** The run's ledger (there is one run per report dir here). */
export async function readLedger(
  reportDir: string,
): Promise<{ outstanding: LedgerRecord[]; created: LedgerRecord[] }> {
  const path = await ledgerPath(reportDir);
  if (!path) return { outstanding: [], created: [] };
  const ledger = new RunLedger(path);
  const created = (await ledger.events()).filter((e): e is LedgerRecord => e.event === 'created');
  return { outstanding: await ledger.outstanding(), created };
}

export async function ledgerPath(reportDir: string): Promise<string | undefined> {
  if (!existsSync(reportDir)) return undefined;
  const file = (await readdir(reportDir)).find((f) => /^ledger-.+\.jsonl$/.test(f));
  return file ? join(reportDir, file) : undefined;
}

/** `{ 'credentials › … [aws-cli]': 'failed', … }` for readable assertions. */
export function statusByName(cases: readonly ReportedCase[]): Record<string, CaseStatus> {
  return Object.fromEntries(cases.map((c) => [c.name, c.status]));
}

export function findCase(cases: readonly ReportedCase[], name: string): ReportedCase {
  const found = cases.find((c) => c.name === name);
  if (!found) {
    throw new Error(
      `no case named "${name}" in junit.xml; the run reported: ${cases.map((c) => c.name).join(' | ')}`,
    );
  }
  return found;
}

/** Polls until `probe` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
