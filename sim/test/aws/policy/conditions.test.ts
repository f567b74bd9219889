// Condition operators, qualifiers and missing-key rules, case by case from AWS's documentation.
// [OPS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// [MULTI] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
// [SETS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// [SETEX] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
// [COND] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
// [KEYS] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

import { describe, expect, it } from 'vitest';
import type { ContextValue, PolicyStatement } from '../../../aws/policy/types.ts';
import { conditionHolds } from './fixtures.ts';

type Condition = NonNullable<PolicyStatement['Condition']>;

interface Case {
  name: string;
  condition: Condition;
  context: Record<string, ContextValue>;
  holds: boolean;
}

function table(cases: Case[]) {
  it.each(cases)('$name → $holds', ({ condition, context, holds }) => {
    expect(conditionHolds(condition, context)).toBe(holds);
  });
}

describe('string operators [OPS]', () => {
  table([
    // [OPS] StringEquals example: aws:PrincipalTag/job-category = iamuser-admin.
    {
      name: 'StringEquals matches the exact value',
      condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
      context: { 'aws:PrincipalTag/job-category': 'iamuser-admin' },
      holds: true,
    },
    {
      name: 'StringEquals is case-sensitive',
      condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
      context: { 'aws:PrincipalTag/job-category': 'IAMUser-Admin' },
      holds: false,
    },
    // [OPS] "If a user without the tag attempts ..., the condition returns false".
    {
      name: 'StringEquals on a missing key is false',
      condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
      context: {},
      holds: false,
    },
    {
      name: 'StringEquals takes * literally',
      condition: { StringEquals: { 's3:prefix': 'home/*' } },
      context: { 's3:prefix': 'home/alice' },
      holds: false,
    },
    {
      name: 'StringNotEquals holds for another value',
      condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'red' } },
      context: { 'aws:PrincipalTag/team': 'blue' },
      holds: true,
    },
    {
      name: 'StringNotEquals fails for the value',
      condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'red' } },
      context: { 'aws:PrincipalTag/team': 'red' },
      holds: false,
    },
    // [OPS] "If the policy condition requires that the key is not matched ... and the right key is not present,
    // the condition is true."
    {
      name: 'StringNotEquals on a missing key is true',
      condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'red' } },
      context: {},
      holds: true,
    },
    {
      name: 'StringEqualsIgnoreCase ignores case',
      condition: { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Red' } },
      context: { 'aws:PrincipalTag/team': 'rED' },
      holds: true,
    },
    {
      name: 'StringEqualsIgnoreCase still needs the same letters',
      condition: { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Red' } },
      context: { 'aws:PrincipalTag/team': 'reds' },
      holds: false,
    },
    {
      name: 'StringNotEqualsIgnoreCase fails for the value in another case',
      condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Red' } },
      context: { 'aws:PrincipalTag/team': 'RED' },
      holds: false,
    },
    {
      name: 'StringNotEqualsIgnoreCase holds for another value',
      condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Red' } },
      context: { 'aws:PrincipalTag/team': 'blue' },
      holds: true,
    },
    // [OPS] StringLike example: s3:prefix "", "home/", "home/${aws:username}/".
    {
      name: 'StringLike matches with *',
      condition: { StringLike: { 's3:prefix': 'home/*' } },
      context: { 's3:prefix': 'home/alice/docs' },
      holds: true,
    },
    {
      name: 'StringLike matches with ?',
      condition: { StringLike: { 'ec2:InstanceType': 't?.micro' } },
      context: { 'ec2:InstanceType': 't3.micro' },
      holds: true,
    },
    {
      name: 'StringLike needs a wildcard for a partial match',
      condition: { StringLike: { 's3:prefix': 'home/' } },
      context: { 's3:prefix': 'home/alice' },
      holds: false,
    },
    {
      name: 'StringLike matches the empty string value',
      condition: { StringLike: { 's3:prefix': ['', 'home/'] } },
      context: { 's3:prefix': '' },
      holds: true,
    },
    {
      name: 'StringLike is case-sensitive',
      condition: { StringLike: { 's3:prefix': 'Home/*' } },
      context: { 's3:prefix': 'home/alice' },
      holds: false,
    },
    {
      name: 'StringNotLike holds when no pattern matches',
      condition: { StringNotLike: { 's3:prefix': ['secret/*', 'private/*'] } },
      context: { 's3:prefix': 'public/x' },
      holds: true,
    },
    {
      name: 'StringNotLike fails when a pattern matches',
      condition: { StringNotLike: { 's3:prefix': ['secret/*', 'private/*'] } },
      context: { 's3:prefix': 'private/x' },
      holds: false,
    },
  ]);
});

