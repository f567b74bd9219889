// Shared helpers for the simulator's Kubernetes tests: raw HTTPS calls, polling, kubectl.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig, type V1Pod, type V1Status } from '@kubernetes/client-node';
import type { StartedKubeSim } from '../../kube/index.ts';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

/** The admin bearer token from the generated kubeconfig. */
export function adminToken(sim: StartedKubeSim): string {
  const match = /token: (\S+)/.exec(sim.kubeconfigYaml);
  if (!match) throw new Error('kubeconfig has no token');
  return match[1];
}

export function callApi(
  sim: StartedKubeSim,
  method: string,
  path: string,
  options: { token?: string | null; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const url = new URL(path, sim.apiServerUrl);
  const token = options.token === undefined ? adminToken(sim) : options.token;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: sim.caCertPem,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

export function clients(sim: StartedKubeSim): { kc: KubeConfig; core: CoreV1Api } {
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfigYaml);
  return { kc, core: kc.makeApiClient(CoreV1Api) };
}

export async function waitForPhase(
  core: CoreV1Api,
  namespace: string,
  name: string,
  phases: string[],
): Promise<V1Pod> {
  return eventually(`pod ${namespace}/${name} in phase ${phases.join('|')}`, async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    return phases.includes(pod.status?.phase ?? '') ? pod : undefined;
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  status: V1Status;
}

/** Runs a command in a pod through client-node's Exec and collects its output and final status. */
export async function execInPod(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  stdin?: string,
): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kc)
      .exec(
        namespace,
        pod,
        container,
        command,
        stdout,
        stderr,
        stdin === undefined ? null : Readable.from([Buffer.from(stdin)]),
        false,
        (result) => resolve(result),
      )
      .then((ws) =>
        ws.on('close', () => setTimeout(() => reject(new Error('exec closed without a status')), 1000)),
      )
      .catch(reject);
  });
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status };
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` in a pod's container (default `app`) and returns its exit code as the API reports it. */
export async function runInPod(
  kc: KubeConfig,
  request: { namespace: string; pod: string; argv: string[]; container?: string; stdin?: string },
): Promise<CommandResult> {
  const { stdout, stderr, status } = await execInPod(
    kc,
    request.namespace,
    request.pod,
    request.container ?? 'app',
    request.argv,
    request.stdin,
  );
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const exitCode = status.status === 'Success' ? 0 : Number(cause?.message ?? -1);
  return { exitCode, stdout, stderr };
}

/**
 * A kubeconfig file and an isolated HOME (kubectl's discovery cache) for kubectl runs, in a directory
 * placed in the simulator's state dir so that closing the simulator removes it.
 */
export function kubectlEnvironment(sim: StartedKubeSim): Record<string, string> {
  const dir = mkdtempSync(join(sim.stateDir, 'kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfigYaml);
  return { KUBECONFIG: kubeconfig, HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

export function kubectl(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      return statSync(join(dir, command)).isFile();
    } catch {
      return false;
    }
  });
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/**
 * Host PIDs whose command line is exactly `argv` (zombies excluded). Pod processes in a sandbox have
 * PIDs of their own namespace inside, so tests find them on the host by a unique command line.
 */
export function hostPidsRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') !== wanted) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
