// The case names of each suite file as its last full collection found them, keyed by the file and the
// run's clients (a case per client: `--client` changes the names) and stamped with the file's size and
// mtime. An interrupted run lists the cases of files that never started from here (collecting
// them again would import every file: seconds, when the user is waiting for the exit), and falls back
// to reading the source, where names built in loops stay templates.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

interface Entry {
  stamp: string;
  cases: string[];
}

export function caseCachePath(packageRoot: string): string {
  return join(packageRoot, 'node_modules', '.cache', 'pod-identity-conformance', 'cases.json');
}

async function stampOf(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : undefined;
}

async function load(path: string): Promise<Record<string, Entry>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, Entry>;
  } catch {
    return {};
  }
}

/** Remembers the cases of fully collected files (best effort: a cache that cannot be written is skipped). */
export async function rememberCases(
  path: string,
  files: ReadonlyArray<{ moduleId: string; cases: string[] }>,
  clients: readonly string[] = [],
) {
  if (files.length === 0) return;
  const entries = await load(path);
  for (const file of files) {
    const stamp = await stampOf(file.moduleId);
    if (stamp) entries[keyOf(file.moduleId, clients)] = { stamp, cases: file.cases };
  }
  await mkdir(dirname(path), { recursive: true })
    .then(() => writeFile(path, JSON.stringify(entries)))
    .catch(() => {});
}

const keyOf = (moduleId: string, clients: readonly string[]) => `${moduleId}|${clients.join(',')}`;

/** The remembered cases of a file for these clients, if the file has not changed since. */
export async function rememberedCases(
  path: string,
  moduleId: string,
  clients: readonly string[] = [],
): Promise<string[] | undefined> {
  const entry = (await load(path))[keyOf(moduleId, clients)];
  return entry && entry.stamp === (await stampOf(moduleId)) ? entry.cases : undefined;
}
