// Which SDKs in your workloads can use Pod Identity: each of the run's clients runs in one associated pod
// and is reported as got the role, too old (refused the agent's address 169.254.170.23), fell through to
// another credential provider, or failed. A client the run asked about that is too old fails the case
// with the cause and the release it needs. On the simulator targets the case also proves that this
// diagnosis works: it runs releases from before Pod Identity (aws-sdk 2.1400.0, Debian's botocore
// 1.29.27, installed into .pic/clients on first use) and expects each of them to be reported too old.

import {
  type ClientReport,
  callerIdentityOnceAvailable,
  createAssociatedApp,
  DiagnosedFailure,
  describeReport,
  eventually,
  judgeClient,
  NotYet,
  noteForReport,
  OLD_BOTOCORE_VERSION,
  OLD_NODE_V2_VERSION,
  PinnedClientUnavailable,
  type Pod,
  type PodClientId,
  podClientNamed,
  type Role,
  selectedPodClients,
  tooOldLine,
  useSuiteRun,
  WaitTimeout,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, it } from 'vitest';

/** Releases from before November 2023 that refuse the agent's address: the simulators' self-check. */
const KNOWN_TOO_OLD: PodClientId[] = [`node-v2@${OLD_NODE_V2_VERSION}`, `boto3@${OLD_BOTOCORE_VERSION}`];

describe('client compatibility', () => {
  const suite = useSuiteRun();
  let role: Role;
  let pod: Pod;

  beforeAll(async () => {
    ({ role, pod } = await createAssociatedApp(suite.run, suite.stack, { purpose: 'client-compat' }));
  });

  it('each client in an associated pod gets the role, or is reported too old for Pod Identity', async (ctx) => {
    const { info, run } = suite;
    const asked = selectedPodClients(info);
    const runnable = (id: PodClientId) => info.capabilities[podClientNamed(info, id).capability];
    // Old releases accept loopback: only where the pod sees the agent at 169.254.170.23 do they refuse it.
    const selfCheck =
      info.name === 'eks' ? [] : KNOWN_TOO_OLD.filter((id) => !asked.includes(id) && runnable(id).available);
    if (info.name !== 'eks' && !info.capabilities.podSandbox.available) {
      await noteForReport(
        ctx,
        `old releases not checked: needs podSandbox: ${info.capabilities.podSandbox.reason}`,
      );
      selfCheck.length = 0;
    }
    const agentUrl = agentAddress(pod);
    // The association has applied once the first current client the pod can run gets the role.
    const first = asked.find((id) => runnable(id).available && !KNOWN_TOO_OLD.includes(id));
    if (first) await callerIdentityOnceAvailable(run, podClientNamed(info, first), pod);

    const tooOld: string[] = [];
    const problems: string[] = [];
    const ids = [...asked, ...selfCheck];
    // Each client is its own process in the pod: they run at once, the case lasts as long as the slowest.
    const outcomes = await Promise.all(ids.map(judge));
    for (const [index, id] of ids.entries()) {
      const report = outcomes[index];
      if (typeof report === 'string' || report === undefined) {
        if (report) await noteForReport(ctx, report);
        continue;
      }
      const expectedTooOld = selfCheck.includes(id);
      const line = describeReport(report, agentUrl);
      await noteForReport(
        ctx,
        expectedTooOld ? `${line} (expected: a release from before Pod Identity)` : line,
      );
      if (expectedTooOld) {
        if (report.verdict.kind !== 'too-old')
          problems.push(`${id} predates Pod Identity and should refuse ${agentUrl}, but: ${line}`);
      } else if (report.verdict.kind === 'too-old') tooOld.push(tooOldLine(report, agentUrl));
      else if (report.verdict.kind !== 'role') problems.push(line);
    }
    if (tooOld.length > 0) throw new DiagnosedFailure('client-too-old', [...tooOld, ...problems].join('; '));
    if (problems.length > 0) throw new Error(problems.join('; '));

    /** The client's report, or why the target cannot run it. */
    async function judge(id: PodClientId): Promise<ClientReport | string> {
      const capability = runnable(id);
      if (!capability.available) return `${id}: not run: ${capability.reason}`;
      const client = podClientNamed(info, id);
      // A failure that is neither a refusal nor another identity may pass (throttling, an agent
      // restarting): asked again until the wait's deadline, then reported as it last was.
      let last: ClientReport | undefined;
      try {
        return await eventually(
          `${id} in pod ${pod.namespace}/${pod.name}`,
          async () => {
            last = await judgeClient(client, pod, role.name);
            if (last.verdict.kind === 'failed') throw new NotYet(last.verdict.message);
            return last;
          },
          { timeoutMs: info.waitTimeoutMs, intervalMs: 500 },
        );
      } catch (error) {
        if (error instanceof WaitTimeout && last) return last;
        if (!(error instanceof PinnedClientUnavailable)) throw error;
        return `${id}: not run: ${error.message}`;
      }
    }
  });
});

/** The credentials address the cluster gave the pod, as stored (on EKS: http://169.254.170.23/v1/credentials). */
function agentAddress(pod: Pod): string {
  const env = pod.stored.spec?.containers[0]?.env ?? [];
  return env.find((variable) => variable.name === 'AWS_CONTAINER_CREDENTIALS_FULL_URI')?.value ?? 'unknown';
}
