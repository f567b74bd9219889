// The simulator's API server used with kubectl and the generated kubeconfig, as a person would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import {
  clients,
  commandExists,
  decodeJwtPayload,
  kubectl,
  kubectlEnvironment,
  waitForPhase,
} from './helpers.ts';

const hasKubectl = commandExists('kubectl');
let sim: StartedKubeSim;
let env: Record<string, string>;
const ns = 'kubectl-test';

beforeAll(async () => {
  sim = await startKubeSim({ clusterName: 'kubectl' });
  env = kubectlEnvironment(sim);
  const { core } = clients(sim);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo booted; sleep 3600'] }],
      },
    },
  });
  await waitForPhase(core, ns, 'web', ['Running']);
});

afterAll(async () => {
  await sim?.close();
});

describe.skipIf(!hasKubectl)('kubectl against the simulated API server (needs kubectl)', () => {
  it('gets namespaces and pods as JSON', async () => {
    const namespaces = await kubectl(env, ['get', 'ns', '-o', 'json']);
    expect(namespaces.code).toBe(0);
    const names = (
      JSON.parse(namespaces.stdout) as { items: Array<{ metadata: { name: string } }> }
    ).items.map((item) => item.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', ns]));

    const pods = await kubectl(env, ['get', 'pods', '-n', ns, '-o', 'json']);
    expect(pods.code).toBe(0);
    const pod = (
      JSON.parse(pods.stdout) as { items: Array<{ metadata: { name: string }; status: { phase: string } }> }
    ).items[0];
    expect(pod.metadata.name).toBe('web');
    expect(pod.status.phase).toBe('Running');
  });

  it('prints the server-side table for `get pods`', async () => {
    const result = await kubectl(env, ['get', 'pods', '-n', ns]);
    expect(result.code).toBe(0);
    const [header, row] = result.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(row.split(/\s+/).slice(0, 4)).toEqual(['web', '1/1', 'Running', '0']);
  });

  it('describes a pod with its events', async () => {
    const result = await kubectl(env, ['describe', 'pod', 'web', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Name:\s+web$/m);
    expect(result.stdout).toMatch(/^Status:\s+Running$/m);
    expect(result.stdout).toMatch(
      /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount from kube-api-access-\w{5} \(ro\)/,
    );
    expect(result.stdout).toMatch(/Scheduled\s+.*Successfully assigned kubectl-test\/web/);
    expect(result.stdout).toMatch(/Started\s+.*Started container app/);
  });

  it('execs over websocket and reports exit codes', async () => {
    const ok = await kubectl(env, ['exec', 'web', '-n', ns, '--', 'sh', '-c', 'echo hi']);
    expect(ok).toMatchObject({ code: 0, stdout: 'hi\n' });
    const failing = await kubectl(env, ['exec', 'web', '-n', ns, '--', 'sh', '-c', 'exit 7']);
    expect(failing.code).toBe(7);
    expect(failing.stderr).toContain('command terminated with exit code 7');
  });

  it('shows container logs', async () => {
    const result = await kubectl(env, ['logs', 'web', '-n', ns]);
    expect(result).toMatchObject({ code: 0, stdout: 'booted\n' });
  });

  it('creates a token with an audience', async () => {
    const result = await kubectl(env, ['create', 'token', 'default', '-n', ns, '--audience', 'x']);
    expect(result.code).toBe(0);
    const claims = decodeJwtPayload(result.stdout.trim());
    expect(claims.aud).toEqual(['x']);
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:default`);
  });

  it('creates objects from a manifest and with typed commands (protobuf bodies)', async () => {
    expect((await kubectl(env, ['create', 'namespace', 'kubectl-made'])).code).toBe(0);
    expect((await kubectl(env, ['create', 'serviceaccount', 'robot', '-n', 'kubectl-made'])).code).toBe(0);
    expect(
      (await kubectl(env, ['create', 'configmap', 'settings', '-n', 'kubectl-made', '--from-literal=a=b']))
        .code,
    ).toBe(0);
    const got = await kubectl(env, [
      'get',
      'configmap',
      'settings',
      '-n',
      'kubectl-made',
      '-o',
      'jsonpath={.data.a}',
    ]);
    expect(got.stdout).toBe('b');
    const run = await kubectl(env, [
      'run',
      'once',
      '-n',
      'kubectl-made',
      '--image=busybox',
      '--restart=Never',
      '--',
      'echo',
      'ran',
    ]);
    expect(run.code).toBe(0);
    const sa = await kubectl(env, ['get', 'sa', '-n', 'kubectl-made']);
    expect(sa.stdout).toMatch(/^robot\s+0\s+/m);
  });

  it('deletes a pod, waiting until it is gone', async () => {
    const result = await kubectl(env, ['delete', 'pod', 'web', '-n', ns]);
    expect(result).toMatchObject({ code: 0, stdout: 'pod "web" deleted\n' });
    const after = await kubectl(env, ['get', 'pod', 'web', '-n', ns]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('pods "web" not found');
  });
});
