// Policy evaluation speed: median ns per evaluatePolicies call for a typical request (3 identity policies
// of 5 statements each, with conditions and policy variables), for a trust-policy check, and for the cold
// path where every call brings document objects never seen before (compilation included).
// Target: well under 1 ms per request. Run: node bench/policy.ts

import { evaluatePolicies } from '../aws/policy/index.ts';
import type { EvaluationInput, PolicyDocument, PolicyStatement } from '../aws/policy/types.ts';
import { median, percentile } from './stats.ts';

const ACCOUNT = '111122223333';
const BATCHES = 200;
const PER_BATCH = 500;

function identityPolicy(n: number): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: `Abac${n}`,
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject'],
      Resource: `arn:aws:s3:::bucket-${n}/\${aws:PrincipalTag/kubernetes-namespace}/*`,
      Condition: { StringEquals: { 'aws:PrincipalTag/kubernetes-service-account': 'app-sa' } },
    },
    {
      Sid: `List${n}`,
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::bucket-${n}`,
      Condition: { StringLike: { 's3:prefix': [`\${aws:PrincipalTag/kubernetes-namespace}/*`, ''] } },
    },
    {
      Sid: `Tls${n}`,
      Effect: 'Deny',
      Action: 's3:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: `Network${n}`,
      Effect: 'Deny',
      NotAction: ['sts:GetCallerIdentity'],
      Resource: '*',
      Condition: {
        NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] },
        'ForAnyValue:StringLike': { 'aws:TagKeys': ['forbidden-*'] },
      },
    },
    {
      Sid: `Window${n}`,
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/\${aws:PrincipalTag/kubernetes-namespace}-*`,
      Condition: {
        DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' },
        NumericLessThanEqualsIfExists: { 'dynamodb:Limit': '100' },
      },
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
}

function typicalInput(namespace: string): EvaluationInput {
  return {
    request: {
      principal: {
        type: 'AWS',
        id: `arn:aws:sts::${ACCOUNT}:assumed-role/pod-role/eks-cluster-pod-${namespace}`,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/pod-role`,
        accountId: ACCOUNT,
      },
      action: 's3:GetObject',
      resource: `arn:aws:s3:::bucket-2/${namespace}/object.txt`,
      context: {
        'aws:PrincipalTag/kubernetes-namespace': namespace,
        'aws:PrincipalTag/kubernetes-service-account': 'app-sa',
        'aws:PrincipalTag/eks-cluster-name': 'conformance',
        'aws:SecureTransport': true,
        'aws:SourceIp': '10.1.2.3',
        'aws:CurrentTime': '2026-11-20T10:00:00Z',
        'aws:TagKeys': ['kubernetes-namespace', 'kubernetes-service-account'],
      },
    },
    identityPolicies: [identityPolicy(0), identityPolicy(1), identityPolicy(2)],
  };
}

const trustPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': ['ns-a', 'ns-b'] } },
    },
  ],
};

function trustInput(): EvaluationInput {
  return {
    request: {
      principal: { type: 'Service', id: 'pods.eks.amazonaws.com' },
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/pod-role`,
      context: { 'aws:RequestTag/kubernetes-namespace': 'ns-a' },
    },
    identityPolicies: [],
    resourcePolicies: [trustPolicy],
  };
}

/** Nanoseconds per call, one figure per batch. `makeInputs` builds a batch's inputs outside the timing. */
function measure(makeInputs: (batch: number) => EvaluationInput[], expected: string): number[] {
  const perCall: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const inputs = makeInputs(batch);
    const start = process.hrtime.bigint();
    for (const input of inputs) {
      const { decision } = evaluatePolicies(input);
      if (decision !== expected) throw new Error(`bench: expected ${expected}, got ${decision}`);
    }
    perCall.push(Number(process.hrtime.bigint() - start) / inputs.length);
  }
  return perCall;
}

function report(name: string, perCall: number[]): void {
  const med = median(perCall);
  console.log(
    `${name.padEnd(44)} median ${med.toFixed(0).padStart(7)} ns/op   p95 ${percentile(perCall, 0.95)
      .toFixed(0)
      .padStart(7)} ns/op   (${(1e6 / med).toFixed(0)}x under 1 ms)`,
  );
}

const namespaces = Array.from({ length: 50 }, (_, i) => `ns-${i}`);
const warmInputs = namespaces.map(typicalInput);
// Same documents for every call, as the IAM store hands them out: compiled once.
const sharedDocuments = warmInputs[0]!.identityPolicies;
for (const input of warmInputs) input.identityPolicies = sharedDocuments;

// Warm-up, so the JIT has seen the hot path before measuring.
measure(() => Array.from({ length: PER_BATCH }, (_, i) => warmInputs[i % warmInputs.length]!), 'Allow');

console.log(`policy evaluation (${BATCHES} batches x ${PER_BATCH} calls; Node ${process.version})`);
report(
  'typical: 3 identity policies x 5 statements',
  measure(() => Array.from({ length: PER_BATCH }, (_, i) => warmInputs[i % warmInputs.length]!), 'Allow'),
);
const trust = trustInput();
report(
  'trust policy: pods.eks.amazonaws.com AssumeRole',
  measure(() => Array.from({ length: PER_BATCH }, () => trust), 'Allow'),
);
report(
  'cold: new document objects every call',
  measure(
    () => Array.from({ length: PER_BATCH }, (_, i) => typicalInput(namespaces[i % namespaces.length]!)),
    'Allow',
  ),
);
