// Suites are folders of `*.test.ts` files: every folder under the bundled suites/, and those a user adds
// with --suites-dir DIR, where DIR is either a suite itself (it holds test files) or, like suites/, a
// folder of suite folders. Suite names (folder names) are unique across all of them.

import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

const TEST_FILE = /\.test\.ts$/;
const LAST_FILE = /\.last\.test\.ts$/;

export interface SuiteFolder {
  /** The folder's name: what --suite selects. */
  name: string;
  /** Absolute path of the folder holding the suite's test files. */
  dir: string;
}

async function entriesOf(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function hasTestFiles(dir: string): Promise<boolean> {
  return ((await entriesOf(dir)) ?? []).some((entry) => entry.isFile() && TEST_FILE.test(entry.name));
}

/** The folders directly under `root` that hold test files, sorted; none when it does not exist. */
async function suitesUnder(root: string): Promise<SuiteFolder[]> {
  const folders = ((await entriesOf(root)) ?? [])
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => ({ name: entry.name, dir: join(root, entry.name) }));
  const withTests = await Promise.all(folders.map((folder) => hasTestFiles(folder.dir)));
  return folders.filter((_, i) => withTests[i]).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The bundled suites (folders under `bundledRoot`) and those of each `--suites-dir`. A suites dir that
 * does not exist, holds no suite, or brings a name that is taken is bad input.
 */
export async function findSuites(
  bundledRoot: string,
  suitesDirs: readonly string[] = [],
  cwd = process.cwd(),
): Promise<SuiteFolder[]> {
  const found = await suitesUnder(bundledRoot);
  for (const given of suitesDirs) {
    const dir = resolve(cwd, given);
    if (!(await entriesOf(dir))) {
      throw new UsageError(
        `--suites-dir "${given}" does not exist; pass a folder of *.test.ts files (one suite) or of suite folders`,
      );
    }
    const own = (await hasTestFiles(dir)) ? [{ name: basename(dir), dir }] : await suitesUnder(dir);
    if (own.length === 0) {
      throw new UsageError(
        `--suites-dir "${given}" holds no *.test.ts files and no suite folders; put your cases in DIR/*.test.ts or DIR/<suite>/*.test.ts`,
      );
    }
    for (const suite of own) {
      const taken = found.find((existing) => existing.name === suite.name);
      if (taken && taken.dir !== suite.dir) {
        throw new UsageError(
          `suite "${suite.name}" is in both ${taken.dir} and ${suite.dir}; suite names must be unique, so rename one folder`,
        );
      }
      if (!taken) found.push(suite);
    }
  }
  return found;
}

/**
 * The absolute paths of the files `--file` names in the selected suites: `credentials` is
 * credentials.test.ts, `cleanup` or `cleanup.last` is cleanup.last.test.ts. A name no selected suite
 * has is bad input.
 */
export async function resolveSuiteFiles(
  suites: readonly SuiteFolder[],
  names: readonly string[],
): Promise<string[]> {
  const byName = new Map<string, string[]>();
  for (const suite of suites) {
    const entries = await readdir(suite.dir).catch(() => [] as string[]);
    for (const file of entries.filter((f) => TEST_FILE.test(f)).sort()) {
      const path = join(suite.dir, file);
      const names = [file.replace(TEST_FILE, '')];
      if (LAST_FILE.test(file)) names.push(file.replace(LAST_FILE, ''));
      for (const name of names) byName.set(name, [...(byName.get(name) ?? []), path]);
    }
  }
  const paths: string[] = [];
  for (const name of names) {
    const found = byName.get(name);
    if (!found) {
      const known = [...byName.keys()].filter((n) => !n.endsWith('.last')).sort();
      throw new UsageError(
        `unknown suite file "${name}" in suite(s) ${suites.map((s) => s.name).join(', ')}; choose one of: ${known.join(', ')}`,
      );
    }
    paths.push(...found);
  }
  return [...new Set(paths)];
}

/** The suite a test file belongs to, and its path as `<suite>/<file>` (how reports name files). */
export function suiteFileOf(
  suites: readonly SuiteFolder[],
  file: string,
): { suite: string; path: string } | undefined {
  const suite = suites.find((candidate) => file.startsWith(`${candidate.dir}/`));
  return suite && { suite: suite.name, path: `${suite.name}/${file.slice(suite.dir.length + 1)}` };
}
