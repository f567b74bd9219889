// --repeat, --bail and --require-all applied to the report's cases (runner/run-controls.ts), and the
// console lines about them and about capability skips.

import { describe, expect, it } from 'vitest';
import { BAIL_NOTE } from '../../runner/bail.ts';
import type { CaseReport, FileReport } from '../../runner/results.ts';
import { applyRunControls, mergeRepetitions } from '../../runner/run-controls.ts';

function testCase(name: string, status: CaseReport['status'], extra: Partial<CaseReport> = {}): CaseReport {
  return {
    name,
    status,
    durationMs: 10,
    notes: [],
    ...(status === 'failed'
      ? { failure: { type: 'AssertionError', message: `${name} failed`, details: '' } }
      : {}),
    ...extra,
  };
}

function file(name: string, cases: CaseReport[], extra: Partial<FileReport> = {}): FileReport {
  return {
    suite: name.split('/')[0]!,
    name,
    path: `${name}.test.ts`,
    durationMs: 100,
    cases,
    errors: [],
    ...extra,
  };
}

const ONCE = { repetitions: 1, bail: false, requireAll: false };

describe('mergeRepetitions', () => {
  it('keeps one case per name: failed if it failed once, flaky if it also passed, noted with the repetitions', () => {
    const round = (flaky: CaseReport['status'], second: CaseReport['status']) => [
      file('s/b', [testCase('steady', 'passed', { notes: ['client: aws-cli'] }), testCase('flaky', flaky)]),
      file('s/a', [testCase('broken', 'failed'), testCase('sometimes skipped', second)]),
    ];
    const { files, flaky } = mergeRepetitions([
      round('passed', 'passed'),
      round('failed', 'skipped'),
      round('passed', 'passed'),
    ]);
    expect(files.map((f) => f.name)).toEqual(['s/a', 's/b']);
    const [a, b] = files;
    expect(a!.durationMs).toBe(300);
    expect(b!.cases).toEqual([
      { ...testCase('steady', 'passed', { notes: ['client: aws-cli'] }), durationMs: 30 },
      {
        ...testCase('flaky', 'failed'),
        durationMs: 30,
        notes: ['flaky: passed in repetitions 1, 3, failed in repetition 2'],
      },
    ]);
    expect(a!.cases.map((c) => [c.name, c.status, c.notes])).toEqual([
      ['broken', 'failed', ['failed in all 3 repetitions']],
      ['sometimes skipped', 'passed', ['passed in repetitions 1, 3, skipped in repetition 2']],
    ]);
    expect(flaky).toEqual([{ name: 's/b › flaky', failedIn: [2], repetitions: 3 }]);
  });

  it('counts a repetition without the case as not run, and keeps each file error once', () => {
    const error = { type: 'Error', message: 'beforeAll failed', details: '' };
    const { files } = mergeRepetitions([
      [file('s/a', [testCase('x', 'passed')], { errors: [error] })],
      [file('s/a', [], { errors: [error] })],
    ]);
    expect(files[0]!.errors).toEqual([error]);
    expect(files[0]!.cases[0]).toMatchObject({
      status: 'passed',
      notes: ['passed in repetition 1, not run in repetition 2'],
    });
  });

  it('summarises long lists of repetitions', () => {
    const rounds = Array.from({ length: 20 }, (_, i) => [
      file('s/a', [testCase('x', i === 6 ? 'failed' : 'passed')]),
    ]);
    const { files, flaky } = mergeRepetitions(rounds);
    expect(files[0]!.cases[0]!.notes).toEqual([
      'flaky: passed in 19 of 20 repetitions, failed in repetition 7',
    ]);
    expect(flaky).toEqual([{ name: 's/a › x', failedIn: [7], repetitions: 20 }]);
  });
});

