// The in-pod clients' names, and the SDK releases the project installs itself: the JS SDK v2 probe's
// `aws-sdk` (the pinned current release, or any 2.x named as node-v2@VERSION) from the npm registry, and
// an old botocore, Debian's python3-botocore 1.29.27 with the Debian packages it imports, fetched with
// apt-get download and unpacked with dpkg -x (nothing is installed into the system). They go into the
// project's git-ignored cache `.pic/clients/` the first time a case needs them; pods see it, because the
// package folder is one of the folders sandboxed pods see (targets/embedded.ts harnessToolDirs).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every client the suites know; a run's are selectedPodClients() (suite-run.ts). */
export const POD_CLIENT_NAMES = ['aws-cli', 'sdk-probe', 'boto3', 'node-v2'] as const;
export type PodClientName = (typeof POD_CLIENT_NAMES)[number];
/** A client, or a client with the SDK release it must use: `node-v2@2.1400.0`. */
export type PodClientId = PodClientName | `${PodClientName}@${string}`;

/** The aws-sdk v2 release node-v2 uses: the last one (v2 is in maintenance; 2.1550.0 added Pod Identity). */
export const PINNED_NODE_V2_VERSION = '2.1693.0';
/** Releases from before Pod Identity (November 2023) that refuse 169.254.170.23; the embedded self-check. */
export const OLD_NODE_V2_VERSION = '2.1400.0';
export const OLD_BOTOCORE_VERSION = '1.29.27';
/** Debian bookworm's python3-botocore, and what it imports that a bare python3 lacks. */
const DEBIAN_BOTOCORE_PACKAGES = [
  'python3-botocore=1.29.27+repack-1',
  'python3-urllib3',
  'python3-dateutil',
  'python3-jmespath',
  'python3-requests',
  'python3-certifi',
  'python3-charset-normalizer',
  'python3-idna',
  'python3-six',
];
const DEBIAN_PYTHON = '/usr/bin/python3';

/** The oldest release of each client's SDK that works with Pod Identity (the EKS user guide's table). */
export const MINIMUM_VERSIONS: Record<PodClientName, string> = {
  'aws-cli': 'AWS CLI v1 1.30.0 or v2 2.15.0',
  'sdk-probe': 'AWS SDK for JavaScript v3 3.458.0',
  boto3: 'botocore 1.34.41 (boto3 1.34.41)',
  'node-v2': 'aws-sdk 2.1550.0',
};

/** What each client is and where it runs, for --list and --help. */
export const POD_CLIENT_MATRIX: Record<PodClientName, { what: string; where: string }> = {
  'aws-cli': {
    what: 'the AWS CLI (aws)',
    where: "embedded, localstack: the runner's aws; eks: the pod image's",
  },
  'sdk-probe': {
    what: 'JS SDK v3 (probe/sdk-probe.mjs)',
    where: "embedded, localstack: the runner's node; eks: with --client-image node-v3=IMAGE",
  },
  boto3: {
    what: 'botocore, the library under boto3 (probe/boto3-probe.py)',
    where: "embedded, localstack: the runner's python3 with botocore; eks: with --client-image python=IMAGE",
  },
  'node-v2': {
    what: 'JS SDK v2, aws-sdk (probe/node-v2-probe.cjs)',
    where: `embedded, localstack: aws-sdk ${PINNED_NODE_V2_VERSION} installed into .pic/clients, only when named; eks: with --client-image node-v2=IMAGE`,
  },
};

/** The --list lines about the clients: the matrix, and the run's selection when --client gave one. */
export function podClientMatrixLines(asked: readonly string[] | undefined): string[] {
  const width = Math.max(...POD_CLIENT_NAMES.map((name) => name.length));
  return [
    `pod clients (--client NAME; a case marked [NAME] runs once per client; ${asked ? `this run: ${asked.join(', ')}` : 'every client'}):`,
    ...POD_CLIENT_NAMES.map(
      (name) =>
        `    ${name.padEnd(width)}  ${POD_CLIENT_MATRIX[name].what}; ${POD_CLIENT_MATRIX[name].where}`,
    ),
    `    pinned releases (embedded, localstack): node-v2@2.X.Y from the npm registry, boto3@${OLD_BOTOCORE_VERSION} (Debian's python3-botocore)`,
  ];
}

