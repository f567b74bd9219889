// --file names the suite files a run is limited to (the negative tests here rely on it): by name
// without .test.ts, `cleanup` for cleanup.last.test.ts, and an unknown name is bad input (exit 2).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../runner/errors.ts';
import { resolveSuiteFiles } from '../../runner/suites.ts';
import { SUITES_ROOT } from '../../vitest.config.ts';
import { childEnv, REPO, scratchDir } from './suite-run.ts';

const POD_IDENTITY = join(SUITES_ROOT, 'pod-identity');
const BUNDLED = [{ name: 'pod-identity', dir: POD_IDENTITY }];

describe('resolveSuiteFiles', () => {
  it('maps names to the files of the selected suites, .last files by their short name too', async () => {
    expect(await resolveSuiteFiles(BUNDLED, ['credentials', 'cleanup'])).toEqual([
      join(POD_IDENTITY, 'credentials.test.ts'),
      join(POD_IDENTITY, 'cleanup.last.test.ts'),
    ]);
    expect(await resolveSuiteFiles(BUNDLED, ['cleanup.last', 'cleanup'])).toEqual([
      join(POD_IDENTITY, 'cleanup.last.test.ts'),
    ]);
  });

  it('refuses a name no selected suite has, listing the names there are', async () => {
    const refused = resolveSuiteFiles(BUNDLED, ['credential']);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(
      'unknown suite file "credential" in suite(s) pod-identity; choose one of: agent-hardening, association-lifecycle, cleanup, client-compatibility, credential-refresh, credentials,',
    );
  });
});

describe('--file on the command line', () => {
  it('an unknown file is one line on stderr, exit 2, and nothing is created', async () => {
    const scratch = await scratchDir();
    try {
      const result = await execa(
        process.execPath,
        ['scripts/conformance.ts', '--file', 'nope', '--report-dir', scratch.reportDir],
        {
          cwd: REPO,
          env: childEnv(),
          extendEnv: false,
          reject: false,
        },
      );
      expect(result.exitCode).toBe(2);
      expect(String(result.stderr).trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          /^pod-identity-conformance: unknown suite file "nope" in suite\(s\) pod-identity; choose one of: /,
        ),
      ]);
      expect(String(result.stdout)).toBe('');
      expect(existsSync(scratch.reportDir), 'no report dir, no ledger').toBe(false);
    } finally {
      await scratch.remove();
    }
  });

  it('--list with --file lists only those files', async () => {
    const result = await execa(
      process.execPath,
      ['scripts/conformance.ts', '--list', '--file', 'credentials', '--file', 'cleanup'],
      { cwd: REPO, env: childEnv(), extendEnv: false, reject: false },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const files = String(result.stdout)
      .split('\n')
      .filter((line) => /^ {2}\S/.test(line))
      .map((line) => line.trim());
    expect(files).toEqual(['pod-identity/cleanup.last.test.ts', 'pod-identity/credentials.test.ts']);
  });
});
