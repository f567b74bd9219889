// `node scripts/sim.ts` as a person uses it: start it, paste its exports into another shell, use the
// real kubectl and aws CLIs against it, stop it with SIGTERM.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, kubectl } from './sim-fixture.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/sim.ts', import.meta.url));

let child: ChildProcess;
let stateDir: string;
let exportLines: string[];
let stderr = '';

/** Runs a command in `sh` after pasting the simulator's export lines, as a person would. */
async function inShell(command: string): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await run('sh', ['-c', `${exportLines.join('\n')}\n${command}`], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  return { stdout, stderr };
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'pic-standalone-'));
  child = spawn(
    process.execPath,
    [
      script,
      '--cluster',
      'standalone',
      '--region',
      'eu-west-1',
      '--account',
      '123456789012',
      '--state-dir',
      stateDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`no 'ready' line within 30 s; stderr: ${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
          return;
        }
        lines.push(line);
        newline = buffered.indexOf('\n');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/sim.ts exited with ${code} before 'ready'; stderr: ${stderr}`));
    });
  });
  exportLines = lines;
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

describe('scripts/sim.ts', () => {
  it('prints quoted export lines for the variables, then ready', () => {
    expect(exportLines.map((l) => l.split('=')[0])).toEqual([
      'export KUBECONFIG',
      'export AWS_ENDPOINT_URL',
      'export AWS_ACCESS_KEY_ID',
      'export AWS_SECRET_ACCESS_KEY',
      'export AWS_REGION',
      'export AWS_DEFAULT_REGION',
      'export PIC_CLUSTER',
      'export PIC_TARGET_ROLE_ACCOUNT',
    ]);
    for (const line of exportLines) expect(line).toMatch(/^export [A-Z_]+='[^']*'$/);
    expect(exportLines).toContain(`export KUBECONFIG='${join(stateDir, 'kubeconfig')}'`);
    expect(exportLines).toContain(`export AWS_REGION='eu-west-1'`);
    expect(exportLines).toContain(`export PIC_CLUSTER='standalone'`);
    expect(exportLines).toContain(`export PIC_TARGET_ROLE_ACCOUNT='444455556666'`);
  });

  it.skipIf(!kubectl)('kubectl works with the exported KUBECONFIG (needs kubectl)', async () => {
    const { stdout } = await inShell('kubectl get daemonset eks-pod-identity-agent -n kube-system -o json');
    const ds = JSON.parse(stdout);
    expect(ds.status.numberReady).toBe(1);
  });

  it.skipIf(!awsCli)(
    'aws works with the exported endpoint, credentials and region (needs the aws CLI)',
    async () => {
      const [identity, cluster] = await Promise.all([
        inShell('aws sts get-caller-identity --output json'),
        inShell('aws eks describe-cluster --name "$PIC_CLUSTER" --output json'),
      ]);
      expect(JSON.parse(identity.stdout).Account).toBe('123456789012');
      expect(JSON.parse(cluster.stdout).cluster.arn).toBe(
        'arn:aws:eks:eu-west-1:123456789012:cluster/standalone',
      );
    },
  );

  it.skipIf(!awsCli || !kubectl)(
    'IRSA by hand: an OIDC provider for the issuer, a kubectl token, assume-role-with-web-identity unsigned (needs aws and kubectl)',
    async () => {
      // As a person would type it; the token stays in a file, and the last call has no credentials.
      const script = [
        'set -e',
        'issuer=$(aws eks describe-cluster --name "$PIC_CLUSTER" --query cluster.identity.oidc.issuer --output text)',
        'provider=$(aws iam create-open-id-connect-provider --url "$issuer" --client-id-list sts.amazonaws.com --query OpenIDConnectProviderArn --output text)',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
        'host=${issuer#https://}',
        `trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"'"$provider"'"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"'"$host"':sub":"system:serviceaccount:default:default"}}}]}'`,
        'role=$(aws iam create-role --role-name irsa-by-hand --assume-role-policy-document "$trust" --query Role.Arn --output text)',
        `kubectl create token default --audience sts.amazonaws.com > '${stateDir}/irsa-token'`,
        `env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws sts assume-role-with-web-identity --role-arn "$role" --role-session-name by-hand --web-identity-token 'file://${stateDir}/irsa-token' --query AssumedRoleUser.Arn --output text`,
      ].join('\n');
      const { stdout } = await inShell(script);
      expect(stdout.trim()).toBe('arn:aws:sts::123456789012:assumed-role/irsa-by-hand/by-hand');
    },
  );
  it('refuses a credential lifetime outside 2-3600 seconds with exit 2 and one line', async () => {
    for (const value of ['1', '3601', '5s']) {
      const failed = await run(process.execPath, [script, '--credential-lifetime', value]).then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failed?.code, value).toBe(2);
      expect(failed?.stderr).toContain(
        `--credential-lifetime must be a whole number of seconds from 2 to 3600, got '${value}'`,
      );
    }
  });

  it('stops everything and exits 0 on SIGTERM', async () => {
    const endpoint = exportLines.find((l) => l.startsWith('export AWS_ENDPOINT_URL='))!;
    const port = Number(new URL(endpoint.slice(endpoint.indexOf("'") + 1, -1)).port);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
