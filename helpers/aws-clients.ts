// AWS SDK v3 clients built from a target: endpoint per service when the target names one (simulator,
// LocalStack), the target's runner credentials when it has them, otherwise the SDK's default chain.

import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsService, TargetInfo, TargetRoleAccountInfo } from '../targets/target.ts';

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  s3: S3Client;
  eks: EKSClient;
  /** IAM of the second account (cross-account target roles), when the target has one. */
  targetAccountIam?: IAMClient;
  destroy(): void;
}

/** How the runner acts in the second account: its own keys, a profile, or a role assumed there. */
function targetAccountCredentials(
  info: TargetInfo,
  account: TargetRoleAccountInfo,
): AwsCredentialIdentityProvider | TargetRoleAccountInfo['credentials'] {
  if (account.credentials) return { ...account.credentials };
  if (account.profile) return fromIni({ profile: account.profile });
  return fromTemporaryCredentials({
    params: { RoleArn: account.assumeRoleArn!, RoleSessionName: `pod-identity-conformance-${info.runId}` },
    clientConfig: {
      region: info.region,
      ...(info.endpoints.sts ? { endpoint: info.endpoints.sts } : {}),
    },
    ...(info.credentials ? { masterCredentials: { ...info.credentials } } : {}),
  });
}

function clientConfig(info: TargetInfo, service: AwsService) {
  return {
    region: info.region,
    ...(info.endpoints[service] ? { endpoint: info.endpoints[service] } : {}),
    ...(info.credentials ? { credentials: { ...info.credentials } } : {}),
    // Standard retry mode retries throttling and 5xx with backoff; IAM/EKS eventual consistency is
    // handled by the callers that expect it (eventually with named errors).
    maxAttempts: 5,
  };
}

export function createAwsClients(info: TargetInfo): AwsClients {
  const iam = new IAMClient(clientConfig(info, 'iam'));
  const sts = new STSClient(clientConfig(info, 'sts'));
  // Path-style addressing whenever a custom endpoint is used: simulators and LocalStack on a bare
  // host:port cannot serve virtual-hosted bucket names.
  const s3 = new S3Client({ ...clientConfig(info, 's3'), forcePathStyle: Boolean(info.endpoints.s3) });
  const eks = new EKSClient(clientConfig(info, 'eks'));
  const account = info.targetRoleAccount;
  const targetAccountIam = account
    ? new IAMClient({ ...clientConfig(info, 'iam'), credentials: targetAccountCredentials(info, account) })
    : undefined;
  return {
    iam,
    sts,
    s3,
    eks,
    ...(targetAccountIam ? { targetAccountIam } : {}),
    destroy() {
      for (const client of [iam, sts, s3, eks, targetAccountIam]) client?.destroy();
    },
  };
}
