#!/usr/bin/env bash
# Records what a run prints when piped, as in CI, into docs/console/: a run on the embedded target,
# and a run on the eks target against a standalone simulator standing in for a cluster and account.
#   bash scripts/record-console.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node22.sh >/dev/null
out=docs/console
work=$(mktemp -d)
trap 'kill "${sim_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$out"
clean_env=(env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 NO_COLOR=1)

"${clean_env[@]}" node scripts/conformance.ts --suite pod-identity --report-dir "$work/embedded" \
  >"$out/embedded.txt" 2>&1 || true

account=111122223333
"${clean_env[@]}" node sim/scripts/sim.ts --account "$account" --cluster recorded >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 300); do grep -qx ready "$work/sim.out" && break; sleep 0.2; done
grep -qx ready "$work/sim.out" || { cat "$work/sim.err" >&2; exit 1; }
# shellcheck disable=SC2046
"${clean_env[@]}" $(grep '^export ' "$work/sim.out" | sed "s/^export //; s/'//g") \
  node scripts/conformance.ts --target eks --suite pod-identity --account "$account" --report-dir "$work/eks" \
  >"$out/eks-against-simulator.txt" 2>&1 || true
echo "recorded $out/embedded.txt and $out/eks-against-simulator.txt"
