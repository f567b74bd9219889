// Malformed values of every option, from a flag, a PIC_* variable or the config file, through the
// runner's entry (runConformance) with stand-in dependencies: exit 2, one line on stderr naming the option
// and what it accepts, nothing on stdout, no target started, nothing written.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunnerDeps, runConformance } from '../../runner/run-conformance.ts';
import type { TargetFactory } from '../../targets/index.ts';

const FIXTURE_SUITES_ROOT = fileURLToPath(new URL('./fixture-suites', import.meta.url));
const CONFIG = 'pod-identity-conformance.config.json';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-bad-input-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function collector(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
}

async function run(argv: string[], env: Record<string, string> = {}) {
  const started: string[] = [];
  const settings: unknown[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const factory =
    (name: string): TargetFactory =>
    async (given) => {
      started.push(name);
      settings.push(given);
      throw new Error(`the ${name} target must not be started on bad input`);
    };
  const deps: RunnerDeps = {
    targets: { embedded: factory('embedded'), localstack: factory('localstack'), eks: factory('eks') },
    suitesRoot: FIXTURE_SUITES_ROOT,
    packageRoot: work,
    teardown: async () => {
      throw new Error('nothing may be torn down on bad input');
    },
    env,
    cwd: work,
    stdout: collector(out),
    stderr: collector(err),
    signals: { on: () => {}, off: () => {} },
    forceExit: () => {
      throw new Error('no forced exit on bad input');
    },
  };
  const code = await runConformance(argv, deps);
  return { code, stdout: out.join(''), stderr: err.join(''), started, settings };
}

interface BadInput {
  args?: string[];
  env?: Record<string, string>;
  config?: Record<string, unknown>;
  /** A part of the one line: the option as it was given, and what it accepts. */
  says: string;
}

const FLAGS: BadInput[] = [
  { args: ['--suite', ''], says: '--suite is empty; give a suite name' },
  {
    args: ['--suite', ','],
    says: '--suite="," has an empty item; each comma-separated item must be a suite',
  },
  { args: ['--suite', 'basics,,ordering'], says: '--suite="basics,,ordering" has an empty item' },
  { args: ['--suite', ' '], says: '--suite is empty' },
  { args: ['--suite=basics', '--suite='], says: '--suite is empty' },
  { args: ['--suites-dir', ''], says: '--suites-dir is empty; give a folder of suites' },
  { args: ['--file', ''], says: '--file is empty; give a suite file name without .test.ts' },
  { args: ['--file', 'second,'], says: '--file="second," has an empty item' },
  { args: ['--case', ''], says: '--case is empty; give a regular expression, e.g. --case aws-cli' },
  { args: ['--case', '('], says: 'invalid case pattern "("' },
  {
    args: ['--case', '-x'],
    says: 'the value "-x" of --case starts with "-" and reads as an option; write --case=-x',
  },
  { args: ['--target', ''], says: '--target is empty; give a target: embedded, localstack or eks' },
  { args: ['--cluster', ''], says: '--cluster is empty; give an EKS cluster name' },
  { args: ['--region', ''], says: '--region is empty; give an AWS region, e.g. --region eu-west-1' },
  { args: ['--region'], says: '--region needs a value: --region REGION' },
  { args: ['--pod-image', ''], says: '--pod-image is empty; give an image reference' },
  { args: ['--pod-image', 'Not An Image'], says: 'malformed image "Not An Image"; give an image reference' },
  { args: ['--report-dir', ''], says: '--report-dir is empty; give a directory, e.g. --report-dir reports' },
  { args: ['--report-dir', '  '], says: '--report-dir is empty' },
  { args: ['--localstack-endpoint', ''], says: '--localstack-endpoint is empty; give a URL' },
  { args: ['--localstack-endpoint', 'localhost:4566'], says: 'malformed endpoint "localhost:4566"' },
  {
    args: ['--localstack-endpoint', 'http://localhost:99999'],
    says: 'malformed endpoint "http://localhost:99999"',
  },
  { args: ['--localstack-endpoint', 'http://localhost:4566/path'], says: 'malformed endpoint' },
  { args: ['--localstack-image', ''], says: '--localstack-image is empty; give an image reference' },
  { args: ['--pod-sandbox', ''], says: '--pod-sandbox is empty; give a mode: auto, required or off' },
  {
    args: ['--pod-sandbox', 'maybe'],
    says: 'unknown podSandbox "maybe"; choose one of: auto, required, off',
  },
  {
    args: ['--parallel', ''],
    says: '--parallel is empty; give a whole number from 1 to 32, e.g. --parallel 4',
  },
  ...[' 4', '4 ', '0x4', '1e1', '4.0', '+4', '0', '33', '1000000', 'four'].map((value) => ({
    args: ['--parallel', value],
    says: `invalid --parallel "${value}"; use a whole number from 1 to 32, e.g. --parallel 4`,
  })),
  { args: ['--parallel', '-1'], says: 'invalid --parallel "-1"; use a whole number from 1 to 32' },
  { args: ['--parallel=-1'], says: 'invalid --parallel "-1"; use a whole number from 1 to 32' },
  { args: ['--parallel'], says: '--parallel needs a value: --parallel N, e.g. --parallel 4' },
  { args: ['--context', ''], says: '--context is empty; give a kubeconfig context name' },
  { args: ['--account', ''], says: '--account is empty; give a 12-digit AWS account id' },
  { args: ['--account', '1234'], says: 'malformed AWS account id "1234"; an account id is 12 digits' },
  { args: ['--account', '123456789012,'], says: '--account="123456789012," has an empty item' },
  {
    args: ['--target-role-account', '4444'],
    says: 'malformed AWS account id "4444"; an account id is 12 digits, e.g. --target-role-account 444455556666',
  },
  { args: ['--node-selector', ''], says: '--node-selector is empty; give a node label KEY=VALUE' },
  { args: ['--node-selector', 'nokey'], says: 'node selector "nokey" is not KEY=VALUE' },
  {
    args: ['--node-selector', 'a=b!'],
    says: 'not a valid label value; e.g. --node-selector kubernetes.io/arch=amd64',
  },
  { args: ['--namespace-label', ''], says: '--namespace-label is empty; give a namespace label KEY=VALUE' },
  { args: ['--namespace-label', 'team'], says: 'namespace label "team" is not KEY=VALUE' },
  {
    args: ['--namespace-label', 'team=a b'],
    says: 'not a valid label value; e.g. --namespace-label team=payments',
  },
  { args: ['--toleration', ''], says: '--toleration is empty; give a taint KEY=VALUE:EFFECT' },
  { args: ['--toleration', 'a=b:Sometimes'], says: 'effect "Sometimes" is not one of NoSchedule' },
  { args: ['--wait-timeout', ''], says: '--wait-timeout is empty; give whole seconds from 1 to 3600' },
  ...['0', '3601', ' 60', '1e2', '60s', '0x10'].map((value) => ({
    args: ['--wait-timeout', value],
    says: `invalid --wait-timeout "${value}"; give whole seconds from 1 to 3600, e.g. --wait-timeout 300`,
  })),
  { args: ['--wait-timeout', '-5'], says: 'invalid --wait-timeout "-5"; give whole seconds from 1 to 3600' },
  { args: ['--config', ''], says: '--config is empty; give the path of a .json or .ts config file' },
  { args: ['--keep=yes'], says: '--keep is a switch and takes no value; write --keep or --no-keep' },
  { args: ['--suite', '--keep'], says: '--suite needs a value, but the next argument is the option --keep' },
];

const ENVIRONMENT: BadInput[] = [
  { env: { PIC_SUITE: '' }, says: 'PIC_SUITE is set but empty; set it to a suite name' },
  {
    env: { PIC_SUITE: ',' },
    says: 'PIC_SUITE="," has an empty item; each comma-separated item must be a suite',
  },
  {
    env: { PIC_TARGET: '' },
    says: 'PIC_TARGET is set but empty; set it to a target: embedded, localstack or eks',
  },
  {
    env: { PIC_REPORT_DIR: '' },
    says: 'PIC_REPORT_DIR is set but empty; set it to a directory (e.g. PIC_REPORT_DIR=reports) or unset it',
  },
  {
    env: { PIC_PARALLEL: ' 4' },
    says: 'invalid --parallel " 4" (from PIC_PARALLEL); use a whole number from 1 to 32',
  },
  { env: { PIC_PARALLEL: '0x4' }, says: 'invalid --parallel "0x4" (from PIC_PARALLEL)' },
  { env: { PIC_WAIT_TIMEOUT: '1e1' }, says: 'invalid --wait-timeout "1e1" (from PIC_WAIT_TIMEOUT)' },
  {
    env: { PIC_ALLOWED_ACCOUNTS: '123456789012,,' },
    says: 'PIC_ALLOWED_ACCOUNTS="123456789012,," has an empty item',
  },
  { env: { LOCALSTACK_ENDPOINT: '' }, says: 'LOCALSTACK_ENDPOINT is set but empty; set it to a URL' },
  { env: { PIC_KEEP: '' }, says: 'PIC_KEEP is set but empty' },
  { env: { PIC_KEEP: ' yes' }, says: 'PIC_KEEP=" yes" is not a yes/no value' },
  // Checked even where a flag overrides it.
  {
    args: ['--parallel', '4'],
    env: { PIC_PARALLEL: '0' },
    says: 'invalid --parallel "0" (from PIC_PARALLEL)',
  },
];

const CONFIG_FILE: BadInput[] = [
  { config: { suites: [] }, says: 'key "suites" is an empty list; list a suite name' },
  {
    config: { suites: ['basics', ''] },
    says: 'key "suites" item 2 is empty; each item must be a suite name',
  },
  {
    config: { reportDir: '' },
    says: 'key "reportDir" is empty; set it to a directory (e.g. "reportDir": "reports") or remove the key',
  },
  { config: { parallel: 0 }, says: 'invalid --parallel "0" (from ' },
  { config: { parallel: 4.5 }, says: 'invalid --parallel "4.5" (from ' },
  { config: { parallel: '1e1' }, says: 'invalid --parallel "1e1" (from ' },
  { config: { parallel: true }, says: 'key "parallel" must be a whole number or a string of digits' },
  { config: { waitTimeout: 99999 }, says: 'invalid --wait-timeout "99999" (from ' },
  { config: { podImage: '' }, says: 'key "podImage" is empty; set it to an image reference' },
  { config: { accounts: ['1'] }, says: 'malformed AWS account id "1" (from ' },
  { config: { target: '' }, says: 'key "target" is empty' },
  { config: { keep: 'yes' }, says: 'key "keep" must be true or false' },
];

/** Options of another target, as a flag or a PIC_* variable: refused before any target starts. */
const OTHER_TARGET: BadInput[] = [
  { args: ['--account', '123456789012'], says: '--account applies only to the eks target' },
  { args: ['--yes'], says: "--yes applies only to the eks target, and this run's target is embedded" },
  { args: ['--context', 'ctx'], says: '--context applies only to the eks target' },
  { args: ['--node-selector', 'a=b'], says: '--node-selector applies only to the eks target' },
  { args: ['--toleration', 'a:NoSchedule'], says: '--toleration applies only to the eks target' },
  {
    args: ['--localstack-endpoint', 'http://localhost:4566'],
    says: '--localstack-endpoint applies only to the localstack target',
  },
  {
    args: ['--target', 'eks', '--localstack-container'],
    says: "--localstack-container applies only to the localstack target, and this run's target is eks",
  },
  {
    args: ['--localstack-image', 'localstack/localstack:4.14.0'],
    says: '--localstack-image applies only to the localstack target',
  },
  {
    args: ['--target', 'eks', '--pod-sandbox', 'required'],
    says: '--pod-sandbox applies only to the embedded and localstack targets',
  },
  {
    args: ['--target', 'eks', '--chaos', '7'],
    says: "--chaos applies only to the embedded target, and this run's target is eks; drop --chaos or pass --target embedded",
  },
  { args: ['--target', 'localstack', '--chaos', '7'], says: '--chaos applies only to the embedded target' },
  {
    args: ['--target', 'localstack', '--target-role-account', '444455556666'],
    says: '--target-role-account applies only to the embedded and eks targets',
  },
  { args: ['--target-role-profile', 'other'], says: '--target-role-profile applies only to the eks target' },
  { env: { PIC_CONTEXT: 'ctx' }, says: 'PIC_CONTEXT applies only to the eks target' },
  { env: { PIC_TARGET: 'eks', PIC_CHAOS: '1' }, says: 'PIC_CHAOS applies only to the embedded target' },
  { env: { PIC_LOCALSTACK_IMAGE: 'a/b' }, says: 'unset PIC_LOCALSTACK_IMAGE or pass --target localstack' },
];

const RUN_CONTROLS: BadInput[] = [
  { args: ['--repeat', '0'], says: 'invalid --repeat "0"; use a whole number from 1 to 20, e.g. --repeat 5' },
  { args: ['--repeat', '21'], says: 'invalid --repeat "21"' },
  { args: ['--repeat', ''], says: '--repeat is empty; give a whole number from 1 to 20' },
  { args: ['--bail=1'], says: '--bail is a switch and takes no value; write --bail or --no-bail' },
  { env: { PIC_REPEAT: '2x' }, says: 'invalid --repeat "2x" (from PIC_REPEAT)' },
  { env: { PIC_REQUIRE_ALL: 'always' }, says: 'PIC_REQUIRE_ALL="always" is not a yes/no value' },
  { config: { repeat: 100 }, says: 'invalid --repeat "100" (from ' },
  { config: { bail: 'yes' }, says: 'key "bail" must be true or false' },
  { args: ['-t'], says: '-t needs a value: -t PATTERN' },
  { args: ['-t', '('], says: 'invalid case pattern "("' },
  { args: ['-t=x'], says: '-t=x would make "=x" the value of -t (--case)' },
];

/** --client and --client-image (the in-pod clients). */
const POD_CLIENTS: BadInput[] = [
  {
    args: ['--client', 'boto'],
    says: 'unknown client "boto"; choose one of: aws-cli, sdk-probe, boto3, node-v2, e.g. --client boto3',
  },
  { args: ['--client', ''], says: '--client is empty; give a client: aws-cli, sdk-probe, boto3 or node-v2' },
  {
    args: ['--client', 'node-v2@3.0.0'],
    says: 'client "node-v2@3.0.0": a release can be pinned only as node-v2@2.X.Y (aws-sdk from the npm registry) or boto3@1.29.27',
  },
  { args: ['--client', 'aws-cli@2.15.0'], says: 'client "aws-cli@2.15.0": a release can be pinned only as' },
  { env: { PIC_CLIENT: 'boto3,x' }, says: 'unknown client "x" (from PIC_CLIENT)' },
  {
    args: ['--target', 'eks', '--client-image', 'ruby=app:1'],
    says: 'malformed client image "ruby=app:1"; give PROBE=IMAGE with PROBE one of python, node-v3, node-v2, aws-cli',
  },
  {
    args: ['--target', 'eks', '--client-image', 'python=Bad Image'],
    says: 'client image "python=Bad Image": malformed image "Bad Image"',
  },
  { args: ['--client-image', 'python=app:1'], says: '--client-image applies only to the eks target' },
  {
    args: ['--target', 'eks', '--client', 'node-v2@2.1400.0'],
    says: '--client node-v2@2.1400.0: a pinned release runs only on the embedded and localstack targets; on eks run your own image with --client-image',
  },
];

describe('bad input through the runner: exit 2, one line, nothing started or written', () => {
  it.each([...FLAGS, ...ENVIRONMENT, ...CONFIG_FILE, ...OTHER_TARGET, ...RUN_CONTROLS, ...POD_CLIENTS])(
    '$args $env $config: $says',
    async ({ args = [], env = {}, config, says }) => {
      if (config) await writeFile(join(work, CONFIG), JSON.stringify(config));
      const before = (await readdir(work)).sort();
      const result = await run(['--suite', 'basics', ...args], env);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^pod-identity-conformance: /);
      expect(lines[0]).toContain(says);
      expect(result.started).toEqual([]);
      expect((await readdir(work)).sort()).toEqual(before);
    },
  );

  it('hands the target no config-file value of another target: ignored, not refused', async () => {
    await writeFile(
      join(work, CONFIG),
      JSON.stringify({ accounts: ['123456789012'], context: 'ctx', localstackContainer: true, chaos: 7 }),
    );
    const result = await run([], { LOCALSTACK_ENDPOINT: 'http://localhost:4566' });
    expect(result.started).toEqual(['embedded']);
    expect(result.settings[0]).toMatchObject({ chaos: '7' });
    for (const key of ['accounts', 'context', 'localstackContainer', 'localstackEndpoint'])
      expect(result.settings[0]).not.toHaveProperty(key);
  });

  it('--version prints the version and starts nothing', async () => {
    await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'x', version: '9.8.7' }));
    const result = await run(['--version', '--target', 'eks']);
    expect(result).toMatchObject({
      code: 0,
      stdout: 'pod-identity-conformance 9.8.7\n',
      stderr: '',
      started: [],
    });
    expect(await readdir(work)).toEqual(['package.json']);
  });

  it('lets valid values through to the target: decimal numbers, JSON numbers, spaces around list commas', async () => {
    await writeFile(join(work, CONFIG), JSON.stringify({ waitTimeout: 90 }));
    const result = await run(['--suite', 'basics, ordering', '--parallel', '08'], { PIC_FILE: 'second' });
    // The stand-in target refuses to start: that is exit 1, after the input was accepted.
    expect(result.started).toEqual(['embedded']);
    expect(result.code).toBe(1);
  });
});