/**
 * The clients a run takes without --client: those the target's pods normally have, whether or not
 * this machine can run them (a case whose client it cannot run is skipped with the reason, as before),
 * but not node-v2 on the simulators, which would first download aws-sdk. On eks: the AWS CLI, the JS
 * SDK v3 probe (skipped unless an image is given for it), and every client given an image.
 */
export function defaultPodClients(target: string, imagedClients: readonly string[] = []): PodClientId[] {
  const standard: PodClientName[] =
    target === 'eks' ? ['aws-cli', 'sdk-probe'] : ['aws-cli', 'sdk-probe', 'boto3'];
  return POD_CLIENT_NAMES.filter((name) => standard.includes(name) || imagedClients.includes(name));
}

/** A case made for one client: its name ends in `[aws-cli]`, `[node-v2@2.1400.0]`. */
export function isClientCase(name: string): boolean {
  return POD_CLIENT_NAMES.some((client) => new RegExp(`\\[${client}(@[^\\]]+)?\\]$`).test(name));
}

export function parsePodClientId(id: string): { name: PodClientName; version?: string } {
  const at = id.indexOf('@');
  const name = (at < 0 ? id : id.slice(0, at)) as PodClientName;
  return at < 0 ? { name } : { name, version: id.slice(at + 1) };
}

/** What is wrong with a --client value, or undefined. */
export function podClientIdProblem(value: string): string | undefined {
  const { name, version } = parsePodClientId(value);
  if (!(POD_CLIENT_NAMES as readonly string[]).includes(name))
    return `unknown client "${name}"; choose one of: ${POD_CLIENT_NAMES.join(', ')}, e.g. --client boto3`;
  if (version === undefined) return undefined;
  if (name === 'node-v2' && /^2\.\d{1,5}\.\d{1,5}$/.test(version)) return undefined;
  if (name === 'boto3' && version === OLD_BOTOCORE_VERSION) return undefined;
  return `client "${value}": a release can be pinned only as node-v2@2.X.Y (aws-sdk from the npm registry) or boto3@${OLD_BOTOCORE_VERSION} (Debian's python3-botocore), e.g. --client node-v2@${OLD_NODE_V2_VERSION}`;
}

/** A pinned release is installed on the runner's machine: it runs only where pods are local processes. */
export function pinnedClientProblem(clients: readonly string[] = [], target: string): string | undefined {
  const pinned = clients.find((id) => parsePodClientId(id).version !== undefined);
  if (target !== 'eks' || !pinned) return undefined;
  return `--client ${pinned}: a pinned release runs only on the embedded and localstack targets; on eks run your own image with --client-image (e.g. --client-image node-v2=IMAGE)`;
}

/** Where a pinned SDK lives: the folder to load it from, and the interpreter to run it with. */
export interface PinnedClient {
  path: string;
  interpreter: string;
}

/** A pinned client that cannot be installed on this machine; the reason says why and what to do. */
export class PinnedClientUnavailable extends Error {
  override readonly name = 'PinnedClientUnavailable';
}

export const CLIENT_CACHE_DIR = fileURLToPath(new URL('../.pic/clients/', import.meta.url));

const INSTALL_TIMEOUT_MS = 300_000;

/** Installs under way; a process that ends (a run interrupted) takes them, and their helpers, with it. */
const installing = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of installing) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group, so that the exit handler above can end it with everything it started.
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    installing.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    const fail = (why: string) => {
      const detail = Buffer.concat(err).toString().trim().split('\n').slice(-3).join(' ');
      reject(new PinnedClientUnavailable(`${command} ${args.join(' ')} failed: ${detail || why}`));
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      installing.delete(child);
      fail(error.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      installing.delete(child);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else fail(`exit ${code ?? signal}`);
    });
  });
}

