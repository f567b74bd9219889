// Suites are the folders under the suites root; their cases are the `*.test.ts` files inside.

import { readdir } from 'node:fs/promises';

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
