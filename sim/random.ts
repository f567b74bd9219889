// Seeded randomness for fault injection and token-expiration jitter, so a run with the same seed makes
// the same choices. Identifiers that must be unique (association ids, external ids) use crypto instead.

import { randomBytes } from 'node:crypto';

/** A uniform float in [0, 1). */
export type RandomSource = () => number;

/** mulberry32: small, fast, good enough to make fault injection repeatable. */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent streams from one seed, one per purpose, so adding a draw in one place does not shift another. */
export function deriveRandom(seed: number | undefined, purpose: string): RandomSource {
  if (seed === undefined) return Math.random;
  let hash = seed >>> 0;
  for (const char of purpose) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return createSeededRandom(hash);
}

/** An integer in [min, max], inclusive. */
export function randomIntInclusive(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lowercase alphanumerics from a cryptographic source (association ids). */
export function randomLowerAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 252 = 7 * 36: rejecting the top values keeps every character equally likely.
      if (byte < 252 && out.length < length) out += LOWER_ALPHANUMERIC[byte % 36];
    }
  }
  return out;
}
