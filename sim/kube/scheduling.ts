// Where a pod may run: the scheduler's taint and node-selector rules (the parts that decide placement on
// a cluster of identical nodes), and the choice among the nodes that fit, spreading pods out.

import type { V1Node, V1PodSpec, V1Taint, V1Toleration } from '@kubernetes/client-node';

/** Whether one toleration covers the taint (Kubernetes' ToleratesTaint). */
function covers(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

/** The taints of `node` that keep new pods with these tolerations off it (NoSchedule, NoExecute). */
export function untoleratedTaints(node: V1Node, tolerations: V1Toleration[] | undefined): V1Taint[] {
  return (node.spec?.taints ?? []).filter(
    (taint) =>
      taint.effect !== 'PreferNoSchedule' &&
      !(tolerations ?? []).some((toleration) => covers(toleration, taint)),
  );
}

/** Whether a pod with this spec may be placed on `node`. */
export function fitsNode(spec: Pick<V1PodSpec, 'tolerations' | 'nodeSelector'>, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const selected = Object.entries(spec.nodeSelector ?? {}).every(([key, value]) => labels[key] === value);
  return selected && untoleratedTaints(node, spec.tolerations).length === 0;
}

/**
 * The node for a new pod: among those it fits, the one running the fewest pods (the first on a tie).
 * Undefined, with the scheduler's message, when none fits.
 */
export function chooseNode(
  spec: Pick<V1PodSpec, 'tolerations' | 'nodeSelector'>,
  nodes: V1Node[],
  podsOn: (nodeName: string) => number,
): { node: string } | { unschedulable: string } {
  const fitting = nodes.filter((node) => fitsNode(spec, node));
  if (fitting.length === 0) {
    const reasons = nodes.map((node) => {
      const taints = untoleratedTaints(node, spec.tolerations);
      return taints.length > 0
        ? `had untolerated taint {${taints.map((t) => `${t.key}: ${t.value ?? ''}`).join(', ')}}`
        : "didn't match Pod's node affinity/selector";
    });
    // As kube-scheduler words it: a count per reason, sorted.
    const counted = [...new Set(reasons)]
      .map((reason) => `${reasons.filter((r) => r === reason).length} node(s) ${reason}`)
      .sort();
    return { unschedulable: `0/${nodes.length} nodes are available: ${counted.join(', ')}.` };
  }
  let best = fitting[0]!;
  for (const node of fitting) if (podsOn(node.metadata!.name!) < podsOn(best.metadata!.name!)) best = node;
  return { node: best.metadata!.name! };
}
