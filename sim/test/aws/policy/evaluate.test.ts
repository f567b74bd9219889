// Evaluation logic within one account, case by case from AWS's documentation.
// [LOGIC] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// [DENYALLOW] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// [NOTACTION] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// [NOTRESOURCE] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
// [PRINCIPAL] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// [NOTPRINCIPAL] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html

import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../../aws/policy/index.ts';
import type { Decision } from '../../../aws/policy/types.ts';
import { ACCOUNT, decide, policy, roleArn, root, type Scenario, session, user } from './fixtures.ts';

const BUCKET = 'arn:aws:s3:::amzn-s3-demo-bucket';
const allowS3All = policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' });

const cases: Array<{ name: string; scenario: Scenario; expected: Decision }> = [
  // [DENYALLOW] "By default, all requests are implicitly denied".
  { name: 'no policies: implicit deny', scenario: {}, expected: 'ImplicitDeny' },
  {
    name: 'an identity Allow for another action: implicit deny',
    scenario: { identity: [policy({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' })] },
    expected: 'ImplicitDeny',
  },
  // [DENYALLOW] "An explicit allow in an identity-based or resource-based policy overrides this default."
  { name: 'an identity Allow allows', scenario: { identity: [allowS3All] }, expected: 'Allow' },
  // [DENYALLOW] "An explicit deny in any policy overrides any allows."
  {
    name: 'explicit deny beats allow in the same policy',
    scenario: {
      identity: [
        policy(
          { Effect: 'Allow', Action: 's3:*', Resource: '*' },
          { Effect: 'Deny', Action: 's3:GetObject', Resource: `${BUCKET}/*` },
        ),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  {
    name: 'explicit deny in another identity policy beats allow',
    scenario: {
      identity: [allowS3All, policy({ Effect: 'Deny', Action: '*', Resource: '*' })],
    },
    expected: 'ExplicitDeny',
  },
  {
    name: 'explicit deny in a resource policy beats an identity allow',
    scenario: {
      identity: [allowS3All],
      resourcePolicies: [policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*` })],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  {
    name: 'explicit deny in a session policy beats an identity allow',
    scenario: {
      principal: session('app', 's1'),
      identity: [allowS3All],
      sessionPolicies: [policy({ Effect: 'Deny', Action: 's3:GetObject', Resource: '*' })],
    },
    expected: 'ExplicitDeny',
  },
  // [NOTACTION] "Allow all actions except IAM": NotAction with Allow allows everything not listed.
  {
    name: 'NotAction allow-all-except allows an unlisted action',
    scenario: {
      identity: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
      action: 's3:GetObject',
    },
    expected: 'Allow',
  },
  {
    name: 'NotAction allow-all-except does not allow a listed action',
    scenario: {
      identity: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
      action: 'iam:CreateUser',
      resource: `arn:aws:iam::${ACCOUNT}:user/bob`,
    },
    expected: 'ImplicitDeny',
  },
  // [NOTRESOURCE] Allow with NotResource: everything except the listed resources.
  {
    name: 'NotResource allow-all-except allows an unlisted resource',
    scenario: {
      identity: [policy({ Effect: 'Allow', Action: 's3:*', NotResource: `${BUCKET}/secret/*` })],
      resource: `${BUCKET}/public/key`,
    },
    expected: 'Allow',
  },
  {
    name: 'NotResource allow-all-except does not allow a listed resource',
    scenario: {
      identity: [policy({ Effect: 'Allow', Action: 's3:*', NotResource: `${BUCKET}/secret/*` })],
      resource: `${BUCKET}/secret/key`,
    },
    expected: 'ImplicitDeny',
  },
  // [NOTRESOURCE] "Deny with NotResource": deny everything except the listed resources.
  {
    name: 'Deny with NotResource denies resources outside the list',
    scenario: {
      identity: [
        allowS3All,
        policy({ Effect: 'Deny', Action: 's3:*', NotResource: [BUCKET, `${BUCKET}/*`] }),
      ],
      resource: 'arn:aws:s3:::other-bucket/key',
    },
    expected: 'ExplicitDeny',
  },
  {
    name: 'Deny with NotResource leaves the listed resources to the Allow',
    scenario: {
      identity: [
        allowS3All,
        policy({ Effect: 'Deny', Action: 's3:*', NotResource: [BUCKET, `${BUCKET}/*`] }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  // [DENYALLOW] IAM user named in a resource-based policy: not limited by an implicit deny in identity policies.
  {
    name: 'a bucket policy naming the user allows without identity policies',
    scenario: {
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
          Action: 's3:GetObject',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  {
    name: 'a bucket policy naming another user does not apply',
    scenario: {
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` },
          Action: 's3:GetObject',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ImplicitDeny',
  },
  // [PRINCIPAL] An account principal delegates to the account: identity policies must allow.
  {
    name: 'a bucket policy naming only the account needs an identity allow',
    scenario: {
      resourcePolicies: [
        policy({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 's3:*', Resource: `${BUCKET}/*` }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ImplicitDeny',
  },
  {
    name: 'a bucket policy naming the account, with an identity allow',
    scenario: {
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  // [DENYALLOW] Role ARN in a resource policy: limited by an implicit deny in a session policy.
  {
    name: 'a bucket policy naming the role allows its session',
    scenario: {
      principal: session('app', 's1'),
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: roleArn('app') },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  {
    name: 'a bucket policy naming the role is limited by a session policy',
    scenario: {
      principal: session('app', 's1'),
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: roleArn('app') },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      sessionPolicies: [policy({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' })],
      resource: `${BUCKET}/key`,
    },
    expected: 'ImplicitDeny',
  },
  // [DENYALLOW] Session ARN in a resource policy: "not limited by an implicit deny in ... session policy".
  {
    name: 'a bucket policy naming the session is not limited by a session policy',
    scenario: {
      principal: session('app', 's1'),
      resourcePolicies: [
        policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s1` },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      sessionPolicies: [policy({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' })],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  // [LOGIC] Session policies: "the resulting session's permissions are the intersection of the IAM entity's
  // identity-based policy and the session policies".
  {
    name: 'session policy intersection: allowed by both',
    scenario: {
      principal: session('app', 's1'),
      identity: [allowS3All],
      sessionPolicies: [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    },
    expected: 'Allow',
  },
  {
    name: 'session policy intersection: allowed by identity only',
    scenario: {
      principal: session('app', 's1'),
      identity: [allowS3All],
      sessionPolicies: [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
      action: 's3:PutObject',
    },
    expected: 'ImplicitDeny',
  },
  {
    name: 'session policy intersection: allowed by the session policy only',
    scenario: {
      principal: session('app', 's1'),
      identity: [policy({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' })],
      sessionPolicies: [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    },
    expected: 'ImplicitDeny',
  },
  // [DENYALLOW] "... with the exception of the AWS account root user, which has full access."
  { name: 'the root user has full access', scenario: { principal: root() }, expected: 'Allow' },
  {
    name: 'the root user is still explicitly denied',
    scenario: {
      principal: root(),
      resourcePolicies: [policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*` })],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  // [NOTPRINCIPAL] Deny with NotPrincipal: everyone except the listed principals.
  {
    name: 'Deny with NotPrincipal denies principals not listed',
    scenario: {
      principal: user('mallory'),
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Deny',
          NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:root`] },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  {
    name: 'Deny with NotPrincipal exempts a user listed with its account',
    scenario: {
      principal: user('alice'),
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Deny',
          NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:root`] },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  // [NOTPRINCIPAL] "If the NotPrincipal element contained only Bob's ARN, the effect of the policy might be
  // to explicitly deny access to the AWS account that contains the user Bob."
  {
    name: 'Deny with NotPrincipal listing the user but not its account still denies',
    scenario: {
      principal: user('alice'),
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Deny',
          NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`] },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  // [NOTPRINCIPAL] "Example IAM role": session, role and account listed.
  {
    name: 'Deny with NotPrincipal exempts a session listed with its role and account',
    scenario: {
      principal: session('cross-account-read-only-role', 'cross-account-audit-app'),
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Deny',
          NotPrincipal: {
            AWS: [
              `arn:aws:sts::${ACCOUNT}:assumed-role/cross-account-read-only-role/cross-account-audit-app`,
              roleArn('cross-account-read-only-role'),
              `arn:aws:iam::${ACCOUNT}:root`,
            ],
          },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'Allow',
  },
  {
    name: 'Deny with NotPrincipal missing the role ARN denies the session',
    scenario: {
      principal: session('cross-account-read-only-role', 'cross-account-audit-app'),
      identity: [allowS3All],
      resourcePolicies: [
        policy({
          Effect: 'Deny',
          NotPrincipal: {
            AWS: [
              `arn:aws:sts::${ACCOUNT}:assumed-role/cross-account-read-only-role/cross-account-audit-app`,
              `arn:aws:iam::${ACCOUNT}:root`,
            ],
          },
          Action: 's3:*',
          Resource: `${BUCKET}/*`,
        }),
      ],
      resource: `${BUCKET}/key`,
    },
    expected: 'ExplicitDeny',
  },
  // [LOGIC] Action names are case-insensitive; resource ARNs are case-sensitive.
  {
    name: 'action matching ignores case',
    scenario: { identity: [policy({ Effect: 'Allow', Action: 'S3:getobject', Resource: '*' })] },
    expected: 'Allow',
  },
  {
    name: 'resource matching is case-sensitive',
    scenario: {
      identity: [policy({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::Bucket/*' })],
      resource: 'arn:aws:s3:::bucket/key',
    },
    expected: 'ImplicitDeny',
  },
  // [PRINCIPAL] Service principals have no identity policies: an identity Allow grants them nothing.
  {
    name: 'identity policies are ignored for a service principal',
    scenario: { principal: { type: 'Service', id: 's3.amazonaws.com' }, identity: [allowS3All] },
    expected: 'ImplicitDeny',
  },
  // A statement without a Principal in a resource policy is malformed and never applies.
  {
    name: 'a resource-policy statement without Principal does not apply',
    scenario: {
      resourcePolicies: [policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' })],
    },
    expected: 'ImplicitDeny',
  },
  // An identity statement without Resource is malformed ("Policy statement must contain resources.").
  {
    name: 'an identity statement without Resource does not apply',
    scenario: { identity: [policy({ Effect: 'Allow', Action: 's3:*' })] },
    expected: 'ImplicitDeny',
  },
];

describe('evaluatePolicies: single-account evaluation logic', () => {
  it.each(cases)('$name → $expected', ({ scenario, expected }) => {
    expect(decide(scenario)).toBe(expected);
  });

  it('reports the statements that matched, with their source and Sid', () => {
    const result = evaluatePolicies({
      request: {
        principal: session('app', 's1'),
        action: 's3:GetObject',
        resource: `${BUCKET}/key`,
        context: {},
      },
      identityPolicies: [
        policy(
          { Sid: 'ReadAll', Effect: 'Allow', Action: 's3:Get*', Resource: '*' },
          { Sid: 'NotThis', Effect: 'Allow', Action: 'iam:*', Resource: '*' },
        ),
      ],
      resourcePolicies: [
        policy({
          Sid: 'Guard',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `${BUCKET}/key`,
        }),
      ],
      sessionPolicies: [policy({ Sid: 'Narrow', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    });
    expect(result.decision).toBe('ExplicitDeny');
    expect(result.matched).toEqual([
      { source: 'identity', sid: 'ReadAll', effect: 'Allow' },
      { source: 'resource', sid: 'Guard', effect: 'Deny' },
      { source: 'session', sid: 'Narrow', effect: 'Allow' },
    ]);
  });

  it('evaluates the same document objects repeatedly with the same result (compiled once)', () => {
    const identity = [
      policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/\${aws:username}/*` }),
    ];
    for (let i = 0; i < 3; i++) {
      expect(decide({ identity, resource: `${BUCKET}/alice/k` })).toBe('Allow');
      expect(decide({ identity, resource: `${BUCKET}/bob/k` })).toBe('ImplicitDeny');
      expect(decide({ identity, principal: user('bob'), resource: `${BUCKET}/bob/k` })).toBe('Allow');
    }
  });
});
