// Judging a client's Pod Identity compatibility from what its probe printed, the clients a run takes by
// default, and how a probe runs in a --client-image container, with pods that answer as told.

import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../helpers/exec-in-pod.ts';
import { judgeClient, refusesAgentAddress, tooOldLine } from '../../suite-api/client-compatibility.ts';
import { defaultPodClients, isClientCase, podClientIdProblem } from '../../suite-api/pinned-clients.ts';
import { boto3Client, type ExecTarget, nodeV2Client } from '../../suite-api/pod-clients.ts';

const ROLE = 'pic-202612042200-abcde-client-compat';
const ROLE_ARN = `arn:aws:sts::111122223333:assumed-role/${ROLE}/eks-c-app-1`;
const NODE_ARN = 'arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0a1b2c3d4e5f60718';
const AGENT = 'http://169.254.170.23/v1/credentials';

/** A pod whose probe answers `whoami` and `container-provider` with these JSON lines. */
function probePod(answers: { whoami: object; provider: object }): ExecTarget & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async exec(argv, options): Promise<ExecResult> {
      calls.push([...argv, `container=${options?.container ?? 'main'}`]);
      const json = argv.at(-1) === 'container-provider' ? answers.provider : answers.whoami;
      return {
        exitCode: (json as { ok: boolean }).ok ? 0 : 1,
        stdout: `${JSON.stringify(json)}\n`,
        stderr: '',
      };
    },
  };
}

const client = boto3Client({ region: 'us-east-1' });
const sdk = 'botocore 1.43.11';

describe('judging a client in an associated pod', () => {
  it('got the role', async () => {
    const pod = probePod({
      whoami: { ok: true, sdk, arn: ROLE_ARN, account: '111122223333', userId: 'AROA:x' },
      provider: { ok: true, sdk, credentials: true },
    });
    expect(await judgeClient(client, pod, ROLE)).toEqual({
      client: 'boto3',
      sdk,
      verdict: { kind: 'role', arn: ROLE_ARN },
    });
  });

  it('refused the address: too old, the refusal taken from its own container provider', async () => {
    const refusal =
      "Unsupported host '169.254.170.23'.  Can only retrieve metadata from these hosts: 169.254.170.2";
    const pod = probePod({
      whoami: { ok: false, sdk: 'botocore 1.29.27', error: { name: 'ValueError', message: refusal } },
      provider: { ok: false, sdk: 'botocore 1.29.27', error: { name: 'ValueError', message: refusal } },
    });
    const report = await judgeClient(client, pod, ROLE);
    expect(report.verdict).toEqual({ kind: 'too-old', message: `ValueError: ${refusal}` });
    expect(tooOldLine(report, AGENT)).toBe(
      `boto3 (botocore 1.29.27) is too old for Pod Identity: it refused the agent's address ${AGENT} (ValueError: ${refusal}); it needs at least botocore 1.34.41 (boto3 1.34.41)`,
    );
  });

  it('refused the address although its chain then got the node role: still too old, saying what it got', async () => {
    const pod = probePod({
      whoami: { ok: true, sdk, arn: NODE_ARN, account: '111122223333', userId: 'AROA:i' },
      provider: {
        ok: false,
        sdk,
        error: { name: 'ECSCredentialsProviderFailure', message: 'Unsupported hostname' },
      },
    });
    expect((await judgeClient(client, pod, ROLE)).verdict).toEqual({
      kind: 'too-old',
      message: 'ECSCredentialsProviderFailure: Unsupported hostname',
      instead: NODE_ARN,
    });
  });

  it('fell through: other credentials, and no refusal', async () => {
    const pod = probePod({
      whoami: { ok: true, sdk, arn: NODE_ARN, account: '111122223333', userId: 'AROA:i' },
      provider: { ok: false, sdk, error: { name: 'LookupError', message: 'not configured' } },
    });
    expect((await judgeClient(client, pod, ROLE)).verdict).toEqual({ kind: 'fell-through', arn: NODE_ARN });
  });

  it('failed otherwise: the chain and the provider both said why', async () => {
    const pod = probePod({
      whoami: {
        ok: false,
        sdk,
        error: { name: 'CredentialRetrievalError', message: 'Received non 200 response 500' },
      },
      provider: {
        ok: false,
        sdk,
        error: { name: 'CredentialRetrievalError', message: 'Received non 200 response 500' },
      },
    });
    expect((await judgeClient(client, pod, ROLE)).verdict.kind).toBe('failed');
  });

  it.each([
    "Unsupported host '169.254.170.23'.  Can only retrieve metadata from these hosts: 169.254.170.2, localhost, 127.0.0.1",
    'Unsupported hostname: AWS.RemoteCredentials only supports localhost,127.0.0.1 for http:; http://169.254.170.23 requested.',
    'URL not accepted. It must either be HTTPS or match one of the following: loopback CIDR 127.0.0.0/8',
    '169.254.170.23 is not a valid container metadata service hostname',
    'invalid endpoint host, "169.254.170.23", only loopback hosts are allowed',
  ])('recognises the refusal %s', (text) => {
    expect(refusesAgentAddress(text)).toBe(true);
  });

  it('does not take an agent error for a refusal', () => {
    expect(refusesAgentAddress('Received non 200 response 403 from container metadata: forbidden')).toBe(
      false,
    );
  });
});

