// The conformance runner with a fake target, the runner's fixture suites and a fake teardown, for the
// report tests (test/runner/junit-reports.test.ts): spawned, so vitest does not run inside vitest. Like
// test/runner/fixture-runner.ts, and it can also fail the ways only a real target or teardown can:
//
//   REPORT_FIXTURE_PREFLIGHT=fail  the fake target's preflight fails (exit 2, a `preflight` testsuite)
//   REPORT_FIXTURE_TEARDOWN=fail   the teardown deletes nothing and says why (exit 1, a `teardown` case)

import { fileURLToPath } from 'node:url';
import { defaultDeps } from '../../runner/default-deps.ts';
import { PreflightError } from '../../runner/preflight.ts';
import { runConformance } from '../../runner/run-conformance.ts';
import type { OutstandingTeardown } from '../../runner/teardown.ts';
import { embeddedCapabilities } from '../../targets/embedded.ts';
import type { TargetFactory } from '../../targets/index.ts';
import { TARGETS } from '../../targets/index.ts';

const FIXTURE_SUITES_ROOT = fileURLToPath(new URL('./fixture-suites', import.meta.url));

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
  if (process.env.REPORT_FIXTURE_PREFLIGHT === 'fail') {
    throw new PreflightError(FAILED_PREFLIGHT.map((check) => ({ ...check })));
  }
  return {
    info: {
      name: 'embedded',
      region: settings.region ?? 'us-east-1',
      accountId: '111122223333',
      cluster: { name: 'fixture', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/fixture' },
      endpoints: {},
      credentials: {
        accessKeyId: 'AKIAFIXTUREFIXTURE00',
        secretAccessKey: 'fixture-secret-access-key-0000000000000000',
      },
      kubeconfigPath: '/nonexistent/kubeconfig',
      pod: { image: 'fixture', command: ['sleep', '86400'], imagePullPolicy: 'Never', env: {} },
      capabilities: embeddedCapabilities(undefined),
      runId,
      reportDir: settings.reportDir,
      keep: settings.keep,
      waitTimeoutMs: 5_000,
    },
    close: async () => {},
  };
};

const fakeTeardown: OutstandingTeardown = async (_info, records) =>
  process.env.REPORT_FIXTURE_TEARDOWN === 'fail'
    ? records.map((record) => ({
        record,
        ok: false,
        error: 'AccessDenied: the fixture teardown deletes nothing',
      }))
    : records.map((record) => ({ record, ok: true }));

process.exit(
  await runConformance(process.argv.slice(2), {
    ...defaultDeps(),
    targets: { ...TARGETS, embedded: fakeTarget },
    suitesRoot: FIXTURE_SUITES_ROOT,
    teardown: fakeTeardown,
  }),
);
