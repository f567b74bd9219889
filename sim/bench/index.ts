// The simulator's benchmarks (`npm run bench -w @pod-identity-conformance/sim`, or `npm run bench -- sim`
// at the root): each in its own process, one after the other, so each measures an otherwise idle
// simulator. `npm run bench -- kube policy` runs only those. Figures are medians or
// ratios measured within one run; the machine is shared, so compare ratios rather than absolutes.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = {
  policy: 'IAM policy evaluation (target: < 1 ms per request)',
  aws: 'signed S3 PutObject/GetObject of 1 KB, server side (target: < 5 ms)',
  kube: 'Kubernetes simulator start, pod start and exec overhead, pod sandbox against host processes (targets: start < 1 s, exec + < 50 ms)',
  'eks-agent': 'admission mutation, association paging, agent with and without its cache',
  figures: 'agent requests/s (cache hit, miss through EKS Auth), EKS Auth median, pod start, exec overhead',
} as const;

type BenchmarkName = keyof typeof BENCHMARKS;
const known = Object.keys(BENCHMARKS) as BenchmarkName[];
const requested = process.argv.slice(2);
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
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`benchmark ${name} exited with ${result.status ?? result.signal}`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
