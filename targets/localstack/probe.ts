// Probes what a LocalStack (or compatible) endpoint enforces, instead of assuming it. LocalStack's
// community edition allows every call; LocalStack Pro with ENFORCE_IAM=1 evaluates IAM policies. The
// probe makes one deliberately unauthorised call and, when that is denied, checks that an
// aws:PrincipalTag condition decides a call both ways.
//
// It creates one IAM role, under the tool's IAM path and tagged with the run id (through the role
// fixture, so the run ledger lists it), and deletes it before returning.

import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createRole, type PolicyDocumentJson } from '../../fixtures/iam-role.ts';
import type { RunContext } from '../../fixtures/run-context.ts';
import { errorMessage, isAwsError } from '../../helpers/aws-errors.ts';
import type { Capability } from '../target.ts';

export interface IamCapabilities {
  iamEnforcement: Capability;
  sessionTags: Capability;
}

/** The session tag the probe's policy is conditioned on. */
export const PROBE_TAG_KEY = 'pic-probe';
const PROBE_TAG_ALLOWED = 'allowed';
const PROBE_TAG_OTHER = 'other';

/** The outcome of one probe call: allowed, denied by IAM, or failed for another reason. */
type CallOutcome = { kind: 'allowed' } | { kind: 'denied' } | { kind: 'failed'; message: string };

/** Trust principal for the probe role: the caller itself (an assumed-role session trusts its role). */
export function trustPrincipalFor(callerArn: string): string {
  const session = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (session) return `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`;
  return callerArn;
}

export function enforcementOffReason(endpoint: string): string {
  return `LocalStack at ${endpoint} allowed an unauthorised call: IAM enforcement is off (a LocalStack Pro feature, ENFORCE_IAM=1)`;
}

export async function probeIamCapabilities(run: RunContext, endpoint: string): Promise<IamCapabilities> {
  const caller = await run.aws.sts.send(new GetCallerIdentityCommand({}));
  const trust: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: trustPrincipalFor(caller.Arn!) },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ],
  };
  // No permission policy: every call made with this role's sessions is unauthorised.
  const role = await createRole(run, { purpose: 'probe-iam', trustPolicy: trust });
  try {
    const unauthorised = await listBucketsAs(run, role.arn, PROBE_TAG_OTHER);
    if (unauthorised.kind === 'allowed') {
      const reason = enforcementOffReason(endpoint);
      return {
        iamEnforcement: { available: false, reason },
        sessionTags: {
          available: false,
          reason: `LocalStack at ${endpoint} does not enforce IAM, so aws:PrincipalTag conditions decide nothing (a LocalStack Pro feature, ENFORCE_IAM=1)`,
        },
      };
    }
    if (unauthorised.kind === 'failed') {
      const reason = `could not probe IAM enforcement at ${endpoint}: ${unauthorised.message}`;
      return {
        iamEnforcement: { available: false, reason },
        sessionTags: { available: false, reason },
      };
    }
    const iamEnforcement = {
      available: true,
      reason: `LocalStack at ${endpoint} denied a call the caller's policies do not allow (probed)`,
    };
    return { iamEnforcement, sessionTags: await probeSessionTags(run, role, endpoint) };
  } finally {
    await role[Symbol.asyncDispose]();
  }
}

async function probeSessionTags(
  run: RunContext,
  role: { name: string; arn: string },
  endpoint: string,
): Promise<Capability> {
  const policy: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 's3:ListAllMyBuckets',
        Resource: '*',
        Condition: { StringEquals: { [`aws:PrincipalTag/${PROBE_TAG_KEY}`]: PROBE_TAG_ALLOWED } },
      },
    ],
  };
  await run.aws.iam.send(
    new PutRolePolicyCommand({
      RoleName: role.name,
      PolicyName: 'probe-session-tags',
      PolicyDocument: JSON.stringify(policy),
    }),
  );
  const tagged = await listBucketsAs(run, role.arn, PROBE_TAG_ALLOWED);
  const otherTag = await listBucketsAs(run, role.arn, PROBE_TAG_OTHER);
  if (tagged.kind === 'allowed' && otherTag.kind === 'denied') {
    return {
      available: true,
      reason: `LocalStack at ${endpoint} decides calls by aws:PrincipalTag conditions on session tags (probed)`,
    };
  }
  const describe = (outcome: CallOutcome) =>
    outcome.kind === 'failed' ? `failed (${outcome.message})` : outcome.kind;
  return {
    available: false,
    reason: `LocalStack at ${endpoint} enforces IAM but does not honour aws:PrincipalTag conditions: a session tagged ${PROBE_TAG_KEY}=${PROBE_TAG_ALLOWED} was ${describe(tagged)}, one tagged ${PROBE_TAG_KEY}=${PROBE_TAG_OTHER} was ${describe(otherTag)} (expected allowed, denied)`,
  };
}

/** Assumes the role with one session tag and calls s3:ListBuckets with that session. */
async function listBucketsAs(run: RunContext, roleArn: string, tagValue: string): Promise<CallOutcome> {
  let credentials: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined;
  try {
    credentials = (
      await run.aws.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'pic-capability-probe',
          Tags: [{ Key: PROBE_TAG_KEY, Value: tagValue }],
        }),
      )
    ).Credentials;
  } catch (error) {
    return { kind: 'failed', message: `sts:AssumeRole of the probe role failed: ${errorMessage(error)}` };
  }
  const s3 = new S3Client({
    region: run.info.region,
    ...(run.info.endpoints.s3 ? { endpoint: run.info.endpoints.s3 } : {}),
    forcePathStyle: true,
    maxAttempts: 2,
    credentials: {
      accessKeyId: credentials!.AccessKeyId!,
      secretAccessKey: credentials!.SecretAccessKey!,
      sessionToken: credentials!.SessionToken,
    },
  });
  try {
    await s3.send(new ListBucketsCommand({}));
    return { kind: 'allowed' };
  } catch (error) {
    if (isAwsError(error, 'AccessDenied')) return { kind: 'denied' };
    return { kind: 'failed', message: `s3:ListBuckets failed: ${errorMessage(error)}` };
  } finally {
    s3.destroy();
  }
}
