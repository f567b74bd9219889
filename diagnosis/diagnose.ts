// Why a pod that should have the role has none: the evidence a person would gather (the pod's node and
// namespace, the agent's pods, the namespace's associations, the role), read with the run's own clients
// and turned into one DiagnosedFailure. Called only once a wait has already failed, so it may be slow,
// and never throws: what cannot be read just leaves the cause undiagnosed.

import {
  DescribePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { V1Pod } from '@kubernetes/client-node';
import type { RunContext } from '../fixtures/run-context.ts';
import { DiagnosedFailure } from './causes.ts';

/** The agent's pods, as the add-on's DaemonSet labels them. */
const AGENT_SELECTOR = 'app.kubernetes.io/name=eks-pod-identity-agent';
const AGENT_NAMESPACE = 'kube-system';

/** A client's words for "could not connect to (or got no answer from) the agent". */
const AGENT_NOT_ANSWERING = [
  /(Connect|Read) timeout on endpoint URL: "http:\/\/(169\.254\.170\.23|\[fd00:ec2::23\])/,
  /Could not connect to the endpoint URL: "http:\/\/(169\.254\.170\.23|\[fd00:ec2::23\])/,
  /(ETIMEDOUT|ECONNREFUSED|EHOSTUNREACH|ECONNRESET|TimeoutError|timed out)[^\n]*(169\.254\.170\.23|fd00:ec2::23)/i,
  /(169\.254\.170\.23|fd00:ec2::23)[^\n]*(ETIMEDOUT|ECONNREFUSED|EHOSTUNREACH|ECONNRESET|timed out|timeout)/i,
  /Connection was closed before we received a valid response from endpoint URL: "http:\/\/(169\.254\.170\.23|\[fd00:ec2::23\])/,
];
/** EKS Auth's refusal to assume the associated role, as the agent passes it on (spec §3.3). */
const ROLE_REFUSED = /EKS does not have permissions to assume the associated role|\(AccessDeniedException\)/;

export interface PodRef {
  namespace: string;
  name: string;
}

export function agentDidNotAnswer(message: string): boolean {
  return AGENT_NOT_ANSWERING.some((pattern) => pattern.test(message));
}

/**
 * A mutated pod's client got no credentials (`message` is its last error): the agent did not answer
 * (absent, not on the pod's node, or blocked), or it answered with EKS Auth's refusal of the role.
 */
export async function diagnoseMissingCredentials(
  run: RunContext,
  ref: PodRef,
  message: string,
): Promise<DiagnosedFailure | undefined> {
  try {
    if (agentDidNotAnswer(message)) return await diagnoseSilentAgent(run, ref);
    if (ROLE_REFUSED.test(message)) return await diagnoseRefusedRole(run, ref);
  } catch {
    // The evidence could not be read (permissions, a cluster going away): no diagnosis.
  }
  return undefined;
}

async function diagnoseSilentAgent(run: RunContext, ref: PodRef): Promise<DiagnosedFailure> {
  const pod = await run.kube.core.readNamespacedPod({ namespace: ref.namespace, name: ref.name });
  const node = pod.spec?.nodeName;
  const agents = await run.kube.core.listNamespacedPod({
    namespace: AGENT_NAMESPACE,
    labelSelector: AGENT_SELECTOR,
  });
  const where = `pod ${ref.namespace}/${ref.name}`;
  if (agents.items.length === 0)
    return new DiagnosedFailure(
      'agent-absent',
      `the agent at 169.254.170.23:80 did not answer ${where}, and ${AGENT_NAMESPACE} has no pod identity agent pod (${AGENT_SELECTOR})`,
    );
  const onNode = agents.items.filter((agent) => agent.spec?.nodeName === node);
  if (node && onNode.length === 0) {
    const nodes = [...new Set(agents.items.map((agent) => agent.spec?.nodeName).filter(Boolean))];
    return new DiagnosedFailure(
      'agent-not-on-node',
      `the agent at 169.254.170.23:80 did not answer ${where} on node ${node}: no pod identity agent pod runs on ${node} (agents run on ${nodes.join(', ') || 'no node'})`,
    );
  }
  const running = onNode.filter(isReady);
  if (running.length === 0 && onNode[0])
    return new DiagnosedFailure(
      'agent-absent',
      `the agent at 169.254.170.23:80 did not answer ${where}: its agent pod on node ${node}, ${AGENT_NAMESPACE}/${onNode[0].metadata?.name}, is not ready`,
    );
  return new DiagnosedFailure(
    'agent-unreachable',
    `the agent at 169.254.170.23:80 did not answer from namespace ${ref.namespace} (pod ${ref.name}), though its agent pod on node ${node} is ready`,
  );
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function diagnoseRefusedRole(run: RunContext, ref: PodRef): Promise<DiagnosedFailure | undefined> {
  const pod = await run.kube.core.readNamespacedPod({ namespace: ref.namespace, name: ref.name });
  const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
  const associations = await associationsIn(run, ref.namespace);
  const association = associations.find((a) => a.serviceAccount === serviceAccount);
  if (!association?.roleArn) return undefined;
  const roleName = association.roleArn.split('/').pop() ?? association.roleArn;
  const role = await run.aws.iam.send(new GetRoleCommand({ RoleName: roleName })).catch((error: Error) => {
    if (error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity') return undefined;
    throw error;
  });
  const refused = `EKS Auth refused to assume role ${association.roleArn} of association ${association.associationId} (pod ${ref.namespace}/${ref.name})`;
  if (!role) return new DiagnosedFailure('role-unusable', `${refused}: the role no longer exists`);
  return new DiagnosedFailure(
    'role-unusable',
    `${refused}: the role exists, so its trust policy (or a permissions boundary or SCP) does not let pods.eks.amazonaws.com assume it with session tags`,
  );
}

export interface AssociationSummary {
  associationId: string;
  serviceAccount: string;
  roleArn?: string;
  createdAt?: Date;
}

/** Every association of the cluster in `namespace`, with its role. */
export async function associationsIn(run: RunContext, namespace: string): Promise<AssociationSummary[]> {
  const clusterName = run.info.cluster.name;
  const found: AssociationSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await run.aws.eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName, namespace, nextToken }),
    );
    for (const summary of page.associations ?? []) {
      if (!summary.associationId || !summary.serviceAccount) continue;
      const described = await run.aws.eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName, associationId: summary.associationId }),
      );
      found.push({
        associationId: summary.associationId,
        serviceAccount: summary.serviceAccount,
        roleArn: described.association?.roleArn,
        createdAt: described.association?.createdAt,
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/**
 * A pod that should have been mutated was not: no association matches its service account (the
 * failure lists those that exist in the namespace), or the one that matches is newer than the pod.
 */
export async function diagnoseNotMutated(
  run: RunContext,
  pod: { namespace: string; name: string; serviceAccount: string; createdAt?: Date },
): Promise<DiagnosedFailure | undefined> {
  try {
    const associations = await associationsIn(run, pod.namespace);
    const match = associations.find((a) => a.serviceAccount === pod.serviceAccount);
    const who = `pod ${pod.namespace}/${pod.name} (service account ${pod.serviceAccount}) was not given the Pod Identity variables`;
    if (!match) {
      const existing = associations.map(
        (a) =>
          `${a.associationId} for service account ${a.serviceAccount}${a.roleArn ? ` (role ${a.roleArn})` : ''}`,
      );
      return new DiagnosedFailure(
        'association-mismatch',
        `${who}: no association in namespace ${pod.namespace} is for service account ${pod.serviceAccount}; the namespace has ${existing.length === 0 ? 'no associations' : existing.join(', ')}`,
      );
    }
    if (pod.createdAt && match.createdAt && match.createdAt > pod.createdAt)
      return new DiagnosedFailure(
        'association-after-pod',
        `${who}: association ${match.associationId} was created at ${match.createdAt.toISOString()}, after the pod (${pod.createdAt.toISOString()})`,
      );
  } catch {
    // Associations could not be listed: no diagnosis.
  }
  return undefined;
}
