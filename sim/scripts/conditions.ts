// The cluster-condition flags of `npm run sim` (SimOptions.conditions): a misconfigured cluster to run
// the suite against, for seeing what it says. Each parser returns the conditions or what is wrong.

import type { ClusterConditions } from '../types.ts';

const LABEL_PART = /^[A-Za-z0-9]([-A-Za-z0-9_./]{0,251}[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export interface ConditionFlags {
  'block-agent-for-namespace-label'?: string;
  nodes?: string;
  'taint-node'?: string[];
}

export function parseConditionFlags(values: ConditionFlags): ClusterConditions | string {
  const conditions: ClusterConditions = {};
  const label = values['block-agent-for-namespace-label'];
  if (label !== undefined) {
    const [key, value, extra] = label.split('=');
    if (!key || value === undefined || extra !== undefined || !LABEL_PART.test(key))
      return `--block-agent-for-namespace-label must be KEY=VALUE (a namespace label), got '${label}'`;
    conditions.agentBlockedForNamespaceLabel = { key, value };
  }
  const nodesText = values.nodes;
  if (nodesText !== undefined) {
    if (!/^[1-9][0-9]?$/.test(nodesText) || Number(nodesText) > 20)
      return `--nodes must be a whole number from 1 to 20, got '${nodesText}'`;
    conditions.nodes = Number(nodesText);
  }
  const nodeCount = conditions.nodes ?? 1;
  for (const text of values['taint-node'] ?? []) {
    const match = /^(sim-node-(\d+))=([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(text);
    const problem = `--taint-node must be NODE=KEY=VALUE:EFFECT with NODE one of sim-node-1…sim-node-${nodeCount} and EFFECT one of ${EFFECTS.join(', ')}, got '${text}'`;
    if (!match) return problem;
    const [, node, index, key, value, effect] = match;
    if (
      Number(index) < 1 ||
      Number(index) > nodeCount ||
      !EFFECTS.includes(effect!) ||
      !LABEL_PART.test(key!)
    )
      return problem;
    const taints = conditions.nodeTaints ?? {};
    taints[node!] = [...(taints[node!] ?? []), { key: key!, ...(value ? { value } : {}), effect: effect! }];
    conditions.nodeTaints = taints;
  }
  // A tainted node the add-on still covers shows nothing: the condition is an add-on configured with
  // tolerations of its own, which these taints are not among.
  if (conditions.nodeTaints) conditions.agentTolerations = [];
  return conditions;
}

/** One line per condition, for the simulator's start-up report. */
export function describeConditions(conditions: ClusterConditions): string[] {
  const lines: string[] = [];
  const blocked = conditions.agentBlockedForNamespaceLabel;
  if (blocked)
    lines.push(
      `pods in namespaces labelled ${blocked.key}=${blocked.value} cannot reach the agent (an emulated network policy)`,
    );
  if (conditions.nodes && conditions.nodes > 1)
    lines.push(`${conditions.nodes} nodes: sim-node-1…sim-node-${conditions.nodes}`);
  for (const [node, taints] of Object.entries(conditions.nodeTaints ?? {}))
    lines.push(
      `${node} tainted ${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')}; the agent DaemonSet does not tolerate it, so no agent runs there`,
    );
  return lines;
}
