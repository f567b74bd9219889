// The conformance runner with a fake target and the fixture suites, for the runner's tests (spawned,
// so vitest does not run inside vitest). Everything else is the real runner.
//
// Environment:
//   FIXTURE_SECRET           the fake target's secret access key (default: a fixed fake)
//   FIXTURE_FACTORY_LOG      file the fake target factory writes the settings it received to
//   FIXTURE_TEARDOWN_LOG     file the teardown appends the records it was given to (JSON lines)
//   FIXTURE_TARGET_FAILS     when set, the fake target fails to start with this message
//   FIXTURE_PREFLIGHT=fail   the fake target's preflight fails (exit 2, a `preflight` testsuite)
//   FIXTURE_TEARDOWN=fail    the teardown deletes nothing and says why (exit 1, a `teardown` case)

import { appendFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultDeps } from '../../runner/default-deps.ts';
import { PreflightError } from '../../runner/preflight.ts';
import { runConformance } from '../../runner/run-conformance.ts';
import type { OutstandingTeardown } from '../../runner/teardown.ts';
import { embeddedCapabilities } from '../../targets/embedded.ts';
import type { TargetFactory } from '../../targets/index.ts';
import { TARGETS } from '../../targets/index.ts';

export const FIXTURE_SUITES_ROOT = fileURLToPath(new URL('./fixture-suites', import.meta.url));

/** Six checks, as the eks target makes them: one failed, four not checked after it, one passed. */
const FAILED_PREFLIGHT = [
  { name: 'caller identity', status: 'passed', detail: 'arn:aws:iam::111122223333:user/ci' },
  { name: 'account allowed', status: 'failed', detail: 'account 111122223333 is not allowed; use --account' },
  { name: 'cluster', status: 'not checked', detail: 'not checked: the account is not allowed' },
  { name: 'platform version', status: 'not checked', detail: 'not checked: the account is not allowed' },
  { name: 'Kubernetes access', status: 'not checked', detail: 'not checked: the account is not allowed' },
  { name: 'pod identity agent', status: 'not checked', detail: 'not checked: the account is not allowed' },
] as const;

const fakeTarget: TargetFactory = async (settings, runId) => {
  if (process.env.FIXTURE_FACTORY_LOG) {
    await writeFile(process.env.FIXTURE_FACTORY_LOG, JSON.stringify({ settings, runId }));
  }
  if (process.env.FIXTURE_TARGET_FAILS) throw new Error(process.env.FIXTURE_TARGET_FAILS);
  if (process.env.FIXTURE_PREFLIGHT === 'fail') {
    throw new PreflightError(FAILED_PREFLIGHT.map((check) => ({ ...check })));
  }
  return {
    info: {
      name: 'embedded',
      region: settings.region ?? 'us-east-1',
      accountId: '111122223333',
      cluster: {
        name: settings.cluster ?? 'fixture',
        arn: `arn:aws:eks:us-east-1:111122223333:cluster/${settings.cluster ?? 'fixture'}`,
      },
      endpoints: {},
      credentials: {
        accessKeyId: 'AKIAFIXTUREFIXTURE00',
        secretAccessKey: process.env.FIXTURE_SECRET ?? 'fixture-secret-access-key-0000000000000000',
      },
      kubeconfigPath: '/nonexistent/kubeconfig',
      pod: {
        image: settings.podImage ?? 'fixture',
        command: ['sleep', '86400'],
        imagePullPolicy: 'Never',
        env: {},
      },
      capabilities: embeddedCapabilities(undefined),
      runId,
      reportDir: settings.reportDir,
      keep: settings.keep,
      waitTimeoutMs: 5_000,
    },
    close: async () => {},
  };
};

const recordingTeardown: OutstandingTeardown = async (_info, records) => {
  if (process.env.FIXTURE_TEARDOWN_LOG) {
    await appendFile(process.env.FIXTURE_TEARDOWN_LOG, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  if (process.env.FIXTURE_TEARDOWN === 'fail') {
    return records.map((record) => ({
      record,
      ok: false,
      error: 'AccessDenied: the fixture teardown deletes nothing',
    }));
  }
  return records.map((record) => ({ record, ok: true }));
};

process.exit(
  await runConformance(process.argv.slice(2), {
    ...defaultDeps(),
    targets: { ...TARGETS, embedded: fakeTarget },
    suitesRoot: FIXTURE_SUITES_ROOT,
    teardown: recordingTeardown,
  }),
);
