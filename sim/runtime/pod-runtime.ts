// Pods as local processes. Each pod gets a sandbox directory (`<stateDir>/pods/<uid>/`) holding its
// volumes and logs; each container's command+args runs as a process group with the container's
// environment (then SpawnEnvHooks). The image is ignored.
// Two modes: with a node sandbox (sandbox/), every pod runs in its own network, UTS, mount and PID
// namespaces with its volumes at their real paths, and nothing is rewritten; without one (no
// unprivileged user namespaces), processes run on the host with mount paths in argv and env mapped into
// the sandbox directory.
// The pod's status follows the processes, and containers that end are restarted as the pod's
// restartPolicy says, with the kubelet's back-off (restartBackoffMs, doubling, capped at 30 times it).

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, realpathSync, type WriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import { ContainerConfigError, containerArgv, containerEnvironment } from './env.ts';
import { podPath } from './host-path.ts';
import { type MountMapping, mountMappings, rewriteMountPaths, volumeDirectory } from './paths.ts';
import { GroupProcess, type ProcessExit } from './process.ts';
import type { NodeSandbox } from './sandbox/node.ts';
import { PodNamespaces } from './sandbox/pod.ts';
import { type ContainerRootPlan, planContainerRoot } from './sandbox/rootfs.ts';
import type { ExecOptions, PodRuntimeHost, PodRuntimeOptions, PodStartLatency } from './types.ts';
import { materialiseVolume } from './volumes.ts';

const LOG_MEMORY_LIMIT = 16 * 1024 * 1024;

/** A container's output: kept in memory for the log endpoint and written to `logs/<container>.log`. */
export class ContainerLog extends EventEmitter {
  readonly path: string;
  #chunks: Buffer[] = [];
  #size = 0;
  #file: WriteStream;
  #ended = false;

  constructor(path: string) {
    super();
    this.path = path;
    this.#file = createWriteStream(path, { flags: 'a' });
    this.#file.on('error', () => {});
  }

  get ended(): boolean {
    return this.#ended;
  }

  write(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > LOG_MEMORY_LIMIT && this.#chunks.length > 1)
      this.#size -= this.#chunks.shift()?.length ?? 0;
    this.#file.write(chunk);
    this.emit('data', chunk);
  }

  content(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#file.end();
    this.emit('end');
  }
}

type ContainerKind = 'init' | 'sidecar' | 'main';

interface ContainerRun {
  spec: V1Container;
  kind: ContainerKind;
  state: V1ContainerState;
  containerID?: string;
  process?: GroupProcess;
  log?: ContainerLog;
  /** Environment after mount-path mapping, before SpawnEnvHooks (they run at every spawn). */
  env?: Record<string, string>;
  mappings?: MountMapping[];
  /** Sandbox mode: the container's root (a host directory) and working directory inside it. */
  root?: ContainerRootPlan;
  workingDir?: string;
  restartCount: number;
  /** The previous instance's end (the status' lastState), once the container restarts or waits to. */
  lastTerminated?: V1ContainerStateTerminated;
  /** The kubelet's back-off entry: the delay before the next restart, and when it was last set. */
  backoff?: { ms: number; since: number };
}

interface PodSandbox {
  pod: V1Pod;
  uid: string;
  dir: string;
  containers: Map<string, ContainerRun>;
  execs: Set<GroupProcess>;
  timers: Set<NodeJS.Timeout>;
  /** Aborted by stopPod: ends restart back-offs. */
  stop: AbortController;
  volumesReady: boolean;
  initFailed: boolean;
  initDone: boolean;
  stopping: boolean;
  started: Promise<void>;
  conditionTimes: Map<string, { status: string; time: string }>;
  startTime: string;
  /** Sandbox mode: the pod's namespaces, once made. */
  namespaces?: PodNamespaces;
}

