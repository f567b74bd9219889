// The exported matching helpers.
// [ACTION] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
// [RESOURCE] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// [OPS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

import { describe, expect, it } from 'vitest';
import {
  matchesAction,
  matchesArnLike,
  matchesResource,
  matchesStringLike,
} from '../../../aws/policy/index.ts';

describe('matchesAction [ACTION]', () => {
  it.each([
    ['*', 's3:GetObject', true],
    ['s3:*', 's3:GetObject', true],
    ['s3:*', 'sts:AssumeRole', false],
    ['s3:Get*', 's3:GetObjectTagging', true],
    ['s3:Get*', 's3:PutObject', false],
    // "Action names are not case sensitive": iam:ListAccessKeys is iam:listaccesskeys.
    ['iam:ListAccessKeys', 'IAM:listaccesskeys', true],
    ['IAM:list*', 'iam:ListAccessKeys', true],
    ['iam:*AccessKey*', 'iam:UpdateAccessKey', true],
    ['iam:*AccessKey*', 'iam:ListUsers', false],
    ['s3:?etObject', 's3:GetObject', true],
    ['s3:?etObject', 's3:GGetObject', false],
    ['s3:GetObject', 's3:GetObjectAcl', false],
    ['sts:AssumeRole*', 'sts:AssumeRoleWithWebIdentity', true],
    ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', false],
  ] as const)('%s vs %s → %s', (pattern, action, expected) => {
    expect(matchesAction(pattern, action)).toBe(expected);
  });
});

describe('matchesResource [RESOURCE]', () => {
  it.each([
    ['*', 'arn:aws:s3:::bucket/key', true],
    ['arn:aws:s3:::my_corporate_bucket/*', 'arn:aws:s3:::my_corporate_bucket/a/b/c', true],
    ['arn:aws:s3:::my_corporate_bucket/*', 'arn:aws:s3:::my_corporate_bucket', false],
    ['arn:aws:s3:::my_corporate_bucket*', 'arn:aws:s3:::my_corporate_bucket-logs/x', true],
    ['arn:aws:iam::123456789012:user/accounting/*', 'arn:aws:iam::123456789012:user/accounting/alice', true],
    ['arn:aws:iam::123456789012:user/accounting/*', 'arn:aws:iam::123456789012:user/sales/alice', false],
    // Case-sensitive ("In the Resource element, the IAM user name is case sensitive").
    ['arn:aws:iam::123456789012:user/Bob', 'arn:aws:iam::123456789012:user/bob', false],
    // Wildcards within segments.
    [
      'arn:aws:ec2:us-*-1:123456789012:instance/*',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc',
      true,
    ],
    [
      'arn:aws:ec2:us-*-1:123456789012:instance/*',
      'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc',
      false,
    ],
    ['arn:aws:iam::*:role/pod-role', 'arn:aws:iam::123456789012:role/pod-role', true],
    ['arn:aws:iam::12345678901?:role/x', 'arn:aws:iam::123456789012:role/x', true],
    // A * inside a leading segment (not its last character) stays inside the segment.
    ['arn:aws:iam::1*2:role/x', 'arn:aws:iam::1:2:role/x', false],
    ['arn:aws:iam::1*2:role/x', 'arn:aws:iam::1002:role/x', true],
    ['arn:aws:iam::12345678901?:role/x', 'arn:aws:iam::12345678901::role/x', false],
    // "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
    // colon boundaries."
    ['arn:aws:s3:*', 'arn:aws:s3:::bucket/key', true],
    ['arn:aws:*', 'arn:aws:iam::123456789012:role/x', true],
    // In the resource part, wildcards match colons.
    [
      'arn:aws:logs:us-east-1:123456789012:log-group:app:*',
      'arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:web-1',
      true,
    ],
    ['arn:aws:s3:::bucket/?', 'arn:aws:s3:::bucket/:', true],
  ] as const)('%s vs %s → %s', (pattern, arn, expected) => {
    expect(matchesResource(pattern, arn)).toBe(expected);
  });
});

describe('matchesStringLike and matchesArnLike [OPS]', () => {
  const documented = 'arn:aws:someservice:*:111122223333:finance/*';
  const request = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';

  it('StringLike lets * span colons; ArnLike does not (documented example)', () => {
    expect(matchesStringLike(documented, request)).toBe(true);
    expect(matchesArnLike(documented, request)).toBe(false);
    expect(
      matchesArnLike(documented, 'arn:aws:someservice:us-east-2:111122223333:finance/document.txt'),
    ).toBe(true);
  });

  it('ArnLike keeps colons inside the resource component', () => {
    expect(
      matchesArnLike(
        'arn:aws:logs:*:*:log-group:app:*',
        'arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x',
      ),
    ).toBe(true);
  });

  it('ArnLike with a lone * matches any value', () => {
    expect(matchesArnLike('*', 'arn:aws:s3:::bucket')).toBe(true);
  });

  it('ArnLike needs six components in the value', () => {
    expect(matchesArnLike('arn:aws:s3:::*', 'arn:aws:s3')).toBe(false);
  });

  it('StringLike is anchored and case-sensitive', () => {
    expect(matchesStringLike('home/*', 'home/alice')).toBe(true);
    expect(matchesStringLike('home/*', 'x/home/alice')).toBe(false);
    expect(matchesStringLike('Home/*', 'home/alice')).toBe(false);
    expect(matchesStringLike('a.b', 'axb')).toBe(false);
    expect(matchesStringLike('(a)+[b]', '(a)+[b]')).toBe(true);
  });

  it('helpers return false for non-string input instead of throwing', () => {
    expect(matchesAction(undefined as unknown as string, 's3:GetObject')).toBe(false);
    expect(matchesResource('*', null as unknown as string)).toBe(false);
    expect(matchesStringLike(42 as unknown as string, '42')).toBe(false);
    expect(matchesArnLike({} as unknown as string, 'arn:aws:s3:::b')).toBe(false);
  });
});
