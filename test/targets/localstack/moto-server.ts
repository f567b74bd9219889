// moto's server as a LocalStack-compatible endpoint (IAM, STS, S3) that runs without Docker. Started on a
// free loopback port, awaited by polling until it answers, stopped (and awaited) by the caller.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closedLoopbackPort } from './ports.ts';

/** The python3 that can import moto, or undefined (tests that need moto skip with that reason). */
export const motoPython: string | undefined = (() => {
  try {
    return execFileSync('python3', ['-c', 'import sys, moto.server; print(sys.executable)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
})();

export interface MotoServer {
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** `env` is added to the server's environment (e.g. INITIAL_NO_AUTH_ACTION_COUNT to turn IAM on). */
export async function startMotoServer(env: Record<string, string> = {}): Promise<MotoServer> {
  if (!motoPython) throw new Error('python3 cannot import moto; install it with `pip install moto[server]`');
  const port = await closedLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    motoPython,
    ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (child.exitCode !== null) throw new Error(`moto server exited with ${child.exitCode}: ${output}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Turns moto's IAM enforcement on from now: the next `freeActions` calls pass unauthenticated, every
 * later one needs keys of a moto IAM user and is checked against its policies (moto's
 * INITIAL_NO_AUTH_ACTION_COUNT, set at run time so that the readiness polls do not count).
 */
export async function enableMotoAuth(url: string, freeActions: number): Promise<void> {
  const response = await fetch(`${url}/moto-api/reset-auth`, { method: 'POST', body: String(freeActions) });
  if (!response.ok) throw new Error(`moto refused reset-auth: ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}
