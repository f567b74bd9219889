// Durations for --older-than (`2h`, `90m`, `1d12h`, `45s`) and ages in the janitor's table.

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The longest --older-than: ten years (longer is a typo; an age that large has no resource). */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/**
 * Milliseconds in a duration like `2h` or `1h30m`; undefined when it is not one (spaces included), is
 * zero, or is longer than MAX_DURATION_MS.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  const units: Unit[] = ['d', 'h', 'm', 's'];
  let total = 0;
  units.forEach((unit, i) => {
    const amount = match[i + 1];
    if (amount !== undefined) total += Number(amount) * UNIT_MS[unit];
  });
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}

/** An age for people: `3d4h`, `2h5m`, `12m`, `40s`; `unknown` without a creation time. */
export function formatAge(createdAt: Date | undefined, now: Date): string {
  if (!createdAt) return 'unknown';
  let remaining = Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 1000));
  const days = Math.floor(remaining / 86_400);
  remaining -= days * 86_400;
  const hours = Math.floor(remaining / 3_600);
  remaining -= hours * 3_600;
  const minutes = Math.floor(remaining / 60);
  const seconds = remaining - minutes * 60;
  if (days > 0) return `${days}d${hours}h`;
  if (hours > 0) return `${hours}h${minutes}m`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}
