// Inside a sandboxed pod, what a program observes is what it observes on an EKS node: the token files at
// their documented paths, the agent at 169.254.170.23 and [fd00:ec2::23] (seeing the pod's address),
// the environment as stored, the pod's own hostname and addresses.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimFixture, startSimFixture, TEST_TOOL_DIRS } from './sim-fixture.ts';

const NS = 'sandbox';
const POD_TOKEN = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
let f: SimFixture;
let pod: V1Pod;

// Node is on every pod's PATH: the same small fetch of the agent from IPv4 and IPv6.
const fetchAgent = (host: string) => [
  'node',
  '-e',
  `const token = require('fs').readFileSync(process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8');
   fetch('http://${host}/v1/credentials', { headers: { Authorization: token } })
     .then(async (r) => console.log(JSON.stringify({ status: r.status, keys: Object.keys(await r.json()).sort() })))
     .catch((e) => console.log(JSON.stringify({ error: String(e.cause ?? e) })));`,
];

// A tool installation under /tmp, which a container otherwise sees fresh (as a checkout run from /tmp),
// next to a host file that must stay out of sight.
const toolDir = mkdtempSync(join(tmpdir(), 'pic-tool-'));
writeFileSync(join(toolDir, 'tool.txt'), 'from the tool dir');
const hostOnly = mkdtempSync(join(tmpdir(), 'pic-host-only-'));

beforeAll(async () => {
  f = await startSimFixture({
    clusterName: 'sandbox-cluster',
    podSandbox: 'required',
    podToolDirs: [...TEST_TOOL_DIRS, toolDir],
  });
  const roleArn = await f.createRole('sandbox-role');
  await f.createNamespace(NS);
  await f.createServiceAccount(NS, 'app');
  await f.associate(NS, 'app', roleArn);
  pod = await f.runPod(NS, 'app-pod', 'app');
}, 60_000);

afterAll(async () => {
  await f?.close();
  rmSync(toolDir, { recursive: true, force: true });
  rmSync(hostOnly, { recursive: true, force: true });
});

const inPod = (argv: string[]) => f.exec(NS, 'app-pod', argv);

describe('a sandboxed pod', () => {
  it("sees podToolDirs at their own paths, and not the rest of the host's /tmp", async () => {
    const script = `cat ${toolDir}/tool.txt; echo; test -e ${hostOnly} && echo visible || echo hidden`;
    const result = await inPod(['sh', '-c', script]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual(['from the tool dir', 'hidden']);
  });

  it('is reported as running in a sandbox', () => {
    expect(f.sim.podSandbox.enabled).toBe(true);
  });

  it('reads the pod identity token and the service-account files at their documented paths', async () => {
    const result = await inPod([
      'sh',
      '-c',
      `cat ${POD_TOKEN} | cut -d. -f1; ls ${SA_DIR}; cat ${SA_DIR}/namespace`,
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [header, ...rest] = result.stdout.trim().split('\n');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'RS256' });
    expect(rest).toEqual(['ca.crt', 'namespace', 'token', NS]);
    // Atomic-writer volumes are read-only, as the kubelet mounts them.
    const write = await inPod(['sh', '-c', `echo x > ${SA_DIR}/extra`]);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it.each([
    ['IPv4', '169.254.170.23'],
    ['IPv6', '[fd00:ec2::23]'],
  ])('reaches the agent over %s at its real address and gets the five fields', async (_family, host) => {
    const result = await inPod(fetchAgent(host));
    expect(JSON.parse(result.stdout)).toEqual({
      status: 200,
      keys: ['AccessKeyId', 'AccountId', 'Expiration', 'SecretAccessKey', 'Token'],
    });
  });

  it('has the environment as stored, plus the runtime and service variables and AWS_ENDPOINT_URL', async () => {
    const stored = await f.core.readNamespacedPod({ namespace: NS, name: 'app-pod' });
    const specEnv = Object.fromEntries(
      (stored.spec?.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value ?? '']),
    );
    const result = await inPod(['node', '-e', 'console.log(JSON.stringify(process.env))']);
    const env = JSON.parse(result.stdout) as Record<string, string>;
    expect(env).toMatchObject(specEnv);
    expect(env.AWS_CONTAINER_CREDENTIALS_FULL_URI).toBe('http://169.254.170.23/v1/credentials');
    expect(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).toBe(POD_TOKEN);
    const added = Object.keys(env)
      .filter((name) => !(name in specEnv))
      .sort();
    expect(added).toEqual([
      'AWS_ENDPOINT_URL',
      'HOME',
      'HOSTNAME',
      'KUBERNETES_PORT',
      'KUBERNETES_PORT_443_TCP',
      'KUBERNETES_PORT_443_TCP_ADDR',
      'KUBERNETES_PORT_443_TCP_PORT',
      'KUBERNETES_PORT_443_TCP_PROTO',
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_SERVICE_PORT',
      'KUBERNETES_SERVICE_PORT_HTTPS',
      'PATH',
    ]);
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/192\.168\.0\.10:\d+$/);
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.100.0.1');
    expect(env).not.toHaveProperty('AWS_EC2_METADATA_DISABLED');
  });

  it('has the pod name as hostname and its own addresses, as the pod status says', async () => {
    const result = await inPod([
      'sh',
      '-c',
      'hostname; cat /etc/hostname; ip -o addr show dev eth0 scope global',
    ]);
    const [hostname, etcHostname, ...addresses] = result.stdout.trim().split('\n');
    expect(hostname).toBe('app-pod');
    expect(etcHostname).toBe('app-pod');
    const ips = (pod.status?.podIPs ?? []).map((entry) => entry.ip);
    expect(ips).toEqual([expect.stringMatching(/^10\.0\./), expect.stringMatching(/^fd00:10::/)]);
    expect(pod.status?.hostIP).toBe('192.168.0.10');
    for (const ip of ips) expect(addresses.join('\n')).toContain(`${ip}/`);
  });

  it('reaches the API server at the kubernetes service address with its real certificate', async () => {
    const result = await inPod([
      'node',
      '-e',
      `const https = require('https'); const fs = require('fs');
       https.get({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: '/version',
         ca: fs.readFileSync('${SA_DIR}/ca.crt'),
         headers: { Authorization: 'Bearer ' + fs.readFileSync('${SA_DIR}/token', 'utf8') } },
         (r) => { console.log(r.statusCode); process.exit(0); }).on('error', (e) => console.log(String(e)));`,
    ]);
    expect(result.stdout.trim()).toBe('200');
  });
});
