// Figures for the simulator's pod identity machinery, measured in one run so ratios compare like with
// like: the admission mutation, association listing with pagination, and the agent's credential
// endpoint with and without its cache (EKS Auth faked in-process with no latency).
//
//   node bench/eks-agent.ts

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { startPodIdentityAgent } from '../agent/server.ts';
import { AssociationStore } from '../eks/associations.ts';
import { mutatePodForPodIdentity } from '../eks/mutation.ts';

function timeIt(label: string, iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 100); i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const perOpUs = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  console.log(`${label.padEnd(52)} ${perOpUs.toFixed(2).padStart(10)} µs/op`);
  return perOpUs;
}

async function timeAsync(
  label: string,
  iterations: number,
  fn: (i: number) => Promise<void>,
): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn(i);
  const perOpUs = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  console.log(`${label.padEnd(52)} ${perOpUs.toFixed(2).padStart(10)} µs/op`);
  return perOpUs;
}

// --- admission mutation ---
const pod: V1Pod = {
  metadata: {
    name: 'web',
    namespace: 'default',
    annotations: { 'eks.amazonaws.com/skip-containers': 'metrics' },
  },
  spec: {
    serviceAccountName: 'app',
    initContainers: [{ name: 'setup', image: 'x' }],
    containers: [
      { name: 'app', image: 'x', env: [{ name: 'A', value: '1' }] },
      { name: 'metrics', image: 'x' },
    ],
    volumes: [{ name: 'kube-api-access', projected: { sources: [] } }],
  },
};
timeIt('mutatePodForPodIdentity (3 containers)', 20_000, () => {
  mutatePodForPodIdentity(pod, { region: 'us-west-2', jitteredExpirationSeconds: 80_000 });
});

// --- associations ---
const store = new AssociationStore({ clusterName: 'c1', region: 'us-west-2', accountId: '111122223333' });
for (let i = 0; i < 1000; i++) {
  store.create({
    namespace: `ns${i % 20}`,
    serviceAccount: `sa${i}`,
    roleArn: 'arn:aws:iam::111122223333:role/r',
  });
}
timeIt('list 1000 associations in pages of 100', 200, () => {
  let after = 0;
  for (;;) {
    const page = store.listPage({}, after, 100);
    if (!page.more) break;
    after = page.lastSequence!;
  }
});
timeIt('effectiveFor lookup among 1000 associations', 20_000, () => {
  store.effectiveFor('ns7', 'sa987');
});

// --- agent ---
const body = (token: string) =>
  JSON.stringify({
    subject: { namespace: 'ns', serviceAccount: 'sa' },
    audience: 'pods.eks.amazonaws.com',
    podIdentityAssociation: { associationArn: 'arn', associationId: 'a-00000000000000000' },
    assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/r/s', assumeRoleId: 'AROA:s' },
    credentials: {
      accessKeyId: `ASIA${token.length}`,
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: Math.floor(Date.now() / 1000) + 21_600,
    },
  });
const eksAuth = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body(Buffer.concat(chunks).toString()));
  });
});
await new Promise<void>((resolve) => eksAuth.listen(0, '127.0.0.1', resolve));
const agent = await startPodIdentityAgent({
  clusterName: 'c1',
  eksAuth: {
    endpoint: `http://127.0.0.1:${(eksAuth.address() as AddressInfo).port}`,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIANODE', secretAccessKey: 'secret' },
  },
});
const jwt = () => {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${encode({ alg: 'RS256' })}.${encode({ exp: Math.floor(Date.now() / 1000) + 3600, jti: randomUUID() })}.c2ln`;
};
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (token: string) =>
  new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: agent.port,
        path: '/v1/credentials',
        agent: keepAlive,
        headers: { host: '169.254.170.23', authorization: token },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
const cachedToken = jwt();
await get(cachedToken);
const hit = await timeAsync('agent /v1/credentials, cache hit', 2000, () => get(cachedToken));
const tokens = Array.from({ length: 2000 }, jwt);
const miss = await timeAsync('agent /v1/credentials, cache miss (EKS Auth call)', 2000, (i) =>
  get(tokens[i]!),
);
console.log(`${'cache miss / cache hit'.padEnd(52)} ${(miss / hit).toFixed(2).padStart(10)} x`);
console.log(`${'EKS Auth calls'.padEnd(52)} ${String(agent.upstreamCalls).padStart(10)}`);
keepAlive.destroy();
await agent.close();
await new Promise<void>((resolve) => eksAuth.close(() => resolve()));
