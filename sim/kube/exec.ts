// `pods/exec` over websocket, with the channel protocols kubectl and client-node speak:
// v5.channel.k8s.io and v4.channel.k8s.io. Every binary message starts with a channel byte:
// 0 stdin, 1 stdout, 2 stderr, 3 status (a JSON Status when the command ends), 4 terminal resize,
// 255 close (v5: the client's stdin is done).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import { WebSocket, WebSocketServer } from 'ws';
import { ExecTargetError } from '../runtime/pod-runtime.ts';
import type { GroupProcess } from '../runtime/process.ts';
import type { KubeContext } from './context.ts';
import { badRequest, KubeStatusError, notFound } from './status.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface ExecTarget {
  namespace: string;
  pod: string;
}

function frame(channel: number, data?: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + (data?.length ?? 0));
  out[0] = channel;
  data?.copy(out, 1);
  return out;
}

/** The Status the kubelet sends on the status channel when a command has ended. */
export function execStatus(command: string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command '${command.join(' ')}' exited with ${exitCode}: `,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** Writes an HTTP error response (a Status) on a socket that was not upgraded. */
export function rejectUpgrade(socket: Duplex, error: KubeStatusError): void {
  const body = JSON.stringify(error.status);
  const reason = error.status.reason ?? 'Error';
  socket.end(
    `HTTP/1.1 ${error.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class ExecServer {
  readonly #ctx: KubeContext;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<{ ws: WebSocket; process?: GroupProcess }>();

  constructor(ctx: KubeContext) {
    this.#ctx = ctx;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (protocols) => EXEC_PROTOCOLS.find((p) => protocols.has(p)) ?? false,
    });
  }

  /** Validates the exec request, then upgrades the connection and runs the command. */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: ExecTarget,
    query: URLSearchParams,
  ): void {
    let pod: V1Pod;
    let container: string;
    let command: string[];
    try {
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!EXEC_PROTOCOLS.some((p) => offered.includes(p))) {
        throw badRequest(
          `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${EXEC_PROTOCOLS.join(' ')}]`,
        );
      }
      const found = this.#ctx.store.get<V1Pod>('pods', target.namespace, target.pod);
      if (!found) throw notFound('pods', target.pod);
      pod = found;
      const names = (pod.spec?.containers ?? []).map((c) => c.name);
      const initNames = (pod.spec?.initContainers ?? []).map((c) => c.name);
      container = query.get('container') ?? '';
      if (!container) {
        const preferred = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
        if (names.length === 1) container = names[0];
        else if (preferred) container = preferred;
        else
          throw badRequest(
            `a container name must be specified for pod ${target.pod}, choose one of: [${names.join(' ')}]`,
          );
      }
      if (!names.includes(container) && !initNames.includes(container)) {
        throw badRequest(`container ${container} is not valid for pod ${target.pod}`);
      }
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
      }
      const statuses = [
        ...(pod.status?.containerStatuses ?? []),
        ...(pod.status?.initContainerStatuses ?? []),
      ];
      if (!statuses.find((status) => status.name === container)?.state?.running) {
        throw badRequest(`container not found ("${container}")`);
      }
      command = query.getAll('command');
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      if (!flag(query, 'stdin') && !flag(query, 'stdout') && !flag(query, 'stderr')) {
        throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
      }
    } catch (error) {
      rejectUpgrade(socket, error instanceof KubeStatusError ? error : badRequest(String(error)));
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#session(ws, pod, container, command, query));
  }

  #session(ws: WebSocket, pod: V1Pod, container: string, command: string[], query: URLSearchParams): void {
    const wantStdin = flag(query, 'stdin');
    const wantStdout = flag(query, 'stdout');
    const tty = flag(query, 'tty');
    const wantStderr = flag(query, 'stderr') && !tty;
    const session: { ws: WebSocket; process?: GroupProcess } = { ws };
    this.#sessions.add(session);
    ws.on('close', () => this.#sessions.delete(session));
    ws.on('error', () => {});
    const send = (data: Buffer) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    };
    const finish = (status: Record<string, unknown>) => {
      send(frame(STATUS, Buffer.from(JSON.stringify(status))));
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    };

    // An empty message on the lowest writable channel tells the client the streams are ready.
    send(frame(wantStdout ? STDOUT : wantStderr ? STDERR : STATUS));

    let child: GroupProcess;
    try {
      child = this.#ctx.runtime.exec(pod, container, command, { stdin: wantStdin, tty });
    } catch (error) {
      const message = error instanceof ExecTargetError ? error.message : String(error);
      finish({ metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 });
      return;
    }
    session.process = child;
    child.child.stdout?.on('data', (chunk: Buffer) => {
      if (wantStdout) send(frame(STDOUT, chunk));
    });
    child.child.stderr?.on('data', (chunk: Buffer) => {
      if (wantStderr) send(frame(STDERR, chunk));
      else if (tty && wantStdout) send(frame(STDOUT, chunk));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (message.length === 0) return;
      const channel = message[0];
      if (channel === STDIN && wantStdin) child.child.stdin?.write(message.subarray(1));
      else if (channel === CLOSE && message[1] === STDIN) child.child.stdin?.end();
      // RESIZE: no terminal to resize (tty is not emulated).
      else if (channel === RESIZE) return;
    });
    ws.on('close', () => {
      child.child.stdin?.end();
      // The client is gone: nobody can read the rest of the output.
      if (!child.hasExited) void child.terminate(1000);
    });
    void child.closed.then((exit) => {
      if (exit.spawnError) {
        const reason =
          exit.spawnError.code === 'ENOENT' ? 'executable file not found in $PATH' : exit.spawnError.message;
        const message = `failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": ${reason}: unknown`;
        finish({
          metadata: {},
          status: 'Failure',
          message: `Internal error occurred: error executing command in container: ${message}`,
          reason: 'InternalError',
          details: { causes: [{ message: `error executing command in container: ${message}` }] },
          code: 500,
        });
        return;
      }
      finish(execStatus(command, exit.exitCode));
    });
  }

  /** Ends every exec session and stops its command. */
  async close(): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const session of this.#sessions) {
      session.ws.terminate();
      if (session.process) stopping.push(session.process.terminate(0));
    }
    await Promise.all(stopping);
    this.#wss.close();
  }
}
