// What the end-to-end tests share: a started simulator with AWS and Kubernetes clients, roles with the
// pod identity trust policy, service accounts and pods that run until deleted, exec into them, and
// the machine tools (AWS CLI, boto3) they may use.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreatePodIdentityAssociationCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startSim } from '../../index.ts';
import { installationToolDirs } from '../../runtime/host-path.ts';
import type { SimHandle, SimOptions } from '../../types.ts';
import { type CommandResult, runInPod } from '../kube/helpers.ts';

export const POD_IDENTITY_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
});

/** The real `aws` executable (pyenv shims need pyenv's environment, pods do not have it). */
/**
 * What sandboxed pods of these tests must see at their own paths, wherever the checkout lives (under
 * /tmp a pod's view is fresh): the package (its test scripts) and the node_modules they import from.
 */
export const TEST_TOOL_DIRS = installationToolDirs(fileURLToPath(new URL('../..', import.meta.url)));

export const awsCli =
  locate(() => execFileSync('pyenv', ['which', 'aws'], { encoding: 'utf8' }).trim()) ??
  locate(() => execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim());

/** A python interpreter that has boto3. */
export const pythonWithBoto3 = locate(() =>
  execFileSync('python3', ['-c', 'import sys, boto3; print(sys.executable)'], { encoding: 'utf8' }).trim(),
);

export const kubectl = locate(() =>
  execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim(),
);

function locate(find: () => string): string | undefined {
  try {
    return find() || undefined;
  } catch {
    return undefined;
  }
}

export interface SimFixture {
  sim: SimHandle;
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  iam: IAMClient;
  eks: EKSClient;
  s3: S3Client;
  /** Env for machine tools (aws CLI) run by the test itself against the simulator. */
  toolEnv: NodeJS.ProcessEnv;
  createRole(name: string, permissions?: object, trust?: string): Promise<string>;
  associate(namespace: string, serviceAccount: string, roleArn: string): Promise<string>;
  createBucket(name: string): Promise<void>;
  createNamespace(name: string): Promise<void>;
  createServiceAccount(namespace: string, name: string): Promise<void>;
  /** Creates a pod running `sleep` and waits until it is Running. */
  runPod(
    namespace: string,
    name: string,
    serviceAccount: string,
    extra?: Partial<V1Pod['spec']>,
  ): Promise<V1Pod>;
  /** Polls until the pod is Running (deadline 20 s). */
  waitRunning(namespace: string, name: string): Promise<V1Pod>;
  exec(namespace: string, pod: string, argv: string[]): Promise<CommandResult>;
  /**
   * A credentials request from inside the pod (curl to its AWS_CONTAINER_CREDENTIALS_FULL_URI) with the
   * given Authorization header, which goes in on stdin so that no token is in an argv.
   */
  askAgent(namespace: string, pod: string, authorization: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startSimFixture(options: SimOptions = {}): Promise<SimFixture> {
  const sim = await startSim({ podToolDirs: TEST_TOOL_DIRS, ...options });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfigYaml);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const clientConfig = {
    endpoint: sim.awsEndpointUrl,
    region: sim.region,
    credentials: sim.adminCredentials,
  };
  const iam = new IAMClient(clientConfig);
  const eks = new EKSClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const toolEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: sim.awsEndpointUrl,
    AWS_ACCESS_KEY_ID: sim.adminCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.adminCredentials.secretAccessKey,
    AWS_REGION: sim.region,
    AWS_DEFAULT_REGION: sim.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    KUBECONFIG: sim.kubeconfigPath,
  };

  const fixture: SimFixture = {
    sim,
    kubeConfig,
    core,
    iam,
    eks,
    s3,
    toolEnv,
    async createRole(name, permissions, trust = POD_IDENTITY_TRUST) {
      const { Role } = await iam.send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }),
      );
      if (permissions) {
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: 'permissions',
            PolicyDocument: JSON.stringify(permissions),
          }),
        );
      }
      return Role!.Arn!;
    },
    async associate(namespace, serviceAccount, roleArn) {
      const { association } = await eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: sim.cluster.name,
          namespace,
          serviceAccount,
          roleArn,
        }),
      );
      return association!.associationId!;
    },
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createNamespace(name) {
      await core.createNamespace({ body: { metadata: { name } } });
    },
    async createServiceAccount(namespace, name) {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    },
    async runPod(namespace, name, serviceAccount, extra = {}) {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: {
            serviceAccountName: serviceAccount,
            terminationGracePeriodSeconds: 0,
            containers: [
              { name: 'app', image: 'public.ecr.aws/aws-cli/aws-cli', command: ['sleep', '3600'] },
            ],
            ...extra,
          },
        },
      });
      return fixture.waitRunning(namespace, name);
    },
    async waitRunning(namespace, name) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const pod = await core.readNamespacedPod({ namespace, name });
        if (pod.status?.phase === 'Running') return pod;
        if (Date.now() > deadline) {
          throw new Error(
            `pod ${namespace}/${name} is not Running after 20 s: ${JSON.stringify(pod.status)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exec: (namespace, pod, argv) => runInPod(kubeConfig, { namespace, pod, argv }),
    askAgent: async (namespace, pod, authorization) => {
      const script = 'curl -sS -H @- -w "\\n%{http_code}" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"';
      const result = await runInPod(kubeConfig, {
        namespace,
        pod,
        argv: ['sh', '-c', script],
        stdin: `Authorization: ${authorization}\n`,
      });
      if (result.exitCode !== 0) throw new Error(`curl in ${pod} failed: ${result.stderr.trim()}`);
      const cut = result.stdout.lastIndexOf('\n');
      return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) };
    },
    close: () => sim.close(),
  };
  return fixture;
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
