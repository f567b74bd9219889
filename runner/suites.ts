// Suites are the folders under the suites root; their cases are the `*.test.ts` files inside.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './errors.ts';

const TEST_FILE = /\.test\.ts$/;
const LAST_FILE = /\.last\.test\.ts$/;

/** Suite folder names, sorted; none when the folder does not exist. */
export async function findSuites(suitesRoot: string): Promise<string[]> {
  try {
    const entries = await readdir(suitesRoot, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The absolute paths of the files `--file` names in the selected suites: `credentials` is
 * credentials.test.ts, `cleanup` or `cleanup.last` is cleanup.last.test.ts. A name no selected suite
 * has is bad input.
 */
export async function resolveSuiteFiles(
  suitesRoot: string,
  suites: readonly string[],
  names: readonly string[],
): Promise<string[]> {
  const byName = new Map<string, string[]>();
  for (const suite of suites) {
    const entries = await readdir(join(suitesRoot, suite)).catch(() => [] as string[]);
    for (const file of entries.filter((f) => TEST_FILE.test(f)).sort()) {
      const path = join(suitesRoot, suite, file);
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
        `unknown suite file "${name}" in suite(s) ${suites.join(', ')}; choose one of: ${known.join(', ')}`,
      );
    }
    paths.push(...found);
  }
  return [...new Set(paths)];
}
