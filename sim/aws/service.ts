// Contract between the simulator's single AWS endpoint (sim/aws/endpoint.ts) and the services routed
// through it. The endpoint verifies SigV4, resolves the caller, and hands each request to the handler
// registered for the signing name in the credential scope (iam, sts, s3, eks, eks-auth).

import type { IncomingHttpHeaders } from 'node:http';
import type { PolicyDocument } from './policy/types.ts';

/** Who signed the request, resolved from the access key. */
export interface CallerIdentity {
  /** The access key that signed the request. */
  accessKeyId: string;
  accountId: string;
  /** arn:aws:iam::ACCT:root, arn:aws:iam::ACCT:user/NAME, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION */
  arn: string;
  /** AIDA…/AROA…:session/ACCT, as GetCallerIdentity reports UserId. */
  userId: string;
  kind: 'root' | 'user' | 'assumed-role' | 'service';
  /** For assumed-role sessions. */
  roleName?: string;
  roleArn?: string;
  sessionName?: string;
  /** Session tags (aws:PrincipalTag/* for sessions), and tag keys that are transitive. */
  sessionTags: Record<string, string>;
  transitiveTagKeys: string[];
  /** For kind 'service': the service principal, e.g. pods.eks.amazonaws.com. */
  servicePrincipal?: string;
  /** When a session's credentials expire (undefined for long-term keys). */
  expiresAt?: Date;
}

export interface SignedRequest {
  method: string;
  /** Path without query, percent-decoded per segment is the handler's job. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The decoded payload (aws-chunked framing already removed and its checksums verified). */
  body: Buffer;
  /** Signing name from the credential scope. */
  service: string;
  region: string;
  caller: CallerIdentity;
  requestId: string;
}

export interface ServiceResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A condition context value as IAM sees it: single or multi-valued. */
export type ConditionValue = string | string[] | boolean | number;

export interface AuthorizeInput {
  action: string;
  resource: string;
  /** Extra condition keys for this request (aws:RequestTag/..., aws:TagKeys, s3:prefix, ...). */
  context?: Record<string, ConditionValue>;
}

export interface AuthorizeResult {
  allowed: boolean;
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** AWS-style message, e.g. "User: arn:... is not authorized to perform: s3:PutObject on resource: ..." */
  message: string;
}

/** Read-only view of IAM that other services need (EKS validates roles and trust policies). */
export interface IamView {
  getRoleByArn(arn: string): IamRoleView | undefined;
  getRoleByName(name: string): IamRoleView | undefined;
}

export interface IamRoleView {
  arn: string;
  roleId: string;
  roleName: string;
  path: string;
  accountId: string;
  trustPolicy: PolicyDocument;
  createDate: Date;
}

export interface ServiceContext {
  accountId: string;
  region: string;
  /** Evaluate the caller's identity policies (and session policies) for one action on one resource. */
  authorize(caller: CallerIdentity, input: AuthorizeInput): AuthorizeResult;
  iam: IamView;
}

export type ServiceHandler = (req: SignedRequest, ctx: ServiceContext) => Promise<ServiceResponse>;
