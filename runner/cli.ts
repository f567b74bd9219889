// Command-line parsing (node:util parseArgs, strict) and the --help text, both generated from the
// option tables in options.ts.

import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import {
  COMMAND_FLAGS,
  type OptionValues,
  optionValueProblem,
  RUN_OPTIONS,
  type RunOptionSpec,
  splitListValues,
} from './options.ts';

export interface CommandLine {
  /** Only the options given on the command line. */
  values: OptionValues;
  configPath?: string;
  list: boolean;
  help: boolean;
  /** --version: print the version and exit. */
  version?: boolean;
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseArgsOptions(): ParseArgsOptions {
  const options: NonNullable<ParseArgsOptions> = {};
  for (const option of RUN_OPTIONS) {
    options[option.flag] = {
      ...(option.kind === 'list'
        ? { type: 'string', multiple: true }
        : { type: option.kind === 'boolean' ? 'boolean' : 'string' }),
      ...('short' in option ? { short: option.short } : {}),
    };
  }
  for (const flag of COMMAND_FLAGS)
    options[flag.flag] = { type: flag.kind === 'boolean' ? 'boolean' : 'string' };
  return options;
}

export function allFlagNames(): string[] {
  return [...RUN_OPTIONS.map((o) => o.flag), ...COMMAND_FLAGS.map((f) => f.flag)];
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  refuseShortFlagWithEquals(argv);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseArgsOptions(), strict: true, allowNegative: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, argv));
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Record<string, unknown> = {};
  for (const option of RUN_OPTIONS) {
    const value = raw[option.flag];
    if (value === undefined) continue;
    values[option.key] =
      option.kind === 'list' ? splitListValues(option, value as string[], { kind: 'flag' }) : value;
  }
  return {
    values: values as OptionValues,
    configPath: raw.config as string | undefined,
    list: raw.list === true,
    help: raw.help === true,
    ...(raw.version === true ? { version: true } : {}),
  };
}

/**
 * parseArgs reads `-t=aws` as the pattern "=aws" (a short flag's value follows it directly, `-taws`):
 * never what was meant. Refused before parsing, up to a `--` that ends the options.
 */
function refuseShortFlagWithEquals(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    for (const option of RUN_OPTIONS) {
      if (!('short' in option) || !arg.startsWith(`-${option.short}=`)) continue;
      const value = arg.slice(3) || option.example;
      throw new UsageError(
        `${arg} would make "${arg.slice(2)}" the value of -${option.short} (--${option.flag}); write -${option.short} ${value} or --${option.flag}=${value}`,
      );
    }
  }
}

/**
 * `--suite a,b --suite c` and `PIC_SUITE=a,b,c` mean the same. Lenient: empty items are dropped. The
 * runner and the janitor read their list options with splitListValues (options.ts), which refuses them.
 */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A flag as parseArgs knows it: what it is called, whether it takes a value, its option entry. */
export interface KnownFlag {
  flag: string;
  kind: 'string' | 'boolean' | 'list';
  valueName?: string;
  /** The run option behind it, for checking a value that starts with '-'. */
  option?: RunOptionSpec;
  /** The flag's own check of a value (a flag that is not a run option). */
  check?: (value: string) => string | undefined;
}

export function runnerFlags(): KnownFlag[] {
  return [
    ...RUN_OPTIONS.map((option) => ({
      flag: option.flag,
      kind: option.kind,
      ...('valueName' in option ? { valueName: option.valueName } : {}),
      option,
    })),
    ...COMMAND_FLAGS.map((flag) => ({
      flag: flag.flag,
      kind: flag.kind,
      ...('valueName' in flag ? { valueName: flag.valueName } : {}),
    })),
  ];
}

function describeParseError(error: unknown, argv: readonly string[]): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const validFlags = allFlagNames().map((f) => `--${f}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = closest(quoted, validFlags);
    return `unknown option "${quoted}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}; valid options: ${validFlags.join(', ')}`;
  }
  return describeCommonParseError(error, argv, runnerFlags());
}

/**
 * parseArgs errors other than an unknown option, as one line naming the flag and the fix (Node's own
 * message for a value starting with '-' is three lines): a missing value, a value for a switch, a value
 * that looks like an option, a positional argument.
 */