/** Copies an interrupted install left beside `dir` (their process is gone). */
async function removeAbandonedCopies(dir: string): Promise<void> {
  const prefix = `${basename(dir)}.partial-`;
  for (const entry of await readdir(CLIENT_CACHE_DIR)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && !processAlive(pid)) {
      await rm(join(CLIENT_CACHE_DIR, entry), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds `dir` once: into a fresh folder beside it, renamed into place at the end, so concurrent
 * workers never see half an install (the loser of the rename throws its copy away).
 */
async function installOnce(
  dir: string,
  ready: string,
  build: (into: string) => Promise<void>,
): Promise<void> {
  if (existsSync(join(dir, ready))) return;
  await mkdir(CLIENT_CACHE_DIR, { recursive: true });
  await removeAbandonedCopies(dir);
  const into = `${dir}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await mkdir(into);
    await build(into);
    await rename(into, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(dir, ready))) throw error;
    });
  } finally {
    await rm(into, { recursive: true, force: true });
  }
}

async function installAwsSdk(version: string): Promise<PinnedClient> {
  const dir = join(CLIENT_CACHE_DIR, `aws-sdk-${version}`);
  await installOnce(dir, 'node_modules/aws-sdk/package.json', async (into) => {
    await run(
      'npm',
      [
        'install',
        '--prefix',
        into,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `aws-sdk@${version}`,
      ],
      into,
    );
  });
  return { path: dir, interpreter: 'node' };
}

async function installDebianBotocore(): Promise<PinnedClient> {
  const dir = join(CLIENT_CACHE_DIR, `botocore-${OLD_BOTOCORE_VERSION}-debian`);
  const sitePackages = join(dir, 'root/usr/lib/python3/dist-packages');
  if (!existsSync(DEBIAN_PYTHON))
    throw new PinnedClientUnavailable(`the machine has no ${DEBIAN_PYTHON} to run Debian's botocore with`);
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg'))
    throw new PinnedClientUnavailable(
      `the machine has no apt-get and dpkg to fetch Debian's python3-botocore ${OLD_BOTOCORE_VERSION}`,
    );
  await installOnce(dir, 'root/usr/lib/python3/dist-packages/botocore/__init__.py', async (into) => {
    try {
      await run('apt-get', ['download', ...DEBIAN_BOTOCORE_PACKAGES], into);
    } catch (error) {
      throw new PinnedClientUnavailable(
        `${(error as Error).message}; run apt-get update (the package lists may be missing or old)`,
      );
    }
    const debs = (await run('sh', ['-c', 'ls *.deb'], into)).split('\n').filter(Boolean);
    for (const deb of debs) await run('dpkg', ['-x', deb, 'root'], into);
    // Proves the unpacked packages import with this machine's python3 before anything relies on them.
    await run(
      'env',
      [
        `PYTHONPATH=${join(into, 'root/usr/lib/python3/dist-packages')}`,
        DEBIAN_PYTHON,
        '-s',
        '-c',
        'import botocore.session; botocore.session.get_session().create_client("sts", region_name="us-east-1")',
      ],
      into,
    );
    for (const deb of debs) await rm(join(into, deb));
  });
  return { path: sitePackages, interpreter: DEBIAN_PYTHON };
}

const installs = new Map<string, Promise<PinnedClient>>();

/** Installs a pinned client into the cache once per process (and once per machine), then reuses it. */
export function ensurePinnedClient(id: PodClientId): Promise<PinnedClient> {
  const { name, version } = parsePodClientId(id);
  let install = installs.get(id);
  if (!install) {
    if (name === 'node-v2' && version) install = installAwsSdk(version);
    else if (name === 'boto3' && version === OLD_BOTOCORE_VERSION) install = installDebianBotocore();
    else return Promise.reject(new PinnedClientUnavailable(`${id} is not a release the project can install`));
    installs.set(id, install);
    // A failed install may succeed later (apt-get update); do not keep the failure.
    install.catch(() => installs.delete(id));
  }
  return install;
}

/** Installs every release the suites install on demand (the project's own tests do it up front). */
export async function installPinnedClients(): Promise<string[]> {
  const ids: PodClientId[] = [
    `node-v2@${PINNED_NODE_V2_VERSION}`,
    `node-v2@${OLD_NODE_V2_VERSION}`,
    `boto3@${OLD_BOTOCORE_VERSION}`,
  ];
  const results = await Promise.allSettled(ids.map((id) => ensurePinnedClient(id)));
  return results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${ids[index]}: ${(result.reason as Error).message}`] : [],
  );
}
