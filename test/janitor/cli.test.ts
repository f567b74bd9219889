// The janitor's command line, durations, ages and table.

import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '../../fixtures/inventory.ts';
import {
  JANITOR_FLAGS,
  janitorHelpText,
  janitorTargetOptions,
  parseJanitorCommandLine,
} from '../../janitor/cli.ts';
import { formatAge, parseDuration } from '../../janitor/duration.ts';
import { renderTable } from '../../janitor/run-janitor.ts';
import { UsageError } from '../../runner/errors.ts';

function usageError(argv: string[]): string {
  try {
    parseJanitorCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe('parseDuration', () => {
  it.each([
    ['2h', 7_200_000],
    ['90m', 5_400_000],
    ['45s', 45_000],
    ['1d', 86_400_000],
    ['1d12h', 129_600_000],
    ['1h30m', 5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 'h', '2x', '-2h', '0h', '2h 30m', '30m2h', '1.5h', ' 2h', '3651d', '99999999999999d'])(
    'refuses "%s"',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatAge', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  it.each([
    ['2026-11-28T11:59:20Z', '40s'],
    ['2026-11-28T11:48:00Z', '12m'],
    ['2026-11-28T09:55:00Z', '2h5m'],
    ['2026-11-25T08:00:00Z', '3d4h'],
    ['2026-11-28T12:00:05Z', '0s'],
  ])('created %s is %s old', (created, age) => {
    expect(formatAge(new Date(created), now)).toBe(age);
  });

  it('says unknown without a creation time', () => {
    expect(formatAge(undefined, now)).toBe('unknown');
  });
});

describe('parseJanitorCommandLine', () => {
  it('takes the janitor flags and the target options, in the runner form', () => {
    const parsed = parseJanitorCommandLine([
      '--target',
      'localstack',
      '--older-than',
      '2h',
      '--run-id',
      'pic-202611281030-x7k2q',
      '--delete',
      '--region',
      'eu-west-1',
      '--localstack-endpoint',
      'http://127.0.0.1:4566',
    ]);
    expect(parsed).toEqual({
      commandLine: {
        values: { target: 'localstack', region: 'eu-west-1', localstackEndpoint: 'http://127.0.0.1:4566' },
        list: false,
        help: false,
      },
      olderThan: { text: '2h', ms: 7_200_000 },
      runId: 'pic-202611281030-x7k2q',
      delete: true,
      help: false,
    });
  });

  it('is a dry run by default', () => {
    expect(parseJanitorCommandLine(['--target', 'eks']).delete).toBe(false);
  });

  it('refuses bad durations, run ids, flags of conformance runs and unknown flags, naming the fix', () => {
    expect(usageError(['--older-than', '2 hours'])).toBe(
      'invalid --older-than "2 hours"; give a duration from 1s to 3650d such as 2h, 90m, 1d12h or 45s',
    );
    expect(usageError(['--older-than', '99999d'])).toMatch(/^invalid --older-than "99999d"; /);
    expect(usageError(['--older-than', ' 2h'])).toMatch(/^invalid --older-than " 2h"; /);
    expect(usageError(['--older-than', '-2h'])).toMatch(/^invalid --older-than "-2h"; give a duration/);
    expect(usageError(['--run-id', '-x'])).toMatch(/^invalid --run-id "-x"; a run id looks like/);
    expect(usageError(['--older-than'])).toBe('--older-than needs a value: --older-than DURATION');
    expect(usageError(['--delete=yes'])).toBe('--delete is a switch and takes no value; write --delete');
    expect(usageError(['--account', ''])).toMatch(/^--account is empty; give a 12-digit AWS account id/);
    expect(usageError(['--region', '--delete'])).toMatch(
      /^--region needs a value, but the next argument is the option --delete: --region REGION/,
    );
    expect(usageError(['--run-id', 'run-1'])).toMatch(
      /^invalid --run-id "run-1"; a run id looks like pic-202611281030-x7k2q/,
    );
    expect(usageError(['--suite', 'pod-identity'])).toMatch(
      /^unknown option "--suite" \(an option of conformance runs; the janitor does not take it\); valid options: --older-than, --run-id, --delete,/,
    );
    expect(usageError(['--localstack-container'])).toMatch(
      /^unknown option "--localstack-container" \(an option/,
    );
    expect(usageError(['--dry-run'])).toMatch(/^unknown option "--dry-run"; valid options: /);
    expect(usageError(['leftovers'])).toBe(
      'unexpected argument "leftovers"; options take the form --name value (see --help)',
    );
  });
});

describe('janitorHelpText', () => {
  it('lists every janitor flag and every target option with its environment variable', () => {
    const text = janitorHelpText();
    for (const flag of JANITOR_FLAGS) expect(text).toContain(`--${flag.flag}`);
    for (const option of janitorTargetOptions()) {
      expect(text).toContain(`--${option.flag}`);
      if (option.env) expect(text).toContain(`[${option.env}]`);
    }
    expect(text).not.toContain('--suite');
    expect(text).toContain('Exit codes: 0');
    // Every hint runs as printed: no default target the janitor refuses, no --localstack-container.
    expect(text).not.toMatch(/embedded \(default/);
    expect(text).toMatch(
      /--target NAME +the target to clean: localstack or eks \(required; embedded is refused/,
    );
    expect(text).not.toMatch(/--localstack-container(?! is)/);
    expect(text).toContain('--yes, --no-yes');
  });
});

describe('renderTable', () => {
  it('shows kind, name, run id and age in padded columns', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    const items: InventoryItem[] = [
      {
        kind: 'pod-identity-association',
        name: 'ns/app (a-0123456789abcdefg)',
        runId: 'pic-202611280900-aaaaa',
        createdAt: new Date('2026-11-28T09:00:00Z'),
        ref: {},
      },
      { kind: 'iam-role', name: 'r', runId: 'pic-202611280900-aaaaa', ref: {} },
      {
        kind: 's3-bucket',
        name: 'pic-202611280900-aaaaa-b',
        runId: 'pic-202611280900-aaaaa',
        createdAt: new Date('2026-11-28T09:00:00Z'),
        byName: true,
        ref: {},
      },
    ];
    expect(renderTable(items, now)).toEqual([
      '  KIND                      NAME                          RUN ID                            AGE',
      '  pod-identity-association  ns/app (a-0123456789abcdefg)  pic-202611280900-aaaaa            3h0m',
      '  iam-role                  r                             pic-202611280900-aaaaa            unknown',
      '  s3-bucket                 pic-202611280900-aaaaa-b      pic-202611280900-aaaaa (by name)  3h0m',
    ]);
  });
});
