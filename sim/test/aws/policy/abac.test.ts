// The EKS Pod Identity ABAC permission policy: session tags as policy variables and conditions.
// [PODID-ABAC] https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
// [VARIABLES] https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are literal ${...} text in policies.

import { describe, expect, it } from 'vitest';
import { ACCOUNT, decide, policy, session } from './fixtures.ts';

const BUCKET = 'pod-identity-bucket';

const abacPolicy = policy({
  Effect: 'Allow',
  Action: ['s3:PutObject', 's3:GetObject'],
  Resource: `arn:aws:s3:::${BUCKET}/\${aws:PrincipalTag/kubernetes-namespace}/*`,
  Condition: { StringEquals: { 'aws:PrincipalTag/kubernetes-service-account': 'app-sa' } },
});

const podSession = session('pod-role', `eks-cluster-pod-${ACCOUNT}`);

function podRequest(action: string, key: string, tags: Record<string, string>) {
  const context: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) context[`aws:PrincipalTag/${name}`] = value;
  return decide({
    principal: podSession,
    action,
    resource: `arn:aws:s3:::${BUCKET}/${key}`,
    context,
    identity: [abacPolicy],
  });
}

const podTags = { 'kubernetes-namespace': 'ns-a', 'kubernetes-service-account': 'app-sa' };

describe('Pod Identity ABAC policy [PODID-ABAC]', () => {
  it('allows PutObject and GetObject under the session’s own namespace prefix', () => {
    expect(podRequest('s3:PutObject', 'ns-a/x', podTags)).toBe('Allow');
    expect(podRequest('s3:GetObject', 'ns-a/x', podTags)).toBe('Allow');
    expect(podRequest('s3:GetObject', 'ns-a/deeper/x', podTags)).toBe('Allow');
  });

  it('denies another namespace’s prefix', () => {
    expect(podRequest('s3:PutObject', 'ns-b/x', podTags)).toBe('ImplicitDeny');
    expect(podRequest('s3:GetObject', 'ns-b/x', podTags)).toBe('ImplicitDeny');
  });

  it('denies the bucket root and a prefix that only starts with the namespace', () => {
    expect(podRequest('s3:GetObject', 'x', podTags)).toBe('ImplicitDeny');
    expect(podRequest('s3:GetObject', 'ns-a-other/x', podTags)).toBe('ImplicitDeny');
  });

  it('denies when the service-account tag differs', () => {
    expect(
      podRequest('s3:PutObject', 'ns-a/x', { ...podTags, 'kubernetes-service-account': 'other-sa' }),
    ).toBe('ImplicitDeny');
  });

  it('denies when the session has no tags', () => {
    expect(podRequest('s3:PutObject', 'ns-a/x', {})).toBe('ImplicitDeny');
  });

  it('denies when only the namespace tag is missing (the variable leaves the Resource unmatched)', () => {
    expect(podRequest('s3:PutObject', 'ns-a/x', { 'kubernetes-service-account': 'app-sa' })).toBe(
      'ImplicitDeny',
    );
    // Not even a literal "${aws:PrincipalTag/kubernetes-namespace}" prefix matches.
    expect(
      podRequest('s3:PutObject', '${aws:PrincipalTag/kubernetes-namespace}/x', {
        'kubernetes-service-account': 'app-sa',
      }),
    ).toBe('ImplicitDeny');
  });

  it('denies actions the policy does not list', () => {
    expect(podRequest('s3:DeleteObject', 'ns-a/x', podTags)).toBe('ImplicitDeny');
  });

  it('treats a tag value with wildcard characters literally', () => {
    const wild = { 'kubernetes-namespace': '*', 'kubernetes-service-account': 'app-sa' };
    expect(podRequest('s3:GetObject', 'ns-a/x', wild)).toBe('ImplicitDeny');
    expect(podRequest('s3:GetObject', '*/x', wild)).toBe('Allow');
  });

  it('matches principal tag keys case-insensitively', () => {
    const decision = decide({
      principal: podSession,
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${BUCKET}/ns-a/x`,
      context: {
        'AWS:PRINCIPALTAG/Kubernetes-Namespace': 'ns-a',
        'aws:principaltag/kubernetes-service-account': 'app-sa',
      },
      identity: [abacPolicy],
    });
    expect(decision).toBe('Allow');
  });
});
