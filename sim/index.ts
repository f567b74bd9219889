// startSim: the whole embedded simulator in one call. It starts the Kubernetes API server with its pod
// runtime, the AWS endpoint (IAM, STS, S3), and plugs EKS into both: the EKS and EKS Auth services on
// the AWS endpoint, the pod identity admission hook and the agent's DaemonSet on the API server, the
// agent itself (signing as the node role), and the spawn-time mapping that points pods at the agent and
// at the simulator's AWS endpoint. Everything listens on 127.0.0.1 ephemeral ports.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeCredentials, NODE_ROLE_NAME, NODE_ROLE_PATH } from './agent/node-credentials.ts';
import { type PodIdentityAgent, startPodIdentityAgent } from './agent/server.ts';
import { createAgentSpawnEnvHook } from './agent/spawn-env.ts';
import { type AwsSim, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, startAwsSim } from './aws/index.ts';
import { createPodIdentityAdmissionHook } from './eks/admission.ts';
import { podIdentityAgentDaemonSet } from './eks/agent-daemonset.ts';
import { createEksApiHandler } from './eks/api.ts';
import { createEksAuthHandler } from './eks/auth.ts';
import { EksControlPlane } from './eks/control-plane.ts';
import { deriveRandom } from './eks/random.ts';
import { POD_IDENTITY_SERVICE_PRINCIPAL } from './eks/roles.ts';
import { type StartedKubeSim, startKubeSim } from './kube/index.ts';
import type { SimHandle, SimOptions } from './types.ts';

export type { SimFaults, SimHandle, SimOptions } from './types.ts';

export const DEFAULT_CLUSTER_NAME = 'pod-identity-sim';

export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  if (options.externalAws) {
    throw new Error(
      'startSim: externalAws (LocalStack) mode is not available yet: the AWS simulator cannot yet accept external credentials as its admin principal. Use the embedded AWS endpoint (omit externalAws).',
    );
  }
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const region = options.region ?? DEFAULT_REGION;
  const clusterName = options.clusterName ?? DEFAULT_CLUSTER_NAME;
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(clusterName)) {
    throw new Error(
      `startSim: cluster name '${clusterName}' is not a valid EKS cluster name (1-100 characters, [0-9A-Za-z][A-Za-z0-9-_]*)`,
    );
  }
  const faults = options.faults ?? {};
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'pic-sim-')));
  await mkdir(stateDir, { recursive: true });

  let aws: AwsSim | undefined;
  let kube: StartedKubeSim | undefined;
  let agent: PodIdentityAgent | undefined;
  const closeStarted = async () => {
    const errors: unknown[] = [];
    // Pods first, then the agent they call, then the AWS endpoint the agent calls.
    for (const part of [kube, agent, aws]) {
      try {
        await part?.close();
      } catch (error) {
        errors.push(error);
      }
    }
    kube = agent = aws = undefined;
    if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, 'startSim: stopping the simulator failed');
  };

  try {
    const startingAws = startAwsSim({
      accountId,
      region,
      faults: {
        seed: faults.seed,
        iamPropagationDelayMs: faults.iamPropagationDelayMs,
        throttleRate: faults.throttleRate,
        serverErrorRate: faults.serverErrorRate,
      },
    }).then((sim) => (aws = sim));
    const startingKube = startKubeSim({ clusterName, stateDir }).then((sim) => (kube = sim));
    // Wait for both, so a failure of one still leaves the other to be closed.
    const [awsResult, kubeResult] = await Promise.allSettled([startingAws, startingKube]);
    if (awsResult.status === 'rejected') throw awsResult.reason;
    if (kubeResult.status === 'rejected') throw kubeResult.reason;
    const awsSim = awsResult.value;
    const kubeSim = kubeResult.value;

    const controlPlane = new EksControlPlane({
      region,
      accountId,
      associationPropagationDelayMs: faults.associationPropagationDelayMs,
    });
    const cluster = controlPlane.addCluster(clusterName, kubeSim);
    awsSim.registerService('eks', createEksApiHandler({ controlPlane }), { protocol: 'rest-json' });
    awsSim.registerService(
      'eks-auth',
      createEksAuthHandler({
        controlPlane,
        stsEndpoint: awsSim.url,
        region,
        credentials: awsSim.createServicePrincipalCredentials(POD_IDENTITY_SERVICE_PRINCIPAL),
      }),
      { protocol: 'rest-json' },
    );

    const agentServer = await startAgent(awsSim, clusterName, region, faults.seed, faults.agentErrorRate);
    agent = agentServer;

    kubeSim.addPodAdmissionHook(
      createPodIdentityAdmissionHook({
        cluster,
        random: deriveRandom(faults.seed, 'token-expiration-jitter'),
        onError: (error, pod) =>
          process.stderr.write(
            `pod identity admission: ${pod.namespace}/${pod.name ?? '?'} admitted without mutation (fail open): ${error instanceof Error ? error.message : String(error)}\n`,
          ),
      }),
    );
    kubeSim.addSpawnEnvHook(
      createAgentSpawnEnvHook({ agentUrl: agentServer.url, awsEndpointUrl: awsSim.url }),
    );
    kubeSim.publishDaemonSet(
      podIdentityAgentDaemonSet({ clusterName, region, createdAt: cluster.createdAt }),
    );

    const kubeconfigPath = join(stateDir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeSim.kubeconfigYaml, { mode: 0o600 });

    let closing: Promise<void> | undefined;
    return {
      kubeconfigPath,
      kubeconfigYaml: kubeSim.kubeconfigYaml,
      awsEndpointUrl: awsSim.url,
      adminCredentials: awsSim.adminCredentials,
      accountId,
      region,
      cluster: { name: clusterName, arn: cluster.arn },
      close: () => {
        closing ??= closeStarted();
        return closing;
      },
    };
  } catch (error) {
    await closeStarted().catch(() => {});
    throw error;
  }
}

/** The agent signs as the node: a role with eks-auth:AssumeRoleForPodIdentity, as AmazonEKSWorkerNodePolicy grants. */
async function startAgent(
  aws: AwsSim,
  clusterName: string,
  region: string,
  seed: number | undefined,
  errorRate: number | undefined,
): Promise<PodIdentityAgent> {
  const nodeRole = aws.iam.createRole({
    roleName: NODE_ROLE_NAME,
    path: NODE_ROLE_PATH,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    description: 'Node role of the simulated cluster: the pod identity agent signs EKS Auth calls with it',
  });
  aws.iam.putRolePolicy(NODE_ROLE_NAME, 'eks-pod-identity-agent', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'eks-auth:AssumeRoleForPodIdentity', Resource: '*' }],
  });
  return startPodIdentityAgent({
    clusterName,
    eksAuth: {
      endpoint: aws.url,
      region,
      credentials: createNodeCredentials((sessionName) =>
        aws.createRoleSessionCredentials(nodeRole.arn, { sessionName }),
      ),
    },
    errorRate,
    random: deriveRandom(seed, 'agent-errors'),
  });
}
