// Garbage in: evaluatePolicies, validatePolicyDocument and parsePolicyJson never throw. Evaluation fails
// closed (ImplicitDeny), validation answers with a message.

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are literal ${...} text in policies.

import { describe, expect, it } from 'vitest';
import { evaluatePolicies, parsePolicyJson, validatePolicyDocument } from '../../../aws/policy/index.ts';
import type { EvaluationInput, EvaluationResult } from '../../../aws/policy/types.ts';
import { policy, user } from './fixtures.ts';

function deeplyNested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { Statement: value } : [value];
  return value;
}

function cyclic(): Record<string, unknown> {
  const document: Record<string, unknown> = { Version: '2012-10-17' };
  document.Statement = [document];
  return document;
}

function throwingGetters(): object {
  return {
    Version: '2012-10-17',
    get Statement(): unknown {
      throw new Error('boom');
    },
  };
}

const hostileProxy = new Proxy(
  {},
  {
    get() {
      throw new Error('proxy get');
    },
    ownKeys() {
      throw new Error('proxy keys');
    },
    has() {
      throw new Error('proxy has');
    },
  },
);

const garbage: Array<[string, unknown]> = [
  ['null', null],
  ['undefined', undefined],
  ['a number', 42],
  ['NaN', Number.NaN],
  ['a string', 'Statement'],
  ['a boolean', true],
  ['an empty object', {}],
  ['an empty array', []],
  ['a function', () => 'policy'],
  ['a symbol', Symbol('policy')],
  ['a bigint', 10n],
  ['a Date', new Date()],
  ['deeply nested junk', deeplyNested(20_000)],
  ['a cyclic document', cyclic()],
  ['throwing getters', throwingGetters()],
  ['a hostile proxy', hostileProxy],
  ['a huge array of junk', Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? null : { Effect: i }))],
  ['Statement of junk', { Statement: [null, 1, 'x', [], { Effect: 'Allow', Action: {}, Resource: [] }] }],
  ['Statement as a string', { Version: '2012-10-17', Statement: 'Allow everything' }],
  [
    'a statement with junk everywhere',
    {
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:*', 7],
          Resource: { arn: '*' },
          Principal: 5,
          Condition: { StringEquals: 'x', Bool: { k: [{}] } },
        },
      ],
    },
  ],
  ['a __proto__ key', JSON.parse('{"__proto__": {"Effect": "Allow"}, "Statement": {"__proto__": 1}}')],
];

function isResult(result: EvaluationResult): boolean {
  return ['Allow', 'ExplicitDeny', 'ImplicitDeny'].includes(result.decision) && Array.isArray(result.matched);
}

