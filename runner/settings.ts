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
import { splitList } from './cli.ts';
import { UsageError } from './errors.ts';
import { type OptionKind, type OptionValues, RUN_OPTIONS, type RunOptionSpec } from './options.ts';

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
  describe(option: RunOptionSpec): string;
}

export async function resolveSettings(sources: SettingsSources): Promise<RunSettings> {
  // Lowest precedence first; later layers override earlier ones key by key.
  const layers: Layer[] = [
    ...(await loadConfigLayers(sources.cwd, sources.commandLine.configPath)),
    { values: readEnvironment(sources.env), describe: (o) => o.env ?? o.key },
    { values: sources.commandLine.values, describe: (o) => `--${o.flag}` },
  ];
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
  for (const option of RUN_OPTIONS) {
    const value = merged[option.key];
    if (value === undefined) continue;
    const from = origin[option.key]!;
    for (const single of Array.isArray(value) ? value : typeof value === 'string' ? [value] : []) {
      const problem = checkValue(option, single);
      if (problem) throw new UsageError(withOrigin(problem, from, option));
    }
  }
  const available = await sources.availableSuites((merged.suitesDirs as string[] | undefined) ?? []);
  const suites = (merged.suites as string[] | undefined) ?? [...available];
  checkSuites(suites, available, origin.suites);
  return {
    ...(merged as OptionValues),
    suites: [...new Set(suites)],
    target: (merged.target as TargetName | undefined) ?? DEFAULT_TARGET,
    reportDir: resolve(sources.cwd, (merged.reportDir as string | undefined) ?? DEFAULT_REPORT_DIR),
    keep: (merged.keep as boolean | undefined) ?? false,
  };
}

function checkValue(option: RunOptionSpec, value: string): string | undefined {
  if (option.choices && !option.choices.includes(value)) {
    return `unknown ${option.key} "${value}"; choose one of: ${option.choices.join(', ')}`;
  }
  return option.check?.(value);
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
    if (raw === undefined || raw.trim() === '') continue;
    values[option.key] = parseEnvironmentValue(option, raw.trim());
  }
  return values as OptionValues;
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

function parseEnvironmentValue(option: RunOptionSpec, raw: string): string | boolean | string[] {
  if (option.kind === 'list') return splitList([raw]);
  if (option.kind === 'string') return raw;
  const word = raw.toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new UsageError(
    `${option.env}="${raw}" is not a yes/no value; use one of: ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
  );
}

function schemaFor(kind: OptionKind): z.ZodType {
  if (kind === 'boolean') return z.boolean();
  if (kind === 'list') return z.array(z.string().min(1));
  return z.string().min(1);
}

const configSchema = z.strictObject(
  Object.fromEntries(RUN_OPTIONS.map((option) => [option.key, schemaFor(option.kind).optional()])),
);

/** The config file layers, lowest precedence first: the .ts file, then the .json file (or the one --config names). */
async function loadConfigLayers(cwd: string, configPath: string | undefined): Promise<Layer[]> {
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
    layers.push({ values, describe: (o) => `${file} key "${o.key}"` });
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
  const option = RUN_OPTIONS.find((o) => o.key === key);
  const expected = option
    ? { string: 'a non-empty string', boolean: 'true or false', list: 'an array of names' }[option.kind]
    : 'an object of options';
  const where = key === undefined ? 'the file' : `key "${String(key)}"`;
  throw new UsageError(`config file ${file}: ${where} must be ${expected}; valid keys: ${validKeys}`);
}
