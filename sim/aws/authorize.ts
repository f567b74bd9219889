// IAM authorization of every call: builds the request context AWS would (principal keys, time,
// transport, the caller's tags) and asks the policy evaluator about the caller's identity policies,
// session policies and, for sts:AssumeRole / sts:TagSession, the role's trust policy.

import { performance } from 'node:perf_hooks';
import type { Sabotage } from '../sabotage.ts';
import type { IamRole, IamStore } from './iam/store.ts';
import {
  type ContextValue,
  evaluatePolicies,
  type PolicyDocument,
  type RequestPrincipal,
} from './policy/index.ts';
import type { PrincipalStore } from './principals.ts';
import type { AuthorizeInput, AuthorizeResult, CallerIdentity } from './service.ts';

export interface AuthorizerOptions {
  accountId: string;
  region: string;
  iam: IamStore;
  principals: PrincipalStore;
  now: () => Date;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

export class Authorizer {
  private readonly options: AuthorizerOptions;
  /** Milliseconds spent in authorization so far (for the endpoint's timing hook). */
  elapsedMs = 0;

  constructor(options: AuthorizerOptions) {
    this.options = options;
  }

  /** Identity-based (and session) policy evaluation of one action on one resource. */
  authorize(caller: CallerIdentity, input: AuthorizeInput): AuthorizeResult {
    const started = performance.now();
    try {
      return this.authorizeIdentity(caller, input);
    } finally {
      this.elapsedMs += performance.now() - started;
    }
  }

  private authorizeIdentity(caller: CallerIdentity, input: AuthorizeInput): AuthorizeResult {
    const result = evaluatePolicies({
      request: {
        principal: this.requestPrincipal(caller),
        action: input.action,
        resource: input.resource,
        context: { ...this.principalContext(caller), ...input.context },
      },
      identityPolicies: this.identityPolicies(caller),
      sessionPolicies: this.sessionPolicies(caller),
    });
    return this.toResult(caller, input, result.decision);
  }

  /**
   * sts:AssumeRole or sts:TagSession on `role`: the trust policy must allow (alone, or together with
   * the caller's identity policies when it trusts the account), as the evaluator implements.
   */
  authorizeTrust(
    caller: CallerIdentity,
    role: IamRole,
    input: Omit<AuthorizeInput, 'resource'>,
  ): AuthorizeResult {
    const started = performance.now();
    try {
      return this.evaluateTrust(caller, role, input);
    } finally {
      this.elapsedMs += performance.now() - started;
    }
  }

  private evaluateTrust(
    caller: CallerIdentity,
    role: IamRole,
    input: Omit<AuthorizeInput, 'resource'>,
  ): AuthorizeResult {
    const request = { ...input, resource: role.arn };
    const result = evaluatePolicies({
      request: {
        principal: this.requestPrincipal(caller),
        action: input.action,
        resource: role.arn,
        context: { ...this.principalContext(caller), ...input.context },
      },
      identityPolicies: this.identityPolicies(caller),
      resourcePolicies: [role.trustPolicy.document],
      sessionPolicies: this.sessionPolicies(caller),
    });
    return this.toResult(caller, request, result.decision);
  }

  requestPrincipal(caller: CallerIdentity): RequestPrincipal {
    if (caller.kind === 'service') return { type: 'Service', id: caller.servicePrincipal ?? caller.userId };
    return { type: 'AWS', id: caller.arn, roleArn: caller.roleArn, accountId: caller.accountId };
  }

