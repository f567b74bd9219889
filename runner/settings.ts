// Resolves the run's settings from, highest first: command-line flags, PIC_* environment variables,
// pod-identity-conformance.config.json, pod-identity-conformance.config.ts (or the one --config file),
// and the defaults. Every value is checked here, before anything is started.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { TargetName } from '../targets/target.ts';
import type { CommandLine } from './cli.ts';
import { UsageError } from './errors.ts';
import {
  emptyItemProblem,
  emptyValueProblem,
  isBlank,
  type OptionKind,
  type OptionOrigin,
  type OptionValues,
  optionValueProblem,
  RUN_OPTIONS,
  type RunOptionSpec,
  splitListValues,
} from './options.ts';

/** Everything a run is configured with; target factories read their own options from it. */
export interface RunSettings extends OptionValues {
  suites: string[];
  target: TargetName;
  /** Absolute path. */
  reportDir: string;
  keep: boolean;
}

/** The shape of a config file: any option, by its key. */
export type ConformanceConfig = OptionValues;

export const CONFIG_FILE_NAMES = {
  json: 'pod-identity-conformance.config.json',
  ts: 'pod-identity-conformance.config.ts',
} as const;

const DEFAULT_TARGET: TargetName = 'embedded';
const DEFAULT_REPORT_DIR = 'reports';

export interface SettingsSources {
  commandLine: CommandLine;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Suite folder names that exist (the bundled ones and those of the run's --suites-dir folders): the
   * default selection and the valid choices.
   */
  availableSuites: (suitesDirs: readonly string[]) => Promise<readonly string[]>;
}

/** One source of values and how to name it in an error. */
interface Layer {
  values: OptionValues;
  origin: OptionOrigin;
  describe(option: RunOptionSpec): string;
}

export async function resolveSettings(sources: SettingsSources): Promise<RunSettings> {
  // Lowest precedence first; later layers override earlier ones key by key.
  const layers: Layer[] = [
    ...(await loadConfigLayers(sources.cwd, sources.commandLine.configPath)),
    { values: readEnvironment(sources.env), origin: { kind: 'env' }, describe: (o) => o.env ?? o.key },
    { values: sources.commandLine.values, origin: { kind: 'flag' }, describe: (o) => `--${o.flag}` },
  ];
  // Every value given is checked, also one a higher layer overrides: a malformed value is a mistake
  // wherever it is, and finding it only once the override goes away would be a surprise.
  for (const layer of layers) checkLayer(layer);
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    for (const option of RUN_OPTIONS) {
      const value = (layer.values as Record<string, unknown>)[option.key];
      if (value === undefined) continue;
      merged[option.key] = value;
      origin[option.key] = layer.describe(option);
    }
  }
  const target = (merged.target as TargetName | undefined) ?? DEFAULT_TARGET;
  refuseOptionsOfOtherTargets(layers, target, origin.target);
  // What is left of another target came from a config file, which may serve several targets: ignored.
  for (const option of RUN_OPTIONS) {
    if (!appliesTo(option, target)) delete merged[option.key];
  }
  const available = await sources.availableSuites((merged.suitesDirs as string[] | undefined) ?? []);
  const suites = (merged.suites as string[] | undefined) ?? [...available];
  checkSuites(suites, available, origin.suites);
  return {
    ...(merged as OptionValues),
    suites: [...new Set(suites)],
    target,
    reportDir: resolve(sources.cwd, (merged.reportDir as string | undefined) ?? DEFAULT_REPORT_DIR),
    keep: (merged.keep as boolean | undefined) ?? false,
  };
}

function appliesTo(option: RunOptionSpec, target: TargetName): boolean {
  return option.targets === undefined || option.targets.includes(target);
}

/**
 * An option of another target given as a flag or a PIC_* variable would do nothing on this one: a
 * mistake (the wrong target, or a flag left over), refused with one line. A switch turned off
 * (`--no-yes`, `PIC_YES=0`) asks for nothing and passes, and so does LOCALSTACK_ENDPOINT: LocalStack's
 * own tools read it too, so it may be set for them. Flags are named first.
 */
function refuseOptionsOfOtherTargets(
  layers: readonly Layer[],
  target: TargetName,
  targetFrom: string | undefined,
): void {
  for (const layer of [...layers].reverse()) {
    if (layer.origin.kind === 'config') continue;
    for (const option of RUN_OPTIONS as readonly RunOptionSpec[]) {
      if (appliesTo(option, target)) continue;
      const value = (layer.values as Record<string, unknown>)[option.key];
      if (value === undefined || value === false) continue;
      if (layer.origin.kind === 'env' && !option.env?.startsWith('PIC_')) continue;
      const given = layer.describe(option);
      const targets = option.targets ?? [];
      const names =
        targets.length === 1 ? `the ${targets[0]} target` : `the ${targets.join(' and ')} targets`;
      const current =
        targetFrom === undefined
          ? `${target} (the default)`
          : targetFrom.startsWith('--')
            ? target
            : `${target} (from ${targetFrom})`;
      const drop = layer.origin.kind === 'flag' ? `drop ${given}` : `unset ${given}`;
      throw new UsageError(
        `${given} applies only to ${names}, and this run's target is ${current}; ${drop} or pass --target ${targets[0]}`,
      );
    }
  }
}

