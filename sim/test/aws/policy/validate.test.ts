// validatePolicyDocument and parsePolicyJson: what IAM accepts and the MalformedPolicyDocument messages.
// [GRAMMAR] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// [ELEMENTS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
// [VERSION] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
// [MANAGED] https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html and
//   .../AmazonS3FullAccess.html
// [PODID-ROLE] https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html

import { describe, expect, it } from 'vitest';
import {
  AWS_MANAGED_POLICIES,
  encodePolicyForResponse,
  evaluatePolicies,
  managedPolicyByArn,
  type PolicyKind,
  parseAndValidatePolicy,
  parsePolicyJson,
  validatePolicyDocument,
} from '../../../aws/policy/index.ts';
import { user } from './fixtures.ts';

const SYNTAX = 'Syntax errors in policy.';

const podIdentityTrust = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowEksAuthToAssumeRoleForPodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};

describe('AWS managed policies [MANAGED]', () => {
  it('exports AmazonS3FullAccess and AmazonS3ReadOnlyAccess with their ARNs', () => {
    expect(AWS_MANAGED_POLICIES.AmazonS3FullAccess!.arn).toBe('arn:aws:iam::aws:policy/AmazonS3FullAccess');
    expect(AWS_MANAGED_POLICIES.AmazonS3ReadOnlyAccess!.arn).toBe(
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    );
    expect(managedPolicyByArn('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')).toBe(
      AWS_MANAGED_POLICIES.AmazonS3ReadOnlyAccess,
    );
    expect(managedPolicyByArn('arn:aws:iam::aws:policy/Nope')).toBeUndefined();
  });

  it.each(Object.entries(AWS_MANAGED_POLICIES))('%s validates as an identity policy', (_name, managed) => {
    expect(validatePolicyDocument(managed.document, 'identity')).toEqual({
      ok: true,
      document: managed.document,
    });
  });

  it('AmazonS3ReadOnlyAccess allows reads and not writes; AmazonS3FullAccess allows both', () => {
    const decision = (name: string, action: string) =>
      evaluatePolicies({
        request: { principal: user('alice'), action, resource: 'arn:aws:s3:::bucket/key', context: {} },
        identityPolicies: [AWS_MANAGED_POLICIES[name]!.document],
      }).decision;
    expect(decision('AmazonS3ReadOnlyAccess', 's3:GetObject')).toBe('Allow');
    expect(decision('AmazonS3ReadOnlyAccess', 's3:ListBucket')).toBe('Allow');
    expect(decision('AmazonS3ReadOnlyAccess', 's3:PutObject')).toBe('ImplicitDeny');
    expect(decision('AmazonS3FullAccess', 's3:PutObject')).toBe('Allow');
    expect(decision('AmazonS3FullAccess', 'iam:CreateUser')).toBe('ImplicitDeny');
  });
});

const accepted: Array<{ name: string; kind: PolicyKind; document: unknown }> = [
  { name: 'the Pod Identity trust policy [PODID-ROLE]', kind: 'trust', document: podIdentityTrust },
  {
    name: 'a legacy 2008-10-17 EC2 trust policy',
    kind: 'trust',
    document: {
      Version: '2008-10-17',
      Statement: { Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: 'sts:AssumeRole' },
    },
  },
  {
    name: 'a trust policy with a namespace condition and an account principal',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['123456789012', 'arn:aws:iam::123456789012:role/ci'] },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'abc' } },
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'ns-a' } },
        },
      ],
    },
  },
  {
    name: 'an identity policy without Version, Statement as one object',
    kind: 'identity',
    document: { Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' } },
  },
  {
    name: 'an identity policy with every condition family, qualifiers and IfExists',
    kind: 'identity',
    document: {
      Version: '2012-10-17',
      Id: 'all-operators',
      Statement: [
        {
          Sid: 'Everything',
          Effect: 'Deny',
          NotAction: ['iam:*'],
          NotResource: 'arn:aws:s3:::keep/*',
          Condition: {
            StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'red' },
            'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] },
            'ForAllValues:StringNotEquals': { 'aws:TagKeys': 'b' },
            NumericLessThanEqualsIfExists: { 's3:max-keys': 10 },
            DateGreaterThan: { 'aws:CurrentTime': ['2020-01-01T00:00:00Z', '1577836800'] },
            Bool: { 'aws:SecureTransport': false },
            BinaryEquals: { 'custom:bin': 'QmluYXJ5' },
            NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] },
            ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/admin' },
            Null: { 'aws:TokenIssueTime': 'true' },
            UnknownButEmpty: {},
          },
        },
      ],
    },
  },
  {
    name: 'a bucket policy',
    kind: 'resource',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  },
  {
    name: 'a bucket policy whose Sid has spaces (resource policies allow it)',
    kind: 'resource',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Public read',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        },
      ],
    },
  },
  {
    name: 'a resource ARN that ends in a wildcard covering later segments',
    kind: 'identity',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:*' }],
    },
  },
];

