// junit.xml and summary.md as real runs write them (test/runner/fixture-runner.ts: the real
// runner with a fake target, the fixture suites and a fake teardown): for a passing, failing, skipped,
// interrupted and preflight-failed run, and one whose teardown fails, junit.xml is valid against
// Jenkins' junit-10.xsd, its counts agree at every level, its `file` attributes name files of the
// repository, and it says which tool version, commit and target ran. And vitest's github-actions
// reporter annotates failed cases when GITHUB_ACTIONS=true.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countMismatches,
  junitSchemaErrors,
  type ParsedJunit,
  parseJunit,
  propertiesOf,
} from './junit-report-checks.ts';

const RUNNER = fileURLToPath(new URL('./fixture-runner.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;
/** Whether the tests run from a git checkout (CI's clone is): the reports then name its commit. */
const CHECKOUT = existsSync(join(REPO, '.git'));

/** A commit of this checkout (HEAD may move while the tests run: only that it is one is checked). */
async function isCommitOfCheckout(commit: string | undefined): Promise<boolean> {
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) return false;
  const type = await execa('git', ['cat-file', '-t', commit], { cwd: REPO, reject: false });
  return String(type.stdout).trim() === 'commit';
}

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  junitText: string;
  junit: ParsedJunit;
  summary: string;
  stepSummary: string;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-junit-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PIC_|VITEST|FIXTURE_|GITHUB_|TEST$|NODE_ENV$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the runner in a folder of its own; `interruptWith` signals it once its case holds a resource. */
async function run(
  kind: string,
  args: string[],
  env: Record<string, string> = {},
  interruptWith?: NodeJS.Signals,
): Promise<Run> {
  const dir = join(work, kind);
  const reports = join(dir, 'reports');
  const stepSummary = join(dir, 'step-summary.md');
  await execa('mkdir', ['-p', dir]);
  await writeFile(stepSummary, '');
  const child = execa(process.execPath, [RUNNER, ...args], {
    cwd: dir,
    env: childEnv({ GITHUB_STEP_SUMMARY: stepSummary, ...env }),
    extendEnv: false,
    reject: false,
  });
  if (interruptWith) {
    await waitFor(
      'the blocking case to record its resource',
      async () => {
        const ledgers = existsSync(reports)
          ? (await readdir(reports)).filter((f) => f.startsWith('ledger-'))
          : [];
        return (
          ledgers.length > 0 && (await readFile(join(reports, ledgers[0]!), 'utf8')).includes('"blocked"')
        );
      },
      30_000,
    );
    child.kill(interruptWith);
  }
  const result = await child;
  const junitText = await readFile(join(reports, 'junit.xml'), 'utf8');
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    junitText,
    junit: parseJunit(junitText),
    summary: await readFile(join(reports, 'summary.md'), 'utf8'),
    stepSummary: await readFile(stepSummary, 'utf8'),
  };
}

const KINDS: Array<{
  kind: string;
  args: string[];
  env?: Record<string, string>;
  interruptWith?: NodeJS.Signals;
  exitCode: number;
}> = [
  { kind: 'passing', args: ['--suite', 'basics'], exitCode: 0 },
  { kind: 'failing', args: ['--suite', 'failing'], exitCode: 1 },
  { kind: 'skipped', args: ['--suite', 'basics', '--case', 'matches no case at all'], exitCode: 0 },
  { kind: 'interrupted', args: ['--suite', 'blocking'], interruptWith: 'SIGTERM', exitCode: 143 },
  {
    kind: 'preflight-failed',
    args: ['--suite', 'basics'],
    env: { FIXTURE_PREFLIGHT: 'fail' },
    exitCode: 2,
  },
  {
    kind: 'teardown-failed',
    args: ['--suite', 'leaky'],
    env: { FIXTURE_TEARDOWN: 'fail' },
    exitCode: 1,
  },
];

