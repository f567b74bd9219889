// Console output of the run (vitest's own reporter prints assertion diffs and test logs) passes through
// redact() on its way to the terminal, so a secret in a failing assertion does not reach CI logs.

import { Writable } from 'node:stream';

/** What vitest accepts as its output: a process stream or any Writable. */
export type OutputStream = NodeJS.WriteStream | Writable;

export function redactingStream(target: OutputStream, clean: (text: string) => string): Writable {
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(clean(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
      callback();
    },
  });
  // vitest draws its live progress only on terminals: keep answering like the real stream.
  const terminal = target as { isTTY?: boolean; columns?: number };
  Object.defineProperty(stream, 'isTTY', { get: () => terminal.isTTY });
  Object.defineProperty(stream, 'columns', { get: () => terminal.columns });
  return stream;
}
