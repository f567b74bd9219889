// Whether one in-pod client works with Pod Identity, judged in an associated pod: it got the role, it
// refused the agent's address (an SDK from before Pod Identity allows only 169.254.170.2 and loopback for
// container credentials), it got credentials from another provider (fell through its chain, e.g. to the
// node role), or it failed otherwise. The SDK's own container provider is asked besides the whole chain:
// a chain that goes on to other providers (aws-sdk v2, the JS SDK v3) hides why the first one gave up.

import { MINIMUM_VERSIONS, parsePodClientId } from './pinned-clients.ts';
import type { ExecTarget, PodClient } from './pod-clients.ts';

/** What SDKs say when they refuse the container credentials host (spec §5.1, §6 row 6). */
const REFUSED_ADDRESS = [
  /Unsupported host/i, // botocore < 1.32 ("Unsupported host '169.254.170.23'"), aws-sdk v2 < 2.1550 ("Unsupported hostname")
  /URL not accepted/i, // JS SDK v3 checkUrl
  /is not a valid container metadata service hostname/i, // @smithy/credential-provider-imds
  /only loopback hosts are allowed/i, // Go v1 < 1.47.11, old Java v1
  /has an invalid host/i, // Java v2 on the IPv6 address
];

export type ClientVerdict =
  | { kind: 'role'; arn: string }
  /** `instead`: what its chain went on to get instead (the node role, where pods reach IMDS). */
  | { kind: 'too-old'; message: string; instead?: string }
  | { kind: 'fell-through'; arn: string }
  | { kind: 'failed'; message: string };

export interface ClientReport {
  client: string;
  /** The SDK and version the client reported (`aws-sdk 2.1400.0`), when it could say. */
  sdk?: string;
  verdict: ClientVerdict;
}

export function refusesAgentAddress(text: string): boolean {
  return REFUSED_ADDRESS.some((pattern) => pattern.test(text));
}

/** Runs `client` once in `pod` (whose service account is associated with `roleName`) and judges it. */
export async function judgeClient(
  client: PodClient,
  pod: ExecTarget,
  roleName: string,
): Promise<ClientReport> {
  const who = await client.whoami(pod);
  const provider = client.containerProvider ? await client.containerProvider(pod) : undefined;
  const report = (verdict: ClientVerdict): ClientReport => ({
    client: client.name,
    ...(provider && provider.sdk !== 'unknown' ? { sdk: provider.sdk } : {}),
    verdict,
  });
  // A refusal is the finding even when the chain then found other credentials: that is why it did.
  const refusal = [provider?.message, who.ok ? undefined : who.message].find(
    (text) => text && refusesAgentAddress(text),
  );
  if (refusal)
    return report({ kind: 'too-old', message: refusal, ...(who.ok ? { instead: who.value.arn } : {}) });
  if (who.ok) {
    const { arn } = who.value;
    return report(
      arn.includes(`:assumed-role/${roleName}/`) ? { kind: 'role', arn } : { kind: 'fell-through', arn },
    );
  }
  return report({
    kind: 'failed',
    message: provider?.message ? `${who.message} (its container provider: ${provider.message})` : who.message,
  });
}

/** `node-v2@2.1400.0 (aws-sdk 2.1400.0)` */
function clientLabel(report: ClientReport): string {
  return report.sdk ? `${report.client} (${report.sdk})` : report.client;
}

/** One line per client for the report; `agentUrl` is the address the pod was given. */
export function describeReport(report: ClientReport, agentUrl: string): string {
  const { verdict } = report;
  const label = clientLabel(report);
  if (verdict.kind === 'role')
    return `${label}: got the role (${verdict.arn.replace(/^arn:[^:]+:sts::\d+:/, '')})`;
  if (verdict.kind === 'fell-through')
    return `${label}: fell through to another credential provider and got ${verdict.arn}, not the associated role`;
  if (verdict.kind === 'too-old') return tooOldLine(report, agentUrl);
  return `${label}: failed: ${verdict.message}`;
}

/** The finding for a too-old client: what it refused, and the release it needs. */
export function tooOldLine(report: ClientReport, agentUrl: string): string {
  const { message = '', instead = undefined } = report.verdict.kind === 'too-old' ? report.verdict : {};
  const minimum = MINIMUM_VERSIONS[parsePodClientId(report.client).name];
  const wentOn = instead ? ` (its credential chain went on to another provider and got ${instead})` : '';
  return `${clientLabel(report)} is too old for Pod Identity: it refused the agent's address ${agentUrl} (${message})${wentOn}; it needs at least ${minimum}`;
}
