// The simulator's headline figures for the harness's performance bench (bench/perf.ts), measured on
// one simulator without a latency profile: agent requests per second served from its cache and
// through EKS Auth, the EKS Auth call's median, pod create → Running, and what exec adds over
// spawning the same process. Prints a few readable lines, then one JSON line.
//
//   node bench/figures.ts

import { spawn } from 'node:child_process';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { CreatePodIdentityAssociationCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { startSim } from '../index.ts';
import { median } from './stats.ts';

const AUDIENCE = 'pods.eks.amazonaws.com';
const sim = await startSim({});
const kc = new KubeConfig();
kc.loadFromString(sim.kubeconfigYaml);
const core = kc.makeApiClient(CoreV1Api);
const aws = {
  endpoint: sim.awsEndpointUrl,
  region: sim.region,
  credentials: sim.adminCredentials,
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function startPod(name: string): Promise<string> {
  await core.createNamespacedPod({
    namespace: 'bench',
    body: {
      metadata: { name },
      spec: {
        serviceAccountName: 'app',
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'c', image: 'x', command: ['sleep', '3600'] }],
      },
    },
  });
  for (;;) {
    const pod = await core.readNamespacedPod({ namespace: 'bench', name });
    if (pod.status?.phase === 'Running') return pod.metadata!.uid!;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

try {
  await core.createNamespace({ body: { metadata: { name: 'bench' } } });
  await core.createNamespacedServiceAccount({ namespace: 'bench', body: { metadata: { name: 'app' } } });
  const iam = new IAMClient(aws);
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'bench-app',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: AUDIENCE }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
        ],
      }),
    }),
  );
  await new EKSClient(aws).send(
    new CreatePodIdentityAssociationCommand({
      clusterName: sim.cluster.name,
      namespace: 'bench',
      serviceAccount: 'app',
      roleArn: role.Role!.Arn!,
    }),
  );

  // Pod start: create → Running, without a latency profile.
  const uid = await startPod('warm-up');
  const podStarts: number[] = [];
  for (let i = 0; i < 7; i++) podStarts.push(await time(() => startPod(`start-${i}`)));

  const podToken = async () =>
    (
      await core.createNamespacedServiceAccountToken({
        namespace: 'bench',
        name: 'app',
        body: { spec: { audiences: [AUDIENCE], boundObjectRef: { kind: 'Pod', name: 'warm-up', uid } } },
      })
    ).status!.token!;

  // EKS Auth AssumeRoleForPodIdentity, signed as the admin (the agent signs as the node the same way).
  const signer = new SignatureV4({
    service: 'eks-auth',
    region: sim.region,
    credentials: sim.adminCredentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const endpoint = new URL(sim.awsEndpointUrl);
  const token = await podToken();
  const assumeRole = async () => {
    const body = JSON.stringify({ token });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: `/clusters/${sim.cluster.name}/assume-role-for-pod-identity`,
        headers: { host: endpoint.host, 'content-type': 'application/json' },
        body,
      }),
    );
    const response = await fetch(`${sim.awsEndpointUrl}${signed.path}`, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
    });
    if (response.status !== 200) throw new Error(`EKS Auth answered ${response.status}`);
    await response.arrayBuffer();
  };
  await assumeRole();
  const eksAuthTimes: number[] = [];
  for (let i = 0; i < 50; i++) eksAuthTimes.push(await time(assumeRole));

  // The agent: the same token again (cache hit), or a fresh token each time (miss: EKS Auth call).
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const agentUrl = new URL(sim.agentUrl!);
  const credentials = (authorization: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: agentUrl.hostname,
          port: Number(agentUrl.port),
          path: '/v1/credentials',
          agent: keepAlive,
          headers: { host: '169.254.170.23', authorization },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`agent answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  const requestsPerSecond = async (tokens: string[], concurrency: number) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < tokens.length) await credentials(tokens[next++]!);
      }),
    );
    return tokens.length / ((performance.now() - started) / 1000);
  };
  await credentials(token);
  const hitRps = await requestsPerSecond(
    Array.from({ length: 2000 }, () => token),
    4,
  );
  const freshTokens: string[] = [];
  for (let i = 0; i < 200; i++) freshTokens.push(await podToken());
  const missRps = await requestsPerSecond(freshTokens, 4);
  keepAlive.destroy();

  // Exec overhead: `true` through the exec websocket against spawning it directly.
  const spawnTrue = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('true', [], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('close', () => resolve());
    });
  const execTrue = () =>
    new Promise<void>((resolve, reject) => {
      new Exec(kc)
        .exec('bench', 'warm-up', 'c', ['true'], new PassThrough(), new PassThrough(), null, false, (s) =>
          s.status === 'Success' ? resolve() : reject(new Error(JSON.stringify(s))),
        )
        .catch(reject);
    });
  await spawnTrue();
  await execTrue();
  const spawns: number[] = [];
  const execs: number[] = [];
  for (let i = 0; i < 20; i++) {
    spawns.push(await time(spawnTrue));
    execs.push(await time(execTrue));
  }

  const figures = {
    agentRps: { hit: Math.round(hitRps), miss: Math.round(missRps) },
    eksAuthP50Ms: Number(median(eksAuthTimes).toFixed(2)),
    podStartMs: Number(median(podStarts).toFixed(1)),
    execOverheadMs: Number((median(execs) - median(spawns)).toFixed(1)),
  };
  console.log(`pods run ${sim.podSandbox.enabled ? 'in a sandbox' : 'as host processes'}`);
  console.log(`agent /v1/credentials, cache hit:  ${figures.agentRps.hit} requests/s (4 at a time)`);
  console.log(
    `agent /v1/credentials, cache miss: ${figures.agentRps.miss} requests/s (each an EKS Auth call)`,
  );
  console.log(`EKS Auth AssumeRoleForPodIdentity: median ${figures.eksAuthP50Ms} ms`);
  console.log(`pod create → Running:              median ${figures.podStartMs} ms`);
  console.log(`exec overhead over spawn:          ${figures.execOverheadMs} ms`);
  console.log(JSON.stringify(figures));
} finally {
  await sim.close();
}
