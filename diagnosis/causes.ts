// The causes the suite can name when Pod Identity fails, each with the one fix a user applies. They are
// the failures users report (spec §6): an SDK too old for the agent's address, pods reaching IMDS, the
// agent unreachable from the pod or absent from its node, an association that does not match the pod,
// a role EKS cannot use. A case that recognises one throws DiagnosedFailure; the runner groups failed
// cases by cause in summary.md ("Likely causes"), with the fix once per cause.

export const CAUSES = {
  'client-too-old': {
    title: 'the AWS SDK or CLI in the pod predates Pod Identity',
    fix: 'upgrade the client to at least the version in https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html (botocore 1.34.41, AWS CLI v1 1.30.0 / v2 2.15.0, JS v2 2.1550.0, JS v3 3.458.0, Go v1 1.47.11)',
  },
  'imds-reachable': {
    title: 'pods reach the instance metadata service and get the node role',
    fix: 'in the node group launch template require IMDSv2 (HttpTokens required) with HttpPutResponseHopLimit 1, or block 169.254.169.254 from pods',
  },
  'agent-unreachable': {
    title:
      'the pod identity agent does not answer from the pod (a network policy or firewall drops the traffic)',
    fix: 'allow egress to 169.254.170.23/32 port 80 (and [fd00:ec2::23]/128) in your network policies',
  },
  'agent-not-on-node': {
    title: 'no pod identity agent runs on the node the pod landed on',
    fix: 'let the eks-pod-identity-agent DaemonSet run on every node pods use: add tolerations for the node taints (aws eks update-addon --configuration-values) or keep such pods off those nodes',
  },
  'agent-absent': {
    title: 'the pod identity agent is not installed in the cluster',
    fix: 'install the add-on: aws eks create-addon --cluster-name CLUSTER --addon-name eks-pod-identity-agent',
  },
  'association-mismatch': {
    title: 'no pod identity association matches the pod’s namespace and service account',
    fix: 'create the association for the namespace and service account the pod runs as (aws eks create-pod-identity-association), or run the pod as the associated service account',
  },
  'association-after-pod': {
    title:
      'the association was created after the pod started, so the pod was never given the credentials variables',
    fix: 'restart the pods after creating the association (kubectl rollout restart), since EKS adds the variables only when a pod is created',
  },
  'role-unusable': {
    title:
      'EKS cannot assume the associated role (deleted, or its trust policy does not allow pods.eks.amazonaws.com sts:AssumeRole and sts:TagSession)',
    fix: 'give the role the trust policy {"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}, or recreate it and update the association',
  },
} as const satisfies Record<string, { title: string; fix: string }>;

export type CauseId = keyof typeof CAUSES;

export const CAUSE_IDS = Object.keys(CAUSES) as CauseId[];

export function isCauseId(value: unknown): value is CauseId {
  return typeof value === 'string' && Object.hasOwn(CAUSES, value);
}

/**
 * A case failure whose cause the suite recognised. The message says what was observed, then the cause's
 * fix; `causeId` travels to the report (the failure hook copies it into the case's meta).
 */
export class DiagnosedFailure extends Error {
  override readonly name = 'DiagnosedFailure';
  readonly causeId: CauseId;

  constructor(causeId: CauseId, observed: string) {
    super(`${observed}. Likely cause: ${CAUSES[causeId].title}. Fix: ${CAUSES[causeId].fix}.`);
    this.causeId = causeId;
  }
}

/** The cause named in a (possibly serialised) error, if it is a DiagnosedFailure. */
export function causeOf(error: unknown): CauseId | undefined {
  const candidate = (error as { causeId?: unknown } | undefined)?.causeId;
  return isCauseId(candidate) ? candidate : undefined;
}
