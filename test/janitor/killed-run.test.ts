// What a killed run leaves, found and removed by the janitor, all through the real commands: a
// standalone simulator (`npm run sim`) stands in for an EKS cluster and its AWS account, the
// suite runs on it with `--target eks`, is SIGKILLed once its ledger shows resources (no teardown can
// run), then `npm run janitor` lists them, deletes them, and finds nothing the second time.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findToolResources } from '../../fixtures/inventory.ts';
import { createRunContext } from '../../fixtures/run-context.ts';
import { type LedgerRecord, RunLedger } from '../../helpers/ledger.ts';
import { escapeRegExp } from '../../helpers/naming.ts';
import { type StandaloneSim, startStandaloneSim } from '../targets/eks/standalone.ts';
import { childEnv } from '../targets/localstack/child-env.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CONFORMANCE = join(REPO, 'scripts/conformance.ts');
const JANITOR = join(REPO, 'scripts/janitor.ts');
const ACCOUNT = '111122223333';
const TIMEOUT_MS = 240_000;

let work: string;
let sim: StandaloneSim | undefined;
let simEnv: Record<string, string> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-killed-run-'));
  sim = await startStandaloneSim(['--state-dir', join(work, 'sim')]);
  simEnv = sim.exports;
});

afterAll(async () => {
  await sim?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The ledger's outstanding records once they include a pod (so roles, associations and namespaces exist). */
async function waitForLedgerWithPod(reports: string, runner: ChildProcess): Promise<LedgerRecord[]> {
  const deadline = Date.now() + 120_000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (runner.exitCode !== null)
      throw new Error(`the run ended (exit ${runner.exitCode}) before it was killed`);
    const files = existsSync(reports)
      ? (await readdir(reports)).filter((f) => /^ledger-.+\.jsonl$/.test(f))
      : [];
    if (files.length === 1) {
      const outstanding = await new RunLedger(join(reports, files[0]!)).outstanding();
      if (outstanding.some((record) => record.kind === 'pod')) return outstanding;
    }
    if (Date.now() > deadline) throw new Error('no pod in the run ledger within 120 s');
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function janitor(args: string[], options: { account?: boolean } = {}) {
  const account = options.account === false ? [] : ['--account', ACCOUNT];
  return execa(process.execPath, [JANITOR, '--target', 'eks', ...account, ...args], {
    cwd: work,
    env: childEnv(simEnv),
    extendEnv: false,
    reject: false,
  });
}

describe('janitor after a killed run (standalone simulator through the eks target)', () => {
  it(
    'lists what the killed run left, deletes it, and then finds nothing',
    async () => {
      const reports = join(work, 'reports');
      // Its own process group, so SIGKILL reaches the runner and its vitest workers at once.
      const runner = spawn(
        process.execPath,
        [
          CONFORMANCE,
          '--target',
          'eks',
          '--account',
          ACCOUNT,
          '--suite',
          'pod-identity',
          '--report-dir',
          reports,
        ],
        { cwd: work, env: childEnv(simEnv), stdio: 'ignore', detached: true },
      );
      const runnerExit = once(runner, 'exit');
      let outstanding: LedgerRecord[];
      try {
        outstanding = await waitForLedgerWithPod(reports, runner);
      } finally {
        process.kill(-runner.pid!, 'SIGKILL');
        await runnerExit;
      }
      const runId = outstanding[0]!.runId;
      expect(runner.signalCode).toBe('SIGKILL');

      // What exists now, by the markers, as the admin of the simulated account sees it.
      const files = (await readdir(reports)).filter((f) => f.startsWith('ledger-'));
      expect(files).toEqual([`ledger-${runId}.jsonl`]);
      const info = {
        name: 'eks' as const,
        region: simEnv.AWS_REGION!,
        accountId: ACCOUNT,
        cluster: { name: simEnv.PIC_CLUSTER!, arn: '' },
        endpoints: {
          iam: simEnv.AWS_ENDPOINT_URL!,
          sts: simEnv.AWS_ENDPOINT_URL!,
          s3: simEnv.AWS_ENDPOINT_URL!,
          eks: simEnv.AWS_ENDPOINT_URL!,
        },
        credentials: {
          accessKeyId: simEnv.AWS_ACCESS_KEY_ID!,
          secretAccessKey: simEnv.AWS_SECRET_ACCESS_KEY!,
        },
        kubeconfigPath: simEnv.KUBECONFIG!,
        pod: { image: 'x', command: [], imagePullPolicy: 'Never' as const, env: {} },
        capabilities: {} as never,
        runId,
        reportDir: join(work, 'inventory'),
        keep: true,
        waitTimeoutMs: 10_000,
      };
      const inventory = createRunContext(info);
      try {
        const left = await findToolResources(inventory, { runId });
        const kinds = new Set(left.map((item) => item.kind));
        expect(kinds).toContain('iam-role');
        expect(kinds).toContain('pod-identity-association');
        expect(kinds).toContain('namespace');

        // The dry run deletes nothing: no account guard, so no --account needed. A sweep of every run
        // lists what is tagged; anything found by its name only (killed between creating and tagging
        // it) is listed for the run's id, which is what the runner's hint uses.
        const dryRun = await janitor([], { account: false });
        expect(dryRun.exitCode, String(dryRun.stderr)).toBe(0);
        const listed = String(dryRun.stdout);
        const tagged = left.filter((item) => !item.byName);
        expect(listed).toContain(`janitor: ${tagged.length} resource(s) of pod-identity-conformance on eks`);
        for (const item of tagged) {
          expect(listed).toMatch(
            new RegExp(`\\n  ${item.kind}\\s+${escapeRegExp(item.name)}\\s+${runId}\\s+\\S+`),
          );
        }
        expect(listed).toContain(
          `dry run: nothing was deleted; to delete these, run: npm run janitor -- --target eks --cluster ${simEnv.PIC_CLUSTER} --region ${simEnv.AWS_REGION} --account ${ACCOUNT} --delete`,
        );
        expect(await findToolResources(inventory, { runId })).toHaveLength(left.length);

        // --delete is guarded: without --account (or --yes) it refuses, saying what it would delete.
        const refused = await janitor(['--delete'], { account: false });
        expect(refused.exitCode).toBe(2);
        expect(String(refused.stderr)).toContain(
          `no allowed account given; --delete would delete the IAM roles, S3 buckets, namespaces and pod identity associations that runs left in account ${ACCOUNT}`,
        );
        expect(await findToolResources(inventory, { runId })).toHaveLength(left.length);

        const deletion = await janitor(['--run-id', runId, '--delete']);
        expect(deletion.exitCode, String(deletion.stderr)).toBe(0);
        const deleted = String(deletion.stdout);
        for (const item of left) expect(deleted).toContain(`janitor: deleted ${item.kind} ${item.name}`);
        expect(deleted).toContain(`janitor: ${left.length} deleted, 0 failed`);
        expect(await findToolResources(inventory, { runId })).toEqual([]);

        const again = await janitor([]);
        expect(again.exitCode).toBe(0);
        expect(String(again.stdout).trim()).toMatch(/^janitor: nothing of pod-identity-conformance on eks /);
      } finally {
        inventory.aws.destroy();
      }
    },
    TIMEOUT_MS,
  );
});
