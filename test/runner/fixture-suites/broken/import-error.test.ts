import { it } from 'vitest';

// Fails while the file loads, before any case is collected.
if (process.pid > 0) throw new Error('this suite file fails while loading');

it('is never collected', () => {});
