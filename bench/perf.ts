// The performance bench of issue 16, everything measured in one run on one machine so that the ratios
// compare like with like:
//   - the suite on the embedded target without a profile, against the floor of this machine: its
//     in-pod aws/probe processes (counted while it runs) started alone, as many at a time as files run;
//   - the suite under the EKS latency profile, against its floor (bench/floor.ts: the profile and the
//     suite's fixture plan, not a measured run);
//   - the naive way (bench/naive-walkthrough.sh: sequential, fixed sleeps) against a standalone
//     `npm run sim -- --latency eks`, with kubectl and aws;
//   - scale: N service accounts with their associations and pods, each checked (bench/scale.ts);
//   - the simulator's figures (sim/bench/figures.ts).
// Prints a table, then one JSON line. `--quick`: scale at N = 1 and 10 only, and no naive script.
//
//   node bench/perf.ts [--quick]

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsCliDirectory, EKS_LATENCY, startSim } from '@pod-identity-conformance/sim';
import { POD_IDENTITY_PLAN } from './fixture-plan.ts';
import { suiteFloor } from './floor.ts';

const quick = process.argv.includes('--quick');
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const runner = here('../scripts/conformance.ts');
/** The runner's default: how many files run at once without --parallel. */
const DEFAULT_PARALLEL = 4;
/** The suite under the profile runs with the runner's default parallelism, as a nightly run would. */
const LATENCY_PARALLEL = DEFAULT_PARALLEL;
const SCALE_NS = quick ? [1, 10] : [1, 10, 50, 100];

const PAGE_BYTES = 4096;

/** Resident memory (bytes) of the process tree under `rootPid`, and its pids, from /proc/PID/stat. */
function sampleTree(rootPid: number): { rss: number; pids: number[] } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm)": state ppid ... ; rss (pages) is the 24th field of the whole line.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      rss.set(Number(entry), Number(fields[21]) * PAGE_BYTES);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  const pids: number[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += rss.get(pid) ?? 0;
    pids.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return { rss: total, pids };
}

interface Measured {
  wallS: number;
  exitCode: number | null;
  stdout: string;
  peakRssMiB: number;
  /** In-pod client processes seen: the AWS CLI and the SDK probe (and the scale bench's check). */
  clientStarts: { aws: number; probe: number };
}

const AWS_CLI = /(^|\/)aws( |$)/;
const PROBE = /sdk-probe\.mjs |scale-check\.mjs /;

/**
 * Runs a command, sampling its process tree every 50 ms for memory and, with `countClients`, for the
 * in-pod client processes (each lives a few hundred ms: the AWS CLI's or node's start alone).
 */
async function measure(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  countClients = false,
): Promise<Measured> {
  const started = performance.now();
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  let peak = 0;
  const seen = new Set<number>();
  const aws = new Set<number>();
  const probe = new Set<number>();
  const sampler = setInterval(() => {
    const sample = sampleTree(child.pid!);
    peak = Math.max(peak, sample.rss);
    if (!countClients) return;
    for (const pid of sample.pids) {
      if (seen.has(pid)) continue;
      let command: string;
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        continue;
      }
      // Seen again after an exec (env → node, a shell → aws), so looked at until it is a client.
      // A shell or env in front of a client is not one (the client it starts is counted itself).
      if (/^(\S*\/)?(sh|bash|env) /.test(command)) continue;
      if (PROBE.test(command)) probe.add(pid);
      else if (command.split(' ').some((arg) => AWS_CLI.test(arg)) && / (sts|s3|s3api) /.test(command))
        aws.add(pid);
      else continue;
      seen.add(pid);
    }
  }, 50);
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(sampler);
  return {
    wallS: (performance.now() - started) / 1000,
    exitCode,
    stdout,
    peakRssMiB: peak / 2 ** 20,
    clientStarts: { aws: aws.size, probe: probe.size },
  };
}

