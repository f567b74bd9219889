import { describe, expect, it } from 'vitest';
import { janitorCommand, leftoverHint, leftoverScope } from '../../runner/janitor-hint.ts';

describe('the janitor hint after a run that may have left resources', () => {
  it('repeats the target, cluster, region and allowed accounts, so the janitor looks where the run was', () => {
    expect(
      janitorCommand({
        target: 'eks',
        runId: 'pic-202611281000-abcde',
        cluster: 'prod',
        region: 'eu-west-1',
        accounts: ['111122223333', '444455556666'],
      }),
    ).toBe(
      'npm run janitor -- --target eks --cluster prod --region eu-west-1 --account 111122223333 --account 444455556666 --run-id pic-202611281000-abcde --delete',
    );
  });

  it('names only what the run was given', () => {
    expect(leftoverHint({ target: 'localstack', runId: 'pic-202611281000-abcde' })).toBe(
      'find and delete them with `npm run janitor -- --target localstack --run-id pic-202611281000-abcde --delete`',
    );
  });

  it('on the embedded target says nothing can be left, instead of a janitor command the janitor refuses', () => {
    expect(leftoverHint({ target: 'embedded', runId: 'pic-202611281000-abcde' })).not.toContain('janitor');
  });

  it('builds the scope from the run settings, so the janitor passes the same account guard', () => {
    const settings = {
      suites: ['pod-identity'],
      target: 'eks' as const,
      reportDir: '/tmp/reports',
      keep: false,
      cluster: 'prod',
      region: 'eu-west-1',
      context: 'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
      accounts: ['111122223333'],
      parallel: '4',
    };
    expect(leftoverHint(leftoverScope(settings, RUN))).toBe(
      `find and delete them with \`npm run janitor -- --target eks --cluster prod --region eu-west-1 --context arn:aws:eks:eu-west-1:111122223333:cluster/prod --account 111122223333 --run-id ${RUN} --delete\``,
    );
    // A run with --yes (no --account): the janitor's --delete needs --yes too.
    expect(
      janitorCommand(leftoverScope({ ...settings, accounts: undefined, context: undefined, yes: true }, RUN)),
    ).toBe(
      `npm run janitor -- --target eks --cluster prod --region eu-west-1 --yes --run-id ${RUN} --delete`,
    );
    // With --account, --yes is not needed.
    expect(janitorCommand(leftoverScope({ ...settings, context: undefined, yes: true }, RUN))).toBe(
      `npm run janitor -- --target eks --cluster prod --region eu-west-1 --account 111122223333 --run-id ${RUN} --delete`,
    );
  });

  it('names the LocalStack endpoint the run used, and quotes what the shell would split', () => {
    expect(
      janitorCommand({ target: 'localstack', runId: RUN, localstackEndpoint: 'http://127.0.0.1:4599' }),
    ).toBe(
      `npm run janitor -- --target localstack --localstack-endpoint http://127.0.0.1:4599 --run-id ${RUN} --delete`,
    );
    expect(janitorCommand({ target: 'eks', runId: RUN, context: "team's cluster", yes: true })).toBe(
      `npm run janitor -- --target eks --context 'team'\\''s cluster' --yes --run-id ${RUN} --delete`,
    );
  });

  it('after a run with --localstack-container says the container took them, instead of a command the janitor refuses', () => {
    const hint = leftoverHint({ target: 'localstack', runId: RUN, localstackContainer: true });
    expect(hint).not.toContain('janitor');
    expect(hint).toContain('--localstack-container');
  });

  it("writes the janitor dry run's delete command: every run, --older-than, the account it found", () => {
    expect(
      janitorCommand(
        { target: 'eks', cluster: 'prod', region: 'eu-west-1' },
        { accountId: '111122223333', allRuns: true, olderThan: '2h' },
      ),
    ).toBe(
      'npm run janitor -- --target eks --cluster prod --region eu-west-1 --account 111122223333 --older-than 2h --delete',
    );
    expect(janitorCommand({ target: 'eks', runId: RUN }, { delete: false })).toBe(
      `npm run janitor -- --target eks --run-id ${RUN}`,
    );
  });
});

const RUN = 'pic-202611281000-abcde';
