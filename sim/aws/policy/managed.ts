// AWS managed policies the simulator knows, with their current published documents (default versions).
// AmazonS3FullAccess v2: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3FullAccess.html
// AmazonS3ReadOnlyAccess v3 (edited 2023-08-10): https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html

import type { PolicyDocument } from './types.ts';

export interface ManagedPolicy {
  arn: string;
  document: PolicyDocument;
}

export const AWS_MANAGED_POLICIES: Readonly<Record<string, ManagedPolicy>> = {
  AmazonS3FullAccess: {
    arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:*', 's3-object-lambda:*'],
          Resource: '*',
        },
      ],
    },
  },
  AmazonS3ReadOnlyAccess: {
    arn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'],
          Resource: '*',
        },
      ],
    },
  },
};

/** The managed policy with this ARN, if the simulator knows it. */
export function managedPolicyByArn(arn: string): ManagedPolicy | undefined {
  for (const policy of Object.values(AWS_MANAGED_POLICIES)) if (policy.arn === arn) return policy;
  return undefined;
}