describe('validatePolicyDocument accepts valid documents [GRAMMAR]', () => {
  it.each(accepted)('$name', ({ kind, document }) => {
    const result = validatePolicyDocument(document, kind);
    expect(result).toEqual({ ok: true, document });
  });
});

const statement = (extra: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...extra }],
});

const rejected: Array<{ name: string; kind: PolicyKind; document: unknown; message: string }> = [
  { name: 'null', kind: 'identity', document: null, message: SYNTAX },
  { name: 'a number', kind: 'identity', document: 42, message: SYNTAX },
  { name: 'a string', kind: 'identity', document: '{"Statement":[]}', message: SYNTAX },
  { name: 'an array', kind: 'identity', document: [statement({})], message: SYNTAX },
  { name: 'no Statement', kind: 'identity', document: { Version: '2012-10-17' }, message: SYNTAX },
  {
    name: 'an empty Statement list',
    kind: 'identity',
    document: { Version: '2012-10-17', Statement: [] },
    message: SYNTAX,
  },
  {
    name: 'an unknown top-level key',
    kind: 'identity',
    document: { ...statement({}), Statements: [] },
    message: SYNTAX,
  },
  {
    name: 'an unsupported Version',
    kind: 'identity',
    document: { ...statement({}), Version: '2012-10-18' },
    message: SYNTAX,
  },
  {
    name: 'a Version that is not a string',
    kind: 'identity',
    document: { ...statement({}), Version: 2012 },
    message: SYNTAX,
  },
  {
    name: 'an unknown statement key',
    kind: 'identity',
    document: statement({ Resources: '*' }),
    message: SYNTAX,
  },
  { name: 'an unknown Effect', kind: 'identity', document: statement({ Effect: 'Permit' }), message: SYNTAX },
  {
    name: 'an Effect in the wrong case',
    kind: 'identity',
    document: statement({ Effect: 'allow' }),
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'a missing Effect',
    kind: 'identity',
    document: { Statement: [{ Action: 's3:*', Resource: '*' }] },
    message: SYNTAX,
  },
  {
    name: 'both Action and NotAction',
    kind: 'identity',
    document: statement({ NotAction: 'iam:*' }),
    message: SYNTAX,
  },
  {
    name: 'both Resource and NotResource',
    kind: 'identity',
    document: statement({ NotResource: '*' }),
    message: SYNTAX,
  },
  {
    name: 'an Action that is not a string',
    kind: 'identity',
    document: statement({ Action: 42 }),
    message: SYNTAX,
  },
  {
    name: 'a list with a non-string Resource',
    kind: 'identity',
    document: statement({ Resource: ['*', 1] }),
    message: SYNTAX,
  },
  {
    name: 'an empty Action list',
    kind: 'identity',
    document: statement({ Action: [] }),
    message: 'Policy statement must contain actions.',
  },
  {
    name: 'no Action at all',
    kind: 'identity',
    document: { Statement: [{ Effect: 'Allow', Resource: '*' }] },
    message: 'Policy statement must contain actions.',
  },
  {
    name: 'a Principal in an identity policy',
    kind: 'identity',
    document: statement({ Principal: { AWS: '123456789012' } }),
    message: 'Policy document should not specify a principal.',
  },
  {
    name: 'a NotPrincipal in an identity policy',
    kind: 'identity',
    document: statement({ NotPrincipal: '*' }),
    message: 'Policy document should not specify a principal.',
  },
  {
    name: 'an identity statement without Resource',
    kind: 'identity',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*' }] },
    message: 'Policy statement must contain resources.',
  },
  {
    name: 'an unknown condition operator',
    kind: 'identity',
    document: statement({ Condition: { StringSortOf: { 'aws:PrincipalTag/a': 'b' } } }),
    message: SYNTAX,
  },
  {
    name: 'IfExists on Null',
    kind: 'identity',
    document: statement({ Condition: { NullIfExists: { 'aws:TokenIssueTime': 'true' } } }),
    message: SYNTAX,
  },
  {
    name: 'a condition value that is an object',
    kind: 'identity',
    document: statement({ Condition: { StringEquals: { 'aws:PrincipalTag/a': { nested: 'b' } } } }),
    message: SYNTAX,
  },
  {
    name: 'a condition block that is a list',
    kind: 'identity',
    document: statement({ Condition: [{ StringEquals: { a: 'b' } }] }),
    message: SYNTAX,
  },
  {
    name: 'a date condition value that is not a date',
    kind: 'identity',
    document: statement({ Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }),
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'duplicate Sids',
    kind: 'identity',
    document: {
      Statement: [
        { Sid: 'One', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Sid: 'One', Effect: 'Allow', Action: 's3:PutObject', Resource: '*' },
      ],
    },
    message: 'Statement IDs (SID) in a single policy must be unique.',
  },
  {
    name: 'an action without a vendor prefix',
    kind: 'identity',
    document: statement({ Action: 'GetObject' }),
    message: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  },
  {
    name: 'an action with two colons',
    kind: 'identity',
    document: statement({ Action: 's3:Get:Object' }),
    message: 'Actions/Condition can contain only one colon.',
  },
  {
    name: 'an invalid vendor',
    kind: 'identity',
    document: statement({ Action: 's3 !:GetObject' }),
    message: 'Vendor s3 ! is not valid',
  },
  {
    name: 'a condition key without a vendor prefix',
    kind: 'identity',
    document: statement({ Condition: { StringEquals: { team: 'red' } } }),
    message: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  },
  {
    name: 'a Sid that is not alphanumeric in an IAM policy',
    kind: 'identity',
    document: statement({ Sid: 'read objects' }),
    message:
      'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
  },
  {
    name: 'a resource that is not an ARN',
    kind: 'identity',
    document: statement({ Resource: 'bucket/key' }),
    message: 'Resource bucket/key must be in ARN format or "*".',
  },
  {
    name: 'a trust policy without Principal',
    kind: 'trust',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
    message: 'AssumeRolePolicy policy: Missing required field Principal.',
  },
  {
    name: 'a trust policy allowing a non-STS action',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 's3:GetObject' },
      ],
    },
    message:
      'AssumeRolePolicy policy: Trust policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity, sts:SetContext.',
  },
  {
    name: 'a trust policy allowing an STS action that is not about roles',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:GetCallerIdentity' }],
    },
    message:
      'AssumeRolePolicy policy: Trust policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity, sts:SetContext.',
  },
  {
    name: 'a trust policy with Resource',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:AssumeRole', Resource: '*' },
      ],
    },
    message: 'AssumeRolePolicy policy: Has prohibited field Resource.',
  },
  {
    name: 'a trust policy with a malformed AWS principal',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'alice' }, Action: 'sts:AssumeRole' }],
    },
    message: 'AssumeRolePolicy policy: Invalid principal in policy: "AWS":"alice"',
  },
  {
    name: 'a trust policy with an unknown principal type',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Robot: 'r2d2' }, Action: 'sts:AssumeRole' }],
    },
    message: 'AssumeRolePolicy policy: Invalid principal in policy: "Robot":"r2d2"',
  },
  {
    name: 'a Principal that is neither * nor an object',
    kind: 'trust',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: ['*'], Action: 'sts:AssumeRole' }],
    },
    message: SYNTAX,
  },
  {
    name: 'a resource policy without Principal',
    kind: 'resource',
    document: statement({}),
    message: 'Missing required field Principal.',
  },
  {
    name: 'an unknown policy kind',
    kind: 'bucket' as PolicyKind,
    document: statement({}),
    message: 'Unknown policy kind bucket: expected identity, trust or resource.',
  },
];

