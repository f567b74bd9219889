// Speed of the Kubernetes simulator: start-to-ready, and what exec adds over spawning a process.
// Usage: node bench/kube.ts [runs]   (targets: start < 1 s; exec overhead < 50 ms)

import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { startKubeSim } from '../kube/index.ts';
import { median } from './stats.ts';

const runs = Number(process.argv[2] ?? '15');

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}

function execTrue(kc: KubeConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    new Exec(kc)
      .exec(
        'default',
        'bench',
        'c',
        ['true'],
        new PassThrough(),
        new PassThrough(),
        null,
        false,
        (status) => {
          if (status.status === 'Success') resolve();
          else reject(new Error(`exec failed: ${JSON.stringify(status)}`));
        },
      )
      .catch(reject);
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const startTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  let sim: Awaited<ReturnType<typeof startKubeSim>> | undefined;
  startTimes.push(
    await time(async () => {
      sim = await startKubeSim({ clusterName: 'bench' });
    }),
  );
  await sim?.close();
}

/** Spawns scripts/sim-kube.ts and times it until it prints `ready` (Node start and imports included). */
function processStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../scripts/sim-kube.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('\nready\n')) {
        const elapsed = performance.now() - start;
        child.once('exit', () => resolve(elapsed));
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
  });
}
const processStartTimes: number[] = [];
for (let i = 0; i < Math.min(runs, 5); i++) processStartTimes.push(await processStart());

/** Pod start (create -> Running) and exec times in one pod runtime mode. */
async function measurePods(podSandbox: 'auto' | 'off') {
  const sim = await startKubeSim({ clusterName: 'bench', podSandbox });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfigYaml);
  const core = kc.makeApiClient(CoreV1Api);
  const startPod = async (name: string) => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image: 'x', command: ['sleep', '3600'] }],
        },
      },
    });
    for (let i = 0; ; i++) {
      const pod = await core.readNamespacedPod({ namespace: 'default', name });
      if (pod.status?.phase === 'Running') return;
      if (i > 1000) throw new Error(`pod ${name} did not reach Running`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  await startPod('bench');
  const podStartTimes: number[] = [];
  for (let i = 0; i < runs; i++) podStartTimes.push(await time(() => startPod(`start-${i}`)));

  // Warm up both paths (TLS session, module caches), then interleave the measurements.
  await spawnTrue();
  await execTrue(kc);
  const spawnTimes: number[] = [];
  const execTimes: number[] = [];
  for (let i = 0; i < runs * 2; i++) {
    spawnTimes.push(await time(spawnTrue));
    execTimes.push(await time(() => execTrue(kc)));
  }
  const mode = sim.podSandbox.enabled ? 'sandbox' : 'host processes';
  await sim.close();
  return {
    mode,
    podStart: median(podStartTimes),
    spawn: median(spawnTimes),
    exec: median(execTimes),
  };
}

const sandbox = await measurePods('auto');
const fallback = await measurePods('off');

const startMedian = median(startTimes);
console.log(`runs: ${runs} starts and pod starts, ${runs * 2} execs per mode`);
console.log(`start to ready (startKubeSim):  median ${startMedian.toFixed(1)} ms   (target < 1000 ms)`);
console.log(
  `start to ready (sim-kube.ts):  median ${median(processStartTimes).toFixed(1)} ms   (whole process, ${processStartTimes.length} runs)`,
);
for (const m of sandbox.mode === fallback.mode ? [fallback] : [sandbox, fallback]) {
  console.log(`-- pods as ${m.mode}`);
  console.log(`pod create to Running:           median ${m.podStart.toFixed(1)} ms`);
  console.log(`spawn \`true\` directly:          median ${m.spawn.toFixed(1)} ms`);
  console.log(`exec \`true\` via websocket:      median ${m.exec.toFixed(1)} ms`);
  console.log(
    `exec overhead over spawn:        ${(m.exec - m.spawn).toFixed(1)} ms (target < 50 ms), ratio ${(m.exec / m.spawn).toFixed(2)}x`,
  );
}
if (sandbox.mode !== fallback.mode) {
  console.log(
    `sandbox / host processes:        pod start ${(sandbox.podStart / fallback.podStart).toFixed(2)}x, exec ${(sandbox.exec / fallback.exec).toFixed(2)}x`,
  );
} else {
  console.log('(no pod sandbox on this machine: only host processes measured)');
}
