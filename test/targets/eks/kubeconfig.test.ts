import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import {
  contextForEndpoint,
  createPrivateDirectory,
  eksClusterOfContext,
  findKubeconfig,
  loadKubeconfig,
  normalizeServer,
  singleContextKubeconfig,
  tokenFileKubeconfig,
  writePrivateFile,
} from '../../../targets/eks/kubeconfig.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pic-eks-kubeconfig-'));
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

/** A kubeconfig like `aws eks update-kubeconfig` writes. */
function eksKubeconfig(options: {
  account: string;
  region: string;
  cluster: string;
  server: string;
}): string {
  const arn = `arn:aws:eks:${options.region}:${options.account}:cluster/${options.cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: arn, cluster: { server: options.server, 'certificate-authority-data': CA } }],
    users: [
      {
        name: arn,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: [
              '--region',
              options.region,
              'eks',
              'get-token',
              '--cluster-name',
              options.cluster,
              '--output',
              'json',
            ],
          },
        },
      },
    ],
    contexts: [{ name: arn, context: { cluster: arn, user: arn } }],
    'current-context': arn,
  });
}

async function headersFor(config: KubeConfig): Promise<Record<string, unknown>> {
  const options: { headers?: Record<string, unknown> } = { headers: {} };
  await config.applyToHTTPSOptions(options as never);
  return options.headers ?? {};
}

describe('finding the kubeconfig', () => {
  it('uses KUBECONFIG (a path list; missing entries noted), else ~/.kube/config, else none', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, 'apiVersion: v1\nkind: Config\n');
    await writeFile(b, 'apiVersion: v1\nkind: Config\n');
    expect(findKubeconfig({ KUBECONFIG: `${a}:${join(dir, 'missing')}:${b}` }, dir)).toEqual({
      paths: [a, b],
      missing: [join(dir, 'missing')],
      source: 'KUBECONFIG',
    });
    expect(findKubeconfig({}, dir)).toEqual({ paths: [], missing: [], source: 'none' });
    await mkdir(join(dir, '.kube'));
    await writeFile(join(dir, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');
    expect(findKubeconfig({ KUBECONFIG: '' }, dir)).toEqual({
      paths: [join(dir, '.kube', 'config')],
      missing: [],
      source: '~/.kube/config',
    });
  });

  it('merges several files, the first to name something winning', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await writeFile(
      first,
      eksKubeconfig({
        account: '111122223333',
        region: 'eu-west-1',
        cluster: 'one',
        server: 'https://one.example',
      }),
    );
    await writeFile(
      second,
      eksKubeconfig({
        account: '111122223333',
        region: 'eu-west-1',
        cluster: 'two',
        server: 'https://two.example',
      }),
    );
    const config = loadKubeconfig([first, second]);
    expect(config.getContexts().map((c) => c.name)).toEqual([
      'arn:aws:eks:eu-west-1:111122223333:cluster/one',
      'arn:aws:eks:eu-west-1:111122223333:cluster/two',
    ]);
    expect(config.getCurrentContext()).toBe('arn:aws:eks:eu-west-1:111122223333:cluster/one');
  });
});

describe('choosing a context for the cluster', () => {
  it('names the EKS cluster and region of a context from its ARN or its exec arguments', () => {
    const config = new KubeConfig();
    config.loadFromString(
      eksKubeconfig({ account: '111122223333', region: 'eu-west-2', cluster: 'prod', server: 'https://x' }),
    );
    expect(eksClusterOfContext(config, config.getCurrentContext())).toEqual({
      name: 'prod',
      region: 'eu-west-2',
    });
    config.loadFromOptions({
      clusters: [{ name: 'renamed', server: 'https://x', skipTLSVerify: false }],
      users: [{ name: 'u', exec: { command: 'aws-iam-authenticator', args: ['token', '-i', 'staging'] } }],
      contexts: [{ name: 'ctx', cluster: 'renamed', user: 'u' }],
      currentContext: 'ctx',
    });
    expect(eksClusterOfContext(config, 'ctx')).toEqual({ name: 'staging' });
    expect(eksClusterOfContext(config, 'absent')).toBeUndefined();
  });

  it("prefers the current context when it points at the cluster's endpoint, else any that does", () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [
        { name: 'a', server: 'https://A.example:443/', skipTLSVerify: false },
        { name: 'b', server: 'https://b.example', skipTLSVerify: false },
      ],
      users: [{ name: 'u' }],
      contexts: [
        { name: 'to-a', cluster: 'a', user: 'u' },
        { name: 'to-b', cluster: 'b', user: 'u' },
        { name: 'also-b', cluster: 'b', user: 'u' },
      ],
      currentContext: 'also-b',
    });
    expect(contextForEndpoint(config, 'https://b.example')?.name).toBe('also-b');
    expect(contextForEndpoint(config, 'https://a.example')?.name).toBe('to-a');
    expect(contextForEndpoint(config, 'https://c.example')).toBeUndefined();
    expect(normalizeServer('https://A.example:443/')).toBe('https://a.example');
    expect(normalizeServer('https://127.0.0.1:6443')).toBe('https://127.0.0.1:6443');
  });

  it('writes one context of a merged kubeconfig as a file of its own, exec user kept', async () => {
    const config = new KubeConfig();
    config.loadFromString(
      eksKubeconfig({
        account: '111122223333',
        region: 'eu-west-2',
        cluster: 'prod',
        server: 'https://prod.example',
      }),
    );
    const name = config.getCurrentContext();
    const single = new KubeConfig();
    single.loadFromString(singleContextKubeconfig(config, name));
    expect(single.getCurrentContext()).toBe(name);
    expect(single.getCurrentCluster()?.server).toBe('https://prod.example');
    expect(single.getCurrentUser()?.exec?.args).toContain('get-token');
    expect(() => singleContextKubeconfig(config, 'absent')).toThrow('no context "absent"');
  });
});

describe('the kubeconfig the target writes for an in-process EKS token', () => {
  it('has the endpoint, the CA and a user whose token client-node re-reads from the file', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-28T10:00:00Z'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'k8s-aws-v1.first');
    const path = join(dir, 'kubeconfig');
    await writeFile(
      path,
      tokenFileKubeconfig({
        name: 'prod',
        server: 'https://prod.example',
        certificateAuthorityData: CA,
        tokenFile,
      }),
    );
    const config = new KubeConfig();
    config.loadFromFile(path);
    expect(config.getCurrentCluster()).toMatchObject({ server: 'https://prod.example', caData: CA });
    expect((await headersFor(config)).Authorization).toBe('Bearer k8s-aws-v1.first');

    await writeFile(tokenFile, 'k8s-aws-v1.second');
    // Within a minute client-node keeps the token it read; after it, it reads the file again.
    vi.setSystemTime(new Date('2026-11-28T10:00:30Z'));
    expect((await headersFor(config)).Authorization).toBe('Bearer k8s-aws-v1.first');
    vi.setSystemTime(new Date('2026-11-28T10:01:01Z'));
    expect((await headersFor(config)).Authorization).toBe('Bearer k8s-aws-v1.second');
  });

  it('keeps the token and kubeconfig private: a 0700 directory, 0600 files, replaced atomically', async () => {
    const reportDir = join(dir, 'reports');
    const access = join(reportDir, '.eks-access-run');
    await createPrivateDirectory(access);
    expect((await stat(access)).mode & 0o777).toBe(0o700);
    expect((await stat(reportDir)).mode & 0o077).not.toBe(0);
    const file = join(access, 'token');
    await writePrivateFile(file, 'one');
    await writePrivateFile(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
