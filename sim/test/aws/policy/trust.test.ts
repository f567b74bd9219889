// sts:AssumeRole* against role trust policies.
// [PODID-ROLE] https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html (the pods.eks.amazonaws.com trust
//   policy with sts:AssumeRole and sts:TagSession, and aws:RequestTag conditions on it)
// [DENYALLOW] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
//   ("IAM role trust policies ... must explicitly allow access for principals")
// [PRINCIPAL] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// [EXTERNALID] https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
// [CROSS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// [OIDC] https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html

import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyStatement, RequestPrincipal } from '../../../aws/policy/types.ts';
import { ACCOUNT, decide, OTHER_ACCOUNT, policy, roleArn, service, session, user } from './fixtures.ts';

const ROLE = roleArn('pod-role');
const POD_IDENTITY = 'pods.eks.amazonaws.com';

function trust(...statements: PolicyStatement[]): PolicyDocument {
  return policy(...statements);
}

const podIdentityTrust = trust({
  Effect: 'Allow',
  Principal: { Service: POD_IDENTITY },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
});

function assume(
  principal: RequestPrincipal,
  trustPolicy: PolicyDocument,
  options: {
    action?: string;
    identity?: PolicyDocument[];
    context?: Record<string, string>;
    resource?: string;
  } = {},
) {
  return decide({
    principal,
    action: options.action ?? 'sts:AssumeRole',
    resource: options.resource ?? ROLE,
    context: options.context ?? {},
    identity: options.identity,
    resourcePolicies: [trustPolicy],
  });
}

const allowAssumeAny = policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' });

describe('the EKS Pod Identity trust policy [PODID-ROLE]', () => {
  it('allows sts:AssumeRole and sts:TagSession for pods.eks.amazonaws.com', () => {
    expect(assume(service(POD_IDENTITY), podIdentityTrust)).toBe('Allow');
    expect(assume(service(POD_IDENTITY), podIdentityTrust, { action: 'sts:TagSession' })).toBe('Allow');
  });

  it('does not allow an action it does not list', () => {
    expect(assume(service(POD_IDENTITY), podIdentityTrust, { action: 'sts:SetSourceIdentity' })).toBe(
      'ImplicitDeny',
    );
  });

  it('denies another service principal', () => {
    expect(assume(service('ec2.amazonaws.com'), podIdentityTrust)).toBe('ImplicitDeny');
  });

  it('denies an AWS principal, even one whose identity policy allows sts:AssumeRole', () => {
    expect(assume(user('alice'), podIdentityTrust, { identity: [allowAssumeAny] })).toBe('ImplicitDeny');
    expect(assume(session('other', 's'), podIdentityTrust, { identity: [allowAssumeAny] })).toBe(
      'ImplicitDeny',
    );
  });

  it('lets the trust policy alone decide for the service principal (identity policies are not consulted)', () => {
    const denyAll = policy({ Effect: 'Deny', Action: '*', Resource: '*' });
    expect(assume(service(POD_IDENTITY), podIdentityTrust, { identity: [denyAll] })).toBe('Allow');
  });

  it('matches the service name case-insensitively', () => {
    expect(assume(service('PODS.EKS.amazonaws.com'), podIdentityTrust)).toBe('Allow');
  });

  const namespaceScoped = trust({
    Effect: 'Allow',
    Principal: { Service: POD_IDENTITY },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'ns-a' } },
  });

  it('with aws:RequestTag/kubernetes-namespace = ns-a, allows only requests tagged ns-a', () => {
    const tagged = (namespace: string) => ({ context: { 'aws:RequestTag/kubernetes-namespace': namespace } });
    expect(assume(service(POD_IDENTITY), namespaceScoped, tagged('ns-a'))).toBe('Allow');
    expect(
      assume(service(POD_IDENTITY), namespaceScoped, { action: 'sts:TagSession', ...tagged('ns-a') }),
    ).toBe('Allow');
    expect(assume(service(POD_IDENTITY), namespaceScoped, tagged('ns-b'))).toBe('ImplicitDeny');
    expect(assume(service(POD_IDENTITY), namespaceScoped, tagged('NS-A'))).toBe('ImplicitDeny');
    expect(assume(service(POD_IDENTITY), namespaceScoped)).toBe('ImplicitDeny');
  });

  it('an explicit Deny in the trust policy wins', () => {
    const guarded = trust(
      { Effect: 'Allow', Principal: { Service: POD_IDENTITY }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'kube-system' } },
      },
    );
    const context = { 'aws:RequestTag/kubernetes-namespace': 'kube-system' };
    expect(assume(service(POD_IDENTITY), guarded, { context })).toBe('ExplicitDeny');
  });
});

describe('sts:ExternalId in a trust policy [EXTERNALID]', () => {
  const withExternalId = trust({
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
    Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'sts:ExternalId': 'Unique ID Assigned by Example Corp' } },
  });

  it('allows when the external id matches', () => {
    expect(
      assume(user('alice'), withExternalId, {
        context: { 'sts:ExternalId': 'Unique ID Assigned by Example Corp' },
      }),
    ).toBe('Allow');
  });

  it('denies a different or missing external id', () => {
    expect(assume(user('alice'), withExternalId, { context: { 'sts:ExternalId': 'guess' } })).toBe(
      'ImplicitDeny',
    );
    expect(assume(user('alice'), withExternalId)).toBe('ImplicitDeny');
  });
});

