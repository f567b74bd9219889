// How EKS looks up the IAM role of an association and checks that its trust policy lets the
// pods.eks.amazonaws.com service principal assume it and tag the session.

import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import type {
  EvaluationInput,
  EvaluationResult,
  PolicyDocument,
  PolicyStatement,
} from '../aws/policy/types.ts';
import type { IamView } from '../aws/service.ts';

export const POD_IDENTITY_SERVICE_PRINCIPAL = 'pods.eks.amazonaws.com';

export type PolicyEvaluator = (input: EvaluationInput) => EvaluationResult;

export interface RoleRecord {
  arn: string;
  trustPolicy: PolicyDocument;
}

/** Where EKS finds roles: the simulator's IAM, or an external IAM API (LocalStack). */
export interface RoleDirectory {
  getRole(arn: string): Promise<RoleRecord | undefined>;
}

export function roleDirectoryFromIamView(iam: IamView): RoleDirectory {
  return {
    async getRole(arn) {
      const role = iam.getRoleByArn(arn);
      return role ? { arn: role.arn, trustPolicy: role.trustPolicy } : undefined;
    },
  };
}

/** Looks roles up through an IAM API (GetRole by name); the ARN must match, path included. */
export function roleDirectoryFromIamApi(iam: IAMClient): RoleDirectory {
  return {
    async getRole(arn) {
      const roleName = arn.slice(arn.lastIndexOf('/') + 1);
      try {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
        if (!Role?.Arn || Role.Arn !== arn || !Role.AssumeRolePolicyDocument) return undefined;
        return { arn: Role.Arn, trustPolicy: JSON.parse(decodeURIComponent(Role.AssumeRolePolicyDocument)) };
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchEntityException') return undefined;
        throw error;
      }
    },
  };
}

/**
 * True when the trust policy can let pods.eks.amazonaws.com call both sts:AssumeRole and
 * sts:TagSession on the role. Conditions depend on the request (session tags, source account), which
 * EKS does not know when the association is created, so an Allow counts whatever its conditions and a
 * conditional Deny does not count: only what can never be allowed is refused.
 */
export function trustAllowsPodIdentity(role: RoleRecord, evaluate: PolicyEvaluator): boolean {
  const statements = Array.isArray(role.trustPolicy.Statement)
    ? role.trustPolicy.Statement
    : [role.trustPolicy.Statement];
  const unconditional: PolicyStatement[] = [];
  for (const statement of statements) {
    if (statement.Effect === 'Deny' && statement.Condition) continue;
    const { Condition: _ignored, ...rest } = statement;
    unconditional.push(rest);
  }
  const trustPolicy: PolicyDocument = { ...role.trustPolicy, Statement: unconditional };
  return ['sts:AssumeRole', 'sts:TagSession'].every(
    (action) =>
      evaluate({
        request: {
          principal: { type: 'Service', id: POD_IDENTITY_SERVICE_PRINCIPAL },
          action,
          resource: role.arn,
          context: {},
        },
        identityPolicies: [],
        resourcePolicies: [trustPolicy],
      }).decision === 'Allow',
  );
}
