// What a forced exit or SIGKILL of the simulator would otherwise leave: pod process groups (host
// processes, spawned detached) and state directories holding tokens. The simulator tells a reaper
// process about each (reaper-process.ts); when this process goes away however it goes, the reaper's
// IPC channel closes and it cleans up. One reaper serves every simulator of the process; it is started
// on first use and never keeps the event loop alive.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REAPER_SCRIPT = fileURLToPath(new URL('./reaper-process.ts', import.meta.url));

type Message = { type: 'track' | 'untrack'; pgid: number } | { type: 'path' | 'unpath'; path: string };

let reaper: ChildProcess | undefined;
let unavailable = false;

function send(message: Message): void {
  if (unavailable) return;
  if (!reaper) {
    try {
      reaper = spawn(process.execPath, [REAPER_SCRIPT], {
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      });
    } catch {
      unavailable = true;
      return;
    }
    reaper.once('error', () => {
      unavailable = true;
      reaper = undefined;
    });
    reaper.once('exit', () => {
      reaper = undefined;
    });
    reaper.unref();
    reaper.channel?.unref();
  }
  if (reaper.connected) reaper.send(message, () => {});
}

/** A process group to SIGKILL if this process dies before `untrackGroup`. */
export function trackGroup(pgid: number): void {
  send({ type: 'track', pgid });
}

export function untrackGroup(pgid: number): void {
  send({ type: 'untrack', pgid });
}

/** A directory to remove if this process dies before `untrackPath`. */
export function trackPath(path: string): void {
  send({ type: 'path', path });
}

export function untrackPath(path: string): void {
  send({ type: 'unpath', path });
}
