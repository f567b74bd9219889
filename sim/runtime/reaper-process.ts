// The reaper: a small process that outlives the simulator only long enough to clean up after it. It
// holds the list of pod process groups and state directories the simulator told it about; when the
// simulator's IPC channel closes (a normal close, a forced exit, SIGKILL), it kills those groups and
// removes those directories, then exits. It runs in its own process group, so the Ctrl-C that reaches
// the runner's group does not end it before its work.
//
// Messages: {type:'track'|'untrack', pgid} and {type:'path'|'unpath', path}.

import { rmSync } from 'node:fs';

type Message = { type: 'track' | 'untrack'; pgid: number } | { type: 'path' | 'unpath'; path: string };

const groups = new Set<number>();
const paths = new Set<string>();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

process.on('message', (message: Message) => {
  if (message.type === 'track') groups.add(message.pgid);
  else if (message.type === 'untrack') groups.delete(message.pgid);
  else if (message.type === 'path') paths.add(message.path);
  else if (message.type === 'unpath') paths.delete(message.path);
});

process.on('disconnect', () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // nothing more to do: the directory is named in the simulator's README as a temp dir
    }
  }
  process.exit(0);
});
