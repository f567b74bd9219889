// A client that announces a body and sends it slowly, in 64 KiB pieces, until the server answers: how
// the limits tests of both listeners see whether a server answered before reading what was announced.

import type { Socket } from 'node:net';

export interface Exchange {
  /** Everything the server sent. */
  reply: string;
  /** Body bytes sent when the first byte of the answer arrived (-1: no answer). */
  sentWhenAnswered: number;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Writes `head` on `socket` once `ready` (a connected socket's is at once), then up to `bodyBytes` of
 * body, pausing between pieces; resolves once the server has closed or 500 ms after its answer, and
 * rejects when nothing came within 20 s.
 */
export function exchangeSlowBody(
  socket: Socket,
  head: string,
  bodyBytes: number,
  { chunked = false, ready }: { chunked?: boolean; ready?: 'connect' } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let reply = '';
    let sent = 0;
    let sentWhenAnswered = -1;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ reply, sentWhenAnswered, closed });
    };
    socket.on('data', (data) => {
      if (sentWhenAnswered < 0) sentWhenAnswered = sent;
      reply += data.toString('latin1');
      setTimeout(() => finish(false), 500);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      if (done || sentWhenAnswered >= 0 || sent >= bodyBytes || socket.destroyed) return;
      sent += piece.length;
      const data = chunked
        ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        : piece;
      socket.write(data, () => setTimeout(pump, 2));
    };
    const start = () => socket.write(head, () => setTimeout(pump, 20));
    if (ready === 'connect') socket.once('connect', start);
    else start();
    setTimeout(
      () => (done ? undefined : reject(new Error(`no answer; got ${JSON.stringify(reply)}`))),
      20_000,
    ).unref();
  });
}
