// Connection- and body-level limits shared by the simulator's listeners (the AWS endpoint over HTTP,
// the API server over HTTPS): a connection cap, header, request, keep-alive and idle timeouts, and
// body reads that stop at a limit instead of buffering what comes.

import type { Server as HttpServer, IncomingMessage, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections per listener; more are closed at once. */
  maxConnections: number;
  /** Time to receive a request's headers (slow-header clients are cut with a 408); over TLS, also the handshake. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** A connection without any traffic for this long is closed. */
  idleTimeoutMs: number;
}

/** `defaults` with the given values, each a positive integer; `who` names the simulator in errors. */
export function resolveLimits<T extends ConnectionLimits>(defaults: T, given: Partial<T>, who: string): T {
  const limits = { ...defaults };
  for (const [name, value] of Object.entries(given) as Array<[keyof T & string, number | undefined]>) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`${who}: ${name} must be a positive integer, got ${value}.`);
    (limits as unknown as Record<string, number>)[name] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error(`${who}: headersTimeoutMs must not exceed requestTimeoutMs.`);
  return limits;
}

/** Options for http(s).createServer. Node checks the header and request timeouts every check interval. */
export function serverOptions(limits: ConnectionLimits): ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    // Only https servers read it: the TLS handshake gets the headers' time.
    handshakeTimeout: limits.headersTimeoutMs,
  };
}

export function applyConnectionLimits(
  server: Pick<HttpServer, 'maxConnections' | 'setTimeout'>,
  limits: ConnectionLimits,
): void {
  server.maxConnections = limits.maxConnections;
  // No 'timeout' listener: Node destroys the idle socket.
  server.setTimeout(limits.idleTimeoutMs);
}

/** True when the request announces a body (a length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Counts connections handed over from elsewhere (server.maxConnections only sees accepted ones). */
export class RelayedConnections {
  readonly #max: number;
  #open = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** False (and the socket destroyed) when the cap is reached. */
  admit(socket: Socket): boolean {
    if (this.#open >= this.#max) {
      socket.destroy();
      return false;
    }
    this.#open++;
    socket.once('close', () => this.#open--);
    return true;
  }
}

/** After a refusal, what is read and discarded of the body at most, and for how long. */
const LINGER_BYTES = 4 * 1024 * 1024;
const LINGER_MS = 1000;

/**
 * Closes in stages after a `Connection: close` response that leaves the body unread (RFC 9112 §9.6):
 * half-close, discard what the client still sends (up to LINGER_BYTES or LINGER_MS, or until the body
 * ends), then close, so that a client still sending reads the answer instead of a connection reset.
 */
export function lingerThenClose(req: IncomingMessage): void {
  const socket = req.socket;
  let answered = false;
  let drained = false;
  const closeIfDone = () => {
    if (answered && drained) socket.destroy();
  };
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) {
      req.pause();
      drained = true;
      closeIfDone();
    }
  });
  req.once('end', () => {
    drained = true;
    closeIfDone();
  });
  req.resume();
  // Node ends such a response with socket.destroySoon(), which destroys the socket once the response is
  // flushed, unread data and all (a reset): for this socket, end it and destroy it after the linger.
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
    const flushed = () => {
      answered = true;
      closeIfDone();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    };
    if (socket.writableFinished) flushed();
    else socket.once('finish', flushed);
  };
}

/** The Content-Length, when sent and a number. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length)) return undefined;
  return Number(length);
}

/**
 * Reads the body up to `limit` bytes. Past the limit it stops (the rest stays unread, the stream
 * paused) and answers 'too-large'; rejects when the client goes away first.
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = () => {
      cleanup();
      reject(new Error('the client went away in the middle of the body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
