// The whole product's speed and memory: runs `npm test -- --suite pod-identity` on the embedded target
// (in a fresh report dir), and prints wall time, per-file time from junit.xml, and the peak resident
// memory of the runner's whole process tree (runner, vitest workers, pods, in-pod clients), sampled
// from /proc every 100 ms.
//
//   node bench/suite.ts [runs]

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { median } from './stats.ts';

const runs = Number(process.argv[2] ?? '1');
const runner = fileURLToPath(new URL('../scripts/conformance.ts', import.meta.url));

/** Resident memory (bytes) of a process and all its descendants, read from /proc. */
function treeRss(rootPid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rss.set(Number(entry), kb * 1024);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += rss.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

interface RunFigures {
  wallSeconds: number;
  peakTreeMiB: number;
  exitCode: number | null;
  fileSeconds: Map<string, number>;
}

async function runSuiteOnce(): Promise<RunFigures> {
  const reportDir = mkdtempSync(join(tmpdir(), 'pic-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [runner, '--suite', 'pod-identity', '--report-dir', reportDir], {
    stdio: 'ignore',
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, treeRss(child.pid!));
  }, 100);
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(sampler);
  const wallSeconds = (performance.now() - started) / 1000;

  const fileSeconds = new Map<string, number>();
  try {
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      readFileSync(join(reportDir, 'junit.xml'), 'utf8'),
    );
    for (const suite of [].concat(junit.testsuites?.testsuite ?? [])) {
      const { name, time } = suite as { name: string; time: string };
      fileSeconds.set(name, Number(time));
    }
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
  return { wallSeconds, peakTreeMiB: peak / 2 ** 20, exitCode, fileSeconds };
}

const results: RunFigures[] = [];
for (let i = 0; i < runs; i++) results.push(await runSuiteOnce());

const codes = results.map((r) => r.exitCode);
console.log(`pod-identity suite on the embedded target, ${runs} run(s), exit codes ${codes.join(', ')}`);
console.log(`wall time:                 median ${median(results.map((r) => r.wallSeconds)).toFixed(1)} s`);
console.log(`peak memory, process tree: median ${median(results.map((r) => r.peakTreeMiB)).toFixed(0)} MiB`);
console.log('time per file (median, as vitest reports it; files run in parallel):');
for (const name of results[0]?.fileSeconds.keys() ?? []) {
  const seconds = median(results.map((r) => r.fileSeconds.get(name) ?? Number.NaN));
  console.log(`  ${name.padEnd(40)} ${seconds.toFixed(1).padStart(6)} s`);
}
if (codes.some((code) => code !== 0)) process.exit(1);
