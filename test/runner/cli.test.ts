import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine } from '../../runner/cli.ts';
import { UsageError } from '../../runner/errors.ts';
import { COMMAND_FLAGS, RUN_OPTIONS } from '../../runner/options.ts';

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`parsing ${argv.join(' ')} did not fail`);
}

describe('parseCommandLine', () => {
  it('reads every option into its config key', () => {
    const parsed = parseCommandLine([
      '--suite',
      'pod-identity',
      '--target',
      'eks',
      '--cluster',
      'prod-1',
      '--region',
      'eu-west-2',
      '--pod-image',
      'registry.example/aws-cli:2',
      '--report-dir',
      'out',
      '--keep',
      '--config',
      'my.json',
    ]);
    expect(parsed).toEqual({
      values: {
        suites: ['pod-identity'],
        target: 'eks',
        cluster: 'prod-1',
        region: 'eu-west-2',
        podImage: 'registry.example/aws-cli:2',
        reportDir: 'out',
        keep: true,
      },
      configPath: 'my.json',
      list: false,
      help: false,
    });
  });

  it('gives only what was on the command line', () => {
    expect(parseCommandLine([])).toEqual({ values: {}, list: false, help: false });
    expect(parseCommandLine(['--list']).list).toBe(true);
    expect(parseCommandLine(['--help']).help).toBe(true);
  });

  it('collects a repeated --suite and comma-separated names', () => {
    expect(parseCommandLine(['--suite', 'a', '--suite', 'b,c', '--suite=d']).values.suites).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('takes --no-keep to override a keep from the environment or config file', () => {
    expect(parseCommandLine(['--no-keep']).values.keep).toBe(false);
  });

  it('rejects an unknown flag, suggesting the closest and listing the valid ones', () => {
    const message = usageError(['--suit', 'pod-identity']);
    expect(message).toMatch(
      /^unknown option "--suit" \(did you mean --suite\?\); valid options: --suite, --suites-dir, --target, /,
    );
    expect(message).not.toContain('\n');
  });

  it('rejects a flag without its value, a value for a switch, and positional arguments', () => {
    expect(usageError(['--region'])).toMatch(/--region <value>' argument missing; see --help$/);
    expect(usageError(['--keep=yes'])).toMatch(/--keep' does not take an argument; see --help$/);
    expect(usageError(['pod-identity'])).toBe(
      'unexpected argument "pod-identity"; options take the form --name value (see --help)',
    );
  });
});

describe('helpText', () => {
  it('lists every flag with its environment variable, and the suites found', () => {
    const text = helpText(['pod-identity', 'extra']);
    for (const option of RUN_OPTIONS) {
      expect(text).toContain(`--${option.flag}`);
      expect(text).toContain(`[${option.env}]`);
    }
    for (const flag of COMMAND_FLAGS) expect(text).toContain(`--${flag.flag}`);
    expect(text).toContain('Suites: pod-identity, extra');
    expect(text).toContain('Exit codes: 0');
  });
});