describe('applyRunControls', () => {
  it('says how many cases each missing capability skipped, with the reason and its fix', () => {
    const reason =
      "pods run as local processes and the runner's PATH has no aws; install the AWS CLI to run these cases";
    const { lines, files } = applyRunControls(
      [
        [
          file('s/a', [
            testCase('one', 'skipped', { reason: `needs podAwsCli: ${reason}` }),
            testCase('two', 'skipped', { reason: `needs podAwsCli: ${reason}` }),
            testCase('three', 'skipped', { reason: 'needs sessionTags: LocalStack does not enforce IAM' }),
            testCase('four', 'skipped', { reason: 'skipped in the suite (it.skip or skipIf)' }),
            testCase('five', 'passed'),
          ]),
        ],
      ],
      ONCE,
    );
    expect(lines).toEqual([
      `2 cases need podAwsCli and were skipped: ${reason}`,
      '1 case needs sessionTags and was skipped: LocalStack does not enforce IAM',
    ]);
    expect(files[0]!.cases.map((c) => c.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'passed',
    ]);
  });

  it('lists the flaky cases of a repeated run', () => {
    const { lines } = applyRunControls(
      [
        [file('s/a', [testCase('x', 'failed'), testCase('y', 'passed')])],
        [file('s/a', [testCase('x', 'passed'), testCase('y', 'passed')])],
      ],
      { ...ONCE, repetitions: 2 },
    );
    expect(lines).toEqual([
      '1 flaky case, passed in some of the 2 repetitions and failed in others (counted as failed):',
      '  s/a › x: failed in repetition 1',
    ]);
  });

  it('--bail: the cases it kept from starting are not run, with its reason', () => {
    const { files, lines } = applyRunControls(
      [
        [
          file('s/a', [
            testCase('failed first', 'failed'),
            testCase('kept from starting', 'skipped', { reason: BAIL_NOTE }),
            testCase('its describe never started', 'not run', { reason: 'the run ended before it' }),
            testCase('skipped by the suite', 'skipped', { reason: 'needs podSdkProbe: no node' }),
          ]),
        ],
      ],
      { ...ONCE, bail: true },
    );
    expect(files[0]!.cases.map((c) => [c.status, c.reason])).toEqual([
      ['failed', undefined],
      ['not run', BAIL_NOTE],
      ['not run', BAIL_NOTE],
      ['skipped', 'needs podSdkProbe: no node'],
    ]);
    expect(lines).toContain('--bail: the run stopped at the first failed case; 2 cases not run');
  });

  it('--require-all: every skipped case fails with its reason, but those --case left out', () => {
    const { files, lines } = applyRunControls(
      [
        [
          file('s/a', [
            testCase('capability', 'skipped', { reason: 'needs podAwsCli: no aws' }),
            testCase('in the source', 'skipped', { reason: 'skipped in the suite (it.skip or skipIf)' }),
            testCase('left out', 'skipped', { reason: 'not selected by --case aws' }),
            testCase('ran', 'passed'),
          ]),
        ],
      ],
      { ...ONCE, requireAll: true },
    );
    const [capability, inSource, leftOut, ran] = files[0]!.cases;
    expect(capability).toEqual({
      name: 'capability',
      status: 'failed',
      durationMs: 10,
      notes: [],
      failure: {
        type: 'Skipped',
        message: 'skipped, and --require-all counts a skipped case as failed: needs podAwsCli: no aws',
        details: '',
      },
    });
    expect(inSource!.status).toBe('failed');
    expect(leftOut).toMatchObject({ status: 'skipped', reason: 'not selected by --case aws' });
    expect(ran!.status).toBe('passed');
    expect(lines).toEqual([
      '1 case needs podAwsCli and was skipped: no aws',
      '--require-all: 2 skipped cases counted as failed',
    ]);
  });

  it('leaves a run without skips, repetitions or bail as it is, with nothing to say', () => {
    const files = [file('s/a', [testCase('x', 'passed'), testCase('y', 'failed')])];
    const controlled = applyRunControls([files], { repetitions: 1, bail: true, requireAll: true });
    expect(controlled).toEqual({ files, flaky: [], lines: [] });
  });
});
