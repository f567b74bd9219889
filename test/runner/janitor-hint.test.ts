import { describe, expect, it } from 'vitest';
import { janitorCommand, leftoverHint } from '../../runner/janitor-hint.ts';

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
});
