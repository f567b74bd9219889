// Run ids tie every resource a run creates to that run: pic-<utc yyyymmddhhmm>-<5 random>. Short enough
// for Kubernetes names and IAM role names, sortable by time, and unique enough for concurrent runs.

import { randomInt } from 'node:crypto';

const RUN_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RANDOM_SUFFIX_LENGTH = 5;

export const RUN_ID_PATTERN = /^pic-\d{12}-[a-z0-9]{5}$/;

export function newRunId(now: Date = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const stamp =
    String(now.getUTCFullYear()) +
    pad(now.getUTCMonth() + 1) +
    pad(now.getUTCDate()) +
    pad(now.getUTCHours()) +
    pad(now.getUTCMinutes());
  let suffix = '';
  for (let i = 0; i < RANDOM_SUFFIX_LENGTH; i++) suffix += RUN_ID_ALPHABET[randomInt(RUN_ID_ALPHABET.length)];
  return `pic-${stamp}-${suffix}`;
}
