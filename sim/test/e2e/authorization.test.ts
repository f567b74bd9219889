// IAM decides on the simulator's EKS and EKS Auth calls as it does on AWS: eks:<Operation>,
// iam:PassRole, eks-auth:AssumeRoleForPodIdentity, and the role's trust policy at assume time.

import {
  CreatePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEksAuthClient, EksAuthResponseError } from '../../agent/eks-auth-client.ts';
import { type SimFixture, startSimFixture } from './sim-fixture.ts';

let f: SimFixture;
let roleArn: string;

/** An IAM user allowed exactly `actions`, and an EKS client signing as it. */
async function userAllowed(name: string, actions: string[]) {
  await f.iam.send(new CreateUserCommand({ UserName: name }));
  await f.iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: 'only',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      }),
    }),
  );
  const { AccessKey } = await f.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  const credentials = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  return {
    credentials,
    eks: new EKSClient({ endpoint: f.sim.awsEndpointUrl, region: f.sim.region, credentials }),
  };
}

beforeAll(async () => {
  f = await startSimFixture({ clusterName: 'authz' });
  roleArn = await f.createRole('authz-role');
});
afterAll(() => f?.close());

const createInput = (serviceAccount: string) =>
  new CreatePodIdentityAssociationCommand({
    clusterName: 'authz',
    namespace: 'default',
    serviceAccount,
    roleArn,
  });

describe('authorization of EKS and EKS Auth calls', () => {
  it('needs eks:<Operation> on the cluster (403 AccessDeniedException)', async () => {
    const reader = await userAllowed('reader', ['eks:ListPodIdentityAssociations']);
    await expect(
      reader.eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'authz' })),
    ).resolves.toMatchObject({ associations: [] });
    await expect(reader.eks.send(createInput('a'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining('eks:CreatePodIdentityAssociation'),
    });
  });

  it('needs iam:PassRole on the role to create an association', async () => {
    const creator = await userAllowed('creator', ['eks:CreatePodIdentityAssociation']);
    await expect(creator.eks.send(createInput('b'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('iam:PassRole'),
    });
    const passer = await userAllowed('passer', ['eks:CreatePodIdentityAssociation', 'iam:PassRole']);
    await expect(passer.eks.send(createInput('b'))).resolves.toMatchObject({
      association: { serviceAccount: 'b', roleArn },
    });
  });

  it('EKS Auth needs eks-auth:AssumeRoleForPodIdentity (AccessDeniedException, 400)', async () => {
    const reader = await userAllowed('not-a-node', ['eks:DescribeCluster']);
    const eksAuth = createEksAuthClient({
      endpoint: f.sim.awsEndpointUrl,
      region: f.sim.region,
      credentials: reader.credentials,
    });
    const error = await eksAuth('authz', 'a.b.c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EksAuthResponseError);
    expect(error).toMatchObject({ status: 400, code: 'AccessDeniedException' });
  });

  it('a role whose trust no longer admits pods.eks.amazonaws.com gives the pod a 400 AccessDeniedException', async () => {
    await f.createServiceAccount('default', 'trusting');
    await f.associate('default', 'trusting', roleArn);
    await f.runPod('default', 'revoked', 'trusting');
    await f.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'authz-role',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const result = await f.exec('default', 'revoked', [
      'sh',
      '-c',
      'curl -s -w "\\n%{http_code}" -H "Authorization: $(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"',
    ]);
    // The agent's body ends with a newline (Go's http.Error); curl appends the status on a line of its own.
    const cut = result.stdout.lastIndexOf('\n');
    const [body, status] = [result.stdout.slice(0, cut), result.stdout.slice(cut + 1)];
    expect(status).toBe('400');
    expect(body).toMatch(
      /^\[[0-9a-f-]+\]: \(AccessDeniedException\): Unauthorized Exception! EKS does not have permissions to assume the associated role\., fault: client\n$/,
    );
  });
});
