// The localstack target: IAM, STS and S3 from LocalStack (an existing endpoint, or a container started
// for the run), Kubernetes, EKS, EKS Auth and the pod identity agent from the simulator in its
// externalAws mode. EKS Auth assumes roles through LocalStack's STS, so pods receive LocalStack
// credentials and their `aws s3 cp` writes to LocalStack. Whether LocalStack enforces IAM and honours
// session tags is probed at start, never assumed.

import { awsCliDirectory, startSim as startSimulator } from '@pod-identity-conformance/sim';
import { createRunContext } from '../fixtures/run-context.ts';
import type { RunSettings } from '../runner/settings.ts';
import {
  EMBEDDED_WAIT_TIMEOUT_MS,
  embeddedCapabilities,
  harnessToolDirs,
  type StartSim,
  simulatorPodSettings,
} from './embedded.ts';
import type { TargetStartOptions } from './index.ts';
import {
  type ContainerEngine,
  checkCredentialsAccepted,
  checkEndpointAnswers,
  LOCALSTACK_DEFAULT_ENDPOINT,
  LOCALSTACK_DEFAULT_IMAGE,
  type LocalstackEndpoint,
  localstackCredentials,
  startLocalstackContainer,
  testcontainersEngine,
} from './localstack/endpoint.ts';
import { type IamCapabilities, probeIamCapabilities } from './localstack/probe.ts';
import { simulatorPodClientCapabilities } from './pod-client-capabilities.ts';
import type { Capabilities, Target, TargetInfo } from './target.ts';

export const LOCALSTACK_DEFAULT_REGION = 'us-east-1';
export const LOCALSTACK_DEFAULT_CLUSTER = 'pod-identity-localstack';

export interface LocalstackTargetDeps {
  env: Readonly<Record<string, string | undefined>>;
  startSim: StartSim;
  containers: ContainerEngine;
  /** Probes IAM enforcement and session tags with the finished target's info. */
  probe: (info: TargetInfo) => Promise<IamCapabilities>;
}

export const defaultLocalstackDeps: LocalstackTargetDeps = {
  env: process.env,
  startSim: startSimulator,
  containers: testcontainersEngine,
  probe: async (info) => {
    const run = createRunContext(info);
    try {
      return await probeIamCapabilities(run, info.endpoints.iam!);
    } finally {
      run.aws.destroy();
    }
  },
};

/** What the janitor gets instead of probing: it runs no case, so nothing is created for the probe. */
function notProbed(reason: string): IamCapabilities {
  return {
    iamEnforcement: { available: false, reason },
    sessionTags: { available: false, reason },
  };
}

async function resolveEndpoint(
  settings: RunSettings,
  deps: LocalstackTargetDeps,
): Promise<LocalstackEndpoint> {
  if (settings.localstackContainer) {
    return startLocalstackContainer(
      settings.localstackImage ?? LOCALSTACK_DEFAULT_IMAGE,
      deps.env,
      deps.containers,
    );
  }
  const url = (settings.localstackEndpoint ?? LOCALSTACK_DEFAULT_ENDPOINT).replace(/\/$/, '');
  await checkEndpointAnswers(url);
  return { url, release: async () => {} };
}

export async function createLocalstackTarget(
  settings: RunSettings,
  runId: string,
  options: TargetStartOptions = { purpose: 'run' },
  deps: LocalstackTargetDeps = defaultLocalstackDeps,
): Promise<Target> {
  const region = settings.region ?? LOCALSTACK_DEFAULT_REGION;
  const credentials = localstackCredentials(deps.env);
  const endpoint = await resolveEndpoint(settings, deps);
  const release: Array<() => Promise<void>> = [endpoint.release];
  let closing: Promise<void> | undefined;
  // The simulator first (its agent calls LocalStack), then the container.
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      for (const step of [...release].reverse()) await step().catch((error: unknown) => errors.push(error));
      if (errors.length > 0) throw new AggregateError(errors, 'closing the localstack target failed');
    })();
    return closing;
  };
  try {
    const accountId = await checkCredentialsAccepted(endpoint.url, region, credentials);
    const [sim, awsCliDir] = await Promise.all([
      deps.startSim({
        region,
        accountId,
        clusterName: settings.cluster ?? LOCALSTACK_DEFAULT_CLUSTER,
        externalAws: { endpoint: endpoint.url, credentials: { ...credentials } },
        ...(settings.podSandbox ? { podSandbox: settings.podSandbox as 'auto' | 'required' | 'off' } : {}),
        podToolDirs: harnessToolDirs(),
      }),
      awsCliDirectory(),
    ]);
    const podClients = await simulatorPodClientCapabilities(awsCliDir);
    release.push(() => sim.close());
    const pods = {
      ...embeddedCapabilities(awsCliDir, sim.podSandbox, podClients),
      webIdentityFederation: {
        available: false,
        reason:
          "IAM and STS are LocalStack's, which cannot verify the simulator cluster's service-account tokens (only the simulator's API server serves the issuer's keys)",
      },
    };
    if (!sim.podSandbox.enabled) process.stderr.write(`pod-identity-conformance: ${sim.podSandbox.reason}\n`);
    const info: TargetInfo = {
      name: 'localstack',
      region,
      accountId: sim.accountId,
      cluster: { ...sim.cluster },
      endpoints: {
        iam: endpoint.url,
        sts: endpoint.url,
        s3: endpoint.url,
        eks: sim.awsEndpointUrl,
        'eks-auth': sim.awsEndpointUrl,
      },
      credentials: { ...credentials },
      kubeconfigPath: sim.kubeconfigPath,
      pod: simulatorPodSettings(settings),
      // Replaced below by the probe's findings.
      capabilities: { ...pods, ...notProbed('not probed yet') } satisfies Capabilities,
      runId,
      reportDir: settings.reportDir,
      keep: settings.keep,
      waitTimeoutMs: settings.waitTimeout ? Number(settings.waitTimeout) * 1000 : EMBEDDED_WAIT_TIMEOUT_MS,
    };
    const iam =
      options.purpose === 'janitor'
        ? notProbed('not probed: the janitor runs no case')
        : await deps.probe(info);
    info.capabilities = { ...pods, ...iam };
    return { info, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
