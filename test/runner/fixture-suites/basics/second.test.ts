import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordOrder } from '../../fixture-support.ts';

beforeAll(() => recordOrder('start', 'basics/second'));
afterAll(() => recordOrder('end', 'basics/second'));

it('adds numbers', () => {
  expect(1 + 1).toBe(2);
});
