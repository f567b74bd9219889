// The janitor's command line: its own flags (--older-than, --run-id, --delete) plus the runner's target
// options from runner/options.ts (--target, --cluster, --region, --context, --localstack-endpoint ...),
// resolved into RunSettings exactly as the runner resolves them. Options that only steer a run
// (which suites and cases, parallelism, --keep, reports, the pods' image and placement) are not
// accepted, nor --localstack-container: a LocalStack started now would hold nothing to clean.

import { parseArgs } from 'node:util';
import { RUN_ID_PATTERN } from '../helpers/run-id.ts';
import type { CommandLine, KnownFlag } from '../runner/cli.ts';
import { describeCommonParseError } from '../runner/cli.ts';
import { UsageError } from '../runner/errors.ts';
import { type OptionValues, RUN_OPTIONS, type RunOptionSpec, splitListValues } from '../runner/options.ts';
import { MAX_DURATION_MS, parseDuration } from './duration.ts';

/** Runner options that only matter while cases run. */
const RUN_ONLY_OPTION_KEYS: readonly string[] = [
  'suites',
  'suitesDirs',
  'files',
  'casePattern',
  'parallel',
  'repeat',
  'bail',
  'requireAll',
  'keep',
  'reportDir',
  'podImage',
  'nodeSelector',
  'tolerations',
  'localstackContainer',
  'localstackImage',
];

export const JANITOR_FLAGS = [
  {
    flag: 'older-than',
    kind: 'string',
    valueName: 'DURATION',
    description:
      'only resources created longer ago than this (2h, 90m, 1d12h; at most 3650d), by their created-at tag, else their creation time',
  },
  {
    flag: 'run-id',
    kind: 'string',
    valueName: 'ID',
    description: 'only the resources of this run (pic-<yyyymmddhhmm>-<5 characters>)',
  },
  {
    flag: 'delete',
    kind: 'boolean',
    description:
      'delete what is found (default: a dry run that only lists; on eks --delete needs --account or --yes)',
  },
  {
    flag: 'config',
    kind: 'string',
    valueName: 'PATH',
    description:
      'config file (default: pod-identity-conformance.config.json or .ts in the working directory)',
  },
  { flag: 'help', kind: 'boolean', description: 'show this help' },
] as const;

/** The runner options the janitor takes: everything that resolves a target. */
export function janitorTargetOptions(): RunOptionSpec[] {
  return RUN_OPTIONS.filter((option) => !RUN_ONLY_OPTION_KEYS.includes(option.key));
}

/** The janitor's words for options whose runner description is about a run. */
const JANITOR_DESCRIPTIONS: Record<string, string> = {
  target:
    'the target to clean: localstack or eks (required; embedded is refused: nothing of it outlives a run)',
  accounts:
    'eks target: AWS account the janitor may look and delete in (repeatable), any other is refused; without --account, --delete needs --yes',
  yes: "eks target: --delete without --account, in the credentials' account",
  waitTimeout: 'longest single wait in seconds, 1 to 3600: a role, namespace or bucket gone after its delete',
  localstackEndpoint:
    'localstack target: the LocalStack the runs used (default: http://localhost:4566); the janitor starts none',
};

export function janitorDescription(option: RunOptionSpec): string {
  return JANITOR_DESCRIPTIONS[option.key] ?? option.description;
}

const OLDER_THAN_MAX_DAYS = MAX_DURATION_MS / 86_400_000;

function checkOlderThan(text: string): string | undefined {
  if (parseDuration(text) !== undefined) return undefined;
  return `invalid --older-than "${text}"; give a duration from 1s to ${OLDER_THAN_MAX_DAYS}d such as 2h, 90m, 1d12h or 45s`;
}

function checkRunId(text: string): string | undefined {
  if (RUN_ID_PATTERN.test(text)) return undefined;
  return `invalid --run-id "${text}"; a run id looks like pic-202611281030-x7k2q (see the run's summary.md or ledger file name)`;
}

const JANITOR_FLAG_CHECKS: Record<string, (value: string) => string | undefined> = {
  'older-than': checkOlderThan,
  'run-id': checkRunId,
};

function knownFlags(targetOptions: readonly RunOptionSpec[]): KnownFlag[] {
  return [
    ...targetOptions.map((option) => ({
      flag: option.flag,
      kind: option.kind,
      ...(option.valueName ? { valueName: option.valueName } : {}),
      option,
    })),
    ...JANITOR_FLAGS.map((flag) => ({
      flag: flag.flag,
      kind: flag.kind,
      ...('valueName' in flag ? { valueName: flag.valueName } : {}),
      ...(JANITOR_FLAG_CHECKS[flag.flag] ? { check: JANITOR_FLAG_CHECKS[flag.flag] } : {}),
    })),
  ];
}

