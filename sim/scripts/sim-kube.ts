// Standalone Kubernetes simulator: prints `export KUBECONFIG=<path>`, then `ready`, and serves until
// SIGINT/SIGTERM, when it stops every pod process and exits.
// Usage: node scripts/sim-kube.ts [--state-dir DIR] [--cluster NAME] [--pod-sandbox auto|required|off]

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeSim } from '../kube/index.ts';

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    cluster: { type: 'string', default: 'pod-identity-sim' },
    'pod-sandbox': { type: 'string', default: 'auto' },
  },
});
const podSandbox = values['pod-sandbox'];
if (podSandbox !== 'auto' && podSandbox !== 'required' && podSandbox !== 'off') {
  process.stderr.write(`--pod-sandbox must be auto, required or off, got: ${podSandbox}\n`);
  process.exit(2);
}

const sim = await startKubeSim({ clusterName: values.cluster, stateDir: values['state-dir'], podSandbox });
const kubeconfigPath = join(sim.stateDir, 'kubeconfig');
writeFileSync(kubeconfigPath, sim.kubeconfigYaml, { mode: 0o600 });
process.stdout.write(`export KUBECONFIG=${kubeconfigPath}\nready\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `stopping the Kubernetes simulator failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  });
}
