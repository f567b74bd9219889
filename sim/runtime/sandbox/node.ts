// The simulated node: a user, network, UTS and PID namespace made without root (`unshare --user
// --map-root-user`), held by node-holder.ts. Pods are created inside it (pod.ts); services the
// simulator offers on the node's addresses (the agent on 169.254.170.23 and [fd00:ec2::23], IMDS on
// 169.254.169.254, the API server's service address, the AWS endpoint on the node's IP) are sockets the
// holder opens there and passes here, so their connections arrive with the pod's address as the peer.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The node's addresses, as on an EKS node (VPC address, link-local agent and IMDS, service IP). */
export const NODE_NETWORK = {
  nodeIP: '192.168.0.10',
  agentIPv4: '169.254.170.23',
  agentIPv6: 'fd00:ec2::23',
  imdsIPv4: '169.254.169.254',
  imdsIPv6: 'fd00:ec2::254',
  kubernetesServiceIP: '10.100.0.1',
  /** The pods' default gateway: a link-local address answered by the node side of every veth. */
  gatewayIPv4: '169.254.1.1',
  gatewayIPv6: 'fe80::1',
  gatewayMac: 'ee:ee:ee:ee:ee:ee',
} as const;

/** The addresses the node itself has (on its `lo`): connections from the host network come from these. */
export const NODE_LOCAL_ADDRESSES: readonly string[] = [
  NODE_NETWORK.nodeIP,
  NODE_NETWORK.agentIPv4,
  NODE_NETWORK.agentIPv6,
  NODE_NETWORK.imdsIPv4,
  NODE_NETWORK.imdsIPv6,
  NODE_NETWORK.kubernetesServiceIP,
];

const HOLDER_SCRIPT = fileURLToPath(new URL('./node-holder.ts', import.meta.url));
const START_TIMEOUT_MS = 10_000;

export class SandboxUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailable';
  }
}

type HolderMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'listening'; id: number; error?: string }
  | { type: 'ip-done'; id: number; errors: string[] };

export class NodeSandbox {
  readonly #child: ChildProcess;
  readonly hostname: string;
  #nextId = 1;
  #pending = new Map<number, (message: HolderMessage, handle?: Server) => void>();
  #servers: Server[] = [];
  #closed = false;

  private constructor(child: ChildProcess, hostname: string) {
    this.#child = child;
    this.hostname = hostname;
    child.on('message', (message: HolderMessage, handle?: Server) => {
      if ('id' in message) {
        const resolve = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (this.#pending.size === 0) child.channel?.unref();
        resolve?.(message, handle);
      }
    });
  }

  /**
   * Starts the node's namespaces; throws SandboxUnavailable (with the reason) where user namespaces,
   * `unshare`/`nsenter` or veth links are not available.
   */
  static async start(hostname: string): Promise<NodeSandbox> {
    if (process.platform !== 'linux')
      throw new SandboxUnavailable(`Linux namespaces are not available on ${process.platform}`);
    const addresses = NODE_LOCAL_ADDRESSES;
    // setpriv: the holder's unshare dies with this process (even on SIGKILL); --kill-child: the holder
    // (PID 1 of the node's PID namespace, so every pod with it) dies with unshare.
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        '--',
        'unshare',
        '--user',
        '--map-root-user',
        '--net',
        '--uts',
        '--pid',
        '--fork',
        '--kill-child',
        '--',
        process.execPath,
        HOLDER_SCRIPT,
        hostname,
        ...addresses,
      ],
      // Its own process group: the Ctrl-C that reaches the runner's group must not end the node (and
      // every pod) before the teardown; it ends when the simulator's IPC channel closes.
      { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const outcome = await new Promise<HolderMessage | Error>((resolve) => {
      const timer = setTimeout(
        () => resolve(new Error('the node namespace did not start in time')),
        START_TIMEOUT_MS,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(new Error(stderr.trim().split('\n').pop() || `exited with ${code ?? signal}`));
      });
      child.on('message', (message: HolderMessage) => {
        if (message.type === 'ready' || message.type === 'failed') {
          clearTimeout(timer);
          resolve(message);
        }
      });
    });
    if (outcome instanceof Error || outcome.type === 'failed') {
      child.kill('SIGKILL');
      const why = outcome instanceof Error ? outcome.message : outcome.message;
      throw new SandboxUnavailable(`unprivileged user and network namespaces are not usable here (${why})`);
    }
    // Only the pod runtime holds the simulator alive, not the holder.
    child.unref();
    child.channel?.unref();
    child.stderr?.destroy();
    return new NodeSandbox(child, hostname);
  }

  /** Host PID whose /proc/PID/ns/{user,net,uts} are the node's and ns/pid_for_children its PID namespace. */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  nsPath(kind: 'user' | 'net' | 'uts' | 'pid_for_children'): string {
    return `/proc/${this.pid}/ns/${kind}`;
  }

  #request(message: {
    type: string;
    [key: string]: unknown;
  }): Promise<{ message: HolderMessage; handle?: Server }> {
    if (this.#closed) return Promise.reject(new Error('the node sandbox is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply, handle) => resolve({ message: reply, handle }));
      // The channel keeps the simulator alive only while it waits for an answer.
      this.#child.channel?.ref();
      this.#child.send({ ...message, id }, (error) => {
        if (error) {
          this.#pending.delete(id);
          reject(error);
        }
      });
    });
  }

  /**
   * Listens on `host:port` inside the node's network namespace; each connection goes to `onConnection`
   * (e.g. `(socket) => httpServer.emit('connection', socket)`).
   */
  async listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<void> {
    const { message, handle } = await this.#request({ type: 'listen', host, port });
    if (message.type !== 'listening' || message.error || !handle)
      throw new Error(
        `listening on ${host}:${port} in the node namespace failed: ${message.type === 'listening' ? message.error : 'no socket'}`,
      );
    handle.on('connection', onConnection);
    handle.on('error', () => {});
    handle.unref();
    this.#servers.push(handle);
  }

  /** Runs `ip` batch commands in the node's network namespace; rejects with ip's errors. */
  async ip(commands: string[]): Promise<void> {
    const { message } = await this.#request({ type: 'ip', commands });
    if (message.type === 'ip-done' && message.errors.length > 0)
      throw new Error(`ip in the node namespace: ${message.errors.join('; ')}`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const server of this.#servers) server.close();
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.ref();
      const exited = once(this.#child, 'exit');
      this.#child.kill('SIGKILL');
      await exited;
    }
  }
}
