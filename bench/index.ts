// `npm run bench`: runs every benchmark in its own process, one after the other, so each measures an
// otherwise idle machine: the harness's own (suite, perf) and the simulator package's (sim: policy,
// aws, kube, eks-agent). `npm run bench -- suite` runs only that one; `--quick` runs perf's quick
// subset alone. perf runs last: its JSON line is the last line printed. Figures are medians or
// ratios measured within one run; the machine is shared, so compare ratios rather than absolutes.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = {
  sim: "the simulator package's benchmarks: policy evaluation, AWS endpoint, Kubernetes, EKS and agent",
  suite: 'the pod-identity suite on the embedded target: wall time per file and peak memory',
  perf: 'latency profile: suite wall/floor, the naive script, scale to 100 service accounts; one JSON line',
} as const;

type BenchmarkName = keyof typeof BENCHMARKS;
const known = Object.keys(BENCHMARKS) as BenchmarkName[];
const quick = process.argv.includes('--quick');
const requested = quick ? ['perf'] : process.argv.slice(2);
const unknown = requested.filter((name) => !known.includes(name as BenchmarkName));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; choose from: ${known.join(', ')}`,
  );
  process.exit(2);
}

let failed = 0;
for (const name of requested.length > 0 ? (requested as BenchmarkName[]) : known) {
  console.log(`\n== ${name}: ${BENCHMARKS[name]}`);
  // The simulator's benchmarks live in its workspace package (not in its published files).
  const script = fileURLToPath(
    name === 'sim'
      ? new URL('bench/index.ts', import.meta.resolve('@pod-identity-conformance/sim/package.json'))
      : new URL(`./${name}.ts`, import.meta.url),
  );
  const result = spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`benchmark ${name} exited with ${result.status ?? result.signal}`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
