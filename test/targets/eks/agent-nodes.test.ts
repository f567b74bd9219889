// A node without the agent, as on a cluster whose agent DaemonSet does not tolerate a node's taint:
// the standalone simulator started with two nodes, the second tainted, and the eks target run against
// it. With test pods tolerating the taint, the preflight warns which node lacks the agent and the case
// whose pod lands there fails naming the node; without the toleration pods avoid it and all pass.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsCliDirectory } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedHome, runRunner, type StandaloneSim, startStandaloneSim } from './standalone.ts';

const RUN_TIMEOUT_MS = 240_000;
const SIM_ACCOUNT = '210987654321';
const TAINT = 'dedicated=ci:NoSchedule';
const awsCli = await awsCliDirectory();

let sim: StandaloneSim;
let home: Awaited<ReturnType<typeof isolatedHome>>;
let work: string;

beforeAll(async () => {
  [sim, home] = await Promise.all([
    startStandaloneSim(['--account', SIM_ACCOUNT, '--nodes', '2', '--taint-node', `sim-node-2=${TAINT}`]),
    isolatedHome(),
  ]);
  work = await mkdtemp(join(tmpdir(), 'pic-agent-nodes-'));
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await home?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

function environment(): Record<string, string> {
  const env = { PATH: process.env.PATH, NO_COLOR: '1', ...home.env, ...sim.exports };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

const run = (reportDir: string, extra: string[]) =>
  runRunner(
    [
      '--target',
      'eks',
      '--account',
      SIM_ACCOUNT,
      '--suite',
      'pod-identity',
      '--file',
      'credentials',
      '--case',
      'aws-cli',
      '--wait-timeout',
      '5',
      '--report-dir',
      reportDir,
      ...extra,
    ],
    environment(),
  );

describe.runIf(awsCli)('a node the agent DaemonSet does not tolerate (needs the AWS CLI)', () => {
  it(
    'test pods tolerating its taint: the preflight warns, the case on that node fails naming it',
    async () => {
      const reportDir = join(work, 'tolerating');
      const result = await run(reportDir, ['--toleration', TAINT]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(
        /warn {2}agent on the test pods’ nodes: test pods may be scheduled on sim-node-2 \(taints dedicated=ci:NoSchedule\), where no pod identity agent runs/,
      );
      const summary = await readFile(join(reportDir, 'summary.md'), 'utf8');
      expect(summary).toContain(
        '| agent on the test pods’ nodes | warning | test pods may be scheduled on sim-node-2',
      );
      expect(summary).toMatch(
        /the agent at 169\.254\.170\.23:80 did not answer pod pic-[a-z0-9-]+-credentials\/app on node sim-node-2: no pod identity agent pod runs on sim-node-2 \(agents run on sim-node-1\)\. Likely cause: no pod identity agent runs on the node the pod landed on\. Fix: let the eks-pod-identity-agent DaemonSet run on every node pods use/,
      );
      expect(summary).toContain(
        '## Likely causes\n\n### no pod identity agent runs on the node the pod landed on\n',
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'test pods without the toleration stay off that node: the preflight passes that check and the case passes',
    async () => {
      const reportDir = join(work, 'not-tolerating');
      const result = await run(reportDir, []);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(
        /pass {2}agent on the test pods’ nodes: an agent pod runs on every node test pods may use \(2 node\(s\)\)/,
      );
    },
    RUN_TIMEOUT_MS,
  );
});
