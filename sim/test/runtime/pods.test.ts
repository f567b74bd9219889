// Pods as local processes in fallback mode (podSandbox: off, as where user namespaces are unavailable):
// environment isolation, volumes in the sandbox directory, mount-path mapping,
// phases following the processes, logs.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import {
  clients,
  commandExists,
  decodeJwtPayload,
  eventually,
  execInPod,
  waitForPhase,
} from '../kube/helpers.ts';

const RUNNER_SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIARUNNERSHOULDNOTLEAK',
  AWS_SECRET_ACCESS_KEY: 'runner-secret-should-not-leak',
  AWS_SESSION_TOKEN: 'runner-session-should-not-leak',
  AWS_REGION: 'eu-north-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
  KUBECONFIG: '/tmp/runner-kubeconfig-should-not-leak',
};
const saved: Record<string, string | undefined> = {};

let sim: StartedKubeSim;
let kc: KubeConfig;
let core: CoreV1Api;
const ns = 'runtime';

async function createPod(body: V1Pod): Promise<void> {
  await core.createNamespacedPod({ namespace: ns, body });
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(RUNNER_SECRETS)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  sim = await startKubeSim({ clusterName: 'runtime', podPath: ['/opt/pod-tools/bin'], podSandbox: 'off' });
  ({ kc, core } = clients(sim));
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'settings' }, data: { greeting: 'hello', 'app.conf': 'mode=test' } },
  });
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'no-automount' }, automountServiceAccountToken: false },
  });
  await createPod({
    metadata: { name: 'main' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'amazon/aws-cli',
          command: [
            'sh',
            '-c',
            'echo "token bytes: $(wc -c < /var/run/secrets/pods.example/token)"; sleep 3600',
          ],
          env: [
            { name: 'TOKEN_FILE', value: '/var/run/secrets/pods.example/token' },
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MESSAGE', value: '$(GREETING) from $(POD_NAME)' },
          ],
          volumeMounts: [
            { name: 'pod-token', mountPath: '/var/run/secrets/pods.example', readOnly: true },
            { name: 'config', mountPath: '/etc/app' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
      volumes: [
        {
          name: 'pod-token',
          projected: {
            sources: [
              { serviceAccountToken: { audience: 'pods.example', expirationSeconds: 86400, path: 'token' } },
            ],
          },
        },
        { name: 'config', configMap: { name: 'settings' } },
        { name: 'scratch', emptyDir: {} },
      ],
    },
  });
  await waitForPhase(core, ns, 'main', ['Running']);
}, 60_000);

