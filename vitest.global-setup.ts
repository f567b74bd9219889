// Plain vitest (`npx vitest run suites/pod-identity/credentials.test.ts`, watch mode, editor test
// buttons): starts the embedded target once for the whole vitest process and provides it to every
// project, then deletes what the run ledger still lists and stops the simulator when vitest ends.
// The runner (`npm test`) does not use this: it resolves any target, runs preflight, writes the reports
// and handles signals itself.

import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { teardownOutstanding } from './fixtures/teardown.ts';
import { ledgerPathFor, RunLedger } from './helpers/ledger.ts';
import { newRunId } from './helpers/run-id.ts';
import { createEmbeddedTarget } from './targets/embedded.ts';
import type { Target } from './targets/target.ts';

interface SharedTarget {
  started: Promise<Target>;
  users: number;
}

// Every project (two per suite) runs this setup in the same process: they share one simulator.
const KEY = Symbol.for('pod-identity-conformance.plain-vitest-target');
const registry = globalThis as typeof globalThis & { [KEY]?: SharedTarget };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  registry[KEY] ??= {
    started: createEmbeddedTarget(
      {
        suites: [],
        target: 'embedded',
        // The run ledger goes where the runner would put it: PIC_REPORT_DIR, else reports/.
        reportDir: resolve(project.config.root, process.env.PIC_REPORT_DIR || 'reports'),
        keep: false,
      },
      newRunId(),
    ),
    users: 0,
  };
  const shared = registry[KEY];
  shared.users++;
  const target = await shared.started;
  project.provide('target', target.info);
  return async () => {
    if (--shared.users > 0) return;
    delete registry[KEY];
    const { info } = target;
    try {
      const outstanding = await new RunLedger(
        ledgerPathFor(info.reportDir, info.runId),
        info.runId,
      ).outstanding();
      await teardownOutstanding(info, outstanding);
    } finally {
      await target.close();
    }
  };
}
