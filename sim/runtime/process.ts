// Processes of pods, each the leader of its own process group (spawned detached), so stopping a
// container or an exec reaches every process it started: SIGTERM to the group, SIGKILL after the
// grace period, then a wait until the group is really gone.

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { trackGroup, untrackGroup } from './reaper.ts';

export interface ProcessExit {
  /** Exit code as a container runtime reports it: the code, or 128 + signal number when killed. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (e.g. the command is not on PATH). */
  spawnError?: NodeJS.ErrnoException;
}

export interface GroupProcessOptions {
  cwd: string;
  env: Record<string, string>;
  stdin: boolean;
  /**
   * The spawned process is a launcher (nsenter) whose only child is the real process, and which exits
   * as that child exits: SIGTERM goes to the child, so the launcher reports the child's own exit.
   */
  signalChild?: boolean;
}

/**
 * Whether any process of the group still runs. Zombies do not count: a child orphaned by the group's
 * leader is reaped by PID 1, which (in containers) may take its time. Without /proc, kill(-pgid, 0).
 */
function groupRunning(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return 0;
}

export class GroupProcess {
  readonly child: ChildProcess;
  /** Resolves when the leader has exited (its status is known). */
  readonly exited: Promise<ProcessExit>;
  /** Resolves when the leader has exited and its stdout/stderr are closed (all output delivered). */
  readonly closed: Promise<ProcessExit>;
  #exit?: ProcessExit;
  readonly #signalChild: boolean;

  constructor(argv: string[], options: GroupProcessOptions) {
    this.#signalChild = options.signalChild ?? false;
    this.child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    // Writing to a process that has exited raises EPIPE on its stdin: nothing to report.
    this.child.stdin?.on('error', () => {});
    // Killed with the simulator, however it ends; forgotten once its output is closed (the pgid may be reused).
    const pgid = this.child.pid;
    if (pgid !== undefined) {
      trackGroup(pgid);
      this.child.once('close', () => untrackGroup(pgid));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit ??= { exitCode: exitCodeOf(code, signal), signal };
        resolve(this.#exit);
      });
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        if (this.child.pid === undefined) {
          this.#exit ??= { exitCode: error.code === 'ENOENT' ? 127 : 126, signal: null, spawnError: error };
          resolve(this.#exit);
        }
      });
    });
    this.closed = new Promise((resolve) => {
      this.child.once('close', () => {
        void this.exited.then(resolve);
      });
      this.child.once('error', () => {
        if (this.child.pid === undefined) void this.exited.then(resolve);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Sends a signal to the whole process group; false when no process of the group is left. */
  signalGroup(signal: NodeJS.Signals | 0): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  groupAlive(): boolean {
    const pid = this.child.pid;
    return pid !== undefined && groupRunning(pid);
  }

  /**
   * SIGTERM to the group, SIGKILL after `graceMs` if the leader is still running, then waits (bounded)
   * until no process of the group is left.
   */
  async terminate(graceMs: number): Promise<void> {
    if (this.child.pid === undefined) return;
    if (!this.hasExited && graceMs > 0) {
      const child = this.#signalChild ? childOf(this.child.pid) : undefined;
      if (child !== undefined) {
        try {
          process.kill(child, 'SIGTERM');
        } catch {
          // already gone
        }
      } else {
        this.signalGroup('SIGTERM');
      }
      const timer = delay(graceMs, 'timeout' as const);
      const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timer]);
      if (outcome === 'timeout') this.signalGroup('SIGKILL');
    } else {
      this.signalGroup('SIGKILL');
    }
    // Stragglers of the group (children that ignored SIGTERM, or outlived the leader) get SIGKILL.
    const deadline = Date.now() + 5000;
    this.signalGroup('SIGKILL');
    while (Date.now() < deadline) {
      if (this.hasExited && !this.groupAlive()) break;
      this.signalGroup('SIGKILL');
      await delay(10);
    }
    await Promise.race([this.exited, delay(1000)]);
  }
}

/** The first child of a process, from /proc (undefined without one). */
function childOf(pid: number): number | undefined {
  try {
    const child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(child) && child > 0 ? child : undefined;
  } catch {
    return undefined;
  }
}
