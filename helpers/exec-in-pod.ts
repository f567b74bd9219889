// Runs a command in a pod over the Kubernetes exec websocket (client-node's Exec), the way
// `kubectl exec` does, and returns its exit code and output.

import { Readable, Writable } from 'node:stream';
import { CoreV1Api, Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export interface ExecRequest {
  namespace: string;
  pod: string;
  container?: string;
  argv: string[];
  /** Kill the exec (close the stream) after this long. Default 60 s. */
  timeoutMs?: number;
  stdin?: string | Buffer;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class ExecTimeout extends Error {
  override readonly name = 'ExecTimeout';
}

/** Kubernetes reports a non-zero exit as Status{reason: NonZeroExitCode, details.causes[ExitCode]}. */
export function exitCodeFromStatus(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : -1;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function execInPod(kubeConfig: KubeConfig, request: ExecRequest): Promise<ExecResult> {
  const stdout = collector();
  const stderr = collector();
  // stdin is attached only when there is input: over the older exec protocols (before v5), client-node
  // closes the whole websocket when stdin ends, which would cut the command short.
  const stdin = request.stdin === undefined ? null : Readable.from([Buffer.from(request.stdin)]);
  const timeoutMs = request.timeoutMs ?? 60_000;
  const container =
    request.container ?? (await firstContainerName(kubeConfig, request.namespace, request.pod));
  const described = `exec ${JSON.stringify(request.argv[0])} in pod ${request.namespace}/${request.pod}`;

  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let socket: { close(): void } | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      socket?.close();
      finish(() => reject(new ExecTimeout(`${described} did not finish within ${timeoutMs} ms`)));
    }, timeoutMs);

    new Exec(kubeConfig)
      .exec(
        request.namespace,
        request.pod,
        container,
        request.argv,
        stdout.stream,
        stderr.stream,
        stdin,
        false,
        (status) => {
          // The status frame arrives before the socket closes; let pending output flush first.
          setImmediate(() =>
            finish(() =>
              resolve({ exitCode: exitCodeFromStatus(status), stdout: stdout.text(), stderr: stderr.text() }),
            ),
          );
        },
      )
      .then((ws) => {
        socket = ws;
        ws.on('close', () =>
          setImmediate(() =>
            finish(() =>
              reject(new Error(`${described}: the exec stream closed without an exit status (pod gone?)`)),
            ),
          ),
        );
      })
      .catch((error: unknown) =>
        finish(() =>
          reject(new Error(`${described} failed: ${error instanceof Error ? error.message : String(error)}`)),
        ),
      );
  });
}

async function firstContainerName(kubeConfig: KubeConfig, namespace: string, pod: string): Promise<string> {
  const found = await kubeConfig.makeApiClient(CoreV1Api).readNamespacedPod({ name: pod, namespace });
  const name = found.spec?.containers[0]?.name;
  if (!name) throw new Error(`pod ${namespace}/${pod} has no containers`);
  return name;
}
