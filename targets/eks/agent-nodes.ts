// Which nodes test pods may land on but no pod identity agent runs on: a taint the agent's DaemonSet
// does not tolerate, a node group it is not scheduled on. Pods there find nothing on 169.254.170.23.
// Placement is predicted with Kubernetes' rules for taints (NoSchedule, NoExecute) and nodeSelector, the
// same function the simulator's scheduler places pods with.

import type { V1Node, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { fitsNode } from '@pod-identity-conformance/sim';
import type { PodSettings } from '../target.ts';

export const AGENT_POD_SELECTOR = 'app.kubernetes.io/name=eks-pod-identity-agent';

export function describeTaint(taint: V1Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

export interface UncoveredNode {
  name: string;
  /** The node's taints, which explain (usually) why the agent is not there. */
  taints: string[];
}

/** Nodes the test pods fit on (their tolerations and node selector) where no agent pod runs. */
export function nodesWithoutAgent(
  nodes: readonly V1Node[],
  agentPods: readonly V1Pod[],
  pod: Pick<PodSettings, 'tolerations' | 'nodeSelector'>,
): UncoveredNode[] {
  const withAgent = new Set(agentPods.map((agent) => agent.spec?.nodeName));
  const placement = {
    tolerations: (pod.tolerations ?? []) as V1Toleration[],
    nodeSelector: pod.nodeSelector,
  };
  return nodes
    .filter((node) => fitsNode(placement, node))
    .filter((node) => !withAgent.has(node.metadata?.name))
    .map((node) => ({
      name: node.metadata?.name ?? '',
      taints: (node.spec?.taints ?? []).map(describeTaint),
    }));
}
