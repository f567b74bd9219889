// IAM policy model and the evaluator's contract. The evaluator (sim/aws/policy/evaluate.ts) is a pure
// function: no I/O, no clock except what the request context carries.

export type OneOrMany<T> = T | T[];

export type PrincipalBlock = '*' | Record<string, OneOrMany<string>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  /** { "StringEquals": { "aws:PrincipalTag/team": "a" } } */
  Condition?: Record<string, Record<string, OneOrMany<string | boolean | number>>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: OneOrMany<PolicyStatement>;
}

/** The principal making the request, as policies see it. */
export interface RequestPrincipal {
  /** For Principal matching: { AWS: arn }, { Service: name }, { Federated: ... }. */
  type: 'AWS' | 'Service' | 'Federated';
  /** AWS: the caller's ARN (assumed-role ARN for sessions); Service: e.g. pods.eks.amazonaws.com. */
  id: string;
  /** For assumed-role sessions: the role's ARN (a role ARN in Principal matches its sessions). */
  roleArn?: string;
  accountId?: string;
}

export type ContextValue = string | string[] | boolean | number;

export interface EvaluationRequest {
  principal: RequestPrincipal;
  action: string;
  resource: string;
  /**
   * Condition keys and policy variables: aws:PrincipalTag/k, aws:RequestTag/k, aws:TagKeys, aws:username,
   * aws:userid, aws:PrincipalArn, aws:PrincipalAccount, aws:CurrentTime, aws:SecureTransport, s3:prefix,
   * sts:ExternalId, ... Keys are matched case-insensitively as AWS does.
   */
  context: Record<string, ContextValue>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface EvaluationInput {
  request: EvaluationRequest;
  /** Identity-based policies (inline and attached) of the principal. */
  identityPolicies: PolicyDocument[];
  /** Resource-based policies (a role's trust policy for sts:AssumeRole; bucket policies). */
  resourcePolicies?: PolicyDocument[];
  /** Session policies passed at AssumeRole: they can only narrow. */
  sessionPolicies?: PolicyDocument[];
}

export interface EvaluationResult {
  decision: Decision;
  /** Statements that matched, for diagnostics. */
  matched: Array<{ source: 'identity' | 'resource' | 'session'; sid?: string; effect: 'Allow' | 'Deny' }>;
}