/** Thrown by `exec` when the target container cannot run a command. */
export class ExecTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecTargetError';
  }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class PodRuntime {
  readonly #host: PodRuntimeHost;
  readonly #stateDir: string;
  readonly #podPathDirs: string[];
  readonly #extraToolDirs: string[];
  readonly #refreshFraction: number;
  readonly #maxGraceMs: number;
  readonly #backoffMs: number;
  readonly #pods = new Map<string, PodSandbox>();
  readonly #node?: NodeSandbox;
  readonly #hiddenDirs: string[];
  readonly #startLatency: PodStartLatency;
  /** Images on the node, or being pulled (one pull per image; later pods wait for it). */
  readonly #images = new Map<string, Promise<void>>();
  #path?: Promise<string>;
  #closed = false;

  constructor(host: PodRuntimeHost, options: PodRuntimeOptions) {
    this.#host = host;
    this.#stateDir = options.stateDir;
    this.#podPathDirs = options.podPath ?? [];
    this.#extraToolDirs = options.podToolDirs ?? [];
    this.#refreshFraction = options.tokenRefreshFraction ?? 0.8;
    this.#maxGraceMs = (options.maxGracePeriodSeconds ?? 2) * 1000;
    this.#backoffMs = options.restartBackoffMs ?? 10_000;
    this.#node = options.node;
    this.#hiddenDirs = [options.stateDir];
    this.#startLatency = options.podStartLatency ?? {};
  }

  /** Whether pods run in namespaces of their own (else as host processes with mapped paths). */
  get sandboxed(): boolean {
    return this.#node !== undefined;
  }

  /** Resolves the pods' PATH ahead of the first pod (it may call `pyenv which aws`). */
  prepare(): Promise<string> {
    this.#path ??= podPath(this.#podPathDirs);
    return this.#path;
  }

  sandboxDir(uid: string): string {
    return join(this.#stateDir, 'pods', uid);
  }

  /** Starts a stored, scheduled pod. Progress and failures are reported through the pod's status and events. */
  startPod(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.#closed || this.#pods.has(uid)) return;
    const containers = new Map<string, ContainerRun>();
    for (const spec of pod.spec?.initContainers ?? []) {
      containers.set(spec.name, {
        spec,
        kind: spec.restartPolicy === 'Always' ? 'sidecar' : 'init',
        state: { waiting: { reason: 'PodInitializing' } },
        restartCount: 0,
      });
    }
    for (const spec of pod.spec?.containers ?? []) {
      containers.set(spec.name, {
        spec,
        kind: 'main',
        state: { waiting: { reason: 'ContainerCreating' } },
        restartCount: 0,
      });
    }
    const sandbox: PodSandbox = {
      pod,
      uid,
      dir: this.sandboxDir(uid),
      containers,
      execs: new Set(),
      timers: new Set(),
      stop: new AbortController(),
      volumesReady: false,
      initFailed: false,
      initDone: false,
      stopping: false,
      started: Promise.resolve(),
      conditionTimes: new Map(),
      startTime: now(),
    };
    this.#pods.set(uid, sandbox);
    sandbox.started = this.#run(sandbox).catch((error: unknown) => {
      this.#host.recordPodEvent(sandbox.pod, {
        type: 'Warning',
        reason: 'FailedCreatePodSandBox',
        message: `Failed to create pod sandbox: ${error instanceof Error ? error.message : String(error)}`,
      });
    });
  }

  async #run(sandbox: PodSandbox): Promise<void> {
    // Latency profile: the scheduler binds the pod only after a while; until then it is Pending.
    if (!(await this.#wait(sandbox, this.#startLatency.schedulingMs))) return;
    await mkdir(join(sandbox.dir, 'volumes'), { recursive: true });
    await mkdir(join(sandbox.dir, 'logs'), { recursive: true });
    await this.prepare();
    this.#publish(sandbox);
    for (const volume of sandbox.pod.spec?.volumes ?? []) {
      if (sandbox.stopping) return;
      try {
        await this.#materialise(sandbox, volume.name);
      } catch (error) {
        this.#host.recordPodEvent(sandbox.pod, {
          type: 'Warning',
          reason: 'FailedMount',
          message: `MountVolume.SetUp failed for volume "${volume.name}" : ${error instanceof Error ? error.message : String(error)}`,
        });
        return;
      }
    }
    if (this.#node) {
      try {
        sandbox.namespaces = await this.#startNamespaces(sandbox, this.#node);
      } catch (error) {
        if (sandbox.stopping) return;
        throw error;
      }
      if (sandbox.stopping) return;
    }
    sandbox.volumesReady = true;
    this.#publish(sandbox);
    for (const run of sandbox.containers.values()) {
      if (run.kind === 'main') continue;
      if (sandbox.stopping) return;
      if (run.kind === 'sidecar') {
        if (!(await this.#startContainer(sandbox, run))) return;
        continue;
      }
      if (!(await this.#runInitContainer(sandbox, run))) return;
    }
    sandbox.initDone = true;
    for (const run of sandbox.containers.values()) {
      if (run.kind === 'main' && !sandbox.stopping) await this.#startContainer(sandbox, run);
    }
    this.#publish(sandbox);
  }

  /**
   * Runs an init container until it succeeds; one that fails is restarted after the back-off unless the
   * pod's restartPolicy is Never (then the pod fails). False when the pod cannot go on.
   */
  async #runInitContainer(sandbox: PodSandbox, run: ContainerRun): Promise<boolean> {
    for (;;) {
      const started = await this.#startContainer(sandbox, run);
      if (started && run.process) await run.process.closed;
      // Not created (a config error): it stays waiting.
      if (!run.state.terminated || sandbox.stopping) return false;
      if (run.state.terminated.exitCode === 0) return true;
      if (sandbox.pod.spec?.restartPolicy === 'Never') {
        sandbox.initFailed = true;
        this.#publish(sandbox);
        return false;
      }
      if (!(await this.#backOff(sandbox, run))) return false;
    }
  }

  /** Plans every container's root and starts the pod's namespaces (the pause process). */
  async #startNamespaces(sandbox: PodSandbox, node: NodeSandbox): Promise<PodNamespaces> {
    const pod = sandbox.pod;
    const hostNetwork = pod.spec?.hostNetwork === true;
    const name = pod.metadata?.name ?? '';
    const hostsFile = join(sandbox.dir, 'etc-hosts');
    const hostnameFile = join(sandbox.dir, 'etc-hostname');
    const plans: ContainerRootPlan[] = [];
    const toolDirs = await this.#toolDirs();
    for (const run of sandbox.containers.values()) {
      run.workingDir = run.spec.workingDir || '/';
      run.root = planContainerRoot({
        root: join(sandbox.dir, 'rootfs', run.spec.name),
        toolDirs,
        hiddenDirs: this.#hiddenDirs,
        volumes: mountedVolumes(sandbox, run.spec),
        managedFiles: hostNetwork
          ? []
          : [
              { containerPath: '/etc/hosts', source: hostsFile },
              { containerPath: '/etc/hostname', source: hostnameFile },
            ],
        workingDir: run.workingDir,
      });
      plans.push(run.root);
    }
    const namespaces = PodNamespaces.start(node, {
      dir: sandbox.dir,
      hostname: name,
      hostNetwork,
      containers: plans,
      droppedAddresses: hostNetwork ? [] : (this.#host.droppedAddresses?.(pod) ?? []),
      // Written once the address is known, before anything is mounted.
      beforeMount: async (addresses) => {
        await writeFile(hostsFile, kubeletHostsFile(addresses?.ipv4, addresses?.ipv6, name));
        await writeFile(hostnameFile, `${name}\n`);
      },
    });
    return namespaces;
  }

  /** Host directories pods keep seeing at their paths: node's and the AWS CLI's installations, podPath. */
  async #toolDirs(): Promise<string[]> {
    const path = await this.prepare();
    const dirs = new Set<string>(this.#extraToolDirs);
    for (const dir of path.split(':')) {
      if (!dir) continue;
      dirs.add(dir);
      // An installation prefix (…/bin's parent) holds the libraries its binaries load.
      if (dir.endsWith('/bin')) dirs.add(dirname(dir));
    }
    try {
      dirs.add(dirname(dirname(realpathSync(process.execPath))));
    } catch {
      // keep what PATH gave
    }
    return [...dirs];
  }

  async #materialise(sandbox: PodSandbox, volumeName: string): Promise<void> {
    const volume = (sandbox.pod.spec?.volumes ?? []).find((v) => v.name === volumeName);
    if (!volume || sandbox.stopping) return;
    const result = await materialiseVolume(volume, volumeDirectory(sandbox.dir, volume.name), sandbox.pod, {
      readConfigMap: (ns, name) => this.#host.readConfigMap(ns, name),
      issueToken: (pod, audiences, seconds) => this.#host.issuePodToken(pod, audiences, seconds),
      defaultAudiences: this.#host.defaultTokenAudiences,
    });
    if (result.tokenLifetimeMs !== undefined && !sandbox.stopping) {
      // The kubelet rotates a projected token once 80% of its lifetime has passed.
      const timer = setTimeout(
        () => {
          sandbox.timers.delete(timer);
          this.#materialise(sandbox, volumeName).catch((error: unknown) => {
            this.#host.recordPodEvent(sandbox.pod, {
              type: 'Warning',
              reason: 'FailedMount',
              message: `refreshing volume "${volumeName}" failed: ${error instanceof Error ? error.message : String(error)}`,
            });
          });
        },
        Math.max(10, result.tokenLifetimeMs * this.#refreshFraction),
      );
      timer.unref();
      sandbox.timers.add(timer);
    }
  }

  #fieldPath(run: ContainerRun): string {
    return run.kind === 'main'
      ? `spec.containers{${run.spec.name}}`
      : `spec.initContainers{${run.spec.name}}`;
  }

  /** Builds the process environment of a container (spec env, mount paths mapped), without hooks. */
  async #prepareEnvironment(sandbox: PodSandbox, run: ContainerRun): Promise<void> {
    const path = await this.prepare();
    const serviceEnv = this.#host.serviceEnv();
    const specEnv = containerEnvironment(sandbox.pod, run.spec, this.#host, serviceEnv);
    if (this.#node) {
      // What a container runtime adds to the spec's variables: the image's PATH, HOME of its user,
      // HOSTNAME, and the Kubernetes service variables.
      run.env = {
        PATH: path,
        HOSTNAME: sandbox.pod.spec?.hostNetwork ? this.#node.hostname : (sandbox.pod.metadata?.name ?? ''),
        ...serviceEnv,
        ...specEnv,
        HOME: specEnv.HOME ?? '/root',
      };
      run.mappings = [];
      return;
    }
    const base: Record<string, string> = {
      PATH: path,
      HOME: sandbox.dir,
      LANG: 'C.UTF-8',
      HOSTNAME: sandbox.pod.metadata?.name ?? '',
      ...serviceEnv,
    };
    const mappings = mountMappings(sandbox.pod, run.spec, sandbox.dir);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...base, ...specEnv }))
      env[name] = rewriteMountPaths(value, mappings);
    run.env = env;
    run.mappings = mappings;
  }

  #spawnEnv(sandbox: PodSandbox, run: ContainerRun): Record<string, string> {
    return this.#host.applySpawnEnvHooks({ ...(run.env ?? {}) }, sandbox.pod, run.spec.name);
  }

  /** Starts one container; false when it could not start (its state says why). */
  async #startContainer(sandbox: PodSandbox, run: ContainerRun): Promise<boolean> {
    const fieldPath = this.#fieldPath(run);
    const name = run.spec.name;
    try {
      await this.#prepareEnvironment(sandbox, run);
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      run.state = { waiting: { reason: 'CreateContainerConfigError', message: error.message } };
      this.#host.recordPodEvent(sandbox.pod, {
        type: 'Warning',
        reason: 'Failed',
        message: `Error: ${error.message}`,
        fieldPath,
      });
      this.#publish(sandbox);
      return false;
    }
    const commandLine = containerArgv(run.spec, run.env ?? {}).map((part) =>
      rewriteMountPaths(part, run.mappings ?? []),
    );
    if (commandLine.length === 0) {
      const message = `container "${name}" has no command: the simulator runs command+args as a local process and ignores the image (${run.spec.image ?? 'none'})`;
      run.state = { waiting: { reason: 'CreateContainerError', message } };
      this.#host.recordPodEvent(sandbox.pod, {
        type: 'Warning',
        reason: 'Failed',
        message: `Error: ${message}`,
        fieldPath,
      });
      this.#publish(sandbox);
      return false;
    }
    if (sandbox.stopping) return false;
    if (!(await this.#pullImage(sandbox, run.spec.image ?? '', fieldPath))) return false;
    if (!(await this.#wait(sandbox, this.#startLatency.containerStartMs))) return false;
    if (sandbox.stopping) return false;
    const notFound = this.#commandMissing(sandbox, run, commandLine[0] ?? '');
    const argv = this.#argvInPod(sandbox, run, commandLine);
    // No await between the stopping check above and registering the process: stopPod sees it.
    const log = new ContainerLog(join(sandbox.dir, 'logs', `${name}.log`));
    const child = new GroupProcess(notFound ? [notFound] : argv, {
      cwd: sandbox.dir,
      env: this.#spawnEnv(sandbox, run),
      stdin: false,
      signalChild: sandbox.namespaces !== undefined,
    });
    run.process = child;
    run.log = log;
    run.containerID = `sim://${randomBytes(32).toString('hex')}`;
    child.child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    const startedAt = now();
    const spawned = await new Promise<boolean>((resolve) => {
      child.child.once('spawn', () => resolve(true));
      void child.exited.then((exit) => {
        if (exit.spawnError) resolve(false);
      });
    });
    this.#host.recordPodEvent(sandbox.pod, {
      type: 'Normal',
      reason: 'Created',
      message: `Created container: ${name}`,
      fieldPath,
    });
    if (!spawned) {
      void child.exited.then((exit) => {
        log.end();
        const error = exit.spawnError;
        const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${commandLine[0]}": ${error?.code === 'ENOENT' ? 'executable file not found in $PATH' : (error?.message ?? 'cannot start')}: unknown`;
        run.state = {
          terminated: {
            exitCode: 128,
            reason: 'StartError',
            message,
            startedAt: new Date(0),
            finishedAt: now() as unknown as Date,
            containerID: run.containerID,
          },
        };
        this.#host.recordPodEvent(sandbox.pod, {
          type: 'Warning',
          reason: 'Failed',
          message: `Error: ${message}`,
          fieldPath,
        });
        this.#publish(sandbox);
        this.#restartIfDue(sandbox, run);
      });
      await child.exited;
      return false;
    }
    run.state = { running: { startedAt: startedAt as unknown as Date } };
    this.#host.recordPodEvent(sandbox.pod, {
      type: 'Normal',
      reason: 'Started',
      message: `Started container ${name}`,
      fieldPath,
    });
    this.#publish(sandbox);
    void child.exited.then((exit) => {
      // When a container's main process ends, the rest of the container goes with it.
      child.signalGroup('SIGKILL');
      void child.closed.then(() => log.end());
      this.#onContainerExit(sandbox, run, exit, startedAt);
    });
    return true;
  }

  /** Sandbox mode: the command as nsenter runs it in the container; fallback: as it is. */
  #argvInPod(sandbox: PodSandbox, run: ContainerRun, command: string[]): string[] {
    if (!sandbox.namespaces || !run.root) return command;
    return sandbox.namespaces.argvFor(run.root.root, run.workingDir ?? '/', command);
  }

  /**
   * Sandbox mode: a path that cannot be executed when the container's command is not found on its PATH
   * (so the spawn fails with ENOENT, as in fallback mode), else undefined.
   */
  #commandMissing(sandbox: PodSandbox, run: ContainerRun, command: string): string | undefined {
    if (!sandbox.namespaces || !run.root) return undefined;
    const found = sandbox.namespaces.findExecutable(run.root.root, command, run.env?.PATH ?? '');
    return found ? undefined : join(sandbox.dir, 'command-not-found', command.replaceAll('/', '_'));
  }

  #onContainerExit(sandbox: PodSandbox, run: ContainerRun, exit: ProcessExit, startedAt: string): void {
    run.state = {
      terminated: {
        exitCode: exit.exitCode,
        reason: exit.exitCode === 0 ? 'Completed' : 'Error',
        startedAt: startedAt as unknown as Date,
        finishedAt: now() as unknown as Date,
        containerID: run.containerID,
      },
    };
    this.#publish(sandbox);
    this.#restartIfDue(sandbox, run);
  }

  /**
   * Restarts a regular container or sidecar that ended, when the kubelet would: regular containers as
   * the pod's restartPolicy says, sidecars whatever their exit until the pod is done. (Init containers:
   * #runInitContainer.)
   */
  #restartIfDue(sandbox: PodSandbox, run: ContainerRun): void {
    const exitCode = run.state.terminated?.exitCode;
    if (sandbox.stopping || exitCode === undefined || run.kind === 'init') return;
    const policy = sandbox.pod.spec?.restartPolicy ?? 'Always';
    const due =
      run.kind === 'sidecar'
        ? !['Succeeded', 'Failed'].includes(this.#phase(sandbox))
        : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!due) return;
    this.#backOff(sandbox, run)
      .then(async (restart) => {
        if (restart) await this.#startContainer(sandbox, run);
      })
      .catch((error: unknown) => {
        this.#host.recordPodEvent(sandbox.pod, {
          type: 'Warning',
          reason: 'Failed',
          message: `Error: ${error instanceof Error ? error.message : String(error)}`,
          fieldPath: this.#fieldPath(run),
        });
      });
  }

  /**
   * The kubelet's back-off before restarting a container that ended: none the first time, then the base
   * delay, doubling up to the cap; forgotten once the container ran longer than twice the cap (10 min).
   * Meanwhile the container waits in CrashLoopBackOff. False when the pod stopped meanwhile.
   */
  async #backOff(sandbox: PodSandbox, run: ContainerRun): Promise<boolean> {
    const capMs = this.#backoffMs * 30;
    run.lastTerminated = run.state.terminated ?? run.lastTerminated;
    if (run.backoff && Date.now() - run.backoff.since > 2 * capMs) run.backoff = undefined;
    if (!run.backoff) {
      run.backoff = { ms: this.#backoffMs, since: Date.now() };
    } else {
      const { ms } = run.backoff;
      const pod = `${sandbox.pod.metadata?.name}_${sandbox.pod.metadata?.namespace}(${sandbox.uid})`;
      run.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(ms)} restarting failed container=${run.spec.name} pod=${pod}`,
        },
      };
      this.#host.recordPodEvent(sandbox.pod, {
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container ${run.spec.name} in pod ${pod}`,
        fieldPath: this.#fieldPath(run),
      });
      this.#publish(sandbox);
      try {
        // Not ref'd: a pending restart does not keep the simulator's process alive.
        await delay(ms, undefined, { signal: sandbox.stop.signal, ref: false });
      } catch {
        return false;
      }
      run.backoff = { ms: Math.min(ms * 2, capMs), since: Date.now() };
    }
    if (sandbox.stopping) return false;
    run.restartCount += 1;
    return true;
  }

  /** Waits `ms` unless the pod is stopped meanwhile; false when it was. */
  async #wait(sandbox: PodSandbox, ms: number | undefined): Promise<boolean> {
    if (ms) {
      try {
        await delay(ms, undefined, { signal: sandbox.stop.signal, ref: false });
      } catch {
        return false;
      }
    }
    return !sandbox.stopping;
  }

  /**
   * The image on the node: present at once without a latency profile; with one, the first pod to need
   * it pulls it (imagePullMs) and the others wait for that pull, as with the kubelet's serialized pulls.
   */
  async #pullImage(sandbox: PodSandbox, image: string, fieldPath: string): Promise<boolean> {
    const pullMs = this.#startLatency.imagePullMs ?? 0;
    const pullsNow = pullMs > 0 && !this.#images.has(image);
    if (pullsNow) {
      this.#host.recordPodEvent(sandbox.pod, {
        type: 'Normal',
        reason: 'Pulling',
        message: `Pulling image "${image}"`,
        fieldPath,
      });
      this.#images.set(image, delay(pullMs, undefined, { ref: false }));
    }
    await this.#images.get(image);
    if (sandbox.stopping) return false;
    this.#host.recordPodEvent(sandbox.pod, {
      type: 'Normal',
      reason: 'Pulled',
      message: pullsNow
        ? `Successfully pulled image "${image}" in ${pullMs} ms`
        : `Container image "${image}" already present on machine`,
      fieldPath,
    });
    return true;
  }

  /** The kubelet's pod phase (getPhase) from the regular containers' states. */
  #phase(sandbox: PodSandbox): string {
    if (sandbox.initFailed) return 'Failed';
    if (!sandbox.initDone) return 'Pending';
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const run of sandbox.containers.values()) {
      if (run.kind !== 'main') continue;
      if (run.state.running) running++;
      else if (run.state.terminated) {
        stopped++;
        if (run.state.terminated.exitCode === 0) succeeded++;
      } else if (run.lastTerminated)
        stopped++; // waiting to restart
      else waiting++;
    }
    if (waiting > 0) return 'Pending';
    if (running > 0) return 'Running';
    // Every container has ended: done unless some restart.
    const policy = sandbox.pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }

  #condition(
    sandbox: PodSandbox,
    type: string,
    ok: boolean,
    reason?: string,
    message?: string,
  ): V1PodCondition {
    const status = ok ? 'True' : 'False';
    const previous = sandbox.conditionTimes.get(type);
    const time = previous && previous.status === status ? previous.time : now();
    sandbox.conditionTimes.set(type, { status, time });
    return {
      type,
      status,
      lastProbeTime: null as unknown as undefined,
      lastTransitionTime: time as unknown as Date,
      ...(!ok && reason ? { reason } : {}),
      ...(!ok && message ? { message } : {}),
    };
  }

  #containerStatus(run: ContainerRun): V1ContainerStatus {
    const running = run.state.running !== undefined;
    return {
      name: run.spec.name,
      state: run.state,
      lastState: run.lastTerminated ? { terminated: run.lastTerminated } : {},
      ready: running,
      restartCount: run.restartCount,
      image: run.spec.image ?? '',
      imageID: run.containerID ? `sim://image/${run.spec.image ?? ''}` : '',
      ...(run.containerID ? { containerID: run.containerID } : {}),
      started: running,
    };
  }

  /** Writes the pod status derived from the sandbox's state. */
  #publish(sandbox: PodSandbox): void {
    const phase = this.#phase(sandbox);
    const runs = [...sandbox.containers.values()];
    const main = runs.filter((run) => run.kind === 'main');
    const notReady = main.filter((run) => !run.state.running).map((run) => run.spec.name);
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
    const readyMessage = terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
    const pendingInit = runs.filter(
      (run) => run.kind !== 'main' && !run.state.terminated && !run.state.running,
    );
    const conditions = [
      this.#condition(sandbox, 'PodReadyToStartContainers', sandbox.volumesReady),
      this.#condition(
        sandbox,
        'Initialized',
        sandbox.initDone,
        'ContainersNotInitialized',
        `containers with incomplete status: [${pendingInit.map((run) => run.spec.name).join(' ')}]`,
      ),
      this.#condition(sandbox, 'Ready', notReady.length === 0, readyReason, readyMessage),
      this.#condition(sandbox, 'ContainersReady', notReady.length === 0, readyReason, readyMessage),
      this.#condition(sandbox, 'PodScheduled', true),
    ];
    const initStatuses = runs.filter((run) => run.kind !== 'main').map((run) => this.#containerStatus(run));
    const hostIP = this.#host.hostIP;
    const addresses = sandbox.namespaces?.addresses;
    const podIPs = addresses
      ? [addresses.ipv4, addresses.ipv6]
      : sandbox.namespaces || !this.#node
        ? [hostIP]
        : [];
    this.#host.updatePodStatus(sandbox.pod, (status: V1PodStatus) => {
      status.phase = phase;
      status.conditions = conditions;
      status.hostIP = hostIP;
      status.hostIPs = [{ ip: hostIP }];
      if (podIPs.length > 0) {
        status.podIP = podIPs[0];
        status.podIPs = podIPs.map((ip) => ({ ip }));
      }
      status.startTime = sandbox.startTime as unknown as Date;
      if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
      status.containerStatuses = main.map((run) => this.#containerStatus(run));
    });
  }

  /** Runs a command in a running container with its environment; the caller wires the streams. */
  exec(pod: V1Pod, containerName: string, command: string[], options: ExecOptions): GroupProcess {
    const sandbox = this.#pods.get(pod.metadata?.uid ?? '');
    const run = sandbox?.containers.get(containerName);
    if (!sandbox || !run)
      throw new ExecTargetError(`container ${containerName} is not valid for pod ${pod.metadata?.name}`);
    if (sandbox.stopping || !run.state.running || !run.env) {
      throw new ExecTargetError(`container ${containerName} in pod ${pod.metadata?.name} is not running`);
    }
    const argv = this.#argvInPod(
      sandbox,
      run,
      command.map((part) => rewriteMountPaths(part, run.mappings ?? [])),
    );
    const notFound = this.#commandMissing(sandbox, run, command[0] ?? '');
    const child = new GroupProcess(notFound ? [notFound] : argv, {
      cwd: sandbox.dir,
      env: this.#spawnEnv(sandbox, run),
      stdin: options.stdin,
      signalChild: sandbox.namespaces !== undefined,
    });
    sandbox.execs.add(child);
    void child.closed.then(() => {
      if (!child.groupAlive()) sandbox.execs.delete(child);
    });
    return child;
  }

  /** The log of a container that has started, if any. */
  containerLog(uid: string, containerName: string): ContainerLog | undefined {
    return this.#pods.get(uid)?.containers.get(containerName)?.log;
  }

  /**
   * Stops every process of the pod (SIGTERM, SIGKILL after the grace period, capped) and removes its
   * sandbox. Containers that were running get a Killing event.
   */
  async stopPod(uid: string, gracePeriodSeconds: number): Promise<void> {
    const sandbox = this.#pods.get(uid);
    if (!sandbox) return;
    if (sandbox.stopping) {
      await sandbox.started;
      return;
    }
    sandbox.stopping = true;
    sandbox.stop.abort();
    for (const timer of sandbox.timers) clearTimeout(timer);
    sandbox.timers.clear();
    const graceMs = Math.max(0, Math.min(gracePeriodSeconds * 1000, this.#maxGraceMs));
    const processes: GroupProcess[] = [...sandbox.execs];
    for (const run of sandbox.containers.values()) {
      if (!run.process) continue;
      processes.push(run.process);
      if (!run.process.hasExited) {
        this.#host.recordPodEvent(sandbox.pod, {
          type: 'Normal',
          reason: 'Killing',
          message: `Stopping container ${run.spec.name}`,
          fieldPath: this.#fieldPath(run),
        });
      }
    }
    await Promise.all(processes.map((p) => p.terminate(graceMs)));
    await sandbox.started;
    // Anything registered while the first round was stopping.
    const late = [
      ...sandbox.execs,
      ...[...sandbox.containers.values()].flatMap((run) => (run.process ? [run.process] : [])),
    ];
    await Promise.all(late.map((p) => p.terminate(0)));
    // Output pipes close when the last holder exits; bounded in case one escaped its process group.
    await Promise.race([
      Promise.all([...sandbox.containers.values()].map((run) => run.process?.closed)),
      delay(2000),
    ]);
    for (const run of sandbox.containers.values()) run.log?.end();
    await sandbox.namespaces?.stop();
    this.#pods.delete(uid);
    await rm(sandbox.dir, { recursive: true, force: true });
  }

  isRunning(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** Stops all pods; no process started by the runtime is left afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#pods.values()].map((sandbox) =>
        this.stopPod(sandbox.uid, sandbox.pod.spec?.terminationGracePeriodSeconds ?? 30),
      ),
    );
  }
}