  /** The global condition keys AWS puts in every request context for this caller. */
  principalContext(caller: CallerIdentity): Record<string, ContextValue> {
    const now = this.options.now();
    const context: Record<string, ContextValue> = {
      'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:SecureTransport': false,
      'aws:SourceIp': '127.0.0.1',
      'aws:RequestedRegion': this.options.region,
    };
    const { iam, principals } = this.options;
    switch (caller.kind) {
      case 'root':
        Object.assign(context, {
          'aws:PrincipalArn': caller.arn,
          'aws:PrincipalAccount': caller.accountId,
          'aws:PrincipalType': 'Account',
          'aws:userid': caller.userId,
        });
        break;
      case 'user': {
        const userName = caller.arn.slice(caller.arn.lastIndexOf('/') + 1);
        Object.assign(context, {
          'aws:PrincipalArn': caller.arn,
          'aws:PrincipalAccount': caller.accountId,
          'aws:PrincipalType': 'User',
          'aws:username': userName,
          'aws:userid': caller.userId,
        });
        for (const tag of iam.findUser(userName)?.tags ?? [])
          context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
        break;
      }
      case 'assumed-role': {
        const role = this.sessionRole(caller);
        Object.assign(context, {
          'aws:PrincipalArn': role?.arn ?? caller.roleArn ?? caller.arn,
          'aws:PrincipalAccount': caller.accountId,
          'aws:PrincipalType': 'AssumedRole',
          'aws:userid': caller.userId,
        });
        const session = principals.getSession(caller.accessKeyId);
        if (session) {
          context['aws:TokenIssueTime'] = session.issuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
          if (session.sourceIdentity) context['aws:SourceIdentity'] = session.sourceIdentity;
        }
        // Session tags override the role's own tags with the same key (keys compare case-insensitively).
        const tags = new Map<string, [string, string]>();
        for (const tag of role?.tags ?? []) tags.set(tag.Key.toLowerCase(), [tag.Key, tag.Value]);
        for (const [key, value] of Object.entries(caller.sessionTags))
          tags.set(key.toLowerCase(), [key, value]);
        for (const [key, value] of tags.values()) context[`aws:PrincipalTag/${key}`] = value;
        break;
      }
      case 'service':
        context['aws:PrincipalServiceName'] = caller.servicePrincipal ?? caller.userId;
        break;
    }
    return context;
  }

  identityPolicies(caller: CallerIdentity): PolicyDocument[] {
    const { iam } = this.options;
    if (caller.kind === 'user') {
      const user = iam.findUser(caller.arn.slice(caller.arn.lastIndexOf('/') + 1));
      return user && user.arn === caller.arn ? iam.userIdentityPolicies(user) : [];
    }
    if (caller.kind === 'assumed-role') {
      const role = this.sessionRole(caller);
      return role ? iam.roleIdentityPolicies(role) : [];
    }
    return [];
  }

  /**
   * The role behind a session, if it still exists. A role deleted and created again under the same name
   * has a new role id: sessions of the old one get nothing from it, as in AWS.
   */
  private sessionRole(caller: CallerIdentity): IamRole | undefined {
    const role = caller.roleName ? this.options.iam.findRole(caller.roleName) : undefined;
    return role && role.arn === caller.roleArn && caller.userId.startsWith(`${role.roleId}:`)
      ? role
      : undefined;
  }

  sessionPolicies(caller: CallerIdentity): PolicyDocument[] | undefined {
    if (caller.kind !== 'assumed-role') return undefined;
    const policies = this.options.principals.getSession(caller.accessKeyId)?.sessionPolicies;
    return policies && policies.length > 0 ? policies : undefined;
  }

  private toResult(
    caller: CallerIdentity,
    input: AuthorizeInput,
    evaluated: AuthorizeResult['decision'],
  ): AuthorizeResult {
    const decision = this.options.sabotage?.iamAllowsEverything ? 'Allow' : evaluated;
    return {
      allowed: decision === 'Allow',
      decision,
      message: `User: ${caller.arn} is not authorized to perform: ${input.action} on resource: ${input.resource}`,
    };
  }
}

/** aws:RequestTag/<key> for each tag and aws:TagKeys, as AWS puts them in tagging requests. */
export function requestTagContext(tags: Array<{ Key: string; Value: string }>): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const tag of tags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
  return context;
}

/** aws:ResourceTag/<key> (and the service's own <prefix>:ResourceTag/<key>) for a tagged resource. */
export function resourceTagContext(
  tags: Array<{ Key: string; Value: string }>,
  servicePrefix?: string,
): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  for (const tag of tags) {
    context[`aws:ResourceTag/${tag.Key}`] = tag.Value;
    if (servicePrefix) context[`${servicePrefix}:ResourceTag/${tag.Key}`] = tag.Value;
  }
  return context;
}