function lastJsonLine(text: string): Record<string, unknown> {
  const line = text
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON line in: ${text.slice(-500)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The suite through the runner; with its summary.md's time by phase. */
async function runSuite(extraArgs: string[], countClients = false): Promise<Measured & { phases: string }> {
  const reportDir = mkdtempSync(join(tmpdir(), 'pic-perf-'));
  try {
    const measured = await measure(
      [process.execPath, runner, '--suite', 'pod-identity', '--report-dir', reportDir, ...extraArgs],
      process.env,
      countClients,
    );
    const summary = readFileSync(join(reportDir, 'summary.md'), 'utf8');
    const phases = /## Time by phase\n([\s\S]*?)\n## /.exec(summary)?.[1]?.trim() ?? '';
    return { ...measured, phases };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

/** The suite's client processes started alone on the host, as many at a time as files run. */
async function processStartsAlone(count: { aws: number; probe: number }): Promise<number> {
  const sim = await startSim({});
  try {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: sim.awsEndpointUrl,
      AWS_ACCESS_KEY_ID: sim.adminCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sim.adminCredentials.secretAccessKey,
      AWS_REGION: sim.region,
      AWS_DEFAULT_REGION: sim.region,
    };
    // The AWS CLI pods run: the installation itself, not a version manager's shim in front of it.
    const awsDir = await awsCliDirectory();
    const aws = awsDir ? join(awsDir, 'aws') : 'aws';
    const commands = [
      ...Array.from({ length: count.aws }, () => [aws, 'sts', 'get-caller-identity']),
      ...Array.from({ length: count.probe }, () => [
        process.execPath,
        here('../probe/sdk-probe.mjs'),
        'whoami',
      ]),
    ];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: DEFAULT_PARALLEL }, async () => {
        while (next < commands.length) {
          const [command, ...args] = commands[next++]!;
          await new Promise<void>((resolve, reject) => {
            const child = spawn(command!, args, { stdio: 'ignore', env });
            child.once('error', reject);
            child.once('close', (code) =>
              code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
            );
          });
        }
      }),
    );
    return (performance.now() - started) / 1000;
  } finally {
    await sim.close();
  }
}

/** `npm run sim -- --latency eks` standalone, its exports, and the naive script against it. */
async function naiveScript(): Promise<number> {
  const sim = spawn(process.execPath, [here('../sim/scripts/sim.ts'), '--latency', 'eks'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      sim.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/^ready$/m.test(output)) resolve();
      });
      sim.once('exit', (code) => reject(new Error(`the simulator exited with ${code} before ready`)));
    });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [, name, value] of output.matchAll(/^export (\w+)='(.*)'$/gm)) env[name!] = value!;
    // The same AWS CLI the pods run, without a version manager's shim in front of every call.
    const awsDir = await awsCliDirectory();
    if (awsDir) env.PATH = `${awsDir}:${env.PATH ?? ''}`;
    const result = await measure(['bash', here('naive-walkthrough.sh')], env);
    if (result.exitCode !== 0) throw new Error(`the naive script failed (exit ${result.exitCode})`);
    return result.wallS;
  } finally {
    sim.kill('SIGTERM');
  }
}

const row = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);
const fixed = (n: number, digits = 1) => Number(n.toFixed(digits));
const load = () => loadavg()[0]!.toFixed(1);
console.log(
  `machine: ${availableParallelism()} cores, load average ${load()} at the start${quick ? '; --quick' : ''}`,
);

const figures = lastJsonLine((await measure([process.execPath, here('../sim/bench/figures.ts')])).stdout) as {
  agentRps: { hit: number; miss: number };
  eksAuthP50Ms: number;
  podStartMs: number;
  execOverheadMs: number;
};

const plain = await runSuite([], true);
if (plain.exitCode !== 0) throw new Error(`the suite failed without a profile (exit ${plain.exitCode})`);
const processFloorS = await processStartsAlone(plain.clientStarts);

