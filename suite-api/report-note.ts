// Per-case notes for the reports ("client: aws-cli v1.45", "observed: cached credentials kept working").
// They travel as vitest annotations, which the runner renders in summary.md and as <system-out> in
// junit.xml (every annotation is rendered; this helper gives them one recognisable type).

import type { TestContext } from 'vitest';

export const REPORT_NOTE_TYPE = 'pic-note';

/** Attaches `text` to the running case's report entry. Secrets in it are masked when written. */
export async function noteForReport(ctx: Pick<TestContext, 'annotate'>, text: string): Promise<void> {
  await ctx.annotate(text, REPORT_NOTE_TYPE);
}