describe('AWS principals assuming a role in the same account [DENYALLOW] [PRINCIPAL]', () => {
  const trusting = (aws: string | string[]) =>
    trust({ Effect: 'Allow', Principal: { AWS: aws }, Action: 'sts:AssumeRole' });

  it('a trust policy naming the user allows without an identity policy', () => {
    expect(assume(user('alice'), trusting(`arn:aws:iam::${ACCOUNT}:user/alice`))).toBe('Allow');
  });

  it('a trust policy naming a role allows that role’s sessions (role chaining)', () => {
    expect(assume(session('chain', 's1'), trusting(roleArn('chain')))).toBe('Allow');
  });

  it('a trust policy naming a session ARN allows that session', () => {
    expect(assume(session('chain', 's1'), trusting(`arn:aws:sts::${ACCOUNT}:assumed-role/chain/s1`))).toBe(
      'Allow',
    );
    expect(assume(session('chain', 's2'), trusting(`arn:aws:sts::${ACCOUNT}:assumed-role/chain/s1`))).toBe(
      'ImplicitDeny',
    );
  });

  it('a trust policy naming another principal denies', () => {
    expect(
      assume(user('alice'), trusting(`arn:aws:iam::${ACCOUNT}:user/bob`), { identity: [allowAssumeAny] }),
    ).toBe('ImplicitDeny');
  });

  it('a trust policy naming the account root needs an identity policy that allows', () => {
    const rootTrust = trusting(`arn:aws:iam::${ACCOUNT}:root`);
    expect(assume(user('alice'), rootTrust)).toBe('ImplicitDeny');
    expect(assume(user('alice'), rootTrust, { identity: [allowAssumeAny] })).toBe('Allow');
    const scoped = policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('other-role') });
    expect(assume(user('alice'), rootTrust, { identity: [scoped] })).toBe('ImplicitDeny');
  });

  it('a trust policy naming the bare account id behaves like the root ARN', () => {
    const accountTrust = trusting(ACCOUNT);
    expect(assume(session('ci', 'job'), accountTrust)).toBe('ImplicitDeny');
    expect(assume(session('ci', 'job'), accountTrust, { identity: [allowAssumeAny] })).toBe('Allow');
  });

  it('an identity policy alone never assumes a role whose trust policy does not name the caller', () => {
    expect(assume(user('alice'), trusting(OTHER_ACCOUNT), { identity: [allowAssumeAny] })).toBe(
      'ImplicitDeny',
    );
    expect(assume(user('alice'), podIdentityTrust, { identity: [allowAssumeAny] })).toBe('ImplicitDeny');
  });

  it('"AWS": "*" allows any AWS principal', () => {
    expect(assume(user('alice'), trusting('*'))).toBe('Allow');
    expect(assume(service(POD_IDENTITY), trusting('*'))).toBe('ImplicitDeny');
  });

  it('"Principal": "*" allows everyone, service principals included', () => {
    const everyone = trust({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' });
    expect(assume(user('alice'), everyone)).toBe('Allow');
    expect(assume(service(POD_IDENTITY), everyone)).toBe('Allow');
  });

  it('an identity Deny stops a caller the trust policy names', () => {
    const denyAssume = policy({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: ROLE });
    expect(
      assume(user('alice'), trusting(`arn:aws:iam::${ACCOUNT}:user/alice`), { identity: [denyAssume] }),
    ).toBe('ExplicitDeny');
  });
});

describe('AWS principals assuming a role in another account [CROSS]', () => {
  const crossRole = roleArn('shared', OTHER_ACCOUNT);
  const caller = user('alice');

  it('needs both the trust policy and the caller’s identity policy', () => {
    const accountTrust = trust({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' });
    expect(assume(caller, accountTrust, { resource: crossRole })).toBe('ImplicitDeny');
    expect(assume(caller, accountTrust, { resource: crossRole, identity: [allowAssumeAny] })).toBe('Allow');
  });

  it('a trust policy naming the caller exactly is still not enough without an identity policy', () => {
    const exact = trust({ Effect: 'Allow', Principal: { AWS: caller.id }, Action: 'sts:AssumeRole' });
    expect(assume(caller, exact, { resource: crossRole })).toBe('ImplicitDeny');
    expect(assume(caller, exact, { resource: crossRole, identity: [allowAssumeAny] })).toBe('Allow');
  });

  it('a trust policy that does not name the caller denies even with an identity policy', () => {
    const otherTrust = trust({
      Effect: 'Allow',
      Principal: { AWS: '999999999999' },
      Action: 'sts:AssumeRole',
    });
    expect(assume(caller, otherTrust, { resource: crossRole, identity: [allowAssumeAny] })).toBe(
      'ImplicitDeny',
    );
  });
});

describe('federated principals [OIDC]', () => {
  const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`;
  const oidcTrust = trust({
    Effect: 'Allow',
    Principal: { Federated: provider },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub': 'system:serviceaccount:ns-a:app-sa',
        'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:aud': 'sts.amazonaws.com',
      },
    },
  });
  const federated: RequestPrincipal = { type: 'Federated', id: provider };

  it('allows the provider with matching claims, and nothing else', () => {
    const claims = {
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub': 'system:serviceaccount:ns-a:app-sa',
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:aud': 'sts.amazonaws.com',
    };
    const action = 'sts:AssumeRoleWithWebIdentity';
    expect(assume(federated, oidcTrust, { action, context: claims })).toBe('Allow');
    expect(
      assume(federated, oidcTrust, {
        action,
        context: {
          ...claims,
          'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub': 'system:serviceaccount:ns-b:app-sa',
        },
      }),
    ).toBe('ImplicitDeny');
    expect(
      assume({ type: 'Federated', id: `${provider}-other` }, oidcTrust, { action, context: claims }),
    ).toBe('ImplicitDeny');
  });
});
