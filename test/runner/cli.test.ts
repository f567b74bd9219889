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
    expect(usageError(['--region'])).toBe('--region needs a value: --region REGION, e.g. --region eu-west-1');
    expect(usageError(['--config'])).toBe('--config needs a value: --config PATH');
    expect(usageError(['--keep=yes'])).toBe(
      '--keep is a switch and takes no value; write --keep or --no-keep',
    );
    expect(usageError(['--list=1'])).toBe('--list is a switch and takes no value; write --list');
    expect(usageError(['pod-identity'])).toBe(
      'unexpected argument "pod-identity"; options take the form --name value (see --help)',
    );
  });

  it('turns a value starting with "-" (Node: three lines, "argument is ambiguous") into one line', () => {
    // A value the option refuses anyway: its own check says what is wrong.
    expect(usageError(['--parallel', '-1'])).toBe(
      'invalid --parallel "-1"; use a whole number from 1 to 32, e.g. --parallel 4',
    );
    expect(usageError(['--cluster', '-bad'])).toMatch(/^invalid cluster name "-bad"; /);
    // The next word is another option: the value is missing.
    expect(usageError(['--suite', '--keep'])).toBe(
      '--suite needs a value, but the next argument is the option --keep: --suite NAME, e.g. --suite pod-identity',
    );
    expect(usageError(['--report-dir', '--no-keep'])).toMatch(/^--report-dir needs a value, but the next/);
    // A value that may be meant: how to pass it.
    expect(usageError(['--case', '-sdk'])).toBe(
      'the value "-sdk" of --case starts with "-" and reads as an option; write --case=-sdk',
    );
    expect(parseCommandLine(['--case=-sdk']).values.casePattern).toBe('-sdk');
  });

  it('takes -t PATTERN as --case PATTERN, as vitest does, and names -t in its errors', () => {
    expect(parseCommandLine(['-t', 'aws-cli']).values.casePattern).toBe('aws-cli');
    expect(parseCommandLine(['-taws-cli']).values.casePattern).toBe('aws-cli');
    expect(parseCommandLine(['-t', 'a', '--case', 'b']).values.casePattern).toBe('b');
    expect(usageError(['-t'])).toBe('-t needs a value: -t PATTERN, e.g. -t aws-cli');
    expect(usageError(['--case'])).toBe('--case needs a value: --case PATTERN, e.g. --case aws-cli');
    expect(usageError(['-t', '--keep'])).toBe(
      '-t needs a value, but the next argument is the option --keep: -t PATTERN, e.g. -t aws-cli',
    );
    expect(usageError(['--case', '-t'])).toMatch(
      /^--case needs a value, but the next argument is the option -t:/,
    );
    expect(usageError(['-t', '-sdk'])).toBe(
      'the value "-sdk" of -t starts with "-" and reads as an option; write --case=-sdk',
    );
    // parseArgs would take "=aws" for the pattern.
    expect(usageError(['-t=aws'])).toBe(
      '-t=aws would make "=aws" the value of -t (--case); write -t aws or --case=aws',
    );
    expect(usageError(['-x'])).toMatch(/^unknown option "-x"; valid options: /);
  });

  it('reads --version, --bail, --repeat and --require-all', () => {
    expect(parseCommandLine(['--version'])).toEqual({ values: {}, list: false, help: false, version: true });
    expect(parseCommandLine(['--bail', '--repeat', '3', '--require-all']).values).toEqual({
      bail: true,
      repeat: '3',
      requireAll: true,
    });
    expect(usageError(['--version=1'])).toBe('--version is a switch and takes no value; write --version');
  });

  it('refuses an empty list option or an empty item in it, naming the option and the fix', () => {
    expect(usageError(['--suite', ''])).toBe(
      '--suite is empty; give a suite name (a folder under suites/ or --suites-dir), e.g. --suite pod-identity',
    );
    expect(usageError(['--suite', ','])).toBe(
      '--suite="," has an empty item; each comma-separated item must be a suite name (a folder under suites/ or --suites-dir), e.g. --suite pod-identity',
    );
    expect(usageError(['--account', '123456789012,'])).toMatch(
      /^--account="123456789012," has an empty item;/,
    );
    expect(usageError(['--file', 'a', '--file', ' '])).toMatch(/^--file is empty; /);
    // Spaces around the commas are fine.
    expect(parseCommandLine(['--suite', 'a, b']).values.suites).toEqual(['a', 'b']);
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
    expect(text).toMatch(/^ {2}-t, --case PATTERN +only the cases/m);
    expect(text).toContain('--version');
    expect(text).toContain('Suites: pod-identity, extra');
    expect(text).toContain('Exit codes: 0');
  });
});
