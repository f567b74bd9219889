// SIGINT/SIGTERM during a run. The first signal aborts the run (the runner then cancels vitest, tears
// down what the ledger lists, closes the target, writes the reports and exits 130/143, each step
// bounded in time); the second says that teardown is in progress; the third exits at once, naming what
// may be left and the janitor command. A signal arriving within DUPLICATE_WINDOW_MS of the previous one
// is the same interrupt delivered twice (npm forwards to its child the Ctrl-C the terminal already
// sent to the whole process group) and is not counted.

export type StopSignal = 'SIGINT' | 'SIGTERM';

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** Shell convention: 128 + the signal number. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** Signals closer together than this are one interrupt (a person cannot press Ctrl-C twice so fast). */
export const DUPLICATE_WINDOW_MS = 300;

export interface SignalSource {
  on(signal: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(signal: StopSignal, listener: (signal: StopSignal) => void): unknown;
}

export interface InterruptHandlerOptions {
  source: SignalSource;
  runId: string;
  /** How to find what a forced exit may leave (runner/janitor-hint.ts). */
  leftoverHint: string;
  /** Writes one line to stderr. */
  warn: (line: string) => void;
  /** Ends the process now (the third signal). */
  forceExit: (code: number) => void;
  /** The clock (ms), for telling a forwarded duplicate from a second Ctrl-C. */
  now?: () => number;
}

export class InterruptHandler {
  private readonly options: InterruptHandlerOptions;
  private readonly controller = new AbortController();
  private received = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private first: StopSignal | undefined;
  private readonly listener = (signal: StopSignal) => this.onSignal(signal);

  constructor(options: InterruptHandlerOptions) {
    this.options = options;
  }

  /** Aborted with the first signal; the run's steps listen to it. */
  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, if any. */
  get signal(): StopSignal | undefined {
    return this.first;
  }

  install(): void {
    for (const signal of STOP_SIGNALS) this.options.source.on(signal, this.listener);
  }

  uninstall(): void {
    for (const signal of STOP_SIGNALS) this.options.source.off(signal, this.listener);
  }

  private onSignal(signal: StopSignal): void {
    const now = (this.options.now ?? Date.now)();
    const duplicate = now - this.lastAt < DUPLICATE_WINDOW_MS;
    this.lastAt = now;
    if (duplicate) return;
    this.received++;
    const { warn, runId } = this.options;
    if (this.received === 1) {
      this.first = signal;
      warn(`pod-identity-conformance: ${signal} received: stopping the run and deleting what it created`);
      this.controller.abort(signal);
    } else if (this.received === 2) {
      warn(
        `pod-identity-conformance: teardown in progress; a third signal exits now and may leave resources of run ${runId}`,
      );
    } else {
      warn(
        `pod-identity-conformance: forced exit during teardown; resources of run ${runId} may be left: ${this.options.leftoverHint}`,
      );
      this.options.forceExit(SIGNAL_EXIT_CODES[this.first ?? signal]);
    }
  }
}
