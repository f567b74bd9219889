// The PATH pod processes get: standard system directories, the directory of the running `node`
// (so `node` works in pods), the real directory of the AWS CLI, and extra directories the caller names.
// A pyenv shim is resolved with `pyenv which aws`, because shims need the real HOME that pods do not get.

import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

export const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function findOnPath(command: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function pyenvWhich(command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('pyenv', ['which', command], { timeout: 5000 }, (error, stdout) => {
      const path = stdout.trim();
      resolve(error || !path ? undefined : path);
    });
  });
}

let awsDirectory: Promise<string | undefined> | undefined;

/** Directory of the real `aws` executable on the simulator's PATH, or undefined without one (cached). */
export function awsCliDirectory(): Promise<string | undefined> {
  awsDirectory ??= (async () => {
    const found = findOnPath('aws', process.env.PATH);
    if (!found) return undefined;
    const isShim = found.includes(`${'/'}shims${'/'}`) || dirname(realpathSync(found)).endsWith('/shims');
    if (!isShim) return dirname(found);
    const real = await pyenvWhich('aws');
    return real ? dirname(real) : undefined;
  })();
  return awsDirectory;
}

/** PATH for pod processes, most specific first: extra dirs, node, AWS CLI, system dirs. */
export async function podPath(extraDirectories: string[] = []): Promise<string> {
  const dirs = [...extraDirectories, dirname(process.execPath)];
  const aws = await awsCliDirectory();
  if (aws) dirs.push(aws);
  dirs.push(...SYSTEM_PATH);
  return [...new Set(dirs.filter((dir) => dir !== ''))].join(delimiter);
}

/**
 * What sandboxed pods must see at its own path of an installation that runs scripts in them, wherever
 * it lives (under /tmp a pod's view is fresh): the package folder, and the node_modules its imports
 * resolve from (found through `probeModule`, a dependency of the package).
 */
export function installationToolDirs(packageDir: string, probeModule = '@aws-sdk/client-sts'): string[] {
  const resolved = createRequire(join(packageDir, 'package.json')).resolve(probeModule);
  const nodeModules = resolved.slice(0, resolved.lastIndexOf('/node_modules/') + '/node_modules'.length);
  return [...new Set([packageDir.replace(/\/$/, ''), nodeModules])];
}
