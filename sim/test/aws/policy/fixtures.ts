// Principals, requests and one-statement policies shared by the evaluator's tests.

import { evaluatePolicies } from '../../../aws/policy/index.ts';
import type {
  ContextValue,
  Decision,
  PolicyDocument,
  PolicyStatement,
  RequestPrincipal,
} from '../../../aws/policy/types.ts';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';

export function user(name: string, account = ACCOUNT): RequestPrincipal {
  return { type: 'AWS', id: `arn:aws:iam::${account}:user/${name}`, accountId: account };
}

export function roleArn(role: string, account = ACCOUNT): string {
  return `arn:aws:iam::${account}:role/${role}`;
}

export function session(role: string, sessionName: string, account = ACCOUNT): RequestPrincipal {
  return {
    type: 'AWS',
    id: `arn:aws:sts::${account}:assumed-role/${role}/${sessionName}`,
    roleArn: roleArn(role, account),
    accountId: account,
  };
}

export function root(account = ACCOUNT): RequestPrincipal {
  return { type: 'AWS', id: `arn:aws:iam::${account}:root`, accountId: account };
}

export function service(name: string): RequestPrincipal {
  return { type: 'Service', id: name };
}

export function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

export interface Scenario {
  principal?: RequestPrincipal;
  action?: string;
  resource?: string;
  context?: Record<string, ContextValue>;
  identity?: PolicyDocument[];
  resourcePolicies?: PolicyDocument[];
  sessionPolicies?: PolicyDocument[];
}

export function decide(scenario: Scenario): Decision {
  return evaluatePolicies({
    request: {
      principal: scenario.principal ?? user('alice'),
      action: scenario.action ?? 's3:GetObject',
      resource: scenario.resource ?? 'arn:aws:s3:::bucket/key',
      context: scenario.context ?? {},
    },
    identityPolicies: scenario.identity ?? [],
    resourcePolicies: scenario.resourcePolicies,
    sessionPolicies: scenario.sessionPolicies,
  }).decision;
}

/** Whether an Allow-everything statement guarded by `condition` allows a request with `context`. */
export function conditionHolds(
  condition: PolicyStatement['Condition'],
  context: Record<string, ContextValue>,
): boolean {
  return (
    decide({
      context,
      identity: [policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: condition })],
    }) === 'Allow'
  );
}