describe('numeric operators [OPS]', () => {
  table([
    // [OPS] NumericLessThanEquals example: s3:max-keys <= 10.
    {
      name: 'NumericLessThanEquals holds at the bound',
      condition: { NumericLessThanEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': '10' },
      holds: true,
    },
    {
      name: 'NumericLessThanEquals fails above the bound',
      condition: { NumericLessThanEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': '11' },
      holds: false,
    },
    {
      name: 'NumericEquals compares numbers, not text',
      condition: { NumericEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': '10.0' },
      holds: true,
    },
    {
      name: 'NumericEquals fails for another number',
      condition: { NumericEquals: { 's3:max-keys': 10 } },
      context: { 's3:max-keys': 9 },
      holds: false,
    },
    {
      name: 'NumericNotEquals holds for another number',
      condition: { NumericNotEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': 5 },
      holds: true,
    },
    {
      name: 'NumericNotEquals fails for the number',
      condition: { NumericNotEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': '1e1' },
      holds: false,
    },
    {
      name: 'NumericLessThan holds below',
      condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
      context: { 'aws:MultiFactorAuthAge': '3599.5' },
      holds: true,
    },
    {
      name: 'NumericLessThan fails at the bound',
      condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
      context: { 'aws:MultiFactorAuthAge': '3600' },
      holds: false,
    },
    {
      name: 'NumericGreaterThan holds above',
      condition: { NumericGreaterThan: { 's3:max-keys': '-1' } },
      context: { 's3:max-keys': '0' },
      holds: true,
    },
    {
      name: 'NumericGreaterThan fails at the bound',
      condition: { NumericGreaterThan: { 's3:max-keys': '0' } },
      context: { 's3:max-keys': '0' },
      holds: false,
    },
    {
      name: 'NumericGreaterThanEquals holds at the bound',
      condition: { NumericGreaterThanEquals: { 's3:max-keys': '100' } },
      context: { 's3:max-keys': 100 },
      holds: true,
    },
    {
      name: 'NumericGreaterThanEquals fails below',
      condition: { NumericGreaterThanEquals: { 's3:max-keys': '100' } },
      context: { 's3:max-keys': 99 },
      holds: false,
    },
    // Values that are not numbers match neither the operator nor its negation, and never throw.
    {
      name: 'a request value that is not a number does not match',
      condition: { NumericLessThan: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': 'ten' },
      holds: false,
    },
    {
      name: 'a request value that is not a number does not satisfy the negated operator either',
      condition: { NumericNotEquals: { 's3:max-keys': '10' } },
      context: { 's3:max-keys': 'lots' },
      holds: false,
    },
    {
      name: 'a policy value that is not a number never matches',
      condition: { NumericEquals: { 's3:max-keys': 'ten' } },
      context: { 's3:max-keys': '10' },
      holds: false,
    },
    {
      name: 'hex and empty strings are not numbers',
      condition: { NumericEquals: { 's3:max-keys': ['0x10', ''] } },
      context: { 's3:max-keys': '16' },
      holds: false,
    },
  ]);
});

describe('date operators [OPS]', () => {
  table([
    // [OPS] DateGreaterThan example with aws:TokenIssueTime 2020-01-01T00:00:01Z.
    {
      name: 'DateGreaterThan holds after the date',
      condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
      context: { 'aws:TokenIssueTime': '2020-06-01T12:00:00Z' },
      holds: true,
    },
    // [OPS] "The aws:TokenIssueTime key is present ... only when the principal uses temporary credentials".
    {
      name: 'DateGreaterThan on a missing key is false',
      condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
      context: {},
      holds: false,
    },
    {
      name: 'DateLessThan with aws:CurrentTime before the deadline',
      condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2026-11-20T10:00:00Z' },
      holds: true,
    },
    {
      name: 'DateLessThan with aws:CurrentTime after the deadline',
      condition: { DateLessThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2026-11-20T10:00:00Z' },
      holds: false,
    },
    {
      name: 'DateLessThanEquals holds at the same instant in another zone',
      condition: { DateLessThanEquals: { 'aws:CurrentTime': '2026-01-01T01:00:00+01:00' } },
      context: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      holds: true,
    },
    {
      name: 'DateEquals accepts epoch seconds against ISO 8601',
      condition: { DateEquals: { 'aws:EpochTime': '1767225600' } },
      context: { 'aws:EpochTime': '2026-01-01T00:00:00Z' },
      holds: true,
    },
    {
      name: 'DateEquals with a date-only value',
      condition: { DateEquals: { 'aws:CurrentTime': '2026-01-01' } },
      context: { 'aws:CurrentTime': 1767225600 },
      holds: true,
    },
    {
      name: 'DateNotEquals holds for another instant',
      condition: { DateNotEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2026-01-01T00:00:01Z' },
      holds: true,
    },
    {
      name: 'DateNotEquals fails for the same instant',
      condition: { DateNotEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2026-01-01T00:00:00.000Z' },
      holds: false,
    },
    {
      name: 'DateGreaterThanEquals holds at the instant',
      condition: { DateGreaterThanEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      holds: true,
    },
    {
      name: 'DateGreaterThanEquals fails before the instant',
      condition: { DateGreaterThanEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': '2025-12-31T23:59:59Z' },
      holds: false,
    },
    {
      name: 'a request value that is not a date does not match',
      condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
      context: { 'aws:CurrentTime': 'yesterday' },
      holds: false,
    },
  ]);
});

describe('Bool, BinaryEquals, IP address and ARN operators [OPS]', () => {
  table([
    // [OPS] Bool example: Deny when aws:SecureTransport is false (here as an Allow guard).
    {
      name: 'Bool aws:SecureTransport true matches an HTTPS request',
      condition: { Bool: { 'aws:SecureTransport': 'true' } },
      context: { 'aws:SecureTransport': true },
      holds: true,
    },
    {
      name: 'Bool aws:SecureTransport true does not match plain HTTP',
      condition: { Bool: { 'aws:SecureTransport': 'true' } },
      context: { 'aws:SecureTransport': false },
      holds: false,
    },
    {
      name: 'Bool accepts string request values and JSON booleans in the policy',
      condition: { Bool: { 'aws:SecureTransport': false } },
      context: { 'aws:SecureTransport': 'FALSE' },
      holds: true,
    },
    {
      name: 'Bool does not match a value that is not a boolean',
      condition: { Bool: { 'aws:SecureTransport': 'true' } },
      context: { 'aws:SecureTransport': 'yes' },
      holds: false,
    },
    // [OPS] BinaryEquals: byte-for-byte against the base64 value.
    {
      name: 'BinaryEquals matches the same bytes',
      condition: { BinaryEquals: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
      context: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' },
      holds: true,
    },
    {
      name: 'BinaryEquals does not match other bytes',
      condition: { BinaryEquals: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
      context: { 'custom:blob': 'T3RoZXJWYWx1ZQ==' },
      holds: false,
    },
    {
      name: 'BinaryEquals does not match text that is not base64',
      condition: { BinaryEquals: { 'custom:blob': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
      context: { 'custom:blob': 'not base64!' },
      holds: false,
    },
    // [OPS] IpAddress example: 203.0.113.0/24.
    {
      name: 'IpAddress matches an address inside the range',
      condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      context: { 'aws:SourceIp': '203.0.113.77' },
      holds: true,
    },
    {
      name: 'IpAddress does not match an address outside the range',
      condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      context: { 'aws:SourceIp': '203.0.114.1' },
      holds: false,
    },
    {
      name: 'IpAddress without a prefix means /32',
      condition: { IpAddress: { 'aws:SourceIp': '192.0.2.10' } },
      context: { 'aws:SourceIp': '192.0.2.11' },
      holds: false,
    },
    // [OPS] Mixed IPv4 and IPv6 example: 2001:DB8:1234:5678::/64.
    {
      name: 'IpAddress matches IPv6 in a mixed list',
      condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
      context: { 'aws:SourceIp': '2001:db8:1234:5678:abcd::1' },
      holds: true,
    },
    {
      name: 'IpAddress does not match IPv6 outside the prefix',
      condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
      context: { 'aws:SourceIp': '2001:db8:1234:5679::1' },
      holds: false,
    },
    {
      name: 'NotIpAddress holds outside the range',
      condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      context: { 'aws:SourceIp': '127.0.0.1' },
      holds: true,
    },
    {
      name: 'NotIpAddress fails inside the range',
      condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      context: { 'aws:SourceIp': '10.1.2.3' },
      holds: false,
    },
    {
      name: 'an unparseable source address matches neither IpAddress nor NotIpAddress',
      condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      context: { 'aws:SourceIp': '999.1.1.1' },
      holds: false,
    },
    // [OPS] ArnEquals example: aws:SourceArn of an SNS topic.
    {
      name: 'ArnEquals matches the same ARN',
      condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' } },
      context: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' },
      holds: true,
    },
    {
      name: 'ArnEquals does not match another topic',
      condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' } },
      context: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:OTHER' },
      holds: false,
    },
    {
      name: 'ArnLike matches component by component',
      condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/pod-*' } },
      context: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/pod-reader' },
      holds: true,
    },
    // [OPS] "With an ArnLike condition, which matches elements between colons, the match fails."
    {
      name: 'ArnLike does not let * cross a component (documented example)',
      condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } },
      context: {
        'aws:SourceArn':
          'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      },
      holds: false,
    },
    {
      name: 'StringLike on the same documented example matches',
      condition: { StringLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } },
      context: {
        'aws:SourceArn':
          'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      },
      holds: true,
    },
    {
      name: 'ArnNotLike holds for a non-matching ARN',
      condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/admin-*' } },
      context: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/pod-reader' },
      holds: true,
    },
    {
      name: 'ArnNotEquals fails for the same ARN',
      condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/pod-reader' } },
      context: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/pod-reader' },
      holds: false,
    },
    {
      name: 'ArnLike does not match a value that is not an ARN',
      condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } },
      context: { 'aws:SourceArn': 'not-an-arn' },
      holds: false,
    },
  ]);
});

describe('...IfExists [OPS]', () => {
  table([
    // [OPS] StringLikeIfExists example: ec2:InstanceType t1.*, t2.*, m3.*.
    {
      name: 'IfExists with the key absent holds',
      condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
      context: {},
      holds: true,
    },
    {
      name: 'IfExists with a matching value holds',
      condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
      context: { 'ec2:InstanceType': 't2.micro' },
      holds: true,
    },
    {
      name: 'IfExists with a non-matching value fails',
      condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
      context: { 'ec2:InstanceType': 'p4d.24xlarge' },
      holds: false,
    },
    {
      name: 'NumericLessThanIfExists with the key absent holds',
      condition: { NumericLessThanIfExists: { 's3:max-keys': '10' } },
      context: {},
      holds: true,
    },
    {
      name: 'negated IfExists with the key absent holds',
      condition: { StringNotEqualsIfExists: { 'aws:PrincipalTag/team': 'red' } },
      context: {},
      holds: true,
    },
    {
      name: 'negated IfExists with the excluded value fails',
      condition: { StringNotEqualsIfExists: { 'aws:PrincipalTag/team': 'red' } },
      context: { 'aws:PrincipalTag/team': 'red' },
      holds: false,
    },
  ]);
});

describe('Null [OPS]', () => {
  table([
    // [OPS] Null example: aws:TokenIssueTime must not exist (long-term credentials only).
    {
      name: 'Null true holds when the key is absent',
      condition: { Null: { 'aws:TokenIssueTime': 'true' } },
      context: {},
      holds: true,
    },
    {
      name: 'Null true fails when the key is present',
      condition: { Null: { 'aws:TokenIssueTime': 'true' } },
      context: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' },
      holds: false,
    },
    {
      name: 'Null false holds when the key is present',
      condition: { Null: { 'aws:TokenIssueTime': false } },
      context: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' },
      holds: true,
    },
    {
      name: 'Null false fails when the key is absent',
      condition: { Null: { 'aws:TokenIssueTime': 'false' } },
      context: {},
      holds: false,
    },
    // [SETEX] Null false guards against "context keys with empty values".
    {
      name: 'an empty multivalued key counts as absent for Null',
      condition: { Null: { 'aws:TagKeys': 'false' } },
      context: { 'aws:TagKeys': [] },
      holds: false,
    },
  ]);
});

describe('set qualifiers on multivalued keys [SETS] [SETEX]', () => {
  table([
    {
      name: 'ForAllValues holds when every request value is listed',
      condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } },
      context: { 'aws:TagKeys': ['environment'] },
      holds: true,
    },
    {
      name: 'ForAllValues fails when one request value is not listed',
      condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } },
      context: { 'aws:TagKeys': ['environment', 'owner'] },
      holds: false,
    },
    // [SETEX] "The ForAllValues set operator also returns true if there are no context keys in the request."
    {
      name: 'ForAllValues with the key missing holds',
      condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment'] } },
      context: {},
      holds: true,
    },
    {
      name: 'ForAllValues with an empty list holds',
      condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment'] } },
      context: { 'aws:TagKeys': [] },
      holds: true,
    },
    {
      name: 'ForAnyValue holds when one request value is listed',
      condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } },
      context: { 'aws:TagKeys': ['owner', 'environment'] },
      holds: true,
    },
    {
      name: 'ForAnyValue fails when no request value is listed',
      condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } },
      context: { 'aws:TagKeys': ['owner'] },
      holds: false,
    },
    // [SETS] ForAnyValue on a missing key: false.
    {
      name: 'ForAnyValue with the key missing fails',
      condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } },
      context: {},
      holds: false,
    },
    // [SETEX] ForAllValues:StringNotLike { aws:TagKeys: key1* } table.
    {
      name: 'ForAllValues:StringNotLike: key1:legal does not match',
      condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } },
      context: { 'aws:TagKeys': ['key1:legal'] },
      holds: false,
    },
    {
      name: 'ForAllValues:StringNotLike: key1:hr, key1:personnel do not match',
      condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } },
      context: { 'aws:TagKeys': ['key1:hr', 'key1:personnel'] },
      holds: false,
    },
    {
      name: 'ForAllValues:StringNotLike: key2:audit matches',
      condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } },
      context: { 'aws:TagKeys': ['key2:audit'] },
      holds: true,
    },
    {
      name: 'ForAllValues:StringNotLike: no aws:TagKeys matches',
      condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } },
      context: {},
      holds: true,
    },
    {
      name: 'ForAnyValue:StringNotEquals holds when some request value is unlisted',
      condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment'] } },
      context: { 'aws:TagKeys': ['environment', 'owner'] },
      holds: true,
    },
    {
      name: 'ForAnyValue:StringNotEquals fails when every request value is listed',
      condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment'] } },
      context: { 'aws:TagKeys': ['environment'] },
      holds: false,
    },
    {
      name: 'ForAnyValue:StringNotEquals with the key missing fails',
      condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment'] } },
      context: {},
      holds: false,
    },
    {
      name: 'ForAllValues:StringLike with wildcards',
      condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['kubernetes-*', 'eks-*'] } },
      context: { 'aws:TagKeys': ['kubernetes-namespace', 'eks-cluster-arn'] },
      holds: true,
    },
    {
      name: 'ForAnyValueIfExists with the key missing holds',
      condition: { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['environment'] } },
      context: {},
      holds: true,
    },
    // aws:PrincipalServiceNamesList is multivalued ([SETS]).
    {
      name: 'ForAnyValue on aws:PrincipalServiceNamesList',
      condition: {
        'ForAnyValue:StringEquals': { 'aws:PrincipalServiceNamesList': 'pods.eks.amazonaws.com' },
      },
      context: { 'aws:PrincipalServiceNamesList': ['pods.eks.amazonaws.com', 'eks.amazonaws.com'] },
      holds: true,
    },
    // Without a set qualifier a multivalued key is matched as ForAnyValue (and its negation as "none matches").
    {
      name: 'StringEquals without a qualifier on a multivalued key: any value',
      condition: { StringEquals: { 'aws:TagKeys': 'owner' } },
      context: { 'aws:TagKeys': ['environment', 'owner'] },
      holds: true,
    },
    {
      name: 'StringNotEquals without a qualifier on a multivalued key: no value may match',
      condition: { StringNotEquals: { 'aws:TagKeys': 'owner' } },
      context: { 'aws:TagKeys': ['environment', 'owner'] },
      holds: false,
    },
    {
      name: 'a qualifier on a single-valued key treats it as a one-element set',
      condition: { 'ForAllValues:StringEquals': { 'aws:PrincipalTag/team': ['red', 'blue'] } },
      context: { 'aws:PrincipalTag/team': 'red' },
      holds: true,
    },
  ]);
});

