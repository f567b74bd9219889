import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../runner/cli.ts';
import { UsageError } from '../../runner/errors.ts';
import { RUN_OPTIONS } from '../../runner/options.ts';
import { CONFIG_FILE_NAMES, type RunSettings, resolveSettings } from '../../runner/settings.ts';

/** Every option's config key, in the options table's order. */
const VALID_KEYS = RUN_OPTIONS.map((option) => option.key).join(', ');

const SUITES = ['pod-identity', 'extra'];
let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'pic-settings-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function resolve(argv: string[], env: Record<string, string> = {}): Promise<RunSettings> {
  return resolveSettings({
    commandLine: parseCommandLine(argv),
    env,
    cwd,
    availableSuites: async (dirs) => [...SUITES, ...dirs.map((dir) => `dir:${dir}`)],
  });
}

async function usageError(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const error = await resolve(argv, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

async function writeJsonConfig(values: unknown, name: string = CONFIG_FILE_NAMES.json): Promise<string> {
  const path = join(cwd, name);
  await writeFile(path, JSON.stringify(values));
  return path;
}

async function writeTsConfig(body: string, name: string = CONFIG_FILE_NAMES.ts): Promise<string> {
  const path = join(cwd, name);
  await writeFile(path, body);
  return path;
}

describe('resolveSettings', () => {
  it('defaults to every suite, the embedded target, reports/ and no --keep', async () => {
    expect(await resolve([])).toEqual({
      suites: SUITES,
      target: 'embedded',
      reportDir: join(cwd, 'reports'),
      keep: false,
    });
  });

  it('takes flags over PIC_* variables over the JSON config over the TS config over defaults', async () => {
    await writeTsConfig(
      "export default { region: 'ap-south-1', cluster: 'from-ts', podImage: 'ts/image', reportDir: 'ts-reports', suites: ['extra'] };\n",
    );
    await writeJsonConfig({ region: 'eu-central-1', cluster: 'from-json', podImage: 'json/image' });
    const env = { PIC_REGION: 'us-west-2', PIC_CLUSTER: 'from-env' };
    const settings = await resolve(['--region', 'eu-west-1'], env);
    expect(settings).toMatchObject({
      region: 'eu-west-1', // flag
      cluster: 'from-env', // environment
      podImage: 'json/image', // JSON config
      reportDir: join(cwd, 'ts-reports'), // TS config
      suites: ['extra'], // TS config
      target: 'embedded', // default
      keep: false, // default
    });
  });

  it('reads every PIC_* variable', async () => {
    const settings = await resolve([], {
      PIC_SUITE: 'extra, pod-identity',
      PIC_TARGET: 'eks',
      PIC_CLUSTER: 'c1',
      PIC_REGION: 'us-gov-west-1',
      PIC_POD_IMAGE: 'img',
      PIC_REPORT_DIR: '/tmp/pic-out',
      PIC_KEEP: 'yes',
    });
    expect(settings).toEqual({
      suites: ['extra', 'pod-identity'],
      target: 'eks',
      cluster: 'c1',
      region: 'us-gov-west-1',
      podImage: 'img',
      reportDir: '/tmp/pic-out',
      keep: true,
    });
  });

  it('lets --no-keep beat PIC_KEEP, and PIC_KEEP=0 beat the config file', async () => {
    await writeJsonConfig({ keep: true });
    expect((await resolve(['--no-keep'], { PIC_KEEP: '1' })).keep).toBe(false);
    expect((await resolve([], { PIC_KEEP: '0' })).keep).toBe(false);
    expect((await resolve([])).keep).toBe(true);
  });

  it('reads only the --config file when one is given', async () => {
    await writeJsonConfig({ region: 'eu-central-1' });
    const other = await writeTsConfig("export default { region: 'sa-east-1' };\n", 'other.config.ts');
    expect((await resolve(['--config', other])).region).toBe('sa-east-1');
  });

  it.each([
    [['--target', 'ekz'], {}, 'unknown target "ekz"; choose one of: embedded, localstack, eks'],
    [
      [],
      { PIC_TARGET: 'ekz' },
      'unknown target "ekz" (from PIC_TARGET); choose one of: embedded, localstack, eks',
    ],
    [['--suite', 'nope'], {}, 'unknown suite "nope"; choose one of: pod-identity, extra'],
    [
      [],
      { PIC_SUITE: 'extra,nope' },
      'unknown suite "nope" (from PIC_SUITE); choose one of: pod-identity, extra',
    ],
    [['--parallel', '0'], {}, 'invalid --parallel "0"; use a whole number from 1 to 32'],
    [
      [],
      { PIC_PARALLEL: 'many' },
      'invalid --parallel "many" (from PIC_PARALLEL); use a whole number from 1 to 32',
    ],
    [
      ['--region', 'useast1'],
      {},
      'malformed region "useast1"; use an AWS region name such as us-east-1 or eu-west-2',
    ],
    [
      ['--region', 'us-east-1a'],
      {},
      'malformed region "us-east-1a"; use an AWS region name such as us-east-1 or eu-west-2',
    ],
    [
      ['--cluster', '_x'],
      {},
      'invalid cluster name "_x"; an EKS cluster name is 1-100 letters, digits, - and _, starting with a letter or digit',
    ],
    [['--cluster', 'a.b'], {}, 'invalid cluster name "a.b"'],
    [['--cluster', 'c'.repeat(101)], {}, 'invalid cluster name "ccc'],
    [
      [],
      { PIC_KEEP: 'maybe' },
      'PIC_KEEP="maybe" is not a yes/no value; use one of: 1, true, yes, on, 0, false, no, off',
    ],
  ])('rejects %j %j with one line', async (argv, env, expected) => {
    expect(await usageError(argv, env)).toContain(expected);
  });

  it('takes whole numbers in the config file as JSON numbers or digit strings, kept as their decimal text', async () => {
    await writeJsonConfig({ parallel: 8, waitTimeout: '90' });
    expect(await resolve([])).toMatchObject({ parallel: '8', waitTimeout: '90' });
    expect((await resolve(['--parallel', '02'])).parallel).toBe('02');
  });

  it('checks every value given, also one a higher layer overrides', async () => {
    expect(await usageError(['--parallel', '4'], { PIC_PARALLEL: '0' })).toBe(
      'invalid --parallel "0" (from PIC_PARALLEL); use a whole number from 1 to 32, e.g. --parallel 4',
    );
    const file = await writeJsonConfig({ region: 'mars' });
    expect(await usageError(['--region', 'eu-west-1'])).toBe(
      `malformed region "mars" (from ${file} key "region"); use an AWS region name such as us-east-1 or eu-west-2`,
    );
  });

  it('refuses an empty value in every layer instead of taking it for "not set"', async () => {
    expect(await usageError(['--report-dir', ''])).toBe(
      '--report-dir is empty; give a directory, e.g. --report-dir reports',
    );
    expect(await usageError([], { PIC_CLUSTER: ' ' })).toBe(
      'PIC_CLUSTER is set but empty; set it to an EKS cluster name (e.g. PIC_CLUSTER=my-cluster) or unset it',
    );
    const file = await writeJsonConfig({ suitesDirs: [] });
    expect(await usageError([])).toBe(
      `config file ${file} key "suitesDirs" is an empty list; list a folder of suites or more (e.g. "suitesDirs": ["../team-checks"]) or remove the key`,
    );
    await writeJsonConfig({ context: '' });
    expect(await usageError([])).toBe(
      `config file ${file} key "context" is empty; set it to a kubeconfig context name (e.g. "context": "my-context") or remove the key`,
    );
    expect(await usageError(['--config', ''])).toBe(
      '--config is empty; give the path of a .json or .ts config file, e.g. --config pod-identity-conformance.config.json',
    );
  });

  it('accepts region names of every partition and cluster names up to 100 characters', async () => {
    for (const region of [
      'us-east-1',
      'eu-central-2',
      'us-gov-west-1',
      'us-iso-east-1',
      'us-isob-east-1',
      'cn-north-1',
    ]) {
      expect((await resolve(['--region', region])).region).toBe(region);
    }
    const longest = `a${'-_9Z'.repeat(24)}bcd`;
    expect(longest).toHaveLength(100);
    expect((await resolve(['--cluster', longest])).cluster).toBe(longest);
  });

  it('names an unknown config-file key and the valid ones', async () => {
    const file = await writeJsonConfig({ sute: ['pod-identity'] });
    expect(await usageError([])).toBe(
      `config file ${file} has unknown key "sute"; valid keys: ${VALID_KEYS}`,
    );
  });

  it('rejects config values of the wrong type, invalid values in the file, and unreadable files', async () => {
    const file = await writeJsonConfig({ keep: 'yes' });
    expect(await usageError([])).toBe(
      `config file ${file}: key "keep" must be true or false; valid keys: ${VALID_KEYS}`,
    );
    await writeJsonConfig({ target: 'ekz' });
    expect(await usageError([])).toBe(
      `unknown target "ekz" (from ${file} key "target"); choose one of: embedded, localstack, eks`,
    );
    await writeFile(file, '{ not json');
    expect(await usageError([])).toMatch(
      /^config file .* is not valid JSON \(.*\); fix the file or pass --config$/,
    );
    expect(await usageError(['--config', 'missing.json'])).toBe(
      'config file "missing.json" does not exist; pass --config with the path of a .json or .ts file',
    );
    const yaml = join(cwd, 'config.yaml');
    await writeFile(yaml, 'target: eks');
    expect(await usageError(['--config', yaml])).toBe(`config file ${yaml} must end in .json or .ts`);
  });

  it('rejects a TS config without a default export or with an unknown key', async () => {
    const file = await writeTsConfig("export const region = 'us-east-1';\n");
    expect(await usageError([])).toBe(
      `config file ${file} has no default export; write \`export default { ... }\``,
    );
    const typo = await writeTsConfig(
      "export default { target: 'eks', regoin: 'us-east-1' };\n",
      'typo.config.ts',
    );
    expect(await usageError(['--config', typo])).toContain('has unknown key "regoin"');
  });

  it('--suites-dir (repeatable, or PIC_SUITES_DIR) adds the suites found there to the choices', async () => {
    const settings = await resolve(['--suites-dir', 'mine', '--suites-dir', 'theirs', '--suite', 'dir:mine']);
    expect(settings.suitesDirs).toEqual(['mine', 'theirs']);
    expect(settings.suites).toEqual(['dir:mine']);
    expect((await resolve([], { PIC_SUITES_DIR: 'a,b' })).suites).toEqual([...SUITES, 'dir:a', 'dir:b']);
  });

  it('refuses to run when no suite exists', async () => {
    const error = await resolveSettings({
      commandLine: parseCommandLine([]),
      env: {},
      cwd,
      availableSuites: async () => [],
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^no suites found/);
  });
});
