// Progress events from the suite workers to the runner's console: what a wait is waiting for, and
// for how long. Each worker appends JSON lines to the file the runner names in PIC_PROGRESS_FILE
// (one small write per event, O_APPEND, as the run ledger does); the runner's progress reporter
// (runner/progress.ts) reads it as it grows. Without the variable (plain vitest, the janitor) nothing
// is written.

import { appendFileSync } from 'node:fs';

export type ProgressEvent =
  | { type: 'wait-start'; what: string; timeoutMs: number }
  | { type: 'wait-heartbeat'; what: string; elapsedMs: number; timeoutMs: number }
  | { type: 'wait-end'; what: string; elapsedMs: number; ok: boolean };

/** How often a long wait says it is still waiting. */
export const HEARTBEAT_MS = 10_000;

let origin: string | undefined;

/** The suite file this worker runs (vitest runs one file per worker at a time): events carry it. */
export function setProgressOrigin(file: string | undefined): void {
  origin = file;
}

/** The suite file set by setProgressOrigin, if any (the run ledger records it with each resource). */
export function progressOrigin(): string | undefined {
  return origin;
}

export function emitProgress(event: ProgressEvent): void {
  const file = process.env.PIC_PROGRESS_FILE;
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ ...event, origin, at: Date.now() })}\n`);
  } catch {
    // Progress is for the reader; a run never fails for it.
  }
}
