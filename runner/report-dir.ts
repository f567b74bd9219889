// The report directory is checked before anything starts and created only once the target is up, so
// bad input leaves nothing behind.

import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from './errors.ts';

/** Throws a UsageError unless `dir` exists as a writable directory or could be created. */
export async function checkReportDirUsable(dir: string): Promise<void> {
  let candidate = dir;
  for (;;) {
    const info = await stat(candidate).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw unusable(dir, `${candidate} cannot be read (${error.code})`);
    });
    if (info) {
      if (!info.isDirectory()) throw unusable(dir, `${candidate} is not a directory`);
      await access(candidate, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
        throw unusable(dir, `${candidate} is not writable (${error.code})`);
      });
      return;
    }
    const parent = dirname(candidate);
    if (parent === candidate) throw unusable(dir, 'no part of the path exists');
    candidate = parent;
  }
}

export async function createReportDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw unusable(dir, (error as Error).message);
  }
}

function unusable(dir: string, why: string): UsageError {
  return new UsageError(
    `cannot write reports to "${dir}": ${why}; pass --report-dir with a writable directory`,
  );
}
