// The default target: the in-repo simulator (sim/), started for the run on 127.0.0.1 ephemeral ports and
// stopped when the run ends. One endpoint serves IAM, STS, S3, EKS and EKS Auth; pods are local processes.

import { fileURLToPath } from 'node:url';
import type { LatencyProfileName, SimHandle, SimOptions } from '@pod-identity-conformance/sim';
import {
  awsCliDirectory,
  chaosFaults,
  describeLatency,
  installationToolDirs,
  resolveLatency,
  startSim as startEmbeddedSim,
} from '@pod-identity-conformance/sim';
import type { RunSettings } from '../runner/settings.ts';
import {
  podClientsNotChecked,
  type SimulatorPodClientCapabilities,
  simulatorPodClientCapabilities,
} from './pod-client-capabilities.ts';
import {
  AWS_SERVICES,
  type AwsService,
  type Capabilities,
  type PodSettings,
  type Target,
  type TargetInfo,
} from './target.ts';

export type StartSim = (options: SimOptions) => Promise<SimHandle>;

/**
 * What sandboxed simulator pods must see of this installation, wherever it lives (a checkout under
 * /tmp, whose /tmp a pod gets fresh): the package (the SDK probe) and the node_modules its imports
 * resolve from.
 */
export function harnessToolDirs(): string[] {
  return installationToolDirs(fileURLToPath(new URL('..', import.meta.url)));
}

/** Recorded in the pod specs as EKS would store them; the simulator runs pods as local processes. */
export const EMBEDDED_POD_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';
/** Keeps the pod's process alive so the suites can exec into it; a plain command the sim can spawn. */
export const EMBEDDED_POD_COMMAND = ['sleep', '86400'];

/** Pods of the simulator's runtime (embedded and localstack targets): the image is stored, not pulled. */
export function simulatorPodSettings(settings: Pick<RunSettings, 'podImage'>): PodSettings {
  return {
    image: settings.podImage ?? EMBEDDED_POD_IMAGE,
    command: [...EMBEDDED_POD_COMMAND],
    imagePullPolicy: 'IfNotPresent',
    env: {},
  };
}
export const EMBEDDED_WAIT_TIMEOUT_MS = 60_000;

/** `awsCliDir`: where the simulator's pods find the AWS CLI (sim/runtime/host-path.ts), if anywhere. */
export function embeddedCapabilities(
  awsCliDir: string | undefined,
  podSandbox: SimHandle['podSandbox'] = {
    enabled: false,
    reason: 'the simulator did not report a pod sandbox',
  },
  podClients: SimulatorPodClientCapabilities = podClientsNotChecked('not checked'),
  targetRoleAccount?: SimHandle['targetRoleAccount'],
): Capabilities {
  return {
    targetRoleAccount: targetRoleAccount
      ? { available: true, reason: `the simulator's second account ${targetRoleAccount.accountId}` }
      : {
          available: false,
          reason: 'the simulator has a second account only with its own AWS (not with LocalStack)',
        },
    podSandbox: { available: podSandbox.enabled, reason: `the simulator's ${podSandbox.reason}` },
    iamEnforcement: { available: true, reason: 'the simulator evaluates IAM policies on every AWS call' },
    sessionTags: {
      available: true,
      reason: 'the simulator adds the pod identity session tags and evaluates aws:PrincipalTag conditions',
    },
    podAwsCli: awsCliDir
      ? { available: true, reason: `pods run as local processes and use the runner's aws (in ${awsCliDir})` }
      : {
          available: false,
          reason:
            "pods run as local processes and the runner's PATH has no aws; install the AWS CLI to run these cases",
        },
    podSdkProbe: { available: true, reason: "pods run as local processes with the runner's Node.js" },
    webIdentityFederation: {
      available: true,
      reason: "the simulator's STS verifies web identity tokens with the cluster issuer's keys",
    },
    ...podClients,
  };
}

