// AWS managed policies the simulator knows, with their current published documents (default versions).
// AmazonS3FullAccess v2: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3FullAccess.html
// AmazonS3ReadOnlyAccess v3 (edited 2023-08-10): https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html
// The node role's policies, as EKS node groups carry them:
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKSWorkerNodePolicy.html
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2ContainerRegistryReadOnly.html

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
  AmazonEKSWorkerNodePolicy: {
    arn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WorkerNodePermissions',
          Effect: 'Allow',
          Action: [
            'ec2:DescribeInstances',
            'ec2:DescribeInstanceTypes',
            'ec2:DescribeRouteTables',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVolumes',
            'ec2:DescribeVolumesModifications',
            'ec2:DescribeVpcs',
            'eks:DescribeCluster',
            'eks-auth:AssumeRoleForPodIdentity',
          ],
          Resource: '*',
        },
      ],
    },
  },
  AmazonEC2ContainerRegistryReadOnly: {
    arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'ecr:GetAuthorizationToken',
            'ecr:BatchCheckLayerAvailability',
            'ecr:GetDownloadUrlForLayer',
            'ecr:GetRepositoryPolicy',
            'ecr:DescribeRepositories',
            'ecr:ListImages',
            'ecr:DescribeImages',
            'ecr:BatchGetImage',
            'ecr:GetLifecyclePolicy',
            'ecr:GetLifecyclePolicyPreview',
            'ecr:ListTagsForResource',
            'ecr:DescribeImageScanFindings',
          ],
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