export interface JanitorCommandLine {
  /** The target options given, in the runner's form (for resolveSettings). */
  commandLine: CommandLine;
  /** --older-than as given and in milliseconds. */
  olderThan?: { text: string; ms: number };
  runId?: string;
  delete: boolean;
  help: boolean;
}

export function parseJanitorCommandLine(argv: readonly string[]): JanitorCommandLine {
  const targetOptions = janitorTargetOptions();
  const options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const option of targetOptions) {
    options[option.flag] =
      option.kind === 'list'
        ? { type: 'string', multiple: true }
        : { type: option.kind === 'boolean' ? 'boolean' : 'string' };
  }
  for (const flag of JANITOR_FLAGS)
    options[flag.flag] = { type: flag.kind === 'boolean' ? 'boolean' : 'string' };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowNegative: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, argv, targetOptions));
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Record<string, unknown> = {};
  for (const option of targetOptions) {
    const value = raw[option.flag];
    if (value !== undefined)
      values[option.key] =
        option.kind === 'list' ? splitListValues(option, value as string[], { kind: 'flag' }) : value;
  }

  const olderThan = raw['older-than'] as string | undefined;
  const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan);
  if (olderThan !== undefined && olderThanMs === undefined) throw new UsageError(checkOlderThan(olderThan)!);
  const runId = raw['run-id'] as string | undefined;
  if (runId !== undefined && checkRunId(runId)) throw new UsageError(checkRunId(runId)!);
  return {
    commandLine: {
      values: values as OptionValues,
      configPath: raw.config as string | undefined,
      list: false,
      help: false,
    },
    ...(olderThan !== undefined && olderThanMs !== undefined
      ? { olderThan: { text: olderThan, ms: olderThanMs } }
      : {}),
    ...(runId !== undefined ? { runId } : {}),
    delete: raw.delete === true,
    help: raw.help === true,
  };
}

function validFlags(targetOptions: readonly RunOptionSpec[]): string[] {
  return [...JANITOR_FLAGS.map((f) => `--${f.flag}`), ...targetOptions.map((o) => `--${o.flag}`)];
}

function describeParseError(
  error: unknown,
  argv: readonly string[],
  targetOptions: readonly RunOptionSpec[],
): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const runOnly = RUN_OPTIONS.some((o) => `--${o.flag}` === quoted);
    const why = runOnly ? ' (an option of conformance runs; the janitor does not take it)' : '';
    return `unknown option "${quoted}"${why}; valid options: ${validFlags(targetOptions).join(', ')}`;
  }
  return describeCommonParseError(error, argv, knownFlags(targetOptions));
}

export function janitorHelpText(): string {
  const rows: Array<[string, string, string]> = [];
  for (const flag of JANITOR_FLAGS) {
    const value = 'valueName' in flag ? ` ${flag.valueName}` : '';
    rows.push([`--${flag.flag}${value}`, flag.description, '']);
  }
  for (const option of janitorTargetOptions()) {
    const value = option.valueName ? ` ${option.valueName}` : '';
    const negation = option.kind === 'boolean' ? `, --no-${option.flag}` : '';
    rows.push([`--${option.flag}${value}${negation}`, janitorDescription(option), option.env ?? '']);
  }
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = rows.map(([flag, description, env]) =>
    `  ${flag.padEnd(width)}${description}${env ? ` [${env}]` : ''}`.trimEnd(),
  );
  return [
    'Usage: npm run janitor -- --target localstack|eks [--older-than 2h] [--run-id ID] [--delete] [target options]',
    '',
    "Finds what pod-identity-conformance runs left on a target, by the tool's markers and names only: IAM roles under",
    'the path /pod-identity-conformance/ tagged with a run id (with their policies), pod identity associations',
    'tagged with a run id, namespaces labelled by the tool, S3 buckets named pic-... tagged with a run id (with',
    "their objects), and roles, namespaces and buckets without those tags whose names are a run id's",
    '(pic-<yyyymmddhhmm>-<5 characters>-...): those of the --run-id given, or, without --run-id, those older',
    'than 2h (a run may still be tagging a new one). Lists them (dry run; no account guard) or, with --delete,',
    'deletes them: associations, namespaces, roles, buckets. On eks --delete needs --account (or --yes).',
    'The embedded target is refused: its simulator ends with the run, so nothing of it is left.',
    '',
    'Options:',
    ...lines,
    '',
    'Exit codes: 0 nothing left or all deleted (a dry run lists and exits 0), 1 a delete failed, 2 bad usage or configuration.',
    '',
  ].join('\n');
}