describe('validatePolicyDocument rejects malformed documents with IAM’s messages [GRAMMAR] [ELEMENTS]', () => {
  it.each(rejected)('$name → $message', ({ kind, document, message }) => {
    expect(validatePolicyDocument(document, kind)).toEqual({ ok: false, message });
  });
});

describe('parsePolicyJson', () => {
  const text = JSON.stringify(podIdentityTrust);

  it('parses plain JSON', () => {
    expect(parsePolicyJson(text)).toEqual({ ok: true, value: podIdentityTrust });
    expect(parsePolicyJson(`\n  ${text}\n`)).toEqual({ ok: true, value: podIdentityTrust });
  });

  it('parses URL-encoded JSON as IAM returns it', () => {
    const encoded = encodePolicyForResponse(text);
    expect(encoded.startsWith('%7B%22Version%22')).toBe(true);
    expect(parsePolicyJson(encoded)).toEqual({ ok: true, value: podIdentityTrust });
  });

  it('keeps percent signs inside plain JSON', () => {
    const withPercent = {
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/100%25/*' }],
    };
    expect(parsePolicyJson(JSON.stringify(withPercent))).toEqual({ ok: true, value: withPercent });
  });

  it('rejects text that is not JSON, bad percent-encoding and non-strings', () => {
    expect(parsePolicyJson('{"Version": ')).toEqual({ ok: false, message: SYNTAX });
    expect(parsePolicyJson('%7B%E0%A4%A')).toEqual({ ok: false, message: SYNTAX });
    expect(parsePolicyJson('')).toEqual({ ok: false, message: SYNTAX });
    expect(parsePolicyJson(undefined as unknown as string)).toEqual({ ok: false, message: SYNTAX });
  });

  it('parseAndValidatePolicy chains both', () => {
    expect(parseAndValidatePolicy(encodePolicyForResponse(text), 'trust')).toEqual({
      ok: true,
      document: podIdentityTrust,
    });
    expect(parseAndValidatePolicy(text, 'identity')).toEqual({
      ok: false,
      message: 'Policy document should not specify a principal.',
    });
    expect(parseAndValidatePolicy('not json', 'identity')).toEqual({ ok: false, message: SYNTAX });
  });
});
