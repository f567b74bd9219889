// startSim with externalAws: IAM, STS and S3 from another endpoint (moto's server stands in for
// LocalStack here: same APIs, no Docker), EKS and EKS Auth from the simulator, credentials in pods
// minted by the external STS.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreatePodIdentityAssociationCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../index.ts';
import { NODE_NETWORK } from '../../runtime/sandbox/node.ts';
import type { SimHandle } from '../../types.ts';
import { runInPod } from '../kube/helpers.ts';
import { POD_IDENTITY_TRUST, TEST_TOOL_DIRS } from './sim-fixture.ts';

const probe = fileURLToPath(new URL('./js-sdk-client.mjs', import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const motoPython = (() => {
  try {
    return execFileSync('python3', ['-c', 'import sys, moto.server; print(sys.executable)'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
})();

let moto: ChildProcess | undefined;
let motoUrl: string;
let sim: SimHandle | undefined;
let iam: IAMClient;
let eks: EKSClient;
let core: CoreV1Api;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  if (!motoPython) return;
  moto = spawn(motoPython, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  motoUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`moto did not start within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    moto!.stdout!.on('data', onData);
    moto!.stderr!.on('data', onData);
  });
  sim = await startSim({
    clusterName: 'ext',
    region: 'us-east-1',
    externalAws: { endpoint: motoUrl, credentials },
    podToolDirs: TEST_TOOL_DIRS,
  });
  iam = new IAMClient({ endpoint: motoUrl, region: 'us-east-1', credentials });
  eks = new EKSClient({ endpoint: sim.awsEndpointUrl, region: 'us-east-1', credentials });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfigYaml);
  core = kubeConfig.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await sim?.close();
  moto?.kill('SIGTERM');
});

describe.skipIf(!motoPython)('externalAws (needs python3 with moto as the external endpoint)', () => {
  it('takes the account from the external STS and serves EKS with the external credentials', async () => {
    expect(sim!.accountId).toBe('123456789012');
    expect(sim!.adminCredentials).toEqual(credentials);
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'ext' }));
    expect(cluster?.arn).toBe('arn:aws:eks:us-east-1:123456789012:cluster/ext');
    const stranger = new EKSClient({
      endpoint: sim!.awsEndpointUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' },
    });
    await expect(stranger.send(new DescribeClusterCommand({ name: 'ext' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });

  it('checks roles and trust policies in the external IAM', async () => {
    const create = (serviceAccount: string, roleArn: string) =>
      eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'ext',
          namespace: 'default',
          serviceAccount,
          roleArn,
        }),
      );
    await expect(create('x', 'arn:aws:iam::123456789012:role/missing')).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Role provided in the request does not exist',
    });
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'ec2-only',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await expect(create('y', Role!.Arn!)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Trust policy of the role provided is invalid',
    });
  });

  it('a pod gets credentials minted by the external STS and talks to the external endpoint', async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: 'ext-app-role', AssumeRolePolicyDocument: POD_IDENTITY_TRUST }),
    );
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'ext',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: Role!.Arn!,
      }),
    );
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'app' } } });
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'ext-pod' },
        spec: {
          serviceAccountName: 'app',
          containers: [{ name: 'app', image: 'x', command: ['sleep', '3600'] }],
        },
      },
    });
    const deadline = Date.now() + 20_000;
    while (
      (await core.readNamespacedPod({ namespace: 'default', name: 'ext-pod' })).status?.phase !== 'Running'
    ) {
      if (Date.now() > deadline) throw new Error('ext-pod is not Running after 20 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const exec = (argv: string[]) => runInPod(kubeConfig, { namespace: 'default', pod: 'ext-pod', argv });
    const env = (
      await exec(['sh', '-c', 'printenv AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EKS AWS_ENDPOINT_URL_EKS_AUTH'])
    ).stdout;
    // In the pod sandbox, endpoints on the host's loopback are reached through the node's address.
    const forPods = (url: string) =>
      sim!.podSandbox.enabled ? url.replace('//127.0.0.1:', `//${NODE_NETWORK.nodeIP}:`) : url;
    expect(env.trim().split('\n')).toEqual([motoUrl, sim!.awsEndpointUrl, sim!.awsEndpointUrl].map(forPods));
    const whoami = JSON.parse((await exec(['node', probe, 'whoami'])).stdout);
    expect(whoami).toMatchObject({ ok: true, account: '123456789012' });
    expect(whoami.arn).toMatch(
      /^arn:aws:sts::123456789012:assumed-role\/ext-app-role\/eks-ext-ext-pod-[0-9a-f-]+$/,
    );
  });
});
