// The localstack target's capability probe against real endpoints: moto's server as LocalStack
// community (no IAM enforcement), moto with IAM enforcement turned on (INITIAL_NO_AUTH_ACTION_COUNT;
// it enforces identity policies but ignores aws:PrincipalTag conditions), and the project's AWS
// simulator (enforces IAM and honours session tags). The probe's role is always gone afterwards.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListRolesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { startAwsSim } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../../fixtures/run-context.ts';
import { createAwsClients } from '../../../helpers/aws-clients.ts';
import { ledgerPathFor, RunLedger } from '../../../helpers/ledger.ts';
import { IAM_PATH } from '../../../helpers/naming.ts';
import { embeddedCapabilities } from '../../../targets/embedded.ts';
import {
  enforcementOffReason,
  probeIamCapabilities,
  trustPrincipalFor,
} from '../../../targets/localstack/probe.ts';
import type { AwsCredentialsInfo, TargetInfo } from '../../../targets/target.ts';
import { enableMotoAuth, motoPython, startMotoServer } from './moto-server.ts';

const RUN_ID = 'pic-202611281000-probe';
let reportDir: string;

beforeAll(async () => {
  reportDir = await mkdtemp(join(tmpdir(), 'pic-probe-'));
});
afterAll(async () => {
  await rm(reportDir, { recursive: true, force: true });
});

function runContextFor(endpoint: string, credentials: AwsCredentialsInfo): RunContext {
  const info: TargetInfo = {
    name: 'localstack',
    region: 'us-east-1',
    accountId: '123456789012',
    cluster: { name: 'probe', arn: 'arn:aws:eks:us-east-1:123456789012:cluster/probe' },
    endpoints: { iam: endpoint, sts: endpoint, s3: endpoint },
    credentials,
    kubeconfigPath: '/nonexistent',
    pod: { image: 'x', command: ['sleep', '1'], imagePullPolicy: 'Never', env: {} },
    capabilities: embeddedCapabilities(undefined),
    runId: RUN_ID,
    reportDir,
    keep: false,
    waitTimeoutMs: 10_000,
  };
  return {
    info,
    aws: createAwsClients(info),
    // The probe uses AWS only.
    kube: undefined as never,
    ledger: new RunLedger(ledgerPathFor(reportDir, RUN_ID), RUN_ID),
  };
}

async function rolesUnderToolPath(run: RunContext): Promise<string[]> {
  const page = await run.aws.iam.send(new ListRolesCommand({ PathPrefix: IAM_PATH }));
  return (page.Roles ?? []).map((role) => role.RoleName!);
}

describe('trustPrincipalFor', () => {
  it('trusts the caller, and the role of an assumed-role session', () => {
    expect(trustPrincipalFor('arn:aws:iam::000000000000:root')).toBe('arn:aws:iam::000000000000:root');
    expect(trustPrincipalFor('arn:aws:iam::123456789012:user/admin')).toBe(
      'arn:aws:iam::123456789012:user/admin',
    );
    expect(trustPrincipalFor('arn:aws:sts::123456789012:assumed-role/ci/session-1')).toBe(
      'arn:aws:iam::123456789012:role/ci',
    );
  });
});

describe.skipIf(!motoPython)('probe against moto (needs python3 with moto)', () => {
  it('without IAM enforcement: both capabilities unavailable with the probed reason, nothing left', async () => {
    const moto = await startMotoServer();
    const run = runContextFor(moto.url, { accessKeyId: 'test', secretAccessKey: 'test' });
    try {
      const found = await probeIamCapabilities(run, moto.url);
      expect(found.iamEnforcement).toEqual({ available: false, reason: enforcementOffReason(moto.url) });
      expect(found.iamEnforcement.reason).toBe(
        `LocalStack at ${moto.url} allowed an unauthorised call: IAM enforcement is off (a LocalStack Pro feature, ENFORCE_IAM=1)`,
      );
      expect(found.sessionTags.available).toBe(false);
      expect(found.sessionTags.reason).toContain('does not enforce IAM');
      expect(await rolesUnderToolPath(run)).toEqual([]);
      expect(await run.ledger.outstanding()).toEqual([]);
    } finally {
      run.aws.destroy();
      await moto.stop();
    }
  });

  it('with IAM enforcement on (INITIAL_NO_AUTH_ACTION_COUNT): enforcement available, session tags not honoured', async () => {
    // moto lets the first three calls through unauthenticated: enough to create an admin user and key.
    const moto = await startMotoServer();
    await enableMotoAuth(moto.url, 3);
    const bootstrap = new IAMClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    let run: RunContext | undefined;
    try {
      await bootstrap.send(new CreateUserCommand({ UserName: 'admin' }));
      await bootstrap.send(
        new PutUserPolicyCommand({
          UserName: 'admin',
          PolicyName: 'all',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          }),
        }),
      );
      const key = (await bootstrap.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey!;
      run = runContextFor(moto.url, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });

      const found = await probeIamCapabilities(run, moto.url);
      expect(found.iamEnforcement).toEqual({
        available: true,
        reason: `LocalStack at ${moto.url} denied a call the caller's policies do not allow (probed)`,
      });
      expect(found.sessionTags.available).toBe(false);
      expect(found.sessionTags.reason).toBe(
        `LocalStack at ${moto.url} enforces IAM but does not honour aws:PrincipalTag conditions: a session tagged pic-probe=allowed was allowed, one tagged pic-probe=other was allowed (expected allowed, denied)`,
      );
      expect(await rolesUnderToolPath(run)).toEqual([]);
    } finally {
      bootstrap.destroy();
      run?.aws.destroy();
      await moto.stop();
    }
  });
});

describe('probe against an endpoint that enforces IAM and session tags (the AWS simulator)', () => {
  it('reports both capabilities available', async () => {
    const aws = await startAwsSim({ accountId: '123456789012' });
    const run = runContextFor(aws.url, aws.adminCredentials);
    try {
      const found = await probeIamCapabilities(run, aws.url);
      expect(found.iamEnforcement.available).toBe(true);
      expect(found.sessionTags).toEqual({
        available: true,
        reason: `LocalStack at ${aws.url} decides calls by aws:PrincipalTag conditions on session tags (probed)`,
      });
      expect(await rolesUnderToolPath(run)).toEqual([]);
    } finally {
      run.aws.destroy();
      await aws.close();
    }
  });
});
