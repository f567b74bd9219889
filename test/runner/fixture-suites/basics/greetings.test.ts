import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteForReport } from '../../../../suite-api/report-note.ts';
import { fixtureTarget, recordOrder } from '../../fixture-support.ts';

beforeAll(() => recordOrder('start', 'basics/greetings'));
afterAll(() => recordOrder('end', 'basics/greetings'));

describe('greetings', () => {
  it('says hello', async (ctx) => {
    await noteForReport(ctx, 'client: fixture-cli v1.0');
    await ctx.annotate('observed: hello stayed hello', 'observation');
    expect('hello').toHaveLength(5);
  });

  describe('in detail', () => {
    it('knows the target it runs on', () => {
      const info = fixtureTarget();
      expect(info.name).toBe('embedded');
      expect(info.runId).toMatch(/^pic-\d{12}-[a-z0-9]{5}$/);
    });
  });

  it('skips when a capability is missing', (ctx) => {
    ctx.skip('needs podAwsCli: the fixture target has no aws');
  });

  it.skipIf(true)('is skipped in the source', () => {});
});
