// A pod in the node: its own network (a veth link to the node, the pod's IPv4 and IPv6 address, the
// node as default gateway), UTS (hostname = pod name), mount (every container's root, planned by
// rootfs.ts) and PID namespaces, held by a pause process (`sleep infinity` as PID 1). Containers and
// execs join them with `nsenter`, chrooted into their container's root; nothing is rewritten in their
// argv or environment. hostNetwork pods share the node's network and UTS namespaces.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE_NETWORK, type NodeSandbox } from './node.ts';
import { type ContainerRootPlan, fstabLines } from './rootfs.ts';

const PAUSE_TIMEOUT_MS = 10_000;

export interface PodAddresses {
  ipv4: string;
  ipv6: string;
}

let podCounter = 0;

/** The next pod's addresses and interface names: 10.0.0.0/16 and fd00:10::/64, as a VPC CNI would hand out. */
export function allocatePodNetwork(): PodAddresses & { index: number } {
  podCounter = (podCounter % 65_000) + 1;
  const index = podCounter;
  return {
    index,
    ipv4: `10.0.${Math.floor(index / 250)}.${(index % 250) + 2}`,
    ipv6: `fd00:10::${index.toString(16)}`,
  };
}

function macOf(index: number): string {
  const hex = index.toString(16).padStart(8, '0');
  return `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
}

/**
 * Routes that send packets for `addresses` to a next hop with a MAC nobody has: the node's side of the
 * veth discards frames not addressed to it, so the SYN goes unanswered (a timeout, not a refusal).
 */
function droppingRoutes(addresses: string[]): string[] {
  if (addresses.length === 0) return [];
  const nowhere = { ipv4: '169.254.1.254', ipv6: 'fe80::dead', mac: '02:00:00:00:de:ad' };
  const lines = [
    `route add ${nowhere.ipv4} dev eth0 scope link`,
    `neigh add ${nowhere.ipv4} lladdr ${nowhere.mac} dev eth0`,
    `neigh add ${nowhere.ipv6} lladdr ${nowhere.mac} dev eth0`,
  ];
  for (const address of addresses) {
    lines.push(
      address.includes(':')
        ? `route add ${address}/128 via ${nowhere.ipv6} dev eth0`
        : `route add ${address}/32 via ${nowhere.ipv4} dev eth0`,
    );
  }
  return lines;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface PodSandboxSpec {
  /** Sandbox directory on the host: the pause's fstab and the kubelet's files go here. */
  dir: string;
  hostname: string;
  hostNetwork: boolean;
  containers: ContainerRootPlan[];
  /**
   * Addresses whose packets the pod's network drops without an answer, as a network policy does (or a
   * node without the agent, where nothing holds 169.254.170.23): connections to them time out.
   */
  droppedAddresses?: string[];
  /** Runs once the pod's addresses are known, before the pod's mounts are made. */
  beforeMount?: (addresses: PodAddresses | undefined) => Promise<void>;
}

/** The running pause process of one pod, and how to start processes in its namespaces. */
export class PodNamespaces {
  readonly #node: NodeSandbox;
  readonly #pause: ChildProcess;
  /** Host PID of the pod's `unshare`: /proc/PID/ns/{net,uts,mnt} are the pod's, pid_for_children its PID namespace. */
  readonly #holderPid: number;
  readonly addresses?: PodAddresses;

  private constructor(node: NodeSandbox, pause: ChildProcess, holderPid: number, addresses?: PodAddresses) {
    this.#node = node;
    this.#pause = pause;
    this.#holderPid = holderPid;
    this.addresses = addresses;
  }

  static async start(node: NodeSandbox, spec: PodSandboxSpec): Promise<PodNamespaces> {
    const network = spec.hostNetwork ? undefined : allocatePodNetwork();
    const veth = network ? `pic${network.index.toString(16)}` : undefined;
    await spec.beforeMount?.(network);
    const fstab = spec.containers.flatMap((plan) => fstabLines(plan));
    const fstabPath = join(spec.dir, 'fstab');
    await writeFile(fstabPath, `${fstab.join('\n')}\n`);
    const script = ['set -e'];
    if (network && veth) {
      const mac = macOf(network.index);
      const ipPath = join(spec.dir, 'ip.batch');
      await writeFile(
        ipPath,
        [
          `link add eth0 address ${mac} type veth peer name ${veth} address ${NODE_NETWORK.gatewayMac} netns ${node.nsPath('net')}`,
          'link set lo up',
          'link set eth0 up',
          `addr add ${network.ipv4}/32 dev eth0`,
          `addr add ${network.ipv6}/128 dev eth0 nodad`,
          `route add ${NODE_NETWORK.gatewayIPv4} dev eth0 scope link`,
          `route add default via ${NODE_NETWORK.gatewayIPv4} dev eth0`,
          `neigh add ${NODE_NETWORK.gatewayIPv4} lladdr ${NODE_NETWORK.gatewayMac} dev eth0`,
          `route add ${NODE_NETWORK.gatewayIPv6} dev eth0`,
          `route add default via ${NODE_NETWORK.gatewayIPv6} dev eth0`,
          `neigh add ${NODE_NETWORK.gatewayIPv6} lladdr ${NODE_NETWORK.gatewayMac} dev eth0`,
          ...droppingRoutes(spec.droppedAddresses ?? []),
          '',
        ].join('\n'),
      );
      // Every exec costs milliseconds: the hostname is written, not set by `hostname`, and the links are
      // configured while the mounts are made.
      script.push(`printf %s ${shellQuote(spec.hostname)} > /proc/sys/kernel/hostname`);
      script.push(`ip -batch ${shellQuote(ipPath)} & ip_batch=$!`);
    }
    if (fstab.length > 0) script.push(`mount --all --fstab ${shellQuote(fstabPath)}`);
    if (network) script.push('wait $ip_batch');
    script.push('echo ready', 'exec sleep infinity');

    const namespaces = spec.hostNetwork ? [`--net=${node.nsPath('net')}`, `--uts=${node.nsPath('uts')}`] : [];
    const pause = spawn(
      'nsenter',
      [
        `--user=${node.nsPath('user')}`,
        '--preserve-credentials',
        `--pid=${node.nsPath('pid_for_children')}`,
        ...namespaces,
        '--',
        'unshare',
        ...(spec.hostNetwork ? [] : ['--net', '--uts']),
        '--mount',
        '--pid',
        '--fork',
        '--kill-child',
        '--',
        'sh',
        '-c',
        script.join('\n'),
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    pause.stderr?.setEncoding('utf8');
    pause.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const ready = await new Promise<true | string>((resolve) => {
      const timer = setTimeout(() => resolve('the pod sandbox did not start in time'), PAUSE_TIMEOUT_MS);
      pause.stdout?.setEncoding('utf8');
      pause.stdout?.on('data', (chunk: string) => {
        if (chunk.includes('ready')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      pause.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(stderr.trim() || `the pod sandbox exited with ${code ?? signal}`);
      });
      pause.once('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
    });
    const holderPid = ready === true ? childOf(pause.pid ?? 0) : undefined;
    if (ready !== true || holderPid === undefined) {
      killGroup(pause);
      throw new Error(ready === true ? 'the pod sandbox has no namespace holder' : ready);
    }
    if (network && veth) {
      try {
        await node.ip([
          `link set ${veth} up`,
          `route add ${network.ipv4}/32 dev ${veth}`,
          `route add ${network.ipv6}/128 dev ${veth}`,
          `neigh add ${network.ipv4} lladdr ${macOf(network.index)} dev ${veth}`,
          `neigh add ${network.ipv6} lladdr ${macOf(network.index)} dev ${veth}`,
        ]);
      } catch (error) {
        killGroup(pause);
        throw error;
      }
    }
    pause.stdout?.destroy();
    return new PodNamespaces(node, pause, holderPid, network);
  }

  /**
   * argv that runs `command` in the pod, in the container whose root is `root` (a host path), with the
   * working directory `workingDir` (a container path).
   */
  argvFor(root: string, workingDir: string, command: string[]): string[] {
    const inPod = `/proc/${this.#holderPid}/root${root}`;
    return [
      'nsenter',
      `--user=${this.#node.nsPath('user')}`,
      '--preserve-credentials',
      `--net=/proc/${this.#holderPid}/ns/net`,
      `--uts=/proc/${this.#holderPid}/ns/uts`,
      `--mount=/proc/${this.#holderPid}/ns/mnt`,
      `--pid=/proc/${this.#holderPid}/ns/pid_for_children`,
      `--root=${inPod}`,
      `--wd=${join(inPod, workingDir)}`,
      '--',
      ...command,
    ];
  }

  /** Whether `command` is an executable file in the container with root `root`, found on `path`. */
  findExecutable(root: string, command: string, path: string): boolean {
    const inPod = `/proc/${this.#holderPid}/root${root}`;
    const candidates = command.includes('/')
      ? [command]
      : path
          .split(':')
          .filter((dir) => dir !== '')
          .map((dir) => join(dir, command));
    return candidates.some((candidate) => {
      try {
        accessSync(join(inPod, candidate), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Ends the pod's PID namespace (and so every process of the pod) and removes its link. */
  async stop(): Promise<void> {
    const exited =
      this.#pause.exitCode === null && this.#pause.signalCode === null
        ? new Promise<void>((resolve) => this.#pause.once('exit', () => resolve()))
        : Promise.resolve();
    killGroup(this.#pause);
    await exited;
    // The veth pair goes with the pod's network namespace; nothing to remove on the node side.
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** The one child of a process (nsenter forks once to enter a PID namespace). */
function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const child = Number(children[0]);
    return Number.isInteger(child) && child > 0 ? child : undefined;
  } catch {
    return undefined;
  }
}