export function embeddedTargetInfo(
  sim: SimHandle,
  settings: RunSettings,
  runId: string,
  awsCliDir: string | undefined,
  podClients?: SimulatorPodClientCapabilities,
): TargetInfo {
  const endpoints = Object.fromEntries(
    AWS_SERVICES.map((service) => [service, sim.awsEndpointUrl]),
  ) as Record<AwsService, string>;
  return {
    name: 'embedded',
    region: sim.region,
    accountId: sim.accountId,
    cluster: { ...sim.cluster },
    endpoints,
    credentials: { ...sim.adminCredentials },
    kubeconfigPath: sim.kubeconfigPath,
    pod: simulatorPodSettings(settings),
    capabilities: embeddedCapabilities(awsCliDir, sim.podSandbox, podClients, sim.targetRoleAccount),
    ...(sim.targetRoleAccount
      ? {
          targetRoleAccount: {
            accountId: sim.targetRoleAccount.accountId,
            credentials: { ...sim.targetRoleAccount.adminCredentials },
          },
        }
      : {}),
    runId,
    reportDir: settings.reportDir,
    keep: settings.keep,
    waitTimeoutMs: settings.waitTimeout ? Number(settings.waitTimeout) * 1000 : EMBEDDED_WAIT_TIMEOUT_MS,
  };
}

export async function createEmbeddedTarget(
  settings: RunSettings,
  runId: string,
  startSim: StartSim = startEmbeddedSim,
): Promise<Target> {
  const options: SimOptions = {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.cluster ? { clusterName: settings.cluster } : {}),
    ...(settings.podSandbox ? { podSandbox: settings.podSandbox as SimOptions['podSandbox'] } : {}),
    ...(settings.chaos !== undefined ? { faults: chaosFaults(Number(settings.chaos)) } : {}),
    ...(settings.targetRoleAccount ? { targetRoleAccountId: settings.targetRoleAccount } : {}),
    ...(settings.latency ? { latency: settings.latency as LatencyProfileName } : {}),
    podToolDirs: harnessToolDirs(),
  };
  if (options.faults) process.stdout.write(`pod-identity-conformance: ${describeChaos(options.faults)}\n`);
  if (settings.latency) {
    const profile = describeLatency(resolveLatency(settings.latency as LatencyProfileName));
    process.stdout.write(`pod-identity-conformance: latency profile ${settings.latency}: ${profile}\n`);
  }
  const [sim, [awsCliDir, podClients]] = await Promise.all([
    startSim(options),
    awsCliDirectory().then(async (dir) => [dir, await simulatorPodClientCapabilities(dir)] as const),
  ]);
  // Never a silent fallback: cases that need the sandbox skip, and the run says why once.
  if (!sim.podSandbox.enabled) process.stderr.write(`pod-identity-conformance: ${sim.podSandbox.reason}\n`);
  return {
    info: embeddedTargetInfo(sim, settings, runId, awsCliDir, podClients),
    close: () => sim.close(),
  };
}

/** One line naming the seed and what it injects, so that a failing chaos run can be replayed. */
function describeChaos(faults: NonNullable<SimOptions['faults']>): string {
  const percent = (rate = 0) => `${(rate * 100).toFixed(1)}%`;
  return [
    `chaos seed ${faults.seed}:`,
    `AWS throttling ${percent(faults.throttleRate)}, 5xx ${percent(faults.serverErrorRate)}, dropped ${percent(faults.droppedConnectionRate)};`,
    `API server 429/500 ${percent(faults.apiServerErrorRate)}, slow ${percent(faults.apiServerDelayRate)};`,
    `agent 500 ${percent(faults.agentErrorRate)}, restart every ${faults.agentRestartIntervalMs} ms;`,
    `IAM propagation ${faults.iamPropagationDelayMs} ms, association propagation ${faults.associationPropagationDelayMs} ms`,
  ].join(' ');
}
