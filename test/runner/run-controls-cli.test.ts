// The run controls end to end, through test/runner/fixture-runner.ts (the real runner with a fake target
// and the fixture suites, spawned so vitest does not run inside vitest): --version, --bail, --repeat,
// --require-all and -t, and the closing line about capability skips.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAIL_NOTE } from '../../runner/bail.ts';
import { toolInfo } from '../../runner/version.ts';

const RUNNER = fileURLToPath(new URL('./fixture-runner.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = 'pod-identity-conformance:';

let work: string;
let reports: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-run-controls-'));
  reports = join(work, 'reports');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The parent's environment without anything that would steer the runner or the nested vitest. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PIC_|VITEST|FIXTURE_|GITHUB_|TEST$|NODE_ENV$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, FIXTURE_TEARDOWN_LOG: join(work, 'teardown.jsonl') };
}

async function runRunner(args: string[]) {
  const result = await execa(process.execPath, [RUNNER, ...args], {
    cwd: work,
    env: childEnv(),
    extendEnv: false,
    reject: false,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The runner's own lines, without vitest's progress. */
function runnerLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(PREFIX) || /^ {2}\S/.test(line));
}

interface JunitCase {
  name: string;
  skipped?: { message: string };
  failure?: { message: string };
  'system-out'?: string;
}

async function junitCases(): Promise<Record<string, JunitCase>> {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  });
  const suites: Array<{ name: string; testcase?: JunitCase[] }> = parser.parse(
    await readFile(join(reports, 'junit.xml'), 'utf8'),
  ).testsuites.testsuite;
  return Object.fromEntries(
    suites.flatMap((suite) => (suite.testcase ?? []).map((c) => [`${suite.name} › ${c.name}`, c])),
  );
}

async function caseRows(): Promise<string[]> {
  const summary = await readFile(join(reports, 'summary.md'), 'utf8');
  return summary.split('\n').filter((line) => /^\| [a-z]+\/[a-z.-]+ \| /.test(line));
}

