// The DaemonSet the eks-pod-identity-agent add-on installs (spec §2.1; the add-on's Helm chart), as
// the simulator publishes it in kube-system: one node, one ready agent.

import type { V1DaemonSet, V1Toleration } from '@kubernetes/client-node';

export const AGENT_DAEMONSET_NAME = 'eks-pod-identity-agent';
export const AGENT_IMAGE_TAG = '0.1.37';

/** The add-on's default: every taint (its Helm chart's `tolerations: [{operator: Exists}]`). */
export const AGENT_TOLERATIONS: V1Toleration[] = [{ operator: 'Exists' }];

export interface AgentDaemonSetOptions {
  clusterName: string;
  region: string;
  createdAt?: Date;
  /** Tolerations the add-on was configured with (default AGENT_TOLERATIONS). */
  tolerations?: V1Toleration[];
}

export function podIdentityAgentDaemonSet(options: AgentDaemonSetOptions): V1DaemonSet {
  const image = `602401143452.dkr.ecr.${options.region}.amazonaws.com/eks/eks-pod-identity-agent:${AGENT_IMAGE_TAG}`;
  const selectorLabels = {
    'app.kubernetes.io/name': 'eks-pod-identity-agent',
    'app.kubernetes.io/instance': 'eks-pod-identity-agent',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: AGENT_DAEMONSET_NAME,
      namespace: 'kube-system',
      generation: 1,
      creationTimestamp: options.createdAt ?? new Date(),
      labels: {
        ...selectorLabels,
        'app.kubernetes.io/version': AGENT_IMAGE_TAG,
        'app.kubernetes.io/managed-by': 'EKS',
      },
      annotations: { 'deprecated.daemonset.template.generation': '1' },
    },
    spec: {
      selector: { matchLabels: selectorLabels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels: selectorLabels },
        spec: {
          automountServiceAccountToken: false,
          priorityClassName: 'system-node-critical',
          hostNetwork: true,
          terminationGracePeriodSeconds: 30,
          tolerations: options.tolerations ?? AGENT_TOLERATIONS,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
                      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
                      {
                        key: 'eks.amazonaws.com/compute-type',
                        operator: 'NotIn',
                        values: ['fargate', 'hybrid', 'auto'],
                      },
                    ],
                  },
                ],
              },
            },
          },
          initContainers: [
            {
              name: 'eks-pod-identity-agent-init',
              image,
              imagePullPolicy: 'Always',
              command: ['/go-runner', '/eks-pod-identity-agent', 'initialize'],
              securityContext: { privileged: true },
            },
          ],
          containers: [
            {
              name: 'eks-pod-identity-agent',
              image,
              imagePullPolicy: 'Always',
              command: ['/go-runner', '/eks-pod-identity-agent', 'server'],
              args: [
                '--port',
                '80',
                '--cluster-name',
                options.clusterName,
                '--probe-port',
                '2703',
                '-v',
                'trace',
              ],
              ports: [{ containerPort: 2703, protocol: 'TCP', name: 'probes-port' }],
              env: [{ name: 'AWS_REGION', value: options.region }],
              securityContext: { capabilities: { add: ['CAP_NET_BIND_SERVICE'] } },
              resources: {},
              livenessProbe: {
                failureThreshold: 3,
                httpGet: { host: 'localhost', path: '/healthz', port: 'probes-port', scheme: 'HTTP' },
                initialDelaySeconds: 30,
                timeoutSeconds: 10,
              },
              readinessProbe: {
                failureThreshold: 30,
                httpGet: { host: 'localhost', path: '/readyz', port: 'probes-port', scheme: 'HTTP' },
                initialDelaySeconds: 1,
                timeoutSeconds: 10,
              },
            },
          ],
        },
      },
    },
    status: {
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberAvailable: 1,
      numberMisscheduled: 0,
      numberReady: 1,
      observedGeneration: 1,
      updatedNumberScheduled: 1,
    },
  };
}
