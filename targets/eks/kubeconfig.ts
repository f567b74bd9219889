// Cluster access for the eks target. Either the person's kubeconfig (KUBECONFIG, else ~/.kube/config;
// a context chosen by --context, or the one whose server is the cluster's endpoint), used as it is
// (an `aws eks get-token` exec user keeps working: client-node runs exec plugins), or, with no
// matching kubeconfig, one the target writes itself: the cluster's endpoint and CA from DescribeCluster,
// and a user that reads its bearer token from a file the target rewrites every few minutes.
//
// Why a token file: TargetInfo crosses into vitest workers as plain data, and EKS tokens expire after 15
// minutes. @kubernetes/client-node 2.x reads a user's `token-file` once, when the kubeconfig is loaded,
// but its `auth-provider: {name: tokenFile, config: {tokenFile: PATH}}` user (FileAuth) re-reads the
// file whenever the last read is more than 60 s old. So workers keep working through long runs.

import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { type Context, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface KubeconfigLocation {
  /** Existing files, in KUBECONFIG order (or ~/.kube/config). */
  paths: string[];
  /** KUBECONFIG entries that do not exist (kubectl ignores them; the errors mention them). */
  missing: string[];
  /** Where the location came from, for messages. */
  source: 'KUBECONFIG' | '~/.kube/config' | 'none';
}

/** KUBECONFIG (path-list) if set, else ~/.kube/config if it exists. */
export function findKubeconfig(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
): KubeconfigLocation {
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const entries = fromEnv.split(delimiter).filter((entry) => entry !== '');
    return {
      paths: entries.filter((entry) => existsSync(entry)),
      missing: entries.filter((entry) => !existsSync(entry)),
      source: 'KUBECONFIG',
    };
  }
  const defaultPath = join(homeDir, '.kube', 'config');
  return existsSync(defaultPath)
    ? { paths: [defaultPath], missing: [], source: '~/.kube/config' }
    : { paths: [], missing: [], source: 'none' };
}

/** The kubeconfig files merged in order (the first file to define a name wins, as kubectl does). */
export function loadKubeconfig(paths: readonly string[]): KubeConfig {
  const config = new KubeConfig();
  const [first, ...rest] = paths;
  if (first === undefined) return config;
  config.loadFromFile(first);
  for (const path of rest) {
    const next = new KubeConfig();
    next.loadFromFile(path);
    const known = {
      clusters: new Set(config.clusters.map((c) => c.name)),
      users: new Set(config.users.map((u) => u.name)),
      contexts: new Set(config.contexts.map((c) => c.name)),
    };
    config.clusters.push(...next.clusters.filter((c) => !known.clusters.has(c.name)));
    config.users.push(...next.users.filter((u) => !known.users.has(u.name)));
    config.contexts.push(...next.contexts.filter((c) => !known.contexts.has(c.name)));
    if (!config.currentContext) config.currentContext = next.currentContext;
  }
  return config;
}

/** https://HOST:PORT with no trailing slash and a lowercase host, for comparing servers. */
export function normalizeServer(server: string): string {
  try {
    const url = new URL(server);
    const port = url.port && url.port !== '443' ? `:${url.port}` : '';
    return `${url.protocol}//${url.hostname.toLowerCase()}${port}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server.trim().replace(/\/+$/, '');
  }
}

export function contextServer(config: KubeConfig, contextName: string): string | undefined {
  const context = config.getContextObject(contextName);
  return context ? config.getCluster(context.cluster)?.server : undefined;
}

/**
 * The context to use for the cluster whose API server is `endpoint`: the current context when it points
 * there, else the first context that does. Undefined when none does.
 */
export function contextForEndpoint(config: KubeConfig, endpoint: string): Context | undefined {
  const wanted = normalizeServer(endpoint);
  const points = (context: Context) => {
    const server = config.getCluster(context.cluster)?.server;
    return server !== undefined && normalizeServer(server) === wanted;
  };
  const current = config.getContextObject(config.getCurrentContext());
  if (current && points(current)) return current;
  return config.getContexts().find(points);
}

/**
 * The EKS cluster name a context is for: the cluster entry's ARN (`aws eks update-kubeconfig` names
 * clusters arn:aws:eks:REGION:ACCOUNT:cluster/NAME) or the exec user's `--cluster-name NAME` / `-i NAME`.
 */
export function eksClusterOfContext(
  config: KubeConfig,
  contextName: string,
): { name: string; region?: string } | undefined {
  const context = config.getContextObject(contextName);
  if (!context) return undefined;
  const arn = /^arn:aws[a-z-]*:eks:([a-z0-9-]+):\d{12}:cluster\/(.+)$/.exec(context.cluster);
  if (arn) return { name: arn[2]!, region: arn[1] };
  const args = config.getUser(context.user)?.exec?.args ?? [];
  for (const flag of ['--cluster-name', '-i', '--cluster-id']) {
    const at = args.indexOf(flag);
    if (at >= 0 && args[at + 1]) {
      const regionAt = args.indexOf('--region');
      return {
        name: args[at + 1]!,
        ...(regionAt >= 0 && args[regionAt + 1] ? { region: args[regionAt + 1] } : {}),
      };
    }
  }
  return undefined;
}

/** A kubeconfig whose user reads its bearer token from `tokenFile` (re-read by client-node every 60 s). */
export function tokenFileKubeconfig(options: {
  name: string;
  server: string;
  /** Base64 PEM, as DescribeCluster returns it. */
  certificateAuthorityData: string;
  tokenFile: string;
}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: options.name,
        cluster: { server: options.server, 'certificate-authority-data': options.certificateAuthorityData },
      },
    ],
    users: [
      {
        name: options.name,
        user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile: options.tokenFile } } },
      },
    ],
    contexts: [{ name: options.name, context: { cluster: options.name, user: options.name } }],
    'current-context': options.name,
  });
}

/** One context of a (merged) kubeconfig as a file of its own, for workers that load a single file. */
export function singleContextKubeconfig(config: KubeConfig, contextName: string): string {
  const single = new KubeConfig();
  const context = config.getContextObject(contextName);
  if (!context) throw new Error(`kubeconfig has no context "${contextName}"`);
  const cluster = config.getCluster(context.cluster);
  const user = config.getUser(context.user);
  single.loadFromOptions({
    clusters: cluster ? [cluster] : [],
    users: user ? [user] : [],
    contexts: [context],
    currentContext: context.name,
  });
  return single.exportConfig();
}

/** Writes a file only its owner can read, atomically: readers never see a half-written token. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, path);
}

/** A directory only the owner can enter, for the generated kubeconfig and token. */
export async function createPrivateDirectory(path: string): Promise<void> {
  // Parents keep the default mode (the report dir); only the directory itself is private.
  await mkdir(dirname(path), { recursive: true });
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

export async function removePrivateDirectory(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
