// AWS SDK v3 clients built from a target: endpoint per service when the target names one (simulator,
// LocalStack), the target's runner credentials when it has them, otherwise the SDK's default chain.

import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsService, TargetInfo } from '../targets/target.ts';

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  s3: S3Client;
  eks: EKSClient;
  destroy(): void;
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
  return {
    iam,
    sts,
    s3,
    eks,
    destroy() {
      for (const client of [iam, sts, s3, eks]) client.destroy();
    },
  };
}