afterAll(async () => {
  await sim?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('pod processes', () => {
  it('see only the container environment: none of the runner AWS_* or KUBECONFIG variables', async () => {
    const { stdout } = await execInPod(kc, ns, 'main', 'app', ['env']);
    const names = stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=')[0]);
    for (const leaked of Object.keys(RUNNER_SECRETS)) expect(names).not.toContain(leaked);
    for (const value of Object.values(RUNNER_SECRETS)) expect(stdout).not.toContain(value);
    expect(names.filter((n) => n.startsWith('AWS_'))).toEqual([]);
    const env = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env.HOSTNAME).toBe('main');
    expect(env.LANG).toBe('C.UTF-8');
    expect(env.HOME.startsWith(join(sim.stateDir, 'pods'))).toBe(true);
    const path = env.PATH.split(':');
    expect(path[0]).toBe('/opt/pod-tools/bin');
    expect(path).toContain('/usr/bin');
    expect(path).toContain(dirname(process.execPath));
    expect(env.MESSAGE).toBe('hello from main');
  });

  it('can run node (the directory of the running node is on PATH)', async () => {
    const { stdout, status } = await execInPod(kc, ns, 'main', 'app', [
      'node',
      '-e',
      'process.stdout.write(process.version)',
    ]);
    expect(status.status).toBe('Success');
    expect(stdout).toBe(process.version);
  });

  it.skipIf(!commandExists('aws'))('can run the AWS CLI without the runner HOME (needs aws)', async () => {
    const { stdout, stderr, status } = await execInPod(kc, ns, 'main', 'app', ['aws', '--version']);
    expect(status.status).toBe('Success');
    expect(stdout + stderr).toMatch(/aws-cli\//);
  });

  it('writes projected tokens without a trailing newline, bound to the pod', async () => {
    const { stdout } = await execInPod(kc, ns, 'main', 'app', ['cat', '/var/run/secrets/pods.example/token']);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stdout.endsWith('\n')).toBe(false);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'main' });
    const claims = decodeJwtPayload(stdout);
    expect(claims.aud).toEqual(['pods.example']);
    expect(claims['kubernetes.io']).toMatchObject({
      namespace: ns,
      pod: { name: 'main', uid: pod.metadata?.uid },
    });
    const onDisk = readFileSync(
      join(sim.stateDir, 'pods', pod.metadata?.uid ?? '', 'volumes', 'pod-token', 'token'),
      'utf8',
    );
    expect(onDisk).toBe(stdout);
    const logs = await core.readNamespacedPodLog({ namespace: ns, name: 'main' });
    expect(logs).toBe(`token bytes: ${stdout.length}\n`);
  });

  it('writes the default service-account volume (token for the API audience, ca.crt, namespace)', async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = (await execInPod(kc, ns, 'main', 'app', ['cat', `${dir}/token`])).stdout;
    expect(token.endsWith('\n')).toBe(false);
    expect(decodeJwtPayload(token).aud).toEqual([sim.issuer]);
    expect((await execInPod(kc, ns, 'main', 'app', ['cat', `${dir}/ca.crt`])).stdout).toBe(sim.caCertPem);
    expect((await execInPod(kc, ns, 'main', 'app', ['cat', `${dir}/namespace`])).stdout).toBe(ns);
  });

  it('keeps mount paths in the stored pod and maps them only in the process', async () => {
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'main' });
    expect(pod.spec?.containers[0].env?.[0]).toEqual({
      name: 'TOKEN_FILE',
      value: '/var/run/secrets/pods.example/token',
    });
    const { stdout } = await execInPod(kc, ns, 'main', 'app', [
      'sh',
      '-c',
      'echo "$TOKEN_FILE"; cat "$TOKEN_FILE" | wc -c',
    ]);
    const [path, bytes] = stdout.trim().split('\n');
    expect(path).toBe(join(sim.stateDir, 'pods', pod.metadata?.uid ?? '', 'volumes', 'pod-token', 'token'));
    expect(Number(bytes)).toBeGreaterThan(100);
  });

  it('materialises configMap and emptyDir volumes', async () => {
    expect((await execInPod(kc, ns, 'main', 'app', ['cat', '/etc/app/app.conf'])).stdout).toBe('mode=test');
    const written = await execInPod(kc, ns, 'main', 'app', [
      'sh',
      '-c',
      'echo kept > /scratch/file && cat /scratch/file',
    ]);
    expect(written.stdout).toBe('kept\n');
  });

  it('does not mount the service-account token when automount is off (pod or service account)', async () => {
    await createPod({
      metadata: { name: 'no-token-pod' },
      spec: {
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image: 'x', command: ['true'] }],
      },
    });
    await createPod({
      metadata: { name: 'no-token-sa' },
      spec: {
        serviceAccountName: 'no-automount',
        containers: [{ name: 'c', image: 'x', command: ['true'] }],
      },
    });
    for (const name of ['no-token-pod', 'no-token-sa']) {
      const pod = await core.readNamespacedPod({ namespace: ns, name });
      expect(pod.spec?.volumes ?? []).toEqual([]);
      expect(pod.spec?.containers[0].volumeMounts ?? []).toEqual([]);
    }
  });
});

describe('pod phase follows the main process', () => {
  it('Succeeded on exit 0, with a terminated container status', async () => {
    await createPod({
      metadata: { name: 'ok' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'echo done'] }],
      },
    });
    const pod = await waitForPhase(core, ns, 'ok', ['Succeeded', 'Failed']);
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(await core.readNamespacedPodLog({ namespace: ns, name: 'ok' })).toBe('done\n');
  });

  it('Failed on a non-zero exit, with the exit code', async () => {
    await createPod({
      metadata: { name: 'bad' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'exit 4'] }],
      },
    });
    const pod = await waitForPhase(core, ns, 'bad', ['Succeeded', 'Failed']);
    expect(pod.status?.phase).toBe('Failed');
    expect(pod.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 4,
      reason: 'Error',
    });
  });

  it('Failed with StartError when the command is not on PATH', async () => {
    await createPod({
      metadata: { name: 'missing' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'x', command: ['no-such-command-here'] }],
      },
    });
    const pod = await waitForPhase(core, ns, 'missing', ['Failed']);
    expect(pod.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
    });
    expect(pod.status?.containerStatuses?.[0].state?.terminated?.message).toContain(
      'executable file not found in $PATH',
    );
  });

  it('stays Pending with CreateContainerError when a container has no command (images are not run)', async () => {
    await createPod({
      metadata: { name: 'imageonly' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    const waiting = await eventually('CreateContainerError', async () => {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'imageonly' });
      const state = pod.status?.containerStatuses?.[0].state?.waiting;
      return state?.reason === 'CreateContainerError' ? { pod, state } : undefined;
    });
    expect(waiting.pod.status?.phase).toBe('Pending');
    expect(waiting.state.message).toContain('ignores the image');
  });

  it('runs init containers to completion before the main containers', async () => {
    await createPod({
      metadata: { name: 'with-init' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'init',
            image: 'x',
            command: ['sh', '-c', 'echo from-init > /shared/marker'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
        containers: [
          {
            name: 'main',
            image: 'x',
            command: ['cat', '/shared/marker'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
        volumes: [{ name: 'shared', emptyDir: {} }],
      },
    });
    const pod = await waitForPhase(core, ns, 'with-init', ['Succeeded', 'Failed']);
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.initContainerStatuses?.[0].state?.terminated?.exitCode).toBe(0);
    expect(await core.readNamespacedPodLog({ namespace: ns, name: 'with-init', container: 'main' })).toBe(
      'from-init\n',
    );
  });
});
