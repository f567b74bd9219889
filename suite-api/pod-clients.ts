// The AWS clients the suites run *inside* pods: the AWS CLI (what the blog scenario uses) and the
// project's JS SDK v3 probe (probe/sdk-probe.mjs). Both use only their default credential chains, so
// they see exactly what an application in the pod would. Each call's failure is classified so a case
// can say plainly whether the pod had no credentials or was denied.

import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../helpers/exec-in-pod.ts';
import { redact } from '../helpers/redact.ts';
import type { CapabilityName, TargetInfo } from '../targets/target.ts';

export type PodClientName = 'aws-cli' | 'sdk-probe';

/** Something a command can run in: a pod fixture. */
export interface ExecTarget {
  exec(argv: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
}

export type FailureKind = 'no-credentials' | 'access-denied' | 'other';

export type PodCallResult<T> =
  | { ok: true; value: T }
  | { ok: false; failure: FailureKind; message: string; exitCode: number };

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** One call of a long-running client, and the credentials it had (a fingerprint, never the key id). */
export interface CredentialUse {
  ok: boolean;
  /** When the call started, epoch ms (the pod's clock). */
  atMs: number;
  /** Tells the credentials apart: the first 12 hex digits of the access key id's SHA-256. */
  key: string;
  /** The credentials' Expiration as the agent gave it (ISO 8601); empty when unknown. */
  expiration: string;
  error?: string;
}

export interface PodClient {
  name: PodClientName;
  /** The capability a target must have for this client to run in its pods. */
  capability: CapabilityName;
  whoami(pod: ExecTarget): Promise<PodCallResult<CallerIdentity>>;
  /** Uploads a file that exists in the pod. */
  putObject(pod: ExecTarget, bucket: string, key: string, file: string): Promise<PodCallResult<void>>;
  /** Downloads to a file in the pod. */
  getObject(pod: ExecTarget, bucket: string, key: string, file: string): Promise<PodCallResult<void>>;
  /**
   * Calls sts:GetCallerIdentity again and again until `untilEpochMs` (at least once), stopping at the
   * first failure, and reports each call with the credentials it had.
   */
  keepCalling(pod: ExecTarget, untilEpochMs: number): Promise<PodCallResult<CredentialUse[]>>;
  /** iam:GetRole of a role in the caller's account; returns its ARN. */
  getRole(pod: ExecTarget, roleName: string): Promise<PodCallResult<string>>;
}

const NO_CREDENTIALS = [
  /Unable to locate credentials/i,
  /Error when retrieving credentials from container-role/i,
  /Could not load credentials/i,
  /CredentialsProviderError/,
  /Error retrieving metadata/i,
  /NoCredentials/,
];
const ACCESS_DENIED = [/AccessDenied/, /\(403\)/, /Forbidden/i, /is not authorized to perform/i];

export function classifyFailure(text: string): FailureKind {
  if (NO_CREDENTIALS.some((pattern) => pattern.test(text))) return 'no-credentials';
  if (ACCESS_DENIED.some((pattern) => pattern.test(text))) return 'access-denied';
  return 'other';
}

function failed<T>(result: ExecResult, text: string): PodCallResult<T> {
  const message = redact(text.trim()).slice(0, 2_000);
  return { ok: false, failure: classifyFailure(text), message, exitCode: result.exitCode };
}

const EXEC_TIMEOUT_MS = 120_000;

/** The pod has no `aws` to run: a configuration problem, not a Pod Identity finding. */
export class PodImageError extends Error {
  override readonly name = 'PodImageError';
}

/** `env` exits 127 when the command it should run does not exist. */
const COMMAND_NOT_FOUND = 127;

export function awsCliClient(info: Pick<TargetInfo, 'region' | 'pod'>): PodClient {
  // AWS_PAGER= keeps CLI v2 from paging; --region because pods without an association have none.
  const aws = (...args: string[]) => ['env', 'AWS_PAGER=', 'aws', '--region', info.region, ...args];
  const call = async <T>(
    pod: ExecTarget,
    argv: string[],
    parse: (stdout: string) => T,
    timeoutMs = EXEC_TIMEOUT_MS,
  ) => {
    const result = await pod.exec(argv, { timeoutMs });
    if (result.exitCode === COMMAND_NOT_FOUND) {
      throw new PodImageError(
        `the pod image ${info.pod.image} has no aws command; run with --pod-image set to an image that has the AWS CLI and sh (for example public.ecr.aws/aws-cli/aws-cli)`,
      );
    }
    if (result.exitCode !== 0) return failed<T>(result, `${result.stderr}\n${result.stdout}`);
    return { ok: true as const, value: parse(result.stdout) };
  };
  return {
    name: 'aws-cli',
    capability: 'podAwsCli',
    whoami: (pod) =>
      call(pod, aws('sts', 'get-caller-identity', '--output', 'json'), (stdout) => {
        const parsed = JSON.parse(stdout) as { Arn: string; Account: string; UserId: string };
        return { arn: parsed.Arn, account: parsed.Account, userId: parsed.UserId };
      }),
    putObject: (pod, bucket, key, file) =>
      call(pod, aws('s3', 'cp', file, `s3://${bucket}/${key}`, '--only-show-errors'), () => undefined),
    getObject: (pod, bucket, key, file) =>
      call(pod, aws('s3', 'cp', `s3://${bucket}/${key}`, file, '--only-show-errors'), () => undefined),
    getRole: (pod, roleName) =>
      call(
        pod,
        aws('iam', 'get-role', '--role-name', roleName, '--output', 'json'),
        (stdout) => (JSON.parse(stdout) as { Role: { Arn: string } }).Role.Arn,
      ),
    keepCalling: (pod, untilEpochMs) =>
      call(
        pod,
        ['sh', '-c', keepCallingScript(info.region), 'keep-calling', String(untilEpochMs)],
        parseCredentialUses,
        Math.max(untilEpochMs - Date.now(), 0) + EXEC_TIMEOUT_MS,
      ),
  };
}

/**
 * A loop of `aws sts get-caller-identity` (a new CLI process each time, as a cron-like job runs it);
 * before each call it asks the agent twice, as the CLI does, which credentials it serves now, and
 * prints only their Expiration and a fingerprint of the access key id.
 */
function keepCallingScript(region: string): string {
  return [
    'command -v curl >/dev/null || { echo "the pod image has no curl to read the agent\'s answer" >&2; exit 3; }',
    'until=$1',
    'while :; do',
    '  at=$(date +%s%3N)',
    '  creds=$(curl -s --retry 3 --retry-connrefused --retry-delay 1 -H "Authorization: $(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")" "$AWS_CONTAINER_CREDENTIALS_FULL_URI")',
    '  key=$(printf %s "$creds" | sed -n \'s/.*"AccessKeyId":"\\([^"]*\\)".*/\\1/p\' | sha256sum | cut -c1-12)',
    '  exp=$(printf %s "$creds" | sed -n \'s/.*"Expiration":"\\([^"]*\\)".*/\\1/p\')',
    // Asked again at once, as a second process in the pod would: the agent's cache must answer it.
    '  again_at=$(date +%s%3N)',
    '  again=$(curl -s --retry 3 --retry-connrefused --retry-delay 1 -H "Authorization: $(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")" "$AWS_CONTAINER_CREDENTIALS_FULL_URI")',
    '  again_key=$(printf %s "$again" | sed -n \'s/.*"AccessKeyId":"\\([^"]*\\)".*/\\1/p\' | sha256sum | cut -c1-12)',
    '  again_exp=$(printf %s "$again" | sed -n \'s/.*"Expiration":"\\([^"]*\\)".*/\\1/p\')',
    `  if out=$(env AWS_PAGER= aws --region ${region} sts get-caller-identity --output text --query Arn 2>&1); then`,
    '    echo "ok $at $key $exp"; echo "agent $again_at $again_key $again_exp"',
    '  else',
    '    echo "failed $at $key $exp $(printf %s "$out" | tr "\\n" " " | cut -c1-300)"; break',
    '  fi',
    '  [ "$(date +%s%3N)" -lt "$until" ] || break',
    'done',
  ].join('\n');
}

/** `ok AT KEY EXPIRATION` (a CLI call), `agent AT KEY EXPIRATION` (an agent call alone), `failed AT KEY EXPIRATION MESSAGE`. */
function parseCredentialUses(stdout: string): CredentialUse[] {
  return stdout
    .split('\n')
    .filter((line) => /^(ok|agent|failed) /.test(line))
    .map((line) => {
      const [status, at, key, expiration, ...rest] = line.split(' ');
      return {
        ok: status !== 'failed',
        atMs: Number(at),
        key: key ?? '',
        expiration: expiration ?? '',
        ...(status === 'failed' ? { error: redact(rest.join(' ')) } : {}),
      };
    });
}

export const SDK_PROBE_PATH = fileURLToPath(new URL('../probe/sdk-probe.mjs', import.meta.url));

export function sdkProbeClient(info: Pick<TargetInfo, 'region'>): PodClient {
  const call = async <T>(
    pod: ExecTarget,
    args: string[],
    parse: (json: Record<string, unknown>) => T,
    timeoutMs = EXEC_TIMEOUT_MS,
  ) => {
    const argv = ['env', `AWS_REGION=${info.region}`, 'node', SDK_PROBE_PATH, ...args];
    const result = await pod.exec(argv, { timeoutMs });
    const line = result.stdout.trim().split('\n').pop() ?? '';
    let json: { ok?: boolean; error?: { name: string; message: string } } & Record<string, unknown>;
    try {
      json = JSON.parse(line);
    } catch {
      return failed<T>(result, `probe printed no result (exit ${result.exitCode}): ${result.stderr}`);
    }
    if (!json.ok) return failed<T>(result, `${json.error?.name}: ${json.error?.message}`);
    return { ok: true as const, value: parse(json) };
  };
  return {
    name: 'sdk-probe',
    capability: 'podSdkProbe',
    whoami: (pod) =>
      call(pod, ['whoami'], (json) => ({
        arn: String(json.arn),
        account: String(json.account),
        userId: String(json.userId),
      })),
    putObject: (pod, bucket, key, file) => call(pod, ['put', bucket, key, file], () => undefined),
    getObject: (pod, bucket, key, file) => call(pod, ['get', bucket, key, file], () => undefined),
    getRole: (pod, roleName) => call(pod, ['get-role', roleName], (json) => String(json.arn)),
    keepCalling: (pod, untilEpochMs) =>
      call(
        pod,
        ['keep-calling', String(untilEpochMs)],
        (json) => json.calls as CredentialUse[],
        Math.max(untilEpochMs - Date.now(), 0) + EXEC_TIMEOUT_MS,
      ),
  };
}

export const POD_CLIENT_NAMES: PodClientName[] = ['aws-cli', 'sdk-probe'];
