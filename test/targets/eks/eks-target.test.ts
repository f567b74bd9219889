// The eks target end to end, offline: a standalone simulator (`node scripts/sim.ts`), its exports, and
// the runner (`node scripts/conformance.ts --target eks`) with only those variables. The preflight refuses
// what it must (exit 2, nothing created), the pod-identity suite passes through the kubeconfig and
// through an in-process EKS token, and a failed case carries its pods' diagnostics.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsCliDirectory } from '@pod-identity-conformance/sim';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  isolatedHome,
  type RunnerResult,
  runRunner,
  type StandaloneSim,
  startStandaloneSim,
  toolResources,
} from './standalone.ts';

const SUITE_RUN_TIMEOUT_MS = 300_000;
/** The account the simulators are started with, the one --account must name. */
const SIM_ACCOUNT = '210987654321';
const awsCli = await awsCliDirectory();

interface JunitCase {
  name: string;
  classname: string;
  skipped?: { message: string } | string;
  failure?: { message: string; '#text': string };
  'system-out'?: string;
}

async function junitCases(reportDir: string): Promise<JunitCase[]> {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    await readFile(join(reportDir, 'junit.xml'), 'utf8'),
  );
  const suites = [parsed.testsuites.testsuite].flat();
  return suites.flatMap((suite: { testcase: JunitCase | JunitCase[] }) => [suite.testcase].flat());
}

let sim: StandaloneSim;
let home: Awaited<ReturnType<typeof isolatedHome>>;
let work: string;

