// The conformance runner end to end: test/runner/fixture-runner.ts is the real runner with a fake target
// and the fixture suites, spawned so vitest does not run inside vitest.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDACTED } from '../../helpers/redact.ts';
import { closedLoopbackPort } from '../targets/localstack/ports.ts';
import { parseOrderLog } from './fixture-support.ts';

const RUNNER = fileURLToPath(new URL('./fixture-runner.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/pod-identity-conformance.js', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE_SUITES = 'bail, basics, blocking, broken, failing, flaky, leaky, ordering';
/** No LocalStack listens there: the localstack target's endpoint check fails before anything starts. */
const CLOSED_ENDPOINT = `http://127.0.0.1:${await closedLoopbackPort()}`;

let work: string;
let reports: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-runner-'));
  reports = join(work, 'reports');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The parent's environment without anything that would steer the runner or the nested vitest. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PIC_|VITEST|FIXTURE_|GITHUB_STEP_SUMMARY$|TEST$|NODE_ENV$)/.test(key))
      continue;
    env[key] = value;
  }
  return {
    ...env,
    FIXTURE_TEARDOWN_LOG: join(work, 'teardown.jsonl'),
    FIXTURE_FACTORY_LOG: join(work, 'factory.json'),
    ...extra,
  };
}

function startRunner(args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false }> {
  return execa(process.execPath, [RUNNER, ...args], {
    cwd: work,
    env: childEnv(env),
    extendEnv: false,
    reject: false,
  });
}

