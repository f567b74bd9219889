// The AWS clients the suites run *inside* pods: the AWS CLI (what the blog scenario uses) and the
// project's probes, small scripts over one SDK each: the JS SDK v3 (probe/sdk-probe.mjs), botocore, the
// library under boto3 (probe/boto3-probe.py), and the JS SDK v2 (probe/node-v2-probe.cjs). All use only
// their default credential chains, so they see exactly what an application in the pod would. Each call's
// failure is classified so a case can say plainly whether the pod had no credentials or was denied.

import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../helpers/exec-in-pod.ts';
import { redact } from '../helpers/redact.ts';
import { PROBE_MOUNT_PATH } from '../targets/eks/client-images.ts';
import type { CapabilityName, PodSettings, TargetInfo } from '../targets/target.ts';
import {
  ensurePinnedClient,
  PINNED_NODE_V2_VERSION,
  type PinnedClient,
  type PodClientId,
  type PodClientName,
  parsePodClientId,
} from './pinned-clients.ts';

export { POD_CLIENT_NAMES, type PodClientId, type PodClientName } from './pinned-clients.ts';

/** Something a command can run in: a pod fixture. */
export interface ExecTarget {
  /** `container`: one of the pod's --client-image containers (default: its main container). */
  exec(argv: string[], options?: { timeoutMs?: number; container?: string }): Promise<ExecResult>;
}

/** What a client needs of the target: the region, and the --client-image containers of its pods. */
type ClientTargetInfo = Pick<TargetInfo, 'region'> & { pod?: Pick<PodSettings, 'clientContainers'> };