const profiled = await runSuite(['--latency', 'eks', '--parallel', String(LATENCY_PARALLEL)]);
if (profiled.exitCode !== 0)
  throw new Error(`the suite failed under --latency eks (exit ${profiled.exitCode})`);
const floor = suiteFloor(POD_IDENTITY_PLAN, EKS_LATENCY, LATENCY_PARALLEL);
const floorS = floor.floorMs / 1000;

const naiveWallS = quick ? null : await naiveScript();

const scale: Array<{ n: number; wallS: number; peakRssMiB: number }> = [];
for (const n of SCALE_NS) {
  const result = await measure([process.execPath, here('scale.ts'), String(n)]);
  if (result.exitCode !== 0) throw new Error(`the scale bench failed at N = ${n} (exit ${result.exitCode})`);
  scale.push({ n, wallS: fixed(result.wallS, 2), peakRssMiB: Math.round(result.peakRssMiB) });
}

console.log('');
row(
  'suite, embedded, no profile: wall',
  `${plain.wallS.toFixed(1)} s, peak ${plain.peakRssMiB.toFixed(0)} MiB`,
);
row(
  `  its ${plain.clientStarts.aws} aws + ${plain.clientStarts.probe} probe starts alone, ${DEFAULT_PARALLEL} at a time`,
  `${processFloorS.toFixed(1)} s (ratio ${(plain.wallS / processFloorS).toFixed(2)}, target ≤ 1.5)`,
);
row(`suite, --latency eks --parallel ${LATENCY_PARALLEL}: wall`, `${profiled.wallS.toFixed(1)} s`);
row(
  '  floor (profile + fixture plan)',
  `${floorS.toFixed(1)} s (wall/floor ${(profiled.wallS / floorS).toFixed(2)}, target ≤ 1.5)`,
);
row(
  '  floor with every file at once (--parallel 8)',
  `${(suiteFloor(POD_IDENTITY_PLAN, EKS_LATENCY, 8).floorMs / 1000).toFixed(1)} s`,
);
row(
  'naive script (sequential, fixed sleeps), --latency eks',
  naiveWallS === null
    ? 'not run (--quick)'
    : `${naiveWallS.toFixed(1)} s (${(naiveWallS / profiled.wallS).toFixed(1)}x the suite, target ≥ 5)`,
);
for (const s of scale) row(`scale N = ${s.n}`, `${s.wallS.toFixed(1)} s, peak ${s.peakRssMiB} MiB`);
const at = (n: number) => scale.find((s) => s.n === n);
if (at(10) && at(100))
  row(
    '  N = 100 / N = 10',
    `${(at(100)!.wallS / at(10)!.wallS).toFixed(1)}x wall (target ≤ 12), ${at(100)!.peakRssMiB} MiB (target < 4096)`,
  );
row('agent requests/s, cache hit / miss', `${figures.agentRps.hit} / ${figures.agentRps.miss}`);
row(
  'EKS Auth median, pod start, exec overhead',
  `${figures.eksAuthP50Ms} ms, ${figures.podStartMs} ms, ${figures.execOverheadMs} ms`,
);
row('load average at the end', load());
console.log(`\nsuite under --latency eks, time by phase (its summary.md):\n${profiled.phases}\n`);
console.log(
  JSON.stringify({
    suiteWallS: fixed(profiled.wallS),
    floorS: fixed(floorS),
    wallOverFloor: fixed(profiled.wallS / floorS, 2),
    naiveWallS: naiveWallS === null ? null : fixed(naiveWallS),
    scale: scale.map(({ n, wallS, peakRssMiB }) => ({ n, wallS, peakRssMiB })),
    agentRps: figures.agentRps,
    eksAuthP50Ms: figures.eksAuthP50Ms,
    podStartMs: figures.podStartMs,
    execOverheadMs: figures.execOverheadMs,
    embeddedWallS: fixed(plain.wallS),
    processFloorS: fixed(processFloorS),
    embeddedOverProcessFloor: fixed(plain.wallS / processFloorS, 2),
  }),
);
