// The simulator's nodes (read-only): one by default; more, some tainted, when a test asks. They all run
// their pods in the one node sandbox, so they share its network (named in sim/README.md).

import type { V1Node } from '@kubernetes/client-node';
import type { KubeContext, NodeIdentity } from '../context.ts';
import { humanDuration, timestamp } from '../objects.ts';
import { RestResource } from '../rest.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';

export const KUBELET_VERSION = 'v1.32.9-eks-sim';

export class NodesResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'nodes',
        singular: 'node',
        kind: 'Node',
        namespaced: false,
        verbs: ['get', 'list', 'watch'],
        shortNames: ['no'],
        fieldSelectors: ['spec.unschedulable'],
      },
      ctx,
    );
    this.printer = {
      columns: [
        NAME_COLUMN,
        column('Status', 'The status of the node'),
        column('Roles', 'The roles of the node'),
        AGE_COLUMN,
        column('Version', 'Kubelet Version reported by the node.'),
      ],
      cells: (object: KubeObject) => {
        const node = object as V1Node;
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return [
          node.metadata?.name ?? '',
          ready ? 'Ready' : 'NotReady',
          '<none>',
          humanDuration(node.metadata?.creationTimestamp as unknown as string),
          node.status?.nodeInfo?.kubeletVersion ?? '',
        ];
      },
    };
  }

  /** Stores the node objects (once, at start); the first has `hostIP`, the others the next addresses. */
  register(hostIP: string): void {
    this.ctx.nodes.forEach((node, index) => {
      this.#register(node, index === 0 ? hostIP : nextAddress(hostIP, index));
    });
  }

  #register({ name, uid, taints }: NodeIdentity, hostIP: string): void {
    const now = timestamp();
    this.ctx.store.create('nodes', {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: {
        name,
        uid,
        creationTimestamp: now as unknown as Date,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
          'eks.amazonaws.com/compute-type': 'ec2',
        },
      },
      spec: taints && taints.length > 0 ? { taints } : {},
      status: {
        addresses: [
          { type: 'InternalIP', address: hostIP },
          { type: 'Hostname', address: name },
        ],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        nodeInfo: {
          kubeletVersion: KUBELET_VERSION,
          kubeProxyVersion: KUBELET_VERSION,
          operatingSystem: 'linux',
          architecture: process.arch,
          containerRuntimeVersion: 'sim://1.0.0',
          osImage: 'pod-identity-conformance simulator (processes on the host)',
          kernelVersion: '',
          machineID: '',
          systemUUID: uid,
          bootID: uid,
        },
      },
    });
  }
}

/** 192.168.0.10 → 192.168.0.11 for index 1 (loopback stays loopback: host processes share it). */
function nextAddress(address: string, index: number): string {
  if (address.startsWith('127.')) return address;
  const parts = address.split('.').map(Number);
  parts[3] = (parts[3]! + index) % 256;
  return parts.join('.');
}
