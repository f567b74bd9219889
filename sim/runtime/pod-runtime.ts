// Pods as local processes. Each pod gets a sandbox directory (`<stateDir>/pods/<uid>/`) holding its
// volumes and logs; each container's command+args runs as a process group with the container's
// environment (mount paths mapped into the sandbox, then SpawnEnvHooks). The image is ignored.
// The pod's status follows the processes: Pending → Running → Succeeded (all exit 0) or Failed.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import { ContainerConfigError, containerArgv, containerEnvironment } from './env.ts';
import { podPath } from './host-path.ts';
import { type MountMapping, mountMappings, rewriteMountPaths, volumeDirectory } from './paths.ts';
import { GroupProcess, type ProcessExit } from './process.ts';
import type { ExecOptions, PodRuntimeHost, PodRuntimeOptions } from './types.ts';
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
}

interface PodSandbox {
  pod: V1Pod;
  uid: string;
  dir: string;
  containers: Map<string, ContainerRun>;
  execs: Set<GroupProcess>;
  timers: Set<NodeJS.Timeout>;
  volumesReady: boolean;
  initFailed: boolean;
  initDone: boolean;
  stopping: boolean;
  started: Promise<void>;
  conditionTimes: Map<string, { status: string; time: string }>;
  startTime: string;
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
  readonly #refreshFraction: number;
  readonly #maxGraceMs: number;
  readonly #pods = new Map<string, PodSandbox>();
  #path?: Promise<string>;
  #closed = false;

  constructor(host: PodRuntimeHost, options: PodRuntimeOptions) {
    this.#host = host;
    this.#stateDir = options.stateDir;
    this.#podPathDirs = options.podPath ?? [];
    this.#refreshFraction = options.tokenRefreshFraction ?? 0.8;
    this.#maxGraceMs = (options.maxGracePeriodSeconds ?? 2) * 1000;
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
      });
    }
    for (const spec of pod.spec?.containers ?? []) {
      containers.set(spec.name, { spec, kind: 'main', state: { waiting: { reason: 'ContainerCreating' } } });
    }
    const sandbox: PodSandbox = {
      pod,
      uid,
      dir: this.sandboxDir(uid),
      containers,
      execs: new Set(),
      timers: new Set(),
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
    sandbox.volumesReady = true;
    this.#publish(sandbox);
    for (const run of sandbox.containers.values()) {
      if (run.kind === 'main') continue;
      if (sandbox.stopping) return;
      const started = await this.#startContainer(sandbox, run);
      if (run.kind === 'sidecar') {
        if (!started) return;
        continue;
      }
      if (!started || !run.process) return;
      const exit = await run.process.closed;
      if (exit.exitCode !== 0) {
        sandbox.initFailed = true;
        this.#publish(sandbox);
        return;
      }
    }
    sandbox.initDone = true;
    for (const run of sandbox.containers.values()) {
      if (run.kind === 'main' && !sandbox.stopping) await this.#startContainer(sandbox, run);
    }
    this.#publish(sandbox);
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
    const argv = containerArgv(run.spec, run.env ?? {}).map((part) =>
      rewriteMountPaths(part, run.mappings ?? []),
    );
    if (argv.length === 0) {
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
    this.#host.recordPodEvent(sandbox.pod, {
      type: 'Normal',
      reason: 'Pulled',
      message: `Container image "${run.spec.image}" already present on machine`,
      fieldPath,
    });
    // No await between the stopping check above and registering the process: stopPod sees it.
    const log = new ContainerLog(join(sandbox.dir, 'logs', `${name}.log`));
    const child = new GroupProcess(argv, {
      cwd: sandbox.dir,
      env: this.#spawnEnv(sandbox, run),
      stdin: false,
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
        const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": ${error?.code === 'ENOENT' ? 'executable file not found in $PATH' : (error?.message ?? 'cannot start')}: unknown`;
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
  }

  #phase(sandbox: PodSandbox): string {
    if (sandbox.initFailed) return 'Failed';
    const main = [...sandbox.containers.values()].filter((run) => run.kind === 'main');
    if (!sandbox.initDone) return 'Pending';
    if (main.every((run) => run.state.terminated)) {
      return main.every((run) => run.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    if (main.some((run) => run.state.running)) return 'Running';
    if (main.some((run) => run.state.terminated) && main.every((run) => !run.state.waiting)) return 'Running';
    return 'Pending';
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
      lastState: {},
      ready: running,
      restartCount: 0,
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
    this.#host.updatePodStatus(sandbox.pod, (status: V1PodStatus) => {
      status.phase = phase;
      status.conditions = conditions;
      status.hostIP = hostIP;
      status.hostIPs = [{ ip: hostIP }];
      status.podIP = hostIP;
      status.podIPs = [{ ip: hostIP }];
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
    const argv = command.map((part) => rewriteMountPaths(part, run.mappings ?? []));
    const child = new GroupProcess(argv, {
      cwd: sandbox.dir,
      env: this.#spawnEnv(sandbox, run),
      stdin: options.stdin,
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