/** The volumes a container mounts, as host sources at container paths (read-only where Kubernetes makes them so). */
function mountedVolumes(
  sandbox: PodSandbox,
  container: V1Container,
): Array<{ mountPath: string; source: string; readOnly: boolean }> {
  const volumes = new Map((sandbox.pod.spec?.volumes ?? []).map((volume) => [volume.name, volume]));
  return (container.volumeMounts ?? []).flatMap((mount) => {
    const volume = volumes.get(mount.name);
    if (!volume || !mount.mountPath) return [];
    const base = volume.hostPath?.path ?? volumeDirectory(sandbox.dir, volume.name);
    // The kubelet mounts atomic-writer volumes (projected, configMap, secret, downwardAPI) read-only.
    const atomic = Boolean(volume.projected || volume.configMap || volume.secret || volume.downwardAPI);
    return [
      {
        mountPath: mount.mountPath,
        source: mount.subPath ? join(base, mount.subPath) : base,
        readOnly: mount.readOnly === true || atomic,
      },
    ];
  });
}

/** A duration as Go prints it (the kubelet's messages): 100ms, 10s, 1.6s, 5m0s. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

/** /etc/hosts as the kubelet writes it for a pod with its own network. */
function kubeletHostsFile(ipv4: string | undefined, ipv6: string | undefined, name: string): string {
  return [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...(ipv4 ? [`${ipv4}\t${name}`] : []),
    ...(ipv6 ? [`${ipv6}\t${name}`] : []),
    '',
  ].join('\n');
}
