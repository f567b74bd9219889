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

  describe('options of another target', () => {
    it.each<[string[], Record<string, string>, string]>([
      [
        ['--account', '123456789012'],
        {},
        "--account applies only to the eks target, and this run's target is embedded (the default); drop --account or pass --target eks",
      ],
      [['--yes'], {}, '--yes applies only to the eks target'],
      [['--context', 'c'], {}, '--context applies only to the eks target'],
      [['--node-selector', 'a=b'], {}, '--node-selector applies only to the eks target'],
      [['--toleration', 'a:NoSchedule', '--target', 'localstack'], {}, "this run's target is localstack;"],
      [
        ['--localstack-endpoint', 'http://localhost:4566'],
        {},
        '--localstack-endpoint applies only to the localstack target',
      ],
      [
        ['--localstack-container', '--target', 'eks'],
        {},
        '--localstack-container applies only to the localstack target',
      ],
      [
        ['--localstack-image', 'localstack/localstack:4.14.0'],
        {},
        '--localstack-image applies only to the localstack target',
      ],
      [
        ['--pod-sandbox', 'off', '--target', 'eks'],
        {},
        "--pod-sandbox applies only to the embedded and localstack targets, and this run's target is eks; drop --pod-sandbox or pass --target embedded",
      ],
      [
        ['--chaos', '7'],
        { PIC_TARGET: 'localstack' },
        "--chaos applies only to the embedded target, and this run's target is localstack (from PIC_TARGET); drop --chaos or pass --target embedded",
      ],
      [
        [],
        { PIC_ALLOWED_ACCOUNTS: '123456789012' },
        "PIC_ALLOWED_ACCOUNTS applies only to the eks target, and this run's target is embedded (the default); unset PIC_ALLOWED_ACCOUNTS or pass --target eks",
      ],
      [[], { PIC_YES: 'true' }, 'PIC_YES applies only to the eks target'],
      [
        [],
        { PIC_LOCALSTACK_CONTAINER: '1' },
        'PIC_LOCALSTACK_CONTAINER applies only to the localstack target',
      ],
      [[], { PIC_CHAOS: '3', PIC_TARGET: 'eks' }, 'PIC_CHAOS applies only to the embedded target'],
      // The flag is named first.
      [['--context', 'c'], { PIC_YES: '1' }, '--context applies only to the eks target'],
    ])('refuses %j %j: one line naming the option and its target', async (argv, env, expected) => {
      expect(await usageError(argv, env)).toContain(expected);
    });

    it('names where the target came from in the config file', async () => {
      const file = await writeJsonConfig({ target: 'localstack' });
      expect(await usageError(['--account', '123456789012'])).toBe(
        `--account applies only to the eks target, and this run's target is localstack (from ${file} key "target"); drop --account or pass --target eks`,
      );
    });

    it('takes them on their own target', async () => {
      expect(
        await resolve(['--target', 'eks', '--account', '123456789012', '--yes', '--context', 'c'], {
          PIC_NODE_SELECTOR: 'a=b',
        }),
      ).toMatchObject({
        target: 'eks',
        accounts: ['123456789012'],
        yes: true,
        context: 'c',
        nodeSelector: ['a=b'],
      });
      expect(await resolve(['--target', 'localstack', '--pod-sandbox', 'off'])).toMatchObject({
        podSandbox: 'off',
      });
      expect((await resolve(['--chaos', '7'])).chaos).toBe('7');
    });

    it('ignores them in the config file, which may serve several targets, and drops them from the settings', async () => {
      await writeJsonConfig({
        target: 'eks',
        accounts: ['123456789012'],
        context: 'ctx',
        chaos: 3,
        localstackEndpoint: 'http://localhost:4566',
        podSandbox: 'off',
      });
      expect(await resolve([])).toMatchObject({ target: 'eks', accounts: ['123456789012'], context: 'ctx' });
      const embedded = await resolve(['--target', 'embedded']);
      expect(embedded).toMatchObject({ target: 'embedded', chaos: '3', podSandbox: 'off' });
      for (const key of ['accounts', 'context', 'localstackEndpoint'] as const)
        expect(embedded).not.toHaveProperty(key);
      // Still checked: a malformed value is a mistake wherever it is.
      await writeJsonConfig({ accounts: ['1'] });
      expect(await usageError([])).toMatch(/^malformed AWS account id "1" \(from /);
    });

    it('lets a switch turned off and LOCALSTACK_ENDPOINT (read by LocalStack tools too) pass, unused', async () => {
      const settings = await resolve(['--no-yes', '--no-localstack-container'], {
        LOCALSTACK_ENDPOINT: 'http://localhost:4566',
        PIC_YES: '0',
      });
      expect(settings).not.toHaveProperty('yes');
      expect(settings).not.toHaveProperty('localstackContainer');
      expect(settings).not.toHaveProperty('localstackEndpoint');
    });
  });

  it('reads --repeat 1 to 20, --bail and --require-all from flags, PIC_* variables and the config file', async () => {
    expect(await resolve(['--repeat', '20', '--bail', '--require-all'])).toMatchObject({
      repeat: '20',
      bail: true,
      requireAll: true,
    });
    expect(await resolve([], { PIC_REPEAT: '3', PIC_BAIL: 'yes', PIC_REQUIRE_ALL: '1' })).toMatchObject({
      repeat: '3',
      bail: true,
      requireAll: true,
    });
    for (const value of ['0', '21', '1.5', ' 2']) {
      expect(await usageError(['--repeat', value])).toBe(
        `invalid --repeat "${value}"; use a whole number from 1 to 20, e.g. --repeat 5`,
      );
    }
    await writeJsonConfig({ repeat: 5, requireAll: true });
    expect(await resolve([])).toMatchObject({ repeat: '5', requireAll: true });
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
