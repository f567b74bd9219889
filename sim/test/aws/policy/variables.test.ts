// Policy variables in Resource and Condition values.
// [VARIABLES] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
// [VERSION] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are literal ${...} text in policies.

import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../aws/policy/types.ts';
import { ACCOUNT, conditionHolds, decide, policy, session, user } from './fixtures.ts';

// [VARIABLES] Introduction: a group policy giving each user their own prefix in a bucket.
const homeDirectories = policy(
  {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: ['arn:aws:s3:::mybucket'],
    Condition: { StringLike: { 's3:prefix': ['${aws:username}/*'] } },
  },
  {
    Effect: 'Allow',
    Action: ['s3:GetObject', 's3:PutObject'],
    Resource: ['arn:aws:s3:::mybucket/${aws:username}/*'],
  },
);

describe('variables in Resource [VARIABLES]', () => {
  it('${aws:username} resolves to the caller’s user name', () => {
    expect(
      decide({
        principal: user('David'),
        identity: [homeDirectories],
        resource: 'arn:aws:s3:::mybucket/David/a',
      }),
    ).toBe('Allow');
    expect(
      decide({
        principal: user('David'),
        identity: [homeDirectories],
        resource: 'arn:aws:s3:::mybucket/Adele/a',
      }),
    ).toBe('ImplicitDeny');
  });

  it('${aws:username} in a condition value', () => {
    const list = {
      principal: user('David'),
      identity: [homeDirectories],
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::mybucket',
    };
    expect(decide({ ...list, context: { 's3:prefix': 'David/photos' } })).toBe('Allow');
    expect(decide({ ...list, context: { 's3:prefix': 'Adele/photos' } })).toBe('ImplicitDeny');
  });

  it('a role session has no aws:username, so the Resource matches nothing', () => {
    expect(
      decide({
        principal: session('app', 'David'),
        identity: [homeDirectories],
        resource: 'arn:aws:s3:::mybucket/David/a',
      }),
    ).toBe('ImplicitDeny');
  });

  it('the context value wins over the one derived from the principal', () => {
    expect(
      decide({
        principal: session('app', 's'),
        identity: [homeDirectories],
        resource: 'arn:aws:s3:::mybucket/Zoe/a',
        context: { 'aws:username': 'Zoe' },
      }),
    ).toBe('Allow');
  });

  // [VARIABLES] "the following Resource element refers to only a bucket that is named the same as the value
  // in the requesting user's department tag."
  it('${aws:PrincipalTag/department} in Resource', () => {
    const byDepartment = policy({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::bucket/${aws:PrincipalTag/department}'],
    });
    const context = { 'aws:PrincipalTag/department': 'hr' };
    expect(decide({ identity: [byDepartment], resource: 'arn:aws:s3:::bucket/hr', context })).toBe('Allow');
    expect(decide({ identity: [byDepartment], resource: 'arn:aws:s3:::bucket/finance', context })).toBe(
      'ImplicitDeny',
    );
  });

  it('${aws:userid}, ${aws:PrincipalAccount} and ${aws:SourceIdentity} from the request context', () => {
    const ids = policy({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::b/${aws:PrincipalAccount}/${aws:userid}/${aws:SourceIdentity}/*',
    });
    const context = { 'aws:userid': 'AROAEXAMPLE:s1', 'aws:SourceIdentity': 'jdoe' };
    expect(
      decide({
        principal: session('app', 's1'),
        identity: [ids],
        resource: `arn:aws:s3:::b/${ACCOUNT}/AROAEXAMPLE:s1/jdoe/k`,
        context,
      }),
    ).toBe('Allow');
    expect(
      decide({
        principal: session('app', 's1'),
        identity: [ids],
        resource: `arn:aws:s3:::b/${ACCOUNT}/AROAEXAMPLE:s1/jdoe/k`,
      }),
    ).toBe('ImplicitDeny');
  });

  it('${aws:RequestTag/KEY} in Resource', () => {
    const byRequestTag = policy({
      Effect: 'Allow',
      Action: 's3:*',
      Resource: 'arn:aws:s3:::b/${aws:RequestTag/project}/*',
    });
    expect(
      decide({
        identity: [byRequestTag],
        resource: 'arn:aws:s3:::b/apollo/k',
        context: { 'aws:RequestTag/project': 'apollo' },
      }),
    ).toBe('Allow');
  });
});

describe('default values [VARIABLES]', () => {
  const withDefault = policy({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*",
  });

  it('uses the tag value when present', () => {
    const context = { 'aws:PrincipalTag/team': 'red' };
    expect(decide({ identity: [withDefault], resource: 'arn:aws:s3:::bucket/red/k', context })).toBe('Allow');
    expect(decide({ identity: [withDefault], resource: 'arn:aws:s3:::bucket/company-wide/k', context })).toBe(
      'ImplicitDeny',
    );
  });

  it('uses the default when the tag is absent', () => {
    expect(decide({ identity: [withDefault], resource: 'arn:aws:s3:::bucket/company-wide/k' })).toBe('Allow');
    expect(decide({ identity: [withDefault], resource: 'arn:aws:s3:::bucket/red/k' })).toBe('ImplicitDeny');
  });

  it('defaults work in condition values too', () => {
    const condition = { StringEquals: { 's3:prefix': "${aws:PrincipalTag/team, 'none'}" } };
    expect(conditionHolds(condition, { 's3:prefix': 'none' })).toBe(true);
    expect(conditionHolds(condition, { 's3:prefix': 'red', 'aws:PrincipalTag/team': 'red' })).toBe(true);
    expect(conditionHolds(condition, { 's3:prefix': 'none', 'aws:PrincipalTag/team': 'red' })).toBe(false);
  });

  it('an empty default is a value', () => {
    const condition = { StringEquals: { 's3:prefix': "home/${aws:PrincipalTag/team, ''}" } };
    expect(conditionHolds(condition, { 's3:prefix': 'home/' })).toBe(true);
  });
});

describe('missing keys [VARIABLES]', () => {
  it('a condition value whose variable has no value does not match', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/owner': '${aws:username}' } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/owner': '${aws:username}' })).toBe(false);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/owner': '' })).toBe(false);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/owner': 'alice', 'aws:username': 'alice' })).toBe(
      true,
    );
  });

  it('other values of the same key still match', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/owner': ['${aws:username}', 'admin'] } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/owner': 'admin' })).toBe(true);
  });

  it('a multivalued key cannot be a variable', () => {
    const condition = { StringEquals: { 's3:prefix': '${aws:TagKeys}' } };
    expect(conditionHolds(condition, { 's3:prefix': 'a', 'aws:TagKeys': ['a'] })).toBe(false);
  });

  it('variables named like Object properties are ordinary missing keys', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const condition = { StringEquals: { 's3:prefix': `a\${${name}}b` } };
      expect(conditionHolds(condition, { 's3:prefix': 'ab' })).toBe(false);
      expect(conditionHolds(condition, { 's3:prefix': 'axb', [name]: 'x' })).toBe(true);
    }
  });

  it('variable names match context keys case-insensitively', () => {
    const condition = { StringEquals: { 's3:prefix': '${AWS:PrincipalTag/TEAM}' } };
    expect(conditionHolds(condition, { 's3:prefix': 'red', 'aws:principaltag/team': 'red' })).toBe(true);
  });
});

describe('special characters [VARIABLES]', () => {
  it('${*} is a literal asterisk, not a wildcard', () => {
    const literalStar = policy({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::bucket/${*}',
    });
    expect(decide({ identity: [literalStar], resource: 'arn:aws:s3:::bucket/*' })).toBe('Allow');
    expect(decide({ identity: [literalStar], resource: 'arn:aws:s3:::bucket/anything' })).toBe(
      'ImplicitDeny',
    );
  });

  it('${?} is a literal question mark and ${$} a literal dollar', () => {
    const condition = { StringLike: { 's3:prefix': 'what${?}/${$}{x}' } };
    expect(conditionHolds(condition, { 's3:prefix': 'what?/${x}' })).toBe(true);
    expect(conditionHolds(condition, { 's3:prefix': 'whatX/${x}' })).toBe(false);
  });

  it('a substituted value with wildcard characters stays literal', () => {
    const byTag = policy({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::b/${aws:PrincipalTag/p}/k',
    });
    const context = { 'aws:PrincipalTag/p': '?' };
    expect(decide({ identity: [byTag], resource: 'arn:aws:s3:::b/x/k', context })).toBe('ImplicitDeny');
    expect(decide({ identity: [byTag], resource: 'arn:aws:s3:::b/?/k', context })).toBe('Allow');
  });
});

describe('policy language version [VERSION]', () => {
  it('without Version 2012-10-17, ${...} is literal text', () => {
    const legacy: PolicyDocument = {
      Version: '2008-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/${aws:username}/*' },
      ],
    };
    const noVersion: PolicyDocument = {
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::mybucket/${aws:username}/*' },
      ],
    };
    for (const document of [legacy, noVersion]) {
      expect(
        decide({ principal: user('David'), identity: [document], resource: 'arn:aws:s3:::mybucket/David/a' }),
      ).toBe('ImplicitDeny');
      expect(
        decide({
          principal: user('David'),
          identity: [document],
          resource: 'arn:aws:s3:::mybucket/${aws:username}/a',
        }),
      ).toBe('Allow');
    }
  });
});