/** The pod container a client runs in when --client-image gave it one of its own. */
function clientContainer(info: ClientTargetInfo, client: PodClientName): string | undefined {
  return info.pod?.clientContainers?.find((container) => container.client === client)?.name;
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

/** What an SDK's own container credential provider said when asked directly (not the whole chain). */
export interface ContainerProviderResult {
  /** The SDK and its version, as the probe found it: `aws-sdk 2.1400.0`, `botocore 1.43.11`. */
  sdk: string;
  ok: boolean;
  /** Its error, redacted, when it refused or failed. */
  message?: string;
}

export interface PodClient {
  /** `boto3`, or with a pinned SDK version `node-v2@2.1400.0`. */
  name: PodClientId;
  /** The capability a target must have for this client to run in its pods. */
  capability: CapabilityName;
  whoami(pod: ExecTarget): Promise<PodCallResult<CallerIdentity>>;
  /** Uploads a file that exists in the pod. */
  putObject(pod: ExecTarget, bucket: string, key: string, file: string): Promise<PodCallResult<void>>;
  /** Downloads to a file in the pod. */
  getObject(pod: ExecTarget, bucket: string, key: string, file: string): Promise<PodCallResult<void>>;
  /** Asks the SDK's container provider alone; the AWS CLI has no such call. */
  containerProvider?(pod: ExecTarget): Promise<ContainerProviderResult>;
  /**
   * Calls sts:GetCallerIdentity again and again until `untilEpochMs` (at least once), stopping at the
   * first failure, and reports each call with the credentials it had (CLIENTS_WITH_LONG_CALLS only).
   */
  keepCalling?(pod: ExecTarget, untilEpochMs: number): Promise<PodCallResult<CredentialUse[]>>;
  /** iam:GetRole of a role in the caller's account; returns its ARN (CLIENTS_WITH_LONG_CALLS only). */
  getRole?(pod: ExecTarget, roleName: string): Promise<PodCallResult<string>>;
}

/** The clients that also have keepCalling and getRole: cases that need those loop over these only. */
export const CLIENTS_WITH_LONG_CALLS: readonly PodClientId[] = ['aws-cli', 'sdk-probe'];

const NO_CREDENTIALS = [
  /Unable to locate credentials/i,
  /Error when retrieving credentials from container-role/i,
  /Could not load credentials/i,
  /CredentialsProviderError/,
  /Error retrieving metadata/i,
  /NoCredentials/,
  // aws-sdk v2: its chain ends in CredentialsError "Missing credentials in config".
  /CredentialsError/,
  /Missing credentials in config/i,
  // A client too old for the agent's address refuses it before any request.
  /Unsupported host/i,
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
  const container = clientContainer(info, 'aws-cli');
  const call = async <T>(
    pod: ExecTarget,
    argv: string[],
    parse: (stdout: string) => T,
    timeoutMs = EXEC_TIMEOUT_MS,
  ) => {
    const result = await pod.exec(argv, { timeoutMs, ...(container ? { container } : {}) });
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

const probePath = (file: string) => fileURLToPath(new URL(`../probe/${file}`, import.meta.url));
export const SDK_PROBE_PATH = probePath('sdk-probe.mjs');
export const BOTO3_PROBE_PATH = probePath('boto3-probe.py');
export const NODE_V2_PROBE_PATH = probePath('node-v2-probe.cjs');

interface ProbeJson extends Record<string, unknown> {
  ok?: boolean;
  sdk?: string;
  error?: { name: string; message: string };
}

/** One probe action: its arguments, how to read its JSON, and how long it may take. */
type ProbeCall = <T>(
  pod: ExecTarget,
  args: string[],
  parse: (json: ProbeJson) => T,
  timeoutMs?: number,
) => Promise<PodCallResult<T>>;

/**
 * A client that runs one of the probe scripts: `command` is the argv before the probe's own arguments;
 * a pinned SDK version is installed (once, into the project's cache) before the first call.
 */
function probeClient(
  name: PodClientId,
  capability: CapabilityName,
  command: (pinned: PinnedClient | undefined) => string[],
  container?: string,
): PodClient & { call: ProbeCall } {
  const { version } = parsePodClientId(name);
  let pinned: Promise<PinnedClient | undefined> | undefined;
  const exec = async (pod: ExecTarget, args: string[], timeoutMs = EXEC_TIMEOUT_MS) => {
    pinned ??= version ? ensurePinnedClient(name) : Promise.resolve(undefined);
    const argv = [...command(await pinned), ...args];
    const result = await pod.exec(argv, { timeoutMs, ...(container ? { container } : {}) });
    const line = result.stdout.trim().split('\n').pop() ?? '';
    try {
      return { result, json: JSON.parse(line) as ProbeJson };
    } catch {
      return { result, json: undefined };
    }
  };
  const call = async <T>(
    pod: ExecTarget,
    args: string[],
    parse: (json: ProbeJson) => T,
    timeoutMs = EXEC_TIMEOUT_MS,
  ) => {
    const { result, json } = await exec(pod, args, timeoutMs);
    if (!json)
      return failed<T>(result, `probe printed no result (exit ${result.exitCode}): ${result.stderr}`);
    if (!json.ok) return failed<T>(result, `${json.error?.name}: ${json.error?.message}`);
    return { ok: true as const, value: parse(json) };
  };
  return {
    name,
    capability,
    call,
    whoami: (pod) =>
      call(pod, ['whoami'], (json) => ({
        arn: String(json.arn),
        account: String(json.account),
        userId: String(json.userId),
      })),
    putObject: (pod, bucket, key, file) => call(pod, ['put', bucket, key, file], () => undefined),
    getObject: (pod, bucket, key, file) => call(pod, ['get', bucket, key, file], () => undefined),
    containerProvider: async (pod) => {
      const { result, json } = await exec(pod, ['container-provider']);
      if (!json) {
        return {
          sdk: 'unknown',
          ok: false,
          message: redact(`probe printed no result (exit ${result.exitCode}): ${result.stderr}`.trim()),
        };
      }
      return json.ok
        ? { sdk: String(json.sdk), ok: true }
        : {
            sdk: String(json.sdk),
            ok: false,
            message: redact(`${json.error?.name}: ${json.error?.message}`),
          };
    },
  };
}

/** A probe script as the pod sees it: mounted from the ConfigMap in a --client-image container. */
const inContainer = (file: string) => `${PROBE_MOUNT_PATH}/${file}`;

export function sdkProbeClient(info: ClientTargetInfo): PodClient {
  const container = clientContainer(info, 'sdk-probe');
  const probe = container ? inContainer('sdk-probe.mjs') : SDK_PROBE_PATH;
  const { call, ...client } = probeClient(
    'sdk-probe',
    'podSdkProbe',
    () => ['env', `AWS_REGION=${info.region}`, 'node', probe],
    container,
  );
  return {
    ...client,
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

/** botocore from the pod's python3; a pinned one from the project's cache, with Debian's python3. */
export function boto3Client(info: ClientTargetInfo, name: PodClientId = 'boto3'): PodClient {
  const container = clientContainer(info, 'boto3');
  const probe = container ? inContainer('boto3-probe.py') : BOTO3_PROBE_PATH;
  return probeClient(
    name,
    'podBoto3Probe',
    (pinned) =>
      pinned
        ? ['env', `AWS_REGION=${info.region}`, `PYTHONPATH=${pinned.path}`, pinned.interpreter, '-s', probe]
        : ['env', `AWS_REGION=${info.region}`, 'python3', probe],
    container,
  );
}

/**
 * aws-sdk v2: in a --client-image container the image's own; else from the project's cache (the pinned
 * current release unless another is named).
 */
export function nodeV2Client(info: ClientTargetInfo, name: PodClientId = 'node-v2'): PodClient {
  const container = clientContainer(info, 'node-v2');
  if (container && !parsePodClientId(name).version) {
    const probe = inContainer('node-v2-probe.cjs');
    return probeClient(
      name,
      'podNodeV2Probe',
      () => ['env', `AWS_REGION=${info.region}`, 'node', probe],
      container,
    );
  }
  const pinnedName = parsePodClientId(name).version ? name : (`node-v2@${PINNED_NODE_V2_VERSION}` as const);
  const client = probeClient(pinnedName, 'podNodeV2Probe', (pinned) => [
    'env',
    `AWS_REGION=${info.region}`,
    `PIC_AWS_SDK_DIR=${pinned?.path}`,
    'node',
    NODE_V2_PROBE_PATH,
  ]);
  return { ...client, name };
}

/** The client of that name (or name@version) for the target's pods. */
export function podClientNamed(info: ClientTargetInfo & Pick<TargetInfo, 'pod'>, id: PodClientId): PodClient {
  const { name } = parsePodClientId(id);
  if (name === 'aws-cli') return awsCliClient(info);
  if (name === 'sdk-probe') return sdkProbeClient(info);
  if (name === 'boto3') return boto3Client(info, id);
  return nodeV2Client(info, id);
}