describe('combining operators, keys and values [MULTI] [COND]', () => {
  table([
    {
      name: 'multiple values for one key are ORed',
      condition: { StringEquals: { 'aws:PrincipalTag/department': ['finance', 'hr', 'legal'] } },
      context: { 'aws:PrincipalTag/department': 'hr' },
      holds: true,
    },
    // [MULTI] "If a single negated matching condition operator includes multiple values ... NOR."
    {
      name: 'multiple values under a negated operator are NORed',
      condition: { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } },
      context: { 'aws:PrincipalTag/role': 'security' },
      holds: false,
    },
    {
      name: 'NOR holds when the value is none of them',
      condition: { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } },
      context: { 'aws:PrincipalTag/role': 'developer' },
      holds: true,
    },
    {
      name: 'multiple keys under one operator are ANDed (both match)',
      condition: {
        StringEquals: { 'aws:PrincipalTag/department': 'finance', 'aws:PrincipalTag/role': 'audit' },
      },
      context: { 'aws:PrincipalTag/department': 'finance', 'aws:PrincipalTag/role': 'audit' },
      holds: true,
    },
    {
      name: 'multiple keys under one operator are ANDed (one fails)',
      condition: {
        StringEquals: { 'aws:PrincipalTag/department': 'finance', 'aws:PrincipalTag/role': 'audit' },
      },
      context: { 'aws:PrincipalTag/department': 'finance', 'aws:PrincipalTag/role': 'developer' },
      holds: false,
    },
    // [MULTI] S3 bucket policy example with StringEquals and ArnLike in one block.
    {
      name: 'multiple operators are ANDed (both hold)',
      condition: {
        StringEquals: { 'aws:PrincipalTag/department': 'finance' },
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::222222222222:user/Ana' },
      },
      context: {
        'aws:PrincipalTag/department': 'finance',
        'aws:PrincipalArn': 'arn:aws:iam::222222222222:user/Ana',
      },
      holds: true,
    },
    {
      name: 'multiple operators are ANDed (one fails)',
      condition: {
        StringEquals: { 'aws:PrincipalTag/department': 'finance' },
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::222222222222:user/Ana' },
      },
      context: {
        'aws:PrincipalTag/department': 'finance',
        'aws:PrincipalArn': 'arn:aws:iam::222222222222:user/Bob',
      },
      holds: false,
    },
    // [COND] "Context key names are not case-sensitive."
    {
      name: 'condition keys match case-insensitively',
      condition: { StringEquals: { 'AWS:SourceIP-style/KEY': 'v' } },
      context: { 'aws:sourceip-style/key': 'v' },
      holds: true,
    },
    {
      name: 'operator names match case-insensitively',
      condition: { stringequals: { 'aws:PrincipalTag/team': 'red' } },
      context: { 'aws:PrincipalTag/team': 'red' },
      holds: true,
    },
    {
      name: 'an empty Condition block holds',
      condition: {},
      context: {},
      holds: true,
    },
  ]);
});

describe('unknown operators', () => {
  it('a statement with an unknown operator never applies', () => {
    expect(
      conditionHolds(
        { StringSortOf: { 'aws:PrincipalTag/team': 'red' } },
        { 'aws:PrincipalTag/team': 'red' },
      ),
    ).toBe(false);
  });

  it('IfExists on Null is not an operator', () => {
    expect(conditionHolds({ NullIfExists: { 'aws:TokenIssueTime': 'true' } }, {})).toBe(false);
  });
});
