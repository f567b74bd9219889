// The processes a run started, read from /proc: every descendant of a process, identified by pid and
// start time (so a pid the kernel reuses later is not mistaken for a survivor).

import { readdir, readFile } from 'node:fs/promises';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  startTicks: string;
  command: string;
}

interface ProcessStat {
  state: string;
  ppid: number;
  startTicks: string;
  command: string;
}

async function readStat(pid: number): Promise<ProcessStat | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, start time field 22.
    return { state: fields[0] ?? '', ppid: Number(fields[1]), startTicks: fields[19] ?? '', command };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `rootPid` (not the root itself). */
export async function descendantsOf(rootPid: number): Promise<ProcessIdentity[]> {
  const entries = await readdir('/proc');
  const byParent = new Map<number, ProcessIdentity[]>();
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const pid = Number(name);
        const stat = await readStat(pid);
        if (!stat) return;
        const siblings = byParent.get(stat.ppid) ?? [];
        siblings.push({ pid, startTicks: stat.startTicks, command: stat.command });
        byParent.set(stat.ppid, siblings);
      }),
  );
  const found: ProcessIdentity[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The ones among `processes` still alive (same pid, same start time). */
export async function stillAlive(processes: Iterable<ProcessIdentity>): Promise<ProcessIdentity[]> {
  const alive: ProcessIdentity[] = [];
  for (const process of processes) {
    const stat = await readStat(process.pid);
    // A zombie (Z) has exited; only its parent has not collected it yet.
    if (stat && stat.startTicks === process.startTicks && stat.state !== 'Z') alive.push(process);
  }
  return alive;
}

/**
 * Records every descendant of `rootPid` seen while the run goes on (short-lived ones such as an
 * `aws` call included, as far as polling catches them), until stop() is called.
 */
export function watchDescendants(
  rootPid: number,
  intervalMs = 100,
): {
  seen(): ProcessIdentity[];
  stop(): Promise<ProcessIdentity[]>;
} {
  const seen = new Map<string, ProcessIdentity>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const process of await descendantsOf(rootPid))
        seen.set(`${process.pid}:${process.startTicks}`, process);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    seen: () => [...seen.values()],
    async stop() {
      stopped = true;
      await loop;
      return [...seen.values()];
    },
  };
}

/** Processes of the run that outlive it, allowing a moment for the last ones to be reaped. */
export async function survivors(processes: ProcessIdentity[]): Promise<ProcessIdentity[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const alive = await stillAlive(processes);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
