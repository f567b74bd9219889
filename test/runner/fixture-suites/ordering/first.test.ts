import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordOrder } from '../../fixture-support.ts';

beforeAll(() => recordOrder('start', 'ordering/first'));
afterAll(() => recordOrder('end', 'ordering/first'));

it('runs before the last file', () => {
  expect(true).toBe(true);
});