/** The failing run again, as on GitHub Actions. */
const GITHUB_ACTIONS_RUN = {
  kind: 'github-actions',
  args: ['--suite', 'failing'],
  env: { GITHUB_ACTIONS: 'true' },
};

const runs = new Map<string, Run>();
beforeAll(async () => {
  // Three at a time: each is a vitest of its own.
  const queue: Array<(typeof KINDS)[number] | typeof GITHUB_ACTIONS_RUN> = [...KINDS, GITHUB_ACTIONS_RUN];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const interruptWith = 'interruptWith' in next ? next.interruptWith : undefined;
      runs.set(next.kind, await run(next.kind, next.args, next.env, interruptWith));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 240_000);

function suitesOf(r: Run) {
  return r.junit.testsuite ?? [];
}

describe.each(KINDS)('a $kind run', ({ kind, exitCode }) => {
  it(`exits ${exitCode}`, () => {
    const r = runs.get(kind)!;
    expect(r.exitCode, r.stderr).toBe(exitCode);
  });

  it('writes a junit.xml that is valid against junit-10.xsd', async () => {
    expect(await junitSchemaErrors(runs.get(kind)!.junitText)).toEqual([]);
  });

  it('states counts that agree with its testcases, and a root that is the sum of its testsuites', () => {
    const r = runs.get(kind)!;
    expect(countMismatches(r.junit)).toEqual([]);
    expect(r.junit.skipped).toBeUndefined();
    expect(r.junit.timestamp).toBeUndefined();
    expect(suitesOf(r).length).toBeGreaterThan(0);
  });

  it('points `file` at files of the repository, relative to its root', () => {
    const r = runs.get(kind)!;
    for (const suite of suitesOf(r).filter((s) => s.file !== undefined)) {
      expect(suite.file).toMatch(/^test\/runner\/fixture-suites\/[a-z]+\/[a-z.-]+\.test\.ts$/);
      expect(existsSync(join(REPO, suite.file!)), suite.file).toBe(true);
      expect(propertiesOf(suite).file).toBe(suite.file);
    }
  });

  it('names the tool version, commit and target in every testsuite and in the summary header', async () => {
    const r = runs.get(kind)!;
    const commits = new Set<string | undefined>();
    for (const suite of suitesOf(r)) {
      const properties = propertiesOf(suite);
      expect(properties).toMatchObject({ version: VERSION, target: 'embedded' });
      commits.add(properties.commit);
    }
    expect(commits.size).toBe(1);
    const [commit] = commits;
    expect(await isCommitOfCheckout(commit)).toBe(CHECKOUT);
    const header = r.summary.split('\n## ')[0]!;
    expect(header).toContain(`| Version | pod-identity-conformance ${VERSION} |`);
    expect(header).toContain(`| Commit | ${commit ?? '- (not a git checkout)'} |`);
    expect(header).toContain('| Target | embedded |');
    expect(r.stepSummary).toBe(r.summary);
  });
});

describe('what each kind of run reports', () => {
  it('passing: a testsuite per file, skipped cases counted where they are', () => {
    const r = runs.get('passing')!;
    expect(suitesOf(r).map((s) => [s.name, s.file, s.tests, s.failures, s.skipped])).toEqual([
      ['basics/greetings', 'test/runner/fixture-suites/basics/greetings.test.ts', '4', '0', '2'],
      ['basics/second', 'test/runner/fixture-suites/basics/second.test.ts', '1', '0', '0'],
    ]);
    expect(r.junit).toMatchObject({ tests: '5', failures: '0', errors: '0' });
  });

  it('failing: the failed case is a failure; the summary says failed', () => {
    const r = runs.get('failing')!;
    expect(r.junit).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(r.summary).toMatch(/^# Pod Identity conformance: failed\n/);
  });

  it('skipped: every case skipped with the --case reason, and the run passes', () => {
    const r = runs.get('skipped')!;
    const cases = suitesOf(r).flatMap((s) => s.testcase ?? []);
    expect(cases.length).toBe(5);
    for (const c of cases) expect(c.skipped?.message).toBe('not selected by --case matches no case at all');
    expect(suitesOf(r).map((s) => s.skipped)).toEqual(['4', '1']);
  });

  it('interrupted: the case that did not finish is skipped as not run', () => {
    const r = runs.get('interrupted')!;
    const [suite] = suitesOf(r);
    expect(suite).toMatchObject({ name: 'blocking/waits-forever', tests: '1', skipped: '1' });
    expect(suite!.testcase![0]!.skipped?.message).toBe('interrupted by SIGTERM before it finished');
    expect(r.summary).toContain('# Pod Identity conformance: interrupted (SIGTERM)');
  });

  it('preflight-failed: one `preflight` testsuite, its six checks counted the same at every level', () => {
    const r = runs.get('preflight-failed')!;
    expect(suitesOf(r).map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped])).toEqual([
      ['preflight', '6', '1', '0', '4'],
    ]);
    expect(r.junit).toMatchObject({ tests: '6', failures: '1', errors: '0' });
    expect(r.summary).toMatch(/^# Pod Identity conformance: preflight failed, nothing was created\n/);
  });

  it('teardown-failed: a failed `teardown` testcase, exit 1, and the summary and console say so', () => {
    const r = runs.get('teardown-failed')!;
    const teardown = suitesOf(r).find((s) => s.name === 'teardown');
    expect(teardown).toMatchObject({ tests: '1', failures: '1', errors: '0', skipped: '0' });
    const [testcase] = teardown!.testcase!;
    expect(testcase).toMatchObject({ name: 'teardown', classname: 'teardown' });
    expect(testcase!.failure).toMatchObject({
      type: 'TeardownFailure',
      message: '1 of 1 resource(s) still listed in the run ledger were not deleted',
    });
    expect(testcase!.failure!['#text']).toContain(
      'fake-thing name=leaked: AccessDenied: the fixture teardown deletes nothing',
    );
    // The case itself passed: the run fails for the teardown alone.
    expect(r.junit).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(r.summary).toMatch(/^# Pod Identity conformance: failed\n/);
    expect(r.summary).toContain(
      '**Totals:** 1 cases: 1 passed, 0 failed, 0 skipped, 0 not run; teardown: 1 resource(s) not deleted',
    );
    expect(r.summary).toContain(
      '| fake-thing | name=leaked | not deleted: AccessDenied: the fixture teardown deletes nothing |',
    );
    expect(r.summary).toContain('**1 resource(s) were not deleted**, so the run failed;');
    expect(r.summary).toContain('### teardown');
    expect(r.stdout).toMatch(
      /1 passed, 0 failed, 0 skipped, 0 not run, teardown: 1 resource\(s\) not deleted; reports in/,
    );
  });
});

describe('on GitHub Actions (GITHUB_ACTIONS=true)', () => {
  it('prints an ::error annotation for each failed case, at its file and line, and keeps the step summary to summary.md', () => {
    const r = runs.get('github-actions')!;
    expect(r.exitCode).toBe(1);
    const annotations = r.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatch(
      /^::error file=[^,]*\/test\/runner\/fixture-suites\/failing\/secret-in-assertion\.test\.ts,title=[^,]*credentials > compares the runner secret with another value,line=\d+,column=\d+::AssertionError: /,
    );
    expect(annotations[0]).toContain('[REDACTED]');
    // The annotation carries the assertion, redacted like every other console line.
    expect(annotations[0]).not.toContain('fixture-secret-access-key-0000000000000000');
    // vitest's own job summary stays out: GITHUB_STEP_SUMMARY gets summary.md alone.
    expect(r.stepSummary).toBe(r.summary);
  });

  it('prints no annotation without GITHUB_ACTIONS', () => {
    expect(runs.get('failing')!.stdout).not.toMatch(/^::/m);
  });
});