describe('run controls through the runner', () => {
  it('--version prints the version and the checkout commit, exits 0 and starts nothing', async () => {
    const { version, commit } = toolInfo(REPO);
    const { exitCode, stdout, stderr } = await runRunner(['--version', '--suite', 'basics']);
    expect({ exitCode, stdout, stderr }).toEqual({
      exitCode: 0,
      // One line (execa drops its newline).
      stdout: `pod-identity-conformance ${version}${commit ? ` (${commit.slice(0, 7)})` : ''}`,
      stderr: '',
    });
    if (existsSync(join(REPO, '.git'))) expect(stdout).toMatch(/ \([0-9a-f]{7}\)$/);
    expect(await readdir(work)).toEqual([]);
  });

  it('--bail: no case or file starts after the first failure, the running case finishes, the teardown runs', async () => {
    const { exitCode, stdout } = await runRunner(['--suite', 'bail', '--bail', '--parallel', '2']);
    expect(exitCode).toBe(1);
    const cases = await junitCases();
    expect(
      cases['bail/fails › fails once the slow case of the other file is running']!.failure,
    ).toBeDefined();
    // Running when the other file failed: it finished, and passed.
    const running = cases['bail/slow › is running when the other file fails, and finishes']!;
    expect(running.skipped).toBeUndefined();
    expect(running.failure).toBeUndefined();
    expect(existsSync(join(reports, 'slow-finished'))).toBe(true);
    // The next case of that file, and the .last file, never started.
    expect(cases['bail/slow › would start after the failure']!.skipped).toEqual({ message: BAIL_NOTE });
    expect(cases['bail/after.last › never starts: its file comes after the failure']!.skipped).toEqual({
      message: BAIL_NOTE,
    });
    expect(await caseRows()).toContain(
      `| bail/slow | would start after the failure | not run | 0 ms | ${BAIL_NOTE} |`,
    );
    // What the running case created was deleted after the run; the bail marker is gone.
    const torn = (await readFile(join(work, 'teardown.jsonl'), 'utf8')).trim().split('\n');
    expect(torn.map((line) => JSON.parse(line).ref.name)).toEqual(['bail-slow']);
    expect((await readdir(reports)).filter((name) => name.startsWith('.bail-'))).toEqual([]);
    const lines = runnerLines(stdout);
    expect(lines.at(-2)).toBe(`${PREFIX} --bail: the run stopped at the first failed case; 2 cases not run`);
    expect(lines.at(-1)).toMatch(/: 1 passed, 1 failed, 0 skipped, 2 not run; reports in reports\//);
  });

  it('--repeat 3 runs the selection three times, one case each in the reports, and names the flaky case', async () => {
    const { exitCode, stdout } = await runRunner(['--suite', 'flaky', '--repeat', '3']);
    expect(exitCode).toBe(1);
    const lines = runnerLines(stdout);
    expect(lines.filter((line) => line.startsWith(`${PREFIX} repetition `))).toEqual([
      `${PREFIX} repetition 1 of 3`,
      `${PREFIX} repetition 2 of 3`,
      `${PREFIX} repetition 3 of 3`,
    ]);
    expect(lines.slice(-3)).toEqual([
      `${PREFIX} 1 flaky case, passed in some of the 3 repetitions and failed in others (counted as failed):`,
      '  flaky/sometimes › fails in the second repetition only: failed in repetition 2',
      expect.stringMatching(/: 1 passed, 1 failed, 0 skipped, 0 not run; reports in/),
    ]);
    const cases = await junitCases();
    expect(Object.keys(cases)).toEqual([
      'flaky/sometimes › fails in the second repetition only',
      'flaky/sometimes › always passes',
    ]);
    const flaky = cases['flaky/sometimes › fails in the second repetition only']!;
    expect(flaky.failure!.message).toContain('expected 2 not to be 2');
    expect(flaky['system-out']).toContain('flaky: passed in repetitions 1, 3, failed in repetition 2');
    expect(await caseRows()).toContainEqual(
      expect.stringMatching(/^\| flaky\/sometimes \| always passes \| passed \| /),
    );
  });

  it('--repeat with --bail starts no repetition after the one that failed', async () => {
    const { exitCode, stdout } = await runRunner(['--suite', 'flaky', '--repeat', '3', '--bail']);
    expect(exitCode).toBe(1);
    expect(stdout).toContain(`${PREFIX} repetition 2 of 3`);
    expect(stdout).not.toContain('repetition 3 of 3');
    expect(await readFile(join(reports, 'flaky-count'), 'utf8')).toBe('2');
  });

  it('says which capability skipped cases; --require-all fails them, but not the cases -t left out', async () => {
    const plain = await runRunner(['--suite', 'basics']);
    expect(plain.exitCode).toBe(0);
    expect(runnerLines(plain.stdout).at(-2)).toBe(
      `${PREFIX} 1 case needs podAwsCli and was skipped: the fixture target has no aws`,
    );

    const required = await runRunner(['--suite', 'basics', '--require-all']);
    expect(required.exitCode).toBe(1);
    expect(runnerLines(required.stdout).slice(-2)).toEqual([
      `${PREFIX} --require-all: 2 skipped cases counted as failed`,
      expect.stringMatching(/: 3 passed, 2 failed, 0 skipped, 0 not run;/),
    ]);
    const cases = await junitCases();
    expect(cases['basics/greetings › greetings › skips when a capability is missing']!.failure!.message).toBe(
      'skipped, and --require-all counts a skipped case as failed: needs podAwsCli: the fixture target has no aws',
    );
    expect(await readFile(join(reports, 'summary.md'), 'utf8')).toMatch(
      /^# Pod Identity conformance: failed\n/,
    );

    const selected = await runRunner(['--suite', 'basics', '--require-all', '-t', 'says hello']);
    expect(selected.exitCode).toBe(0);
    expect(runnerLines(selected.stdout).at(-1)).toMatch(/: 1 passed, 0 failed, 4 skipped, 0 not run;/);
  });
});
