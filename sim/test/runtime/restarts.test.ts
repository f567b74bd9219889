// Container restarts as the kubelet does them, in both pod modes (namespace sandbox, where the machine
// allows it, and host processes): restartPolicy, CrashLoopBackOff between restarts, restartCount and
// lastState, the pod phase, exec after a restart, and deletion during a back-off.

import { randomInt } from 'node:crypto';
import type { CoreV1Api, KubeConfig, V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { callApi, clients, eventually, execInPod, hostPidsRunning, waitForPhase } from '../kube/helpers.ts';

const MODES = [
  { mode: 'sandbox', podSandbox: 'auto' },
  { mode: 'host processes', podSandbox: 'off' },
] as const;

describe.each(MODES)('container restarts ($mode)', ({ podSandbox }) => {
  let sim: StartedKubeSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const ns = 'restarts';

  beforeAll(async () => {
    // 100 ms instead of the kubelet's 10 s: back-offs of 100, 200, 400 ms ... capped at 3 s.
    sim = await startKubeSim({ clusterName: 'restarts', podSandbox, restartBackoffMs: 100 });
    ({ kc, core } = clients(sim));
    await core.createNamespace({ body: { metadata: { name: ns } } });
  }, 60_000);

  afterAll(async () => {
    await sim?.close();
  });

  async function createPod(
    name: string,
    restartPolicy: string,
    app: Partial<V1Container>,
    spec: Partial<V1PodSpec> = {},
  ): Promise<V1Pod> {
    return core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name },
        spec: { restartPolicy, containers: [{ name: 'app', image: 'x', ...app }], ...spec },
      },
    });
  }

  const readPod = (name: string) => core.readNamespacedPod({ namespace: ns, name });

  /** The pod's row as `kubectl get pods` prints it: NAME, READY, STATUS, RESTARTS, ... */
  async function tableRow(name: string): Promise<string[]> {
    const table = await callApi(sim, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    return (table.json() as { rows: Array<{ cells: string[] }> }).rows[0].cells;
  }

  async function startedEvents(uid: string): Promise<number> {
    const events = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.uid=${uid}`,
    });
    return events.items.filter((event) => event.reason === 'Started').length;
  }

  it('restarts a container that exits (Always), in CrashLoopBackOff between restarts, the pod Running', async () => {
    const created = await createPod('always', 'Always', { command: ['sh', '-c', 'exit 3'] });
    const phases = new Set<string>();
    let backingOff: V1Pod | undefined;
    const pod = await eventually('two restarts, with a CrashLoopBackOff seen', async () => {
      const current = await readPod('always');
      phases.add(current.status?.phase ?? '');
      const status = current.status?.containerStatuses?.[0];
      if (status?.state?.waiting?.reason === 'CrashLoopBackOff') backingOff ??= current;
      return backingOff && (status?.restartCount ?? 0) >= 2 ? current : undefined;
    });
    expect([...phases].filter((phase) => phase !== 'Pending' && phase !== 'Running')).toEqual([]);

    const waiting = backingOff?.status?.containerStatuses?.[0];
    expect(backingOff?.status?.phase).toBe('Running');
    expect(waiting?.state?.waiting?.message).toMatch(
      new RegExp(
        `^back-off (\\d+ms|[\\d.]+s) restarting failed container=app pod=always_${ns}\\(${created.metadata?.uid}\\)$`,
      ),
    );
    expect(waiting?.ready).toBe(false);
    expect(waiting?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(waiting?.lastState?.terminated?.startedAt).toBeTruthy();
    expect(waiting?.lastState?.terminated?.finishedAt).toBeTruthy();
    expect(backingOff?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });

    const status = pod.status?.containerStatuses?.[0];
    expect(status?.restartCount).toBeGreaterThanOrEqual(2);
    expect(status?.lastState?.terminated?.exitCode).toBe(3);
    const events = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.uid=${created.metadata?.uid}`,
    });
    expect(events.items.map((event) => event.reason)).toContain('BackOff');
    const cells = await tableRow('always');
    expect(cells[3]).toMatch(/^[1-9]\d* \(\d+s ago\)$/);
  });

  it('does not restart a container that exits 0 (OnFailure): the pod Succeeds', async () => {
    await createPod('onfailure-ok', 'OnFailure', { command: ['sh', '-c', 'exit 0'] });
    const pod = await waitForPhase(core, ns, 'onfailure-ok', ['Succeeded', 'Failed']);
    expect(pod.status?.phase).toBe('Succeeded');
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.restartCount).toBe(0);
    expect(status?.lastState).toEqual({});
    expect(status?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('restarts a container that fails (OnFailure), the pod Running', async () => {
    await createPod('onfailure-bad', 'OnFailure', { command: ['sh', '-c', 'exit 1'] });
    const pod = await eventually('a restart', async () => {
      const current = await readPod('onfailure-bad');
      return (current.status?.containerStatuses?.[0].restartCount ?? 0) >= 1 ? current : undefined;
    });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
  });

  it('never restarts with Never: the pod Fails', async () => {
    await createPod('never', 'Never', { command: ['sh', '-c', 'exit 1'] });
    const pod = await waitForPhase(core, ns, 'never', ['Succeeded', 'Failed']);
    expect(pod.status?.phase).toBe('Failed');
    expect(pod.status?.containerStatuses?.[0].restartCount).toBe(0);
    expect(pod.status?.containerStatuses?.[0].state?.terminated?.exitCode).toBe(1);
  });

  it('restarts in the same pod (namespaces, volumes), and exec works after a restart', async () => {
    await createPod(
      'sleeper',
      'Always',
      {
        command: ['sh', '-c', 'readlink /proc/self/ns/net >> /data/runs; sleep 0.2'],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { volumes: [{ name: 'data', emptyDir: {} }] },
    );
    const { runs, inExec } = await eventually('an exec into the restarted container', async () => {
      const pod = await readPod('sleeper');
      const status = pod.status?.containerStatuses?.[0];
      if ((status?.restartCount ?? 0) < 1 || !status?.state?.running) return undefined;
      const exec = await execInPod(kc, ns, 'sleeper', 'app', [
        'sh',
        '-c',
        'readlink /proc/self/ns/net; cat /data/runs',
      ]);
      if (exec.status.status !== 'Success') return undefined;
      const [own, ...lines] = exec.stdout.trim().split('\n');
      return { runs: lines, inExec: own };
    });
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs)).toEqual(new Set([inExec]));
  });

  it('restarts a container whose command is not found (StartError), in CrashLoopBackOff', async () => {
    await createPod('missing', 'Always', { command: ['no-such-command-here'] });
    const status = await eventually('CrashLoopBackOff after a StartError', async () => {
      const current = (await readPod('missing')).status?.containerStatuses?.[0];
      return current?.state?.waiting?.reason === 'CrashLoopBackOff' ? current : undefined;
    });
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect((await readPod('missing')).status?.phase).toBe('Running');
  });

  it('restarts a failed init container (OnFailure) before the regular containers start', async () => {
    await createPod(
      'init-retry',
      'OnFailure',
      { command: ['sleep', '3600'] },
      {
        initContainers: [
          {
            name: 'init',
            image: 'x',
            // Fails the first time only.
            command: ['sh', '-c', 'test -e /data/tried || { touch /data/tried; exit 1; }'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    );
    const pod = await waitForPhase(core, ns, 'init-retry', ['Running']);
    const init = pod.status?.initContainerStatuses?.[0];
    expect(init?.restartCount).toBe(1);
    expect(init?.lastState?.terminated?.exitCode).toBe(1);
    expect(init?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('restarts a sidecar that exits while the regular containers run', async () => {
    await createPod(
      'with-sidecar',
      'Never',
      { command: ['sleep', '3600'] },
      { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always', command: ['sleep', '0.2'] }] },
    );
    const pod = await eventually('a sidecar restart', async () => {
      const current = await readPod('with-sidecar');
      return (current.status?.initContainerStatuses?.[0].restartCount ?? 0) >= 1 ? current : undefined;
    });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, ready: true });
    expect(Number.parseInt((await tableRow('with-sidecar'))[3], 10)).toBeGreaterThanOrEqual(1);
  });

  it('starts nothing after a pod is deleted during a back-off', async () => {
    // A command line no other process has: how the test finds the container's process on the host.
    const script = `sleep 0.05; exit 1 # ${randomInt(1e9)}`;
    const created = await createPod('doomed', 'Always', { command: ['sh', '-c', script] });
    const uid = created.metadata?.uid ?? '';
    // From the third back-off (400 ms) on, there is time to delete the pod while it lasts.
    const message = await eventually('a long enough back-off', async () => {
      const status = (await readPod('doomed')).status?.containerStatuses?.[0];
      return status?.state?.waiting?.reason === 'CrashLoopBackOff' && (status.restartCount ?? 0) >= 3
        ? status.state.waiting.message
        : undefined;
    });
    await core.deleteNamespacedPod({ namespace: ns, name: 'doomed' });
    await eventually('the pod to be gone', async () => {
      try {
        await readPod('doomed');
        return undefined;
      } catch {
        return true;
      }
    });
    const started = await startedEvents(uid);
    expect(hostPidsRunning(['sh', '-c', script])).toEqual([]);
    // Until well past the end of the back-off the pod was deleted in, nothing starts again.
    const [, amount, unit] = /^back-off ([\d.]+)(ms|s) /.exec(message ?? '') ?? [];
    const until = Date.now() + Number(amount) * (unit === 's' ? 1000 : 1) + 500;
    while (Date.now() < until) {
      expect(hostPidsRunning(['sh', '-c', script])).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await startedEvents(uid)).toBe(started);
  });
});
