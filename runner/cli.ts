// Command-line parsing (node:util parseArgs, strict) and the --help text, both generated from the
// option tables in options.ts.

import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { COMMAND_FLAGS, type OptionValues, RUN_OPTIONS } from './options.ts';

export interface CommandLine {
  /** Only the options given on the command line. */
  values: OptionValues;
  configPath?: string;
  list: boolean;
  help: boolean;
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parseArgsOptions(): ParseArgsOptions {
  const options: NonNullable<ParseArgsOptions> = {};
  for (const option of RUN_OPTIONS) {
    options[option.flag] =
      option.kind === 'list'
        ? { type: 'string', multiple: true }
        : { type: option.kind === 'boolean' ? 'boolean' : 'string' };
  }
  for (const flag of COMMAND_FLAGS)
    options[flag.flag] = { type: flag.kind === 'boolean' ? 'boolean' : 'string' };
  return options;
}

export function allFlagNames(): string[] {
  return [...RUN_OPTIONS.map((o) => o.flag), ...COMMAND_FLAGS.map((f) => f.flag)];
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseArgsOptions(), strict: true, allowNegative: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Record<string, unknown> = {};
  for (const option of RUN_OPTIONS) {
    const value = raw[option.flag];
    if (value === undefined) continue;
    values[option.key] = option.kind === 'list' ? splitList(value as string[]) : value;
  }
  return {
    values: values as OptionValues,
    configPath: raw.config as string | undefined,
    list: raw.list === true,
    help: raw.help === true,
  };
}

/** `--suite a,b --suite c` and `PIC_SUITE=a,b,c` mean the same. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function describeParseError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const validFlags = allFlagNames().map((f) => `--${f}`);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const suggestion = closest(quoted, validFlags);
      return `unknown option "${quoted}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}; valid options: ${validFlags.join(', ')}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"; options take the form --name value (see --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${message.replace(/\.$/, '')}; see --help`;
    default:
      return `${message}; see --help`;
  }
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
    rows.push([`--${option.flag}${value}${negation}`, option.description, option.env ?? '']);
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
    `Suites: ${suiteNames.length > 0 ? suiteNames.join(', ') : '(none found)'}`,
    'Exit codes: 0 all passed (skips allowed), 1 a case failed, 2 bad usage or configuration, 130/143 interrupted.',
    '',
  ].join('\n');
}
