// --bail's test runner, loaded by the vitest workers (the `runner` of every conformance project). Once
// the run's bail marker exists (the runner writes it at the first failed case), no suite starts, so its
// beforeAll hooks create nothing, and no case starts; the cases running then finish, and every
// afterAll of a started suite runs. vitest's own bail cancels the run instead, which aborts the
// running cases midway while their calls go on.

import { existsSync } from 'node:fs';
import { type RunnerTask, type RunnerTestSuite, TestRunner } from 'vitest';
import type { TargetInfo } from '../targets/target.ts';
import { BAIL_NOTE, bailMarkerPath } from './bail.ts';

function runs(task: RunnerTask): boolean {
  return task.mode === 'run' || task.mode === 'queued';
}

export default class BailingRunner extends TestRunner {
  #marker: string | undefined;

  #bailed(): boolean {
    if (this.#marker === undefined) {
      const info = this.injectValue('target') as TargetInfo | undefined;
      // Not under the conformance runner (no target provided): nothing to bail on.
      if (!info) return false;
      this.#marker = bailMarkerPath(info.reportDir, info.runId);
    }
    return existsSync(this.#marker);
  }

  override async onBeforeRunSuite(suite: RunnerTestSuite): Promise<void> {
    // A skipped suite runs no hook and no case; the report lists its cases as not run.
    if (runs(suite) && this.#bailed()) suite.mode = 'skip';
    await super.onBeforeRunSuite(suite);
  }

  override async onBeforeRunTask(test: RunnerTask): Promise<void> {
    if (runs(test) && this.#bailed()) {
      test.mode = 'skip';
      // The skip note, as vitest's own skips carry it (TestCase.result().note); untyped in TaskResult.
      test.result = { state: 'skip', note: BAIL_NOTE } as RunnerTask['result'];
    }
    await super.onBeforeRunTask(test);
  }
}
