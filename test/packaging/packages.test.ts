// The two packages stay apart: the simulator (sim/, @pod-identity-conformance/sim) imports nothing of the
// harness, the harness reaches the simulator only through its package entry, the bundled suites reach
// the harness only through its public suite API, and neither published package carries the tests.

import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../suites/suite-run.ts';

const run = promisify(execFile);

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(REPO, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|mjs|js)$/.test(e.name) && !e.parentPath.includes('node_modules'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every module specifier a file imports (static and dynamic). */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('package seams', () => {
  it('the simulator imports nothing outside sim/', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles('sim')) {
      for (const specifier of await importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(join(REPO, 'sim'), join(file, '..', specifier));
        if (target.startsWith('..')) offenders.push(`${relative(REPO, file)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the harness reaches the simulator only through @pod-identity-conformance/sim', async () => {
    const offenders: string[] = [];
    for (const folder of [
      'runner',
      'targets',
      'fixtures',
      'helpers',
      'suite-api',
      'suites',
      'janitor',
      'scripts',
      'bench',
      'test',
    ]) {
      for (const file of await sourceFiles(folder)) {
        for (const specifier of await importsOf(file)) {
          if (/^(\.\.\/)+sim\//.test(specifier))
            offenders.push(`${relative(REPO, file)} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the bundled suites import only the suite API, vitest and libraries', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles('suites')) {
      for (const specifier of await importsOf(file)) {
        if (specifier.startsWith('.')) offenders.push(`${relative(REPO, file)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('npm pack of either package lists no project test and no benchmark, and all it imports', {
    timeout: 60_000,
  }, async () => {
    for (const dir of [REPO, join(REPO, 'sim')]) {
      const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: dir });
      const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
        (f) => f.path,
      );
      expect(files.length).toBeGreaterThan(10);
      expect(files.filter((path) => /^(test|bench)\/|vitest\.self/.test(path))).toEqual([]);
      // The conformance suites are the product and ship; the project's own tests do not.
      if (dir === REPO) expect(files).toContain('suites/pod-identity/credentials.test.ts');
      // Every relative import of a packed module is packed too: the package works once installed.
      const packed = new Set(files);
      const missing: string[] = [];
      for (const path of files.filter((f) => /\.(ts|mjs)$/.test(f))) {
        for (const specifier of await importsOf(join(dir, path))) {
          if (!specifier.startsWith('.')) continue;
          const target = relative(dir, join(dir, path, '..', specifier));
          if (!packed.has(target)) missing.push(`${path} imports ${specifier}`);
        }
      }
      expect(missing).toEqual([]);
    }
  });
});
