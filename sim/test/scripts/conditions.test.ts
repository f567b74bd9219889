// The cluster-condition flags of `npm run sim`: what each sets, and one clear line for a bad value.

import { describe, expect, it } from 'vitest';
import { describeConditions, parseConditionFlags } from '../../scripts/conditions.ts';

describe('npm run sim condition flags', () => {
  it('a blocked namespace label, nodes and a taint (which leaves the agent DaemonSet without tolerations)', () => {
    const conditions = parseConditionFlags({
      'block-agent-for-namespace-label': 'egress=deny',
      nodes: '3',
      'taint-node': ['sim-node-2=dedicated=ci:NoSchedule', 'sim-node-3=spot:NoExecute'],
    });
    expect(conditions).toEqual({
      agentBlockedForNamespaceLabel: { key: 'egress', value: 'deny' },
      nodes: 3,
      nodeTaints: {
        'sim-node-2': [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }],
        'sim-node-3': [{ key: 'spot', effect: 'NoExecute' }],
      },
      agentTolerations: [],
    });
    expect(describeConditions(conditions as never)).toEqual([
      'pods in namespaces labelled egress=deny cannot reach the agent (an emulated network policy)',
      '3 nodes: sim-node-1…sim-node-3',
      'sim-node-2 tainted dedicated=ci:NoSchedule; the agent DaemonSet does not tolerate it, so no agent runs there',
      'sim-node-3 tainted spot:NoExecute; the agent DaemonSet does not tolerate it, so no agent runs there',
    ]);
  });

  it('nothing given: no conditions', () => {
    expect(parseConditionFlags({})).toEqual({});
  });

  it.each([
    [
      { 'block-agent-for-namespace-label': 'egress' },
      "--block-agent-for-namespace-label must be KEY=VALUE (a namespace label), got 'egress'",
    ],
    [{ nodes: '0' }, "--nodes must be a whole number from 1 to 20, got '0'"],
    [{ nodes: '21' }, "--nodes must be a whole number from 1 to 20, got '21'"],
    [{ 'taint-node': ['sim-node-2=a=b:NoSchedule'] }, 'NODE one of sim-node-1…sim-node-1'],
    [
      { nodes: '2', 'taint-node': ['sim-node-2=a=b:Sometimes'] },
      "EFFECT one of NoSchedule, PreferNoSchedule, NoExecute, got 'sim-node-2=a=b:Sometimes'",
    ],
    [{ nodes: '2', 'taint-node': ['node-2=a=b:NoSchedule'] }, "got 'node-2=a=b:NoSchedule'"],
  ])('%j is refused: %s', (flags, message) => {
    const result = parseConditionFlags(flags);
    expect(typeof result).toBe('string');
    expect(result).toContain(message);
  });
});