describe('validatePolicyDocument on garbage', () => {
  it.each(garbage)('%s → a message, no throw', (_name, value) => {
    for (const kind of ['identity', 'trust', 'resource'] as const) {
      const result = validatePolicyDocument(value, kind);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(typeof result.message).toBe('string');
    }
  });

  it('a huge valid document is accepted', () => {
    const statements = Array.from({ length: 50_000 }, (_, i) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::bucket/${i}/*`,
    }));
    expect(validatePolicyDocument({ Version: '2012-10-17', Statement: statements }, 'identity').ok).toBe(
      true,
    );
  });
});

describe('evaluatePolicies on garbage', () => {
  const request = {
    principal: user('alice'),
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/k',
    context: {},
  };

  it.each(garbage)('%s as the whole input → ImplicitDeny', (_name, value) => {
    const result = evaluatePolicies(value as EvaluationInput);
    expect(result).toEqual({ decision: 'ImplicitDeny', matched: [] });
  });

  it.each(garbage)('%s as a policy document → no throw, no Allow', (_name, value) => {
    const result = evaluatePolicies({
      request,
      identityPolicies: [value as never],
      resourcePolicies: [value as never],
      sessionPolicies: [value as never],
    });
    expect(isResult(result)).toBe(true);
    expect(result.decision).toBe('ImplicitDeny');
  });

  it.each(garbage)('%s as the policy lists → no throw', (_name, value) => {
    const result = evaluatePolicies({
      request,
      identityPolicies: value as never,
      resourcePolicies: value as never,
      sessionPolicies: value as never,
    });
    expect(isResult(result)).toBe(true);
    expect(result.decision).toBe('ImplicitDeny');
  });

  it.each(garbage)('%s as the request context or principal → no throw', (_name, value) => {
    const allowAll = [
      policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { k: 'v' } } }),
    ];
    const withContext = evaluatePolicies({
      request: { ...request, context: value as never },
      identityPolicies: allowAll,
    });
    expect(isResult(withContext)).toBe(true);
    const withPrincipal = evaluatePolicies({
      request: { ...request, principal: value as never },
      identityPolicies: allowAll,
    });
    expect(withPrincipal).toEqual({ decision: 'ImplicitDeny', matched: [] });
  });

  it('odd request strings do not throw', () => {
    const allowAll = [policy({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/${aws:username}/*' })];
    for (const odd of ['', ':::::', '\u0000', 'x'.repeat(100_000), '${aws:username}', '(.*)+$', '\\']) {
      const result = evaluatePolicies({
        request: { principal: { type: 'AWS', id: odd }, action: odd, resource: odd, context: { [odd]: odd } },
        identityPolicies: allowAll,
      });
      expect(isResult(result)).toBe(true);
    }
  });
});

describe('parsePolicyJson on garbage', () => {
  it.each([
    ['deeply nested arrays', '['.repeat(200_000)],
    ['deeply nested objects', '{"a":'.repeat(100_000)],
    ['percent junk', '%%%%'],
    ['a lone percent-encoded brace', '%7B'],
    ['binary', '\u0000\u0001\u0002'],
  ])('%s → a message, no throw', (_name, text) => {
    const result = parsePolicyJson(text);
    expect(result.ok).toBe(false);
  });
});

// A seeded generator of policy-shaped junk: the same cases on every run.
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'Version',
  'Statement',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
  'Sid',
  'AWS',
  'Service',
  'StringEquals',
  'ForAllValues:StringLike',
  'NumericLessThanIfExists',
  'DateGreaterThan',
  'IpAddress',
  'ArnLike',
  'Null',
  'Bool',
  'BinaryEquals',
  'aws:PrincipalTag/team',
  'aws:TagKeys',
];
const STRINGS = [
  'Allow',
  'Deny',
  '2012-10-17',
  '*',
  's3:*',
  's3:Get?bject',
  'arn:aws:s3:::b/${aws:PrincipalTag/team}/*',
  "${aws:username, 'x'}",
  '${*}',
  'arn:aws:iam::111122223333:root',
  '111122223333',
  'pods.eks.amazonaws.com',
  '10.0.0.0/8',
  '2020-01-01T00:00:00Z',
  'true',
  'QmluYXJ5',
  '',
  '${',
];

function junk(random: () => number, depth: number): unknown {
  const roll = random();
  if (depth > 4 || roll < 0.35) return STRINGS[Math.floor(random() * STRINGS.length)];
  if (roll < 0.45) return [null, true, 0, -1.5, Number.NaN][Math.floor(random() * 5)];
  if (roll < 0.65) return Array.from({ length: Math.floor(random() * 4) }, () => junk(random, depth + 1));
  const object: Record<string, unknown> = {};
  const size = Math.floor(random() * 5);
  for (let i = 0; i < size; i++) object[KEYS[Math.floor(random() * KEYS.length)]!] = junk(random, depth + 1);
  return object;
}

describe('seeded policy-shaped junk', () => {
  it('never throws, and evaluates deterministically', () => {
    const random = mulberry32(20261120);
    for (let i = 0; i < 3000; i++) {
      const document = junk(random, 0);
      const context = {
        'aws:PrincipalTag/team': 'red',
        'aws:TagKeys': ['a', 'b'],
        'aws:SourceIp': '10.1.2.3',
      };
      for (const kind of ['identity', 'trust', 'resource'] as const) {
        const verdict = validatePolicyDocument(document, kind);
        expect(verdict.ok || typeof verdict.message === 'string').toBe(true);
      }
      const input = {
        request: {
          ...{ principal: user('alice'), action: 's3:GetObject', resource: 'arn:aws:s3:::b/red/k' },
          context,
        },
        identityPolicies: [document as never],
        resourcePolicies: [document as never],
      };
      const first = evaluatePolicies(input);
      expect(isResult(first)).toBe(true);
      expect(evaluatePolicies(input)).toEqual(first);
    }
  });
});
