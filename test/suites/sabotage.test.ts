// The rule that the simulator's defects are only used by the project's own tests, and each one is.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SABOTAGE_FLAGS } from '@pod-identity-conformance/sim';
import { describe, expect, it } from 'vitest';
import { REPO } from './suite-run.ts';

describe('where sabotage may be used', () => {
  it('every defect is run against the suite by a test in this folder', async () => {
    const folder = join(REPO, 'test/suites');
    const sources = await Promise.all(
      (await readdir(folder))
        .filter((name) => /^defects-.*\.test\.ts$/.test(name))
        .map((name) => readFile(join(folder, name), 'utf8')),
    );
    const untested = SABOTAGE_FLAGS.filter(
      (flag) => !sources.some((text) => new RegExp(`sabotage: \\{\\s*${flag}:`).test(text)),
    );
    expect(untested).toEqual([]);
  });

  it('no target, runner or script mentions it: only the simulator and test/suites do', async () => {
    const offenders: string[] = [];
    for (const folder of ['targets', 'runner', 'scripts', 'suites', 'fixtures', 'helpers']) {
      const entries = await readdir(join(REPO, folder), { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.ts'))) {
        const path = join(entry.parentPath, entry.name);
        if (/sabotage/i.test(await readFile(path, 'utf8'))) offenders.push(path.slice(REPO.length));
      }
    }
    expect(offenders).toEqual([]);
  });
});
