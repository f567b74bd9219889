// The real dependencies of a conformance run: the target registry, the repository's suites, the
// fixtures' teardown, the process's environment, streams and signals.

import { fileURLToPath } from 'node:url';
import { loadOutstandingTeardown, TARGETS } from '../targets/index.ts';
import { SUITES_ROOT } from '../vitest.config.ts';
import { type SignalSource, STOP_SIGNALS } from './interrupts.ts';
import type { RunnerDeps } from './run-conformance.ts';

/** The process's signals, with those received before anyone listened replayed to the first listener. */
function processSignals(early?: { early: NodeJS.Signals[]; record: (signal: NodeJS.Signals) => void }) {
  const source: SignalSource = {
    on(signal, listener) {
      process.on(signal, listener);
      if (early) {
        for (const name of STOP_SIGNALS) process.off(name, early.record);
        const pending = early.early.splice(0);
        // After the caller has finished installing its listeners.
        queueMicrotask(() => {
          for (const received of pending) process.emit(received as 'SIGINT', received as 'SIGINT');
        });
        early = undefined;
      }
      return source;
    },
    off(signal, listener) {
      process.off(signal, listener);
      return source;
    },
  };
  return source;
}

export function defaultDeps(early?: {
  early: NodeJS.Signals[];
  record: (signal: NodeJS.Signals) => void;
}): RunnerDeps {
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  return {
    targets: TARGETS,
    suitesRoot: SUITES_ROOT,
    packageRoot: fileURLToPath(new URL('..', import.meta.url)),
    teardown: async (info, records) => (await loadOutstandingTeardown(warn))(info, records),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signals: processSignals(early),
    forceExit: (code) => process.exit(code),
  };
}
