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

/** When the run started, from its id (its UTC minute); undefined when the id is not one or no real time. */
export function runIdTime(runId: string): Date | undefined {
  if (!RUN_ID_PATTERN.test(runId)) return undefined;
  const stamp = runId.slice(4, 16);
  const [year, month, day, hour, minute] = [
    stamp.slice(0, 4),
    stamp.slice(4, 6),
    stamp.slice(6, 8),
    stamp.slice(8, 10),
    stamp.slice(10, 12),
  ].map(Number) as [number, number, number, number, number];
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute));
  // Date.UTC rolls over (month 13, day 32, hour 24): such a stamp was never written by newRunId.
  const same =
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute;
  return same ? time : undefined;
}
