// Helpers for driving the eks target end to end, as a person would: a standalone simulator
// (`npm run sim`, its `export` lines read back), the runner spawned with those variables and
// nothing else from this machine's AWS or Kubernetes setup, and an inventory of what exists afterwards.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EKSClient, ListPodIdentityAssociationsCommand } from '@aws-sdk/client-eks';
import { IAMClient, ListOpenIDConnectProvidersCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The simulator package's standalone command (what `npm run sim` runs). */
export const SIM_SCRIPT = fileURLToPath(
  new URL('scripts/sim.ts', import.meta.resolve('@pod-identity-conformance/sim/package.json')),
);
const START_TIMEOUT_MS = 60_000;

/** Environment without this machine's AWS, Kubernetes or runner settings. */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(AWS_|PIC_|KUBECONFIG$|LOCALSTACK_|GITHUB_STEP_SUMMARY$)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

/** Reads `export NAME='value'` lines (POSIX single quotes, '\'' escapes). */
export function parseExports(lines: readonly string[]): Record<string, string> {
  const exports: Record<string, string> = {};
  for (const line of lines) {
    const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    exports[match[1]!] = match[2]!.replace(/'\\''/g, "'").replace(/^'(.*)'$/s, '$1');
  }
  return exports;
}

export interface StandaloneSim {
  exports: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStandaloneSim(args: string[] = []): Promise<StandaloneSim> {
  const child: ChildProcess = spawn(process.execPath, [SIM_SCRIPT, ...args], {
    cwd: REPOSITORY_ROOT,
    env: cleanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the simulator did not print ready: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      } else lines.push(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulator exited (${code}) before ready: ${stderr}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    exports: parseExports(lines),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface RunnerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a runner script (default scripts/conformance.ts) with exactly `env`. */
export async function runRunner(
  args: string[],
  env: Record<string, string>,
  script = 'scripts/conformance.ts',
): Promise<RunnerResult> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPOSITORY_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? -1, stdout, stderr };
}

/** A home with no AWS profile or kubeconfig, and empty AWS config files, so nothing of this machine leaks in. */
export async function isolatedHome(): Promise<{
  env: Record<string, string>;
  dir: string;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'pic-eks-home-'));
  const empty = join(dir, 'empty-aws-config');
  await writeFile(empty, '');
  return {
    dir,
    env: { HOME: dir, AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ToolResources {
  roles: string[];
  buckets: string[];
  associations: string[];
  namespaces: string[];
  /** IAM OIDC providers (the IRSA cases create one for the cluster's issuer when there is none). */
  oidcProviders: string[];
}

/** What the tool's markers find on the simulator: roles under its IAM path, pic-* buckets, associations, labelled namespaces. */
export async function toolResources(exports: Record<string, string>): Promise<ToolResources> {
  const config = {
    region: exports.AWS_REGION!,
    endpoint: exports.AWS_ENDPOINT_URL!,
    credentials: { accessKeyId: exports.AWS_ACCESS_KEY_ID!, secretAccessKey: exports.AWS_SECRET_ACCESS_KEY! },
  };
  const iam = new IAMClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const eks = new EKSClient(config);
  // The second account's roles too (cross-account target roles), seen as the runner sees them there.
  const second = exports.PIC_TARGET_ROLE_ACCOUNT;
  const secondIam = second
    ? new IAMClient({
        ...config,
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: `arn:aws:iam::${second}:role/OrganizationAccountAccessRole`,
            RoleSessionName: 'inventory',
          },
          masterCredentials: config.credentials,
          clientConfig: { region: config.region, endpoint: config.endpoint },
        }),
      })
    : undefined;
  try {
    const kube = new KubeConfig();
    kube.loadFromFile(exports.KUBECONFIG!);
    const core = kube.makeApiClient(CoreV1Api);
    const [roles, buckets, associations, namespaces, oidcProviders] = await Promise.all([
      iam.send(new ListRolesCommand({ PathPrefix: '/pod-identity-conformance/' })),
      s3.send(new ListBucketsCommand({})),
      eks.send(new ListPodIdentityAssociationsCommand({ clusterName: exports.PIC_CLUSTER! })),
      core.listNamespace({ labelSelector: 'app.kubernetes.io/managed-by=pod-identity-conformance' }),
      iam.send(new ListOpenIDConnectProvidersCommand({})),
    ]);
    const secondRoles = secondIam
      ? ((await secondIam.send(new ListRolesCommand({ PathPrefix: '/pod-identity-conformance/' }))).Roles ??
        [])
      : [];
    return {
      roles: [
        ...(roles.Roles ?? []).map((r) => r.RoleName!),
        ...secondRoles.map((r) => `${second}:${r.RoleName!}`),
      ],
      buckets: (buckets.Buckets ?? []).map((b) => b.Name!).filter((name) => name.startsWith('pic-')),
      associations: (associations.associations ?? []).map((a) => a.associationId!),
      namespaces: namespaces.items.map((n) => n.metadata!.name!),
      oidcProviders: (oidcProviders.OpenIDConnectProviderList ?? []).map((p) => p.Arn!),
    };
  } finally {
    for (const client of [iam, s3, eks, secondIam]) client?.destroy();
  }
}
