// Progress as it happens: a line when a file's set-up starts and ends (with what it created), one per
// case as it finishes, one when the file's teardown starts and ends (with what it deleted), and a
// heartbeat during long waits. In CI and pipes the lines carry the time; on a terminal they go
// through vitest's logger, which keeps them above its live view. `--verbose` adds every resource
// created or deleted and every wait with its elapsed time. What workers do is read from the run
// ledger and the progress file (helpers/progress.ts) as they grow.

import { open } from 'node:fs/promises';
import type { ReportedHookContext, Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import { type LedgerRecord, parseLedgerLine } from '../helpers/ledger.ts';
import type { ProgressEvent } from '../helpers/progress.ts';
import type { FilePhaseTimes } from './phases.ts';
import { caseName } from './results.ts';

export interface ProgressOptions {
  ledgerPath: string;
  progressPath: string;
  /** A terminal: no timestamps (vitest's live view shows the time). */
  tty: boolean;
  verbose: boolean;
  /** How a module id is shown: `<suite>/<file>`. */
  fileName: (moduleId: string) => string;
  /** Where lines go when vitest's logger is not known yet. */
  write: (line: string) => void;
}

const TAIL_INTERVAL_MS = 250;

interface FileState {
  startedAt: number;
  /** When its first case was ready, its afterAll teardown started, it ended (phase times, phases.ts). */
  setUpEndedAt?: number;
  teardownStartedAt?: number;
  endedAt?: number;
  setUpDone: boolean;
  tearingDown: boolean;
  created: string[];
  deleted: number;
}

type ProgressLine = ProgressEvent & { origin?: string; at: number };

export class ProgressReporter implements Reporter {
  readonly #options: ProgressOptions;
  readonly #files = new Map<string, FileState>();
  readonly #records = new Map<string, LedgerRecord>();
  readonly #offsets = new Map<string, number>();
  #log: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #tailing: Promise<void> = Promise.resolve();

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#log = options.write;
  }

  onInit(vitest: Vitest): void {
    this.#log = (line) => vitest.logger.log(line);
    this.#timer = setInterval(() => {
      this.#tailing = this.#tailing.then(() => this.#tail());
    }, TAIL_INTERVAL_MS);
    this.#timer.unref();
  }

  async onTestRunEnd(): Promise<void> {
    clearInterval(this.#timer);
    await this.#tailing;
    await this.#tail();
  }

  onTestModuleStart(module: TestModule): void {
    this.#files.set(module.moduleId, {
      startedAt: Date.now(),
      setUpDone: false,
      tearingDown: false,
      created: [],
      deleted: 0,
    });
    this.#line(`▶ ${this.#name(module.moduleId)}: set-up`);
  }

  async onTestCaseReady(test: TestCase): Promise<void> {
    const state = this.#files.get(test.module.moduleId);
    if (!state || state.setUpDone) return;
    state.setUpDone = true;
    state.setUpEndedAt = Date.now();
    await this.#tail();
    const created = state.created.length > 0 ? `; created ${countByKind(state.created)}` : '';
    this.#line(
      `  ${this.#name(test.module.moduleId)}: set-up done in ${seconds(Date.now() - state.startedAt)}${created}`,
    );
  }

  onTestCaseResult(test: TestCase): void {
    const result = test.result();
    const duration = seconds(test.diagnostic()?.duration ?? 0);
    const name = caseName(test);
    if (result.state === 'passed') this.#line(`  ✓ ${name} (${duration})`);
    else if (result.state === 'failed') {
      const first = result.errors?.[0]?.message?.split('\n')[0] ?? 'failed';
      this.#line(`  ✗ ${name} (${duration}): ${first}`);
    } else if (result.state === 'skipped') {
      this.#line(`  ↓ ${name}: skipped${result.note ? ` (${result.note})` : ''}`);
    }
  }

  onHookStart(hook: ReportedHookContext): void {
    if (hook.name !== 'afterAll') return;
    const moduleId = hook.entity.type === 'module' ? hook.entity.moduleId : hook.entity.module.moduleId;
    const state = this.#files.get(moduleId);
    if (!state || state.tearingDown) return;
    state.tearingDown = true;
    state.teardownStartedAt = Date.now();
    this.#line(`  ${this.#name(moduleId)}: teardown`);
  }

  async onTestModuleEnd(module: TestModule): Promise<void> {
    await this.#tail();
    const state = this.#files.get(module.moduleId);
    if (state) state.endedAt = Date.now();
    const cases = [...module.children.allTests()].map((test) => test.result().state);
    const count = (state_: string) => cases.filter((s) => s === state_).length;
    const deleted = state && state.deleted > 0 ? `; deleted ${state.deleted}` : '';
    this.#line(
      `■ ${this.#name(module.moduleId)}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped in ${seconds(Date.now() - (state?.startedAt ?? Date.now()))}${deleted}`,
    );
  }

  /** How long each file spent in set-up, cases and teardown (for summary.md's phase times). */
  filePhases(): FilePhaseTimes[] {
    return [...this.#files].map(([moduleId, state]) => filePhaseTimes(this.#name(moduleId), state));
  }

  #name(moduleId: string): string {
    return this.#options.fileName(moduleId);
  }

  #line(text: string): void {
    if (this.#options.tty) this.#log(text);
    else this.#log(`${new Date().toISOString().slice(11, 19)} ${text}`);
  }

  /** Reads what the ledger and the progress file gained since the last look. */
  async #tail(): Promise<void> {
    for (const line of await this.#newLines(this.#options.ledgerPath)) {
      const event = parseLedgerLine(line);
      if (!event) continue;
      if (event.event === 'created') {
        this.#records.set(event.id, event);
        const label = `${event.kind} ${Object.values(event.ref).join('/')}`;
        if (event.origin) this.#files.get(event.origin)?.created.push(event.kind);
        if (this.#options.verbose) this.#line(`    + ${label}${this.#from(event.origin)}`);
      } else {
        const record = this.#records.get(event.id);
        const state = record?.origin ? this.#files.get(record.origin) : undefined;
        if (state) state.deleted++;
        if (this.#options.verbose && record)
          this.#line(
            `    - ${record.kind} ${Object.values(record.ref).join('/')} deleted${this.#from(record.origin)}`,
          );
      }
    }
    for (const line of await this.#newLines(this.#options.progressPath)) {
      let event: ProgressLine;
      try {
        event = JSON.parse(line) as ProgressLine;
      } catch {
        continue;
      }
      const from = this.#from(event.origin);
      if (event.type === 'wait-heartbeat') {
        this.#line(
          `    waiting for ${event.what}: ${seconds(event.elapsedMs)} of ${seconds(event.timeoutMs)}${from}`,
        );
      } else if (this.#options.verbose && event.type === 'wait-start') {
        this.#line(`    waiting for ${event.what} (up to ${seconds(event.timeoutMs)})${from}`);
      } else if (this.#options.verbose && event.type === 'wait-end') {
        this.#line(
          `    ${event.ok ? 'done' : 'gave up'} waiting for ${event.what} after ${seconds(event.elapsedMs)}${from}`,
        );
      }
    }
  }

  #from(origin: string | undefined): string {
    return origin ? ` [${this.#name(origin)}]` : '';
  }

  async #newLines(path: string): Promise<string[]> {
    const offset = this.#offsets.get(path) ?? 0;
    let file: Awaited<ReturnType<typeof open>> | undefined;
    try {
      file = await open(path, 'r');
      const { size } = await file.stat();
      if (size <= offset) return [];
      const buffer = Buffer.alloc(size - offset);
      await file.read(buffer, 0, buffer.length, offset);
      const text = buffer.toString('utf8');
      // Only whole lines: a line still being written is read next time.
      const end = text.lastIndexOf('\n');
      if (end < 0) return [];
      this.#offsets.set(path, offset + Buffer.byteLength(text.slice(0, end + 1)));
      return text.slice(0, end).split('\n');
    } catch {
      return [];
    } finally {
      await file?.close();
    }
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A file's phases from its timestamps: a phase that never started counts 0; one cut short ends with the file. */
function filePhaseTimes(file: string, state: FileState): FilePhaseTimes {
  const ended = state.endedAt ?? Date.now();
  const setUpEnded = state.setUpEndedAt ?? state.teardownStartedAt ?? ended;
  const teardownStarted = state.teardownStartedAt ?? ended;
  return {
    file,
    startedAt: state.startedAt,
    endedAt: ended,
    setUpMs: setUpEnded - state.startedAt,
    casesMs: Math.max(0, teardownStarted - setUpEnded),
    teardownMs: ended - teardownStarted,
  };
}

/** "2 namespace, 1 iam-role": what a set-up created, by kind (the names are in --verbose). */
function countByKind(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
}
