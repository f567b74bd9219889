// The suite API from the outside: a suite in a folder of its own, written against
// 'pod-identity-conformance/suite' only, run with --suites-dir, is reported and cleaned up like the
// bundled ones; and a bundled suite file runs under plain vitest, which starts the embedded target itself.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { childEnv, REPO, readJunit, readLedger, scratchDir } from '../suites/suite-run.ts';

const TEAM_SUITE = `
import { beforeAll, describe, expect, it } from 'vitest';
import {
  callerIdentityOnceAvailable,
  createAssociatedApp,
  noteForReport,
  type Pod,
  podClientFor,
  type Role,
  useSuiteRun,
} from 'pod-identity-conformance/suite';

describe('team workloads', () => {
  const suite = useSuiteRun();
  let pod: Pod;
  let role: Role;

  beforeAll(async () => {
    ({ pod, role } = await createAssociatedApp(suite.run, suite.stack, { purpose: 'team' }));
  });

  it('the team pod runs as the team role', async (ctx) => {
    const client = await podClientFor(ctx, suite.info, 'sdk-probe');
    const identity = await callerIdentityOnceAvailable(suite.run, client, pod);
    expect(identity.arn).toContain(':assumed-role/' + role.name + '/');
    await noteForReport(ctx, 'team role: ' + role.name);
  });
});
`;

describe('the public suite API', () => {
  it('runs a suite from --suites-dir with the same fixtures, reports and teardown', {
    timeout: 120_000,
  }, async () => {
    const scratch = await scratchDir();
    try {
      const suiteDir = join(scratch.dir, 'team-checks');
      await mkdir(suiteDir, { recursive: true });
      await writeFile(join(suiteDir, 'workloads.test.ts'), TEAM_SUITE);
      const result = await execa(
        process.execPath,
        [
          'scripts/conformance.ts',
          '--suites-dir',
          suiteDir,
          '--suite',
          'team-checks',
          '--report-dir',
          scratch.reportDir,
        ],
        { cwd: REPO, env: childEnv(), extendEnv: false, reject: false },
      );
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toContain('1 passed, 0 failed');
      const junit = await readJunit(scratch.reportDir);
      expect(junit.cases).toEqual([
        expect.objectContaining({
          file: 'team-checks/workloads',
          name: 'team workloads › the team pod runs as the team role',
          status: 'passed',
        }),
      ]);
      const ledger = await readLedger(scratch.reportDir);
      expect(ledger.created.map((record) => record.kind).sort()).toEqual([
        'iam-role',
        'namespace',
        'pod',
        'pod-identity-association',
        'service-account',
      ]);
      expect(ledger.outstanding, 'everything the external suite created was deleted').toEqual([]);
    } finally {
      await scratch.remove();
    }
  });

  it('plain `vitest run` of a bundled suite file passes on the embedded target', {
    timeout: 120_000,
  }, async () => {
    const scratch = await scratchDir();
    try {
      const result = await execa(
        process.execPath,
        [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'suites/pod-identity/credentials.test.ts'],
        { cwd: REPO, env: childEnv({ PIC_REPORT_DIR: scratch.reportDir }), extendEnv: false, reject: false },
      );
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
      // aws-cli, sdk-probe and boto3: the clients the embedded target runs by default (boto3 needs the
      // machine's python3 with botocore, which these machines have).
      expect(stripVTControlCharacters(String(result.stdout))).toMatch(/Tests\s+3 passed/);
      const ledger = await readLedger(scratch.reportDir);
      expect(ledger.created.length).toBeGreaterThan(0);
      expect(ledger.outstanding).toEqual([]);
    } finally {
      await scratch.remove();
    }
  });
});
