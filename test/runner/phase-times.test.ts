// summary.md says where a run's time went, for every run: the phases of the run (target start, the
// suite files, provisioning, cases and teardown summed over the files, the run's own teardown, target
// stop) and a row per file. Checked on a real run of the runner (test/runner/fixture-runner.ts: the
// real runner with a fake target and the fixture suites); the values are not asserted.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('./fixture-runner.ts', import.meta.url));
const SECONDS = String.raw`\d+\.\d s`;

let work: string;
let summary: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-phases-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PIC_|VITEST|FIXTURE_|GITHUB_|TEST$|NODE_ENV$)/.test(key)) continue;
    env[key] = value;
  }
  const result = await execa(process.execPath, [RUNNER, '--suite', 'basics'], {
    cwd: work,
    env,
    extendEnv: false,
    reject: false,
  });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  summary = await readFile(join(work, 'reports', 'summary.md'), 'utf8');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('summary.md time by phase', () => {
  it('has the section between the totals and the cases', () => {
    const section = summary.indexOf('## Time by phase');
    expect(section).toBeGreaterThan(summary.indexOf('**Totals:**'));
    expect(section).toBeLessThan(summary.indexOf('## Cases'));
  });

  it('names every phase of the run with a time', () => {
    for (const phase of [
      'Target start',
      'Suite files, wall time (files run in parallel)',
      'Provisioning (set-up), summed over files',
      'Cases, summed over files',
      'Teardown in the files, summed over files',
      'Teardown of the run (what the ledger still listed)',
      'Target stop',
    ]) {
      expect(summary).toMatch(
        new RegExp(`^\\| ${phase.replace(/[()]/g, '\\$&')}[^|]* \\| ${SECONDS} \\|$`, 'm'),
      );
    }
  });

  it('has a row per file with its provisioning, cases and teardown', () => {
    expect(summary).toContain('| File | Provisioning | Cases | Teardown |');
    for (const file of ['basics/greetings.test.ts', 'basics/second.test.ts'])
      expect(summary).toMatch(
        new RegExp(`^\\| ${file} \\| ${SECONDS} \\| ${SECONDS} \\| ${SECONDS} \\|$`, 'm'),
      );
  });
});
