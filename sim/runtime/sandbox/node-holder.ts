// The simulated node's network: this process runs inside the node's user, network, UTS and PID
// namespaces (started by node.ts through `unshare`), as PID 1 of the node's PID namespace, so every pod
// process (all in PID namespaces nested in it) dies with it. It gives the node its addresses on `lo`,
// opens listening sockets in the node's network namespace and hands them to the simulator over the IPC
// channel (the simulator serves the connections; clients keep their own addresses), and configures the
// node side of pods' veth links through one long-running `ip -batch`.
//
// Messages from the simulator: {type:'listen', id, host, port}, {type:'ip', id, commands}.
// Messages to it: {type:'ready'} | {type:'failed', message}, {type:'listening', id, error?} (+ the
// server handle), {type:'ip-done', id, errors}.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

interface ListenRequest {
  type: 'listen';
  id: number;
  host: string;
  port: number;
}
interface IpRequest {
  type: 'ip';
  id: number;
  commands: string[];
}
type Request = ListenRequest | IpRequest;

const send = (message: object, handle?: import('node:net').Server) =>
  new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, handle as never, {}, () => resolve());
  });

/** One `ip -force -batch -` for the life of the node: commands in, errors out, a marker per request. */
class IpBatch {
  #child!: ChildProcess;
  #buffer = '';
  #queue: Array<{ commands: string[]; resolve: (errors: string[]) => void }> = [];
  #current?: { resolve: (errors: string[]) => void; errors: string[] };

  constructor() {
    this.#start();
  }

  #start(): void {
    // stderr into stdout, so errors arrive in order with the marker's output.
    const child = spawn('sh', ['-c', 'exec ip -force -batch - 2>&1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child = child;
    this.#buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.#onOutput(chunk));
    // ip gives up on a command it cannot parse even with -force: that request fails, the next get a new ip.
    child.on('exit', () => {
      const current = this.#current;
      this.#current = undefined;
      current?.resolve([...current.errors, 'ip -batch exited']);
      this.#start();
      this.#next();
    });
  }

  run(commands: string[]): Promise<string[]> {
    return new Promise((resolve) => {
      this.#queue.push({ commands, resolve });
      this.#next();
    });
  }

  #next(): void {
    if (this.#current) return;
    const request = this.#queue.shift();
    if (!request) return;
    this.#current = { resolve: request.resolve, errors: [] };
    // `link show dev lo` ends each request: its "link/loopback" line says the commands before it ran.
    this.#child.stdin?.write(`${[...request.commands, 'link show dev lo'].join('\n')}\n`);
  }

  #onOutput(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      newline = this.#buffer.indexOf('\n');
      const current = this.#current;
      if (!current) continue;
      if (/^\s+link\/loopback /.test(line)) {
        this.#current = undefined;
        current.resolve(current.errors);
        this.#next();
      } else if (!/^\d+: lo: /.test(line) && line.trim() !== '') {
        current.errors.push(line.trim());
      }
    }
  }
}

async function main(): Promise<void> {
  const [hostname, ...addresses] = process.argv.slice(2);
  // sethostname(2), allowed in the node's UTS namespace (writing /proc/sys/kernel/hostname is not, unprivileged).
  const named = spawnSync('hostname', [hostname ?? 'node'], { encoding: 'utf8' });
  if (named.status !== 0) throw new Error(`hostname: ${named.stderr || named.error?.message}`);
  const ip = new IpBatch();
  const errors = await ip.run([
    'link set lo up',
    ...addresses.map((address) =>
      address.includes(':') ? `addr add ${address}/128 dev lo nodad` : `addr add ${address}/32 dev lo`,
    ),
  ]);
  if (errors.length > 0) {
    await send({ type: 'failed', message: `configuring the node's addresses: ${errors.join('; ')}` });
    process.exit(1);
  }
  process.on('message', (request: Request) => {
    if (request.type === 'listen') {
      const server = createServer();
      server.once('error', (error) => void send({ type: 'listening', id: request.id, error: error.message }));
      server.listen({ host: request.host, port: request.port, exclusive: true }, () => {
        // The simulator accepts on its copy of the socket; this process must not accept on its own.
        void send({ type: 'listening', id: request.id }, server).then(() => server.close());
      });
    } else if (request.type === 'ip') {
      void ip.run(request.commands).then((errors) => send({ type: 'ip-done', id: request.id, errors }));
    }
  });
  // The simulator going away ends the node, and with it (PID 1 of the node's PID namespace) every pod.
  process.on('disconnect', () => process.exit(0));
  await send({ type: 'ready' });
}

main().catch(async (error: unknown) => {
  await send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