async function runRunner(args: string[], env: Record<string, string> = {}) {
  const result = await startRunner(args, env);
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

interface JunitCase {
  name: string;
  classname: string;
  time: string;
  skipped?: { message: string };
  failure?: { message: string; type: string; '#text': string };
  error?: { message: string };
  'system-out'?: string;
}
interface JunitSuite {
  name: string;
  tests: string;
  testcase: JunitCase[];
  properties: { property: Array<{ name: string; value: string }> };
}

async function readJunit(dir: string = reports): Promise<JunitSuite[]> {
  return xml.parse(await readFile(join(dir, 'junit.xml'), 'utf8')).testsuites.testsuite;
}

async function readTeardownLog(): Promise<
  Array<{ kind: string; ref: Record<string, string>; runId: string }>
> {
  const path = join(work, 'teardown.jsonl');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('conformance runner', () => {
  it('prints its help and exits 0', async () => {
    const { exitCode, stdout } = await runRunner(['--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Usage: pod-identity-conformance [options]');
    expect(stdout).toContain(`Suites: ${FIXTURE_SUITES}`);
  });

  it('runs a passing suite: exit 0, junit.xml per file with skip reasons and notes, summary.md, GitHub step summary', async () => {
    await writeFile(
      join(work, 'pod-identity-conformance.config.json'),
      JSON.stringify({ region: 'eu-central-1', cluster: 'from-json', podImage: 'json/image' }),
    );
    const stepSummary = join(work, 'step-summary.md');
    await writeFile(stepSummary, '# earlier step\n');
    const { exitCode, stdout } = await runRunner(['--suite', 'basics', '--region', 'eu-west-1'], {
      PIC_CLUSTER: 'from-env',
      GITHUB_STEP_SUMMARY: stepSummary,
    });
    expect(exitCode).toBe(0);

    // Flags beat PIC_* variables, which beat the config file.
    const factory = JSON.parse(await readFile(join(work, 'factory.json'), 'utf8'));
    expect(factory.settings).toMatchObject({
      region: 'eu-west-1',
      cluster: 'from-env',
      podImage: 'json/image',
      reportDir: reports,
    });
    expect(factory.runId).toMatch(/^pic-\d{12}-[a-z0-9]{5}$/);
    expect(stdout).toContain(
      `run ${factory.runId} on embedded: 3 passed, 0 failed, 2 skipped, 0 not run; reports in reports/`,
    );

    const suites = await readJunit();
    expect(suites.map((s) => s.name)).toEqual(['basics/greetings', 'basics/second']);
    const [greetings] = suites;
    expect(greetings!.testcase.map((c) => c.name)).toEqual([
      'greetings › says hello',
      'greetings › in detail › knows the target it runs on',
      'greetings › skips when a capability is missing',
      'greetings › is skipped in the source',
    ]);
    const [hello, , capability, inSource] = greetings!.testcase;
    expect(hello!['system-out']).toBe('client: fixture-cli v1.0\nobserved: hello stayed hello');
    expect(Number(hello!.time)).toBeGreaterThanOrEqual(0);
    expect(capability!.skipped).toEqual({ message: 'needs podAwsCli: the fixture target has no aws' });
    expect(inSource!.skipped).toEqual({ message: 'skipped in the suite (it.skip or skipIf)' });
    const properties = Object.fromEntries(greetings!.properties.property.map((p) => [p.name, p.value]));
    expect(properties).toMatchObject({
      target: 'embedded',
      cluster: 'from-env',
      region: 'eu-west-1',
      'run-id': factory.runId,
    });

    const summary = await readFile(join(reports, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^# Pod Identity conformance: passed\n/);
    expect(summary).toContain('| Cluster | from-env |');
    expect(summary).toContain('| Region | eu-west-1 |');
    expect(summary).toContain(`| Run id | ${factory.runId} |`);
    expect(summary).toMatch(
      /\| basics\/greetings \| greetings › says hello \| passed \| \d+ ms \| client: fixture-cli v1\.0; observed: hello stayed hello \|/,
    );
    expect(summary).toMatch(
      /\| basics\/greetings \| greetings › skips when a capability is missing \| skipped \| \d+ ms \| needs podAwsCli: the fixture target has no aws \|/,
    );
    expect(summary).toMatch(/\| basics\/second \| adds numbers \| passed \| \d+ ms \| {2}\|/);
    expect(summary).toContain('**Totals:** 5 cases: 3 passed, 0 failed, 2 skipped, 0 not run');
    expect(await readFile(stepSummary, 'utf8')).toBe(`# earlier step\n${summary}`);
    expect(await readTeardownLog()).toEqual([]);
  });

  it('exits 1 on a failure and keeps the target secret out of the reports and the console', async () => {
    const secret = `fixture-${Math.random().toString(36).slice(2)}-secret-value`;
    const { exitCode, stdout, stderr } = await runRunner(['--suite', 'failing'], { FIXTURE_SECRET: secret });
    expect(exitCode).toBe(1);
    const junitText = await readFile(join(reports, 'junit.xml'), 'utf8');
    const summary = await readFile(join(reports, 'summary.md'), 'utf8');
    for (const text of [junitText, summary, stdout, stderr]) expect(text).not.toContain(secret);

    const [file] = await readJunit();
    expect(file!.name).toBe('failing/secret-in-assertion');
    const [failed, passed] = file!.testcase;
    expect(failed!.name).toBe('credentials › compares the runner secret with another value');
    expect(failed!.failure).toMatchObject({ type: 'AssertionError' });
    expect(failed!.failure!.message).toContain('to deeply equal');
    expect(failed!.failure!['#text']).toContain('- Expected');
    expect(failed!.failure!['#text']).toContain(`"secretAccessKey": "${REDACTED}"`);
    expect(passed!.failure).toBeUndefined();
    expect(summary).toMatch(/^# Pod Identity conformance: failed\n/);
    expect(summary).toContain('**Totals:** 2 cases: 1 passed, 1 failed, 0 skipped, 0 not run');
  });

  it('exits 1 when a suite file cannot even be loaded', async () => {
    const { exitCode } = await runRunner(['--suite', 'broken']);
    expect(exitCode).toBe(1);
    const [file] = await readJunit();
    expect(file!.testcase[0]).toMatchObject({
      name: 'broken/import-error (file)',
      error: { message: 'this suite file fails while loading' },
    });
  });

  it('runs *.last.test.ts files after every other file of the run', async () => {
    const { exitCode } = await runRunner(['--suite', 'ordering', '--suite', 'basics']);
    expect(exitCode).toBe(0);
    const log = parseOrderLog(await readFile(join(reports, 'order.log'), 'utf8'));
    const lastStart = log.find((e) => e.file === 'ordering/checks.last' && e.event === 'start');
    const ends = log.filter((e) => e.event === 'end');
    expect(ends.map((e) => e.file).sort()).toEqual(['basics/greetings', 'basics/second', 'ordering/first']);
    for (const end of ends) expect(log.indexOf(end)).toBeLessThan(log.indexOf(lastStart!));
    expect(Math.max(...ends.map((e) => e.at))).toBeLessThanOrEqual(lastStart!.at);
  });

  it('tears down what the ledger still lists after the run, and lists it in the summary', async () => {
    const { exitCode, stderr } = await runRunner(['--suite', 'leaky']);
    expect(exitCode).toBe(0);
    const torn = await readTeardownLog();
    expect(torn.map((r) => r.ref.name)).toEqual(['leaked']);
    expect(stderr).toContain('1 resource(s) were still listed in the run ledger: 1 deleted, 0 not');
    const summary = await readFile(join(reports, 'summary.md'), 'utf8');
    expect(summary).toContain('## Teardown');
    expect(summary).toContain('| fake-thing | name=leaked | deleted |');
  });

  it('with --keep deletes nothing and lists what was kept', async () => {
    const { exitCode, stderr } = await runRunner(['--suite', 'leaky', '--keep']);
    expect(exitCode).toBe(0);
    expect(await readTeardownLog()).toEqual([]);
    const factory = JSON.parse(await readFile(join(work, 'factory.json'), 'utf8'));
    expect(stderr).toContain(`--keep: kept 1 resource(s) of run ${factory.runId}`);
    // The fixture runner's fake target stands in for embedded, whose simulator takes everything with it.
    expect(stderr).toContain('the embedded simulator stops with the run and takes them with it');
    const summary = await readFile(join(reports, 'summary.md'), 'utf8');
    expect(summary).toContain('## Kept resources');
    expect(summary).toMatch(/\| fake-thing \| name=leaked \| \d{4}-\d\d-\d\dT/);
    expect(summary).not.toContain('## Teardown');
  });

  it('--list prints every suite, file and case without resolving a target or creating anything', async () => {
    const { exitCode, stdout, stderr } = await runRunner([
      '--list',
      '--suite',
      'basics',
      '--suite',
      'ordering',
    ]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        'basics (2 files, 5 cases)',
        '  basics/greetings.test.ts',
        '    greetings › says hello',
        '    greetings › in detail › knows the target it runs on',
        '    greetings › skips when a capability is missing',
        '    greetings › is skipped in the source',
        '  basics/second.test.ts',
        '    adds numbers',
        'ordering (2 files, 2 cases)',
        '  ordering/checks.last.test.ts',
        '    starts after every other file of the run has ended',
        '  ordering/first.test.ts',
        '    runs before the last file',
      ].join('\n'),
    );
    expect(await readdir(work)).toEqual([]);
  });

  it('--list names a suite file that cannot be collected and exits 1', async () => {
    const { exitCode, stdout } = await runRunner(['--list', '--suite', 'broken']);
    expect(exitCode).toBe(1);
    expect(stdout).toContain(
      '  broken/import-error.test.ts\n    (could not be collected: this suite file fails while loading)',
    );
  });

  it('exits 1 with one line when the target does not start, creating no report dir', async () => {
    const { exitCode, stderr } = await runRunner(['--suite', 'basics'], {
      FIXTURE_TARGET_FAILS: 'port 6443 is taken',
    });
    expect(exitCode).toBe(1);
    expect(stderr.trimEnd()).toBe(
      'pod-identity-conformance: could not start the embedded target: port 6443 is taken',
    );
    expect(existsSync(reports)).toBe(false);
  });

  describe('bad input: one line on stderr, exit 2, nothing started or created', () => {
    it.each<{ args: string[]; env?: Record<string, string>; config?: object; says: string }>([
      { args: ['--target', 'ekz'], says: 'unknown target "ekz"; choose one of: embedded, localstack, eks' },
      { args: ['--suite', 'nope'], says: `unknown suite "nope"; choose one of: ${FIXTURE_SUITES}` },
      {
        args: ['--suit', 'basics'],
        says: 'unknown option "--suit" (did you mean --suite?); valid options: --suite,',
      },
      { args: ['basics'], says: 'unexpected argument "basics"' },
      {
        args: ['--region', 'mars-1'],
        says: 'malformed region "mars-1"; use an AWS region name such as us-east-1',
      },
      { args: ['--parallel', '2.5'], says: 'invalid --parallel "2.5"; use a whole number from 1 to 32' },
      { args: ['--cluster=-bad'], says: 'invalid cluster name "-bad"; an EKS cluster name is 1-100 letters' },
      {
        args: [],
        env: { PIC_TARGET: 'ekz' },
        says: 'unknown target "ekz" (from PIC_TARGET); choose one of:',
      },
      { args: [], env: { PIC_KEEP: 'perhaps' }, says: 'PIC_KEEP="perhaps" is not a yes/no value' },
      {
        args: [],
        config: { sute: ['basics'] },
        says: 'has unknown key "sute"; valid keys: suites, suitesDirs, target,',
      },
      { args: ['--report-dir', 'a-file/reports'], says: 'cannot write reports to "' },
      {
        args: ['--target', 'localstack', '--localstack-endpoint', CLOSED_ENDPOINT],
        says: `LocalStack endpoint ${CLOSED_ENDPOINT} does not answer (ECONNREFUSED); start LocalStack`,
      },
    ])('$says', async ({ args, env, config, says }) => {
      await writeFile(join(work, 'a-file'), 'a regular file');
      if (config) await writeFile(join(work, 'pod-identity-conformance.config.json'), JSON.stringify(config));
      const before = (await readdir(work)).sort();
      const { exitCode, stdout, stderr } = await runRunner(args, env);
      expect(exitCode).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^pod-identity-conformance: /);
      expect(lines[0]).toContain(says);
      // No report dir, no ledger, no target: the fake factory records every call in factory.json.
      expect((await readdir(work)).sort()).toEqual(before);
    });
  });

  describe('signals', () => {
    it.each([
      { signal: 'SIGTERM' as const, code: 143 },
      { signal: 'SIGINT' as const, code: 130 },
    ])(
      '$signal during a run tears down what the ledger lists, writes the reports and exits $code',
      async ({ signal, code }) => {
        const runner = startRunner(['--suite', 'blocking']);
        const ledger = await waitFor(
          'the blocking case to record its resource',
          async () => {
            const files = existsSync(reports)
              ? (await readdir(reports)).filter((f) => f.startsWith('ledger-'))
              : [];
            if (files.length === 0) return undefined;
            const text = await readFile(join(reports, files[0]!), 'utf8');
            return text.includes('"blocked"') ? files[0] : undefined;
          },
          30_000,
        );
        runner.kill(signal);
        // The blocked case would wait 60 s: ending well before that shows the run was cut short.
        const result = await Promise.race([
          runner,
          new Promise<'still running'>((resolve) =>
            setTimeout(() => resolve('still running'), 30_000).unref(),
          ),
        ]);
        if (result === 'still running') runner.kill('SIGKILL');
        expect(result).not.toBe('still running');
        expect(result !== 'still running' && result.exitCode).toBe(code);

        const torn = await readTeardownLog();
        expect(torn).toHaveLength(1);
        expect(torn[0]).toMatchObject({ kind: 'fake-thing', ref: { name: 'blocked' } });
        expect(ledger).toBe(`ledger-${torn[0]!.runId}.jsonl`);
        const summary = await readFile(join(reports, 'summary.md'), 'utf8');
        expect(summary).toContain(`# Pod Identity conformance: interrupted (${signal})`);
        expect(summary).toContain(
          `| blocking/waits-forever | records a fake resource, then waits for a condition that never comes | not run |`,
        );
        expect(summary).toContain(`Deleted after ${signal}, from the run ledger`);
        expect(summary).toContain('| fake-thing | name=blocked | deleted |');
        const [file] = await readJunit();
        expect(file!.testcase[0]!.skipped).toEqual({
          message: `interrupted by ${signal} before it finished`,
        });
      },
    );
  });
});

describe('bin/pod-identity-conformance.js', () => {
  it('starts the runner through tsx: --help from the repository', async () => {
    const result = await execa(process.execPath, [BIN, '--help'], {
      cwd: REPO,
      env: childEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain('Usage: pod-identity-conformance [options]');
    expect(String(result.stdout)).toMatch(/Suites: .*pod-identity/);
  });
});