export function describeCommonParseError(
  error: unknown,
  argv: readonly string[],
  known: readonly KnownFlag[],
): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return `unexpected argument "${quoted}"; options take the form --name value (see --help)`;
  // `--case`, or with a short alias: `-t, --case <value>` (a value missing), `-t` (a value starting with '-').
  const name = /(?:^|, )--([^\s=<]+)/.exec(quoted)?.[1];
  const short = /^-([^-\s,])(?:,|$)/.exec(quoted)?.[1];
  const flag = known.find(
    (k) => (name !== undefined && k.flag === name) || (short !== undefined && k.option?.short === short),
  );
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || !flag) {
    return `${message.split('\n')[0]!.replace(/\.$/, '')}; see --help`;
  }
  // The flag as it was typed: a value is missing after the last argument, or follows the word quoted.
  const alias = flag.option?.short === undefined ? undefined : `-${flag.option.short}`;
  const typed =
    alias !== undefined && (quoted === alias || (/argument missing/.test(message) && argv.at(-1) === alias))
      ? alias
      : `--${flag.flag}`;
  const usage = `${typed} ${flag.valueName ?? 'VALUE'}`;
  const example = flag.option?.example ? `, e.g. ${typed} ${flag.option.example}` : '';
  if (/does not take an argument/.test(message)) {
    const negation = flag.option ? ` or --no-${flag.flag}` : '';
    return `--${flag.flag} is a switch and takes no value; write --${flag.flag}${negation}`;
  }
  if (/argument missing/.test(message)) return `${typed} needs a value: ${usage}${example}`;
  // "argument is ambiguous": the word after the flag starts with '-'.
  const at = argv.findIndex((arg, i) => arg === typed && argv[i + 1]?.startsWith('-'));
  const next = at >= 0 ? argv[at + 1]! : '';
  const nextName = /^--(?:no-)?([^=]+)/.exec(next)?.[1];
  const nextShort = /^-([^-])$/.exec(next)?.[1];
  if (
    next === '--' ||
    (nextName !== undefined && known.some((k) => k.flag === nextName)) ||
    (nextShort !== undefined && known.some((k) => k.option?.short === nextShort))
  ) {
    return `${typed} needs a value, but the next argument is the option ${next}: ${usage}${example}`;
  }
  const problem = flag.option ? valueProblemOf(flag.option, next) : flag.check?.(next);
  if (problem) return problem;
  return `the value "${next}" of ${typed} starts with "-" and reads as an option; write --${flag.flag}=${next}`;
}

function valueProblemOf(option: RunOptionSpec, value: string): string | undefined {
  const values = option.kind === 'list' ? value.split(',').map((v) => v.trim()) : [value];
  for (const single of values) {
    const problem = single === '' ? undefined : optionValueProblem(option, single);
    if (problem) return problem;
  }
  return undefined;
}

/** The valid flag within two edits of a mistyped one, if any. */
function closest(given: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(given, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function helpText(suiteNames: readonly string[]): string {
  const rows: Array<[string, string, string]> = [];
  for (const option of RUN_OPTIONS) {
    const value = 'valueName' in option ? ` ${option.valueName}` : '';
    const negation = option.kind === 'boolean' ? `, --no-${option.flag}` : '';
    const alias = 'short' in option ? `-${option.short}, ` : '';
    rows.push([`${alias}--${option.flag}${value}${negation}`, option.description, option.env ?? '']);
  }
  for (const flag of COMMAND_FLAGS) {
    const value = 'valueName' in flag ? ` ${flag.valueName}` : '';
    rows.push([`--${flag.flag}${value}`, flag.description, '']);
  }
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = rows.map(([flag, description, env]) =>
    `  ${flag.padEnd(width)}${description}${env ? ` [${env}]` : ''}`.trimEnd(),
  );
  return [
    'Usage: pod-identity-conformance [options]        (from a clone: npm test -- [options])',
    '',
    'Runs the EKS Pod Identity conformance suites against a target and writes junit.xml and summary.md.',
    '',
    'Options (flags beat PIC_* environment variables, which beat the config file):',
    ...lines,
    '',
    'An option of another target (an eks option on embedded, say) is refused as a flag or PIC_* variable',
    'and ignored in the config file.',
    '',
    `Suites: ${suiteNames.length > 0 ? suiteNames.join(', ') : '(none found)'}`,
    'Exit codes: 0 all passed (skips allowed unless --require-all), 1 a case failed (or was flaky, or skipped',
    'under --require-all), 2 bad usage or configuration, 130/143 interrupted.',
    '',
  ].join('\n');
}
