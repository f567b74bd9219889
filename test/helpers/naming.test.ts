import { describe, expect, it } from 'vitest';
import {
  awsTags,
  kubeLabels,
  RUN_ID_PATTERN,
  resourceName,
  runIdLabelSelector,
} from '../../helpers/naming.ts';
import { newRunId } from '../../helpers/run-id.ts';

describe('names and markers', () => {
  const runId = 'pic-202611281000-ab3de';

  it('makes lowercase DNS-label names from the run id and a purpose, within the limit', () => {
    expect(resourceName(runId, 'S3 Round_Trip!')).toBe('pic-202611281000-ab3de-s3-round-trip');
    const long = resourceName(runId, 'x'.repeat(100));
    expect(long.length).toBe(63);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(resourceName(runId, 'agent-hardening', 30)).toBe('pic-202611281000-ab3de-agent-h');
    expect(resourceName(runId, 'agent-hardening', 29), 'no trailing dash after the cut').toBe(
      'pic-202611281000-ab3de-agent',
    );
  });

  it('marks AWS resources with the run id and creation time, and Kubernetes objects with labels', () => {
    const now = new Date('2026-11-28T10:00:00.000Z');
    expect(awsTags(runId, now)).toEqual([
      { Key: 'pod-identity-conformance:run-id', Value: runId },
      { Key: 'pod-identity-conformance:created-at', Value: '2026-11-28T10:00:00.000Z' },
    ]);
    expect(kubeLabels(runId)).toEqual({
      'app.kubernetes.io/managed-by': 'pod-identity-conformance',
      'pod-identity-conformance/run-id': runId,
    });
    expect(runIdLabelSelector(runId)).toBe(
      `app.kubernetes.io/managed-by=pod-identity-conformance,pod-identity-conformance/run-id=${runId}`,
    );
  });

  it('new run ids have the documented form', () => {
    expect(newRunId()).toMatch(RUN_ID_PATTERN);
  });
});
