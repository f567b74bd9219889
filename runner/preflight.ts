// A target's preflight (checks made before anything is created) as the runner shows it: one line per
// check, in the console and in the reports. A failed preflight is a configuration problem: exit 2,
// nothing created, one line per failure saying what to fix.

import type { PreflightCheck } from '../targets/target.ts';
import { ConfigurationError } from './errors.ts';

const STATUS_WORDS: Record<PreflightCheck['status'], string> = {
  passed: 'pass',
  failed: 'FAIL',
  warning: 'warn',
  'not checked': 'skip',
};

/** `  pass  caller identity: arn:aws:iam::… (account …)` */
export function preflightLine(check: PreflightCheck): string {
  return `  ${STATUS_WORDS[check.status].padEnd(4)}  ${check.name}: ${check.detail}`;
}

export function preflightFailed(checks: readonly PreflightCheck[]): boolean {
  return checks.some((check) => check.status === 'failed');
}

/** The preflight found something to fix; the message lists every check, failures saying what to do. */
export class PreflightError extends ConfigurationError {
  readonly checks: PreflightCheck[];

  constructor(checks: PreflightCheck[]) {
    const failures = checks.filter((check) => check.status === 'failed').length;
    super(
      [
        `preflight failed (${failures} of ${checks.length} checks); nothing was created. Fix what is marked FAIL and run again:`,
        ...checks.map(preflightLine),
      ].join('\n'),
    );
    this.checks = checks;
  }
}
