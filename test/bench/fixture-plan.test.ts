// The floor bench/perf.ts reports comes from the suite's fixture plan and a latency profile: the plan
// must cover every file of the suite, and the floor must follow from it (the longest chain of waits,
// the files spread over the parallel slots, one image pull shared by every pod).

import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EKS_LATENCY } from '@pod-identity-conformance/sim';
import { describe, expect, it } from 'vitest';
import { type FilePlan, POD_IDENTITY_PLAN } from '../../bench/fixture-plan.ts';
import { suiteFloor } from '../../bench/floor.ts';

const SUITE_DIR = fileURLToPath(new URL('../../suites/pod-identity/', import.meta.url));

describe('the pod-identity fixture plan', () => {
  it('has one plan per suite file, and the .last files are marked', async () => {
    const files = (await readdir(SUITE_DIR)).filter((f) => f.endsWith('.test.ts')).sort();
    expect(POD_IDENTITY_PLAN.map((plan) => plan.file.replace('pod-identity/', '')).sort()).toEqual(files);
    for (const plan of POD_IDENTITY_PLAN)
      expect(plan.last === true, plan.file).toBe(plan.file.includes('.last.'));
  });

  it('names only steps that exist, without cycles', () => {
    expect(() => suiteFloor(POD_IDENTITY_PLAN, EKS_LATENCY, 4)).not.toThrow();
  });
});

const profile = {
  podSchedulingMs: 1_000,
  imagePullMs: 10_000,
  containerStartMs: 1_000,
  iamPropagationDelayMs: 5_000,
  associationPropagationDelayMs: 3_000,
  apiMs: { eks: 100 },
  namespaceDeletionMs: 2_000,
};

/** Role → visible → association → applied → pod → namespace deleted. */
const app = (file: string): FilePlan => ({
  file,
  steps: [
    { id: 'role', waits: [] },
    { id: 'visible', waits: ['iamPropagation'], after: ['role'] },
    { id: 'association', waits: [{ api: 'eks', calls: 2 }], after: ['visible'] },
    { id: 'applied', waits: ['associationPropagation'], after: ['association'] },
    { id: 'pod', waits: ['podStart'], after: ['applied'] },
    { id: 'teardown', waits: ['namespaceDeletion'], after: ['pod'] },
  ],
});

describe('suiteFloor', () => {
  it('is the longest chain of waits, the first pod paying the image pull', () => {
    // 5 s IAM + 0.2 s EKS + 3 s association + (1 s scheduling + 10 s pull + 1 s start) + 2 s namespace.
    expect(suiteFloor([app('a')], profile, 4).floorMs).toBe(22_200);
  });

  it('shares one pull between files that run at once, and charges none to files after it', () => {
    const together = suiteFloor([app('a'), app('b')], profile, 2);
    expect(together.files.map((f) => f.endMs)).toEqual([22_200, 22_200]);
    const oneByOne = suiteFloor([app('a'), app('b')], profile, 1);
    // The second file finds the image cached: 22.2 s + 12.2 s.
    expect(oneByOne.floorMs).toBe(34_400);
    expect(oneByOne.longestChainMs).toBe(22_200);
  });

  it('runs the .last files after all others', () => {
    const floor = suiteFloor(
      [{ file: 'z.last', last: true, steps: [{ id: 'check', waits: [{ api: 'eks' }] }] }, app('a')],
      profile,
      4,
    );
    expect(floor.files.at(-1)).toEqual({ file: 'z.last', startMs: 22_200, endMs: 22_300 });
  });
});