beforeAll(async () => {
  [sim, home] = await Promise.all([startStandaloneSim(['--account', SIM_ACCOUNT]), isolatedHome()]);
  work = await mkdtemp(join(tmpdir(), 'pic-eks-target-'));
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await home?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The sim's exports, this test's empty home and AWS config, and nothing else of the machine's setup. */
function environment(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    NO_COLOR: '1',
    ...home.env,
    ...sim.exports,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** A refused run left nothing on the target: no role, bucket, association or namespace. */
async function expectNothingCreated(exports: Parameters<typeof toolResources>[0]): Promise<void> {
  expect(await toolResources(exports)).toEqual({
    roles: [],
    buckets: [],
    associations: [],
    namespaces: [],
    oidcProviders: [],
  });
}

async function expectRefused(result: RunnerResult, reportDir: string, failure: RegExp): Promise<string[]> {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines[0]).toMatch(
    /^pod-identity-conformance: preflight failed \(\d+ of \d+ checks\); nothing was created/,
  );
  const failed = lines.filter((line) => line.startsWith('  FAIL  '));
  expect(
    failed.some((line) => failure.test(line)),
    `${failure} in:\n${result.stderr}`,
  ).toBe(true);
  // The reports still say what failed; the generated kubeconfig and token are gone.
  expect(await readFile(join(reportDir, 'summary.md'), 'utf8')).toContain(
    '# Pod Identity conformance: preflight failed, nothing was created',
  );
  const preflight = (await junitCases(reportDir)).filter((c) => c.classname === 'preflight');
  expect(preflight.some((c) => c.failure)).toBe(true);
  expect(
    existsSync(await accessDirectoryOf(reportDir)),
    'the generated kubeconfig and token are removed',
  ).toBe(false);
  return failed;
}

describe('eks target against a standalone simulator', () => {
  describe('preflight refuses, exits 2 and creates nothing', () => {
    it('an account that is not allowed (--account 999999999999)', async () => {
      const reportDir = join(work, 'disallowed');
      const result = await runRunner(
        [
          '--target',
          'eks',
          '--suite',
          'pod-identity',
          '--account',
          '999999999999',
          '--report-dir',
          reportDir,
        ],
        environment(),
      );
      const [line] = await expectRefused(
        result,
        reportDir,
        /account allowed: .*not an allowed account \(999999999999\)/,
      );
      expect(line).toContain(`add --account ${SIM_ACCOUNT}`);
      await expectNothingCreated(sim.exports);
    });

    it('no --account and no --yes, naming the account it would have used', async () => {
      const reportDir = join(work, 'unconfirmed');
      const result = await runRunner(
        ['--target', 'eks', '--suite', 'pod-identity', '--report-dir', reportDir],
        environment(),
      );
      const [line] = await expectRefused(result, reportDir, /account allowed: no allowed account given/);
      expect(line).toContain(`in account ${SIM_ACCOUNT}`);
      expect(line).toContain('or --yes');
      await expectNothingCreated(sim.exports);
    });

    it('a second account the runner cannot act in (--target-role-account 999999999999)', async () => {
      const reportDir = join(work, 'no-second-account');
      const result = await runRunner(
        ['--target', 'eks', '--suite', 'pod-identity', '--account', SIM_ACCOUNT, '--report-dir', reportDir],
        environment({ PIC_TARGET_ROLE_ACCOUNT: '999999999999' }),
      );
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        '--target-role-account 999999999999: the runner cannot act there by assuming arn:aws:iam::999999999999:role/OrganizationAccountAccessRole (',
      );
      expect(result.stderr).not.toMatch(/[A-Za-z0-9/+]{40}/);
      await expectNothingCreated(sim.exports);
    });

    it('a cluster that does not exist (--cluster nope)', async () => {
      const reportDir = join(work, 'missing-cluster');
      const result = await runRunner(
        [
          '--target',
          'eks',
          '--suite',
          'pod-identity',
          '--cluster',
          'nope',
          '--yes',
          '--report-dir',
          reportDir,
        ],
        environment(),
      );
      const [line] = await expectRefused(result, reportDir, /cluster: cluster "nope" does not exist/);
      expect(line).toContain(`clusters there: ${sim.exports.PIC_CLUSTER}`);
      await expectNothingCreated(sim.exports);
    });

    it('a cluster without the pod identity agent (no add-on, no DaemonSet)', async () => {
      const bare = await startStandaloneSim([
        '--without-agent-addon',
        '--cluster',
        'bare',
        '--account',
        SIM_ACCOUNT,
      ]);
      try {
        const reportDir = join(work, 'no-agent');
        const result = await runRunner(
          ['--target', 'eks', '--suite', 'pod-identity', '--account', SIM_ACCOUNT, '--report-dir', reportDir],
          environment(bare.exports),
        );
        const [line] = await expectRefused(
          result,
          reportDir,
          /pod identity agent: no eks-pod-identity-agent add-on and no DaemonSet kube-system\/eks-pod-identity-agent/,
        );
        expect(line).toContain(
          'aws eks create-addon --cluster-name bare --addon-name eks-pod-identity-agent',
        );
        await expectNothingCreated(bare.exports);
      } finally {
        await bare.stop();
      }
    });
  });

  /** Every case passed, except the SDK probe's, skipped with the target's reason. */
  async function expectSuitePassed(result: RunnerResult, reportDir: string): Promise<void> {
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    const cases = (await junitCases(reportDir)).filter((c) => c.classname.startsWith('pod-identity/'));
    expect(cases.length).toBeGreaterThan(20);
    for (const testCase of cases) {
      expect(testCase.failure, `${testCase.classname} › ${testCase.name}`).toBeUndefined();
      if (testCase.name.includes('[sdk-probe]')) {
        expect(testCase.skipped, testCase.name).toEqual({
          message:
            'needs podSdkProbe: the pod image has no node; run the JS SDK v3 probe in an image of yours with --client-image node-v3=IMAGE',
        });
      } else {
        expect(testCase.skipped, `${testCase.classname} › ${testCase.name}`).toBeUndefined();
      }
    }
    // The isolation cases run (and pass) although the eks target does not disable IMDS in the pods.
    const isolation = cases.filter(
      (c) => c.classname === 'pod-identity/isolation' && c.name.includes('[aws-cli]'),
    );
    expect(isolation.map((c) => c.skipped ?? 'ran')).toEqual(['ran', 'ran', 'ran']);
    // The IRSA cases ran too: the issuer from DescribeCluster, an OIDC provider made for the run.
    const irsa = cases.filter((c) => c.classname === 'pod-identity/irsa' && !c.name.includes('[sdk-probe]'));
    expect(irsa.map((c) => c.skipped ?? 'ran')).toEqual(Array(7).fill('ran'));
    expect(
      existsSync(await accessDirectoryOf(reportDir)),
      'the generated kubeconfig and token are removed',
    ).toBe(false);
    // The IRSA cases created the OIDC provider the simulator lacked: deleted again, like everything else.
    expect(await toolResources(sim.exports)).toMatchObject({
      roles: [],
      buckets: [],
      associations: [],
      oidcProviders: [],
    });
  }

  // The simulator's pods run the machine's AWS CLI: the suite's aws-cli cases need it.
  it.skipIf(!awsCli)(
    'passes the pod-identity suite through the simulator kubeconfig (needs the AWS CLI)',
    async () => {
      const reportDir = join(work, 'with-kubeconfig');
      const result = await runRunner(
        ['--target', 'eks', '--suite', 'pod-identity', '--account', SIM_ACCOUNT, '--report-dir', reportDir],
        environment(),
      );
      await expectSuitePassed(result, reportDir);
      expect(result.stdout).toContain('pod-identity-conformance: preflight passed:');
      expect(result.stdout).toMatch(
        / {2}pass {2}Kubernetes access: https:\/\/127\.0\.0\.1:\d+ answers, via kubeconfig context/,
      );
      const summary = await readFile(join(reportDir, 'summary.md'), 'utf8');
      expect(summary).toContain('## Preflight');
      expect(summary).toContain('| pod identity agent | passed | add-on eks-pod-identity-agent');
    },
    SUITE_RUN_TIMEOUT_MS,
  );

  it.skipIf(!awsCli)(
    'passes the pod-identity suite with only --cluster: an in-process EKS token, no kubeconfig (needs the AWS CLI)',
    async () => {
      const reportDir = join(work, 'with-token');
      expect(existsSync(join(home.dir, '.kube'))).toBe(false);
      const result = await runRunner(
        [
          '--target',
          'eks',
          '--suite',
          'pod-identity',
          '--cluster',
          sim.exports.PIC_CLUSTER!,
          '--account',
          SIM_ACCOUNT,
          '--report-dir',
          reportDir,
        ],
        environment({ KUBECONFIG: undefined, PIC_CLUSTER: undefined }),
      );
      await expectSuitePassed(result, reportDir);
      expect(result.stdout).toContain('via an in-process EKS token (no kubeconfig)');
    },
    SUITE_RUN_TIMEOUT_MS,
  );

  it.skipIf(!awsCli)(
    'attaches the pods’ diagnostics to a failed case; runs through an `aws eks get-token` exec kubeconfig (needs the AWS CLI)',
    async () => {
      const simConfig = parseYaml(await readFile(sim.exports.KUBECONFIG!, 'utf8')) as {
        clusters: Array<{ cluster: Record<string, string> }>;
      };
      const kubeconfig = join(work, 'exec-kubeconfig');
      await writeFile(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'sim', cluster: simConfig.clusters[0]!.cluster }],
          users: [
            {
              name: 'aws',
              user: {
                exec: {
                  apiVersion: 'client.authentication.k8s.io/v1beta1',
                  command: join(awsCli!, 'aws'),
                  args: ['eks', 'get-token', '--cluster-name', sim.exports.PIC_CLUSTER!, '--output', 'json'],
                  interactiveMode: 'Never',
                },
              },
            },
          ],
          contexts: [{ name: 'sim-exec', context: { cluster: 'sim', user: 'aws' } }],
          'current-context': 'sim-exec',
        }),
      );
      const reportDir = join(work, 'diagnostics');
      const result = await runRunner(
        ['--target', 'eks', '--suite', 'diagnostics', '--account', SIM_ACCOUNT, '--report-dir', reportDir],
        environment({ KUBECONFIG: kubeconfig }),
        'test/targets/eks/fixture-runner.ts',
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toContain('Kubernetes access: https://127.0.0.1');
      expect(result.stdout).toContain('via kubeconfig context sim-exec');
      const cases = await junitCases(reportDir);
      const failed = cases.find((c) => c.name.includes('fails on purpose'));
      const text = failed?.failure?.['#text'] ?? '';
      expect(text).toContain('Diagnostics:');
      expect(text).toMatch(/diagnostics for pod pic-\d{12}-[a-z0-9]{5}-diagnostics\/app:/);
      expect(text).toContain('phase: Running');
      expect(text).toMatch(/env names: .*DIAGNOSTICS_MARKER/);
      expect(text).not.toContain('value-that-must-not-appear');
      // Once: in the failure, not again in the case output.
      expect(failed?.['system-out'] ?? '').not.toContain('diagnostics for pod');
      const passed = cases.find((c) => c.name.includes('carries no diagnostics'));
      expect(passed?.failure).toBeUndefined();
      expect(passed?.['system-out']).toBeUndefined();
      expect(await readFile(join(reportDir, 'summary.md'), 'utf8')).toContain('Diagnostics:');
      expect(await toolResources(sim.exports)).toMatchObject({ roles: [], buckets: [], associations: [] });
    },
    SUITE_RUN_TIMEOUT_MS,
  );
});

/** Where the eks target kept the run's generated kubeconfig and token (the run id is in summary.md). */
async function accessDirectoryOf(reportDir: string): Promise<string> {
  const runId = /pic-\d{12}-[a-z0-9]{5}/.exec(await readFile(join(reportDir, 'summary.md'), 'utf8'))?.[0];
  expect(runId, 'summary.md names the run id').toBeDefined();
  return join(tmpdir(), `pic-eks-access-${runId}`);
}