/** Every value of a layer: not empty, no empty list item, one of the choices, passing its check. */
function checkLayer(layer: Layer): void {
  for (const option of RUN_OPTIONS) {
    const value = (layer.values as Record<string, unknown>)[option.key];
    if (value === undefined || typeof value === 'boolean') continue;
    const values = Array.isArray(value) ? (value as string[]) : [value as string];
    if (values.length === 0) throw new UsageError(emptyValueProblem(option, layer.origin));
    values.forEach((single, index) => {
      if (isBlank(single)) {
        throw new UsageError(
          Array.isArray(value) && layer.origin.kind === 'config'
            ? emptyItemProblem(option, layer.origin, `item ${index + 1}`)
            : emptyValueProblem(option, layer.origin),
        );
      }
      const problem = optionValueProblem(option, single);
      if (problem) throw new UsageError(withOrigin(problem, layer.describe(option), option));
    });
  }
}

/** Flags need no origin; an environment variable or a config file does ("where did that come from?"). */
function withOrigin(problem: string, from: string, option: RunOptionSpec): string {
  if (from === `--${option.flag}`) return problem;
  const [what, fix] = splitOnce(problem, '; ');
  return `${what} (from ${from})${fix ? `; ${fix}` : ''}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function checkSuites(
  suites: readonly string[],
  available: readonly string[],
  from: string | undefined,
): void {
  if (available.length === 0) {
    throw new UsageError(
      'no suites found: the suites folder has no suite folders; reinstall or check out the repository again',
    );
  }
  for (const suite of suites) {
    if (!available.includes(suite)) {
      const origin = from && !from.startsWith('--') ? ` (from ${from})` : '';
      throw new UsageError(`unknown suite "${suite}"${origin}; choose one of: ${available.join(', ')}`);
    }
  }
}

function readEnvironment(env: Readonly<Record<string, string | undefined>>): OptionValues {
  const values: Record<string, unknown> = {};
  for (const option of RUN_OPTIONS) {
    const raw = option.env ? env[option.env] : undefined;
    if (raw === undefined) continue;
    // Set but empty is a mistake (an unset CI variable, a typo), not "use the default": say so.
    if (isBlank(raw)) throw new UsageError(emptyValueProblem(option, { kind: 'env' }));
    values[option.key] = parseEnvironmentValue(option, raw);
  }
  return values as OptionValues;
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

function parseEnvironmentValue(option: RunOptionSpec, raw: string): string | boolean | string[] {
  if (option.kind === 'list') return splitListValues(option, [raw], { kind: 'env' });
  if (option.kind === 'string') return raw;
  const word = raw.toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new UsageError(
    `${option.env}="${raw}" is not a yes/no value; use one of: ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
  );
}

// Only the types here: empty values and the values themselves are checked as for flags (checkLayer).
function schemaFor(option: RunOptionSpec): z.ZodType {
  const kind: OptionKind = option.kind;
  if (kind === 'boolean') return z.boolean();
  if (kind === 'list') return z.array(z.string());
  // `"parallel": 4` as well as `"parallel": "4"`; kept as its decimal text, checked like a flag's.
  if (option.numeric) return z.union([z.string(), z.number().transform((n) => String(n))]);
  return z.string();
}

const configSchema = z.strictObject(
  Object.fromEntries(RUN_OPTIONS.map((option) => [option.key, schemaFor(option).optional()])),
);

/** The config file layers, lowest precedence first: the .ts file, then the .json file (or the one --config names). */
async function loadConfigLayers(cwd: string, configPath: string | undefined): Promise<Layer[]> {
  if (configPath !== undefined && isBlank(configPath)) {
    // An empty --config would silently fall back to the default files.
    throw new UsageError(
      '--config is empty; give the path of a .json or .ts config file, e.g. --config pod-identity-conformance.config.json',
    );
  }
  const files = configPath
    ? [resolve(cwd, configPath)]
    : [CONFIG_FILE_NAMES.ts, CONFIG_FILE_NAMES.json]
        .map((name) => resolve(cwd, name))
        .filter((f) => existsSync(f));
  if (configPath && !existsSync(files[0]!)) {
    throw new UsageError(
      `config file "${configPath}" does not exist; pass --config with the path of a .json or .ts file`,
    );
  }
  const layers: Layer[] = [];
  for (const file of files) {
    const values = validateConfig(await readConfigFile(file), file);
    layers.push({ values, origin: { kind: 'config', file }, describe: (o) => `${file} key "${o.key}"` });
  }
  return layers;
}

async function readConfigFile(file: string): Promise<unknown> {
  const extension = extname(file);
  if (extension === '.json') {
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(
        `config file ${file} is not valid JSON (${(error as Error).message}); fix the file or pass --config`,
      );
    }
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(extension)) {
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new UsageError(
        `config file ${file} could not be loaded (${(error as Error).message.split('\n')[0]}); fix the file`,
      );
    }
    if (module.default === undefined) {
      throw new UsageError(`config file ${file} has no default export; write \`export default { ... }\``);
    }
    return module.default;
  }
  throw new UsageError(`config file ${file} must end in .json or .ts`);
}

function validateConfig(value: unknown, file: string): OptionValues {
  const result = configSchema.safeParse(value);
  if (result.success) return result.data as OptionValues;
  const validKeys = RUN_OPTIONS.map((o) => o.key).join(', ');
  const unknown = result.error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    const keys = unknown.keys.map((k) => `"${k}"`).join(', ');
    throw new UsageError(`config file ${file} has unknown key ${keys}; valid keys: ${validKeys}`);
  }
  const issue = result.error.issues[0]!;
  const key = issue.path[0];
  const option: RunOptionSpec | undefined = RUN_OPTIONS.find((o) => o.key === key);
  const expected = option
    ? option.numeric
      ? 'a whole number or a string of digits'
      : { string: 'a string', boolean: 'true or false', list: 'an array of strings' }[option.kind]
    : 'an object of options';
  const where = key === undefined ? 'the file' : `key "${String(key)}"`;
  throw new UsageError(`config file ${file}: ${where} must be ${expected}; valid keys: ${validKeys}`);
}