describe('the clients of a run', () => {
  it('defaults to the target’s usual clients: node-v2 only when named, eks adds the imaged ones', () => {
    expect(defaultPodClients('embedded')).toEqual(['aws-cli', 'sdk-probe', 'boto3']);
    expect(defaultPodClients('localstack')).toEqual(['aws-cli', 'sdk-probe', 'boto3']);
    expect(defaultPodClients('eks')).toEqual(['aws-cli', 'sdk-probe']);
    expect(defaultPodClients('eks', ['boto3', 'node-v2'])).toEqual([
      'aws-cli',
      'sdk-probe',
      'boto3',
      'node-v2',
    ]);
  });

  it('knows a client case by its name', () => {
    expect(isClientCase('credentials › the pod is … [boto3]')).toBe(true);
    expect(isClientCase('isolation › … [node-v2@2.1400.0]')).toBe(true);
    expect(isClientCase('mutation › the token volume is mounted read-only')).toBe(false);
  });

  it('accepts a name, or a release it can install', () => {
    expect(podClientIdProblem('node-v2@2.1400.0')).toBeUndefined();
    expect(podClientIdProblem('boto3@1.29.27')).toBeUndefined();
    expect(podClientIdProblem('boto3@1.30.0')).toMatch(/a release can be pinned only as/);
    expect(podClientIdProblem('ruby')).toMatch(/^unknown client "ruby"/);
  });
});

describe('a probe in a --client-image container', () => {
  const info = {
    region: 'eu-west-1',
    pod: { clientContainers: [{ client: 'node-v2', image: 'node:22-slim', name: 'client-node-v2' }] },
  };

  it('runs the mounted probe in its container, with the image’s own aws-sdk (nothing pinned)', async () => {
    const pod = probePod({
      whoami: { ok: true, sdk: 'aws-sdk 2.1600.0', arn: ROLE_ARN, account: '111122223333', userId: 'AROA:x' },
      provider: { ok: true, sdk: 'aws-sdk 2.1600.0', credentials: true },
    });
    await nodeV2Client(info).whoami(pod);
    expect(pod.calls).toEqual([
      [
        'env',
        'AWS_REGION=eu-west-1',
        'node',
        '/pic-probe/node-v2-probe.cjs',
        'whoami',
        'container=client-node-v2',
      ],
    ]);
  });

  it('without a container of its own, boto3 runs the project’s probe in the main container', async () => {
    const pod = probePod({
      whoami: { ok: true, sdk, arn: ROLE_ARN, account: '111122223333', userId: 'AROA:x' },
      provider: { ok: true, sdk, credentials: true },
    });
    await boto3Client(info).whoami(pod);
    expect(pod.calls[0]?.slice(0, 3)).toEqual(['env', 'AWS_REGION=eu-west-1', 'python3']);
    expect(pod.calls[0]?.[3]).toMatch(/\/probe\/boto3-probe\.py$/);
    expect(pod.calls[0]?.at(-1)).toBe('container=main');
  });
});
