// Nothing but the associated service account gets the role: another service account in the same
// namespace gets no credentials, the same service account name in another namespace gets none, and a
// pod holding role B cannot write where only role A may.

import {
  allowedOnceIamCatchesUp,
  type Bucket,
  callerIdentityOnceAvailable,
  createAssociation,
  createBucket,
  createNamespace,
  createPod,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  DiagnosedFailure,
  isPodIdentityMutated,
  type Pod,
  type PodCallResult,
  podClientFor,
  type Role,
  requireCapabilities,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

/** Fails with a plain explanation when a pod that should have nothing received credentials. */
function expectNoCredentials(result: PodCallResult<{ arn: string }>, who: string): void {
  if (result.ok) {
    const received = `${who} received credentials for ${result.value.arn} although no association covers it`;
    // EC2 names instance-profile sessions after the instance: assumed-role/<node role>/i-….
    if (/:assumed-role\/[^/]+\/i-[0-9a-f]{8,17}$/.test(result.value.arn))
      throw new DiagnosedFailure(
        'imds-reachable',
        `${received}: that is the node role (an EC2 instance session)`,
      );
    throw new Error(
      `${received}. If that is the node role, pods can reach the instance metadata service: require IMDSv2 with a hop limit of 1 on the nodes.`,
    );
  }
  expect(result.failure, `${who} should fail for lack of credentials, got: ${result.message}`).toBe(
    'no-credentials',
  );
}

function writePolicy(bucket: Bucket, prefix: string) {
  return {
    Version: '2012-10-17' as const,
    Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${bucket.arn}/${prefix}/*` }],
  };
}

describe('isolation', () => {
  const suite = useSuiteRun();
  let bucket: Bucket;
  let roleB: Role;
  let podB: Pod;
  let unassociatedPod: Pod;
  let otherNamespacePod: Pod;

  beforeAll(async () => {
    const { run, stack } = suite;
    const [namespace, elsewhere, createdBucket] = await stack.adoptAll([
      createNamespace(run, 'isolation'),
      createNamespace(run, 'isolation-other'),
      createBucket(run, 'isolation'),
    ]);
    bucket = createdBucket;
    // What does not depend on each other is created at once, so that the waits overlap: the
    // unassociated pods start (and pull the image) while the roles propagate in IAM.
    const writer = async (sa: string, prefix: string) => {
      const [role] = await stack.adoptAll([
        createRole(run, { purpose: `isolation-${prefix}`, permissions: writePolicy(bucket, prefix) }),
        createServiceAccount(run, { namespace: namespace.name, name: sa }),
      ]);
      stack.adopt(
        await createAssociation(run, { namespace: namespace.name, serviceAccount: sa, roleArn: role.arn }),
      );
      return role;
    };
    const unassociated = async (inNamespace: string, name: string) => {
      stack.adopt(await createServiceAccount(run, { namespace: inNamespace, name }));
      return stack.adopt(await createPod(run, { namespace: inNamespace, name, serviceAccountName: name }));
    };
    [, roleB, unassociatedPod, otherNamespacePod] = await Promise.all([
      writer('writer-a', 'a'),
      writer('writer-b', 'b'),
      unassociated(namespace.name, 'bystander'),
      // The associated name, in a namespace without any association.
      unassociated(elsewhere.name, 'writer-a'),
    ]);
    podB = stack.adopt(
      await createPodOnceAssociationApplies(run, {
        namespace: namespace.name,
        mutated: true,
        name: 'writer-b',
        serviceAccountName: 'writer-b',
      }),
    );
  });

  for (const clientName of selectedPodClients()) {
    it(`a service account without an association gets no credentials [${clientName}]`, async (ctx) => {
      const client = await podClientFor(ctx, suite.info, clientName);
      expect(isPodIdentityMutated(unassociatedPod.stored)).toBe(false);
      expectNoCredentials(
        await client.whoami(unassociatedPod),
        `pod ${unassociatedPod.namespace}/${unassociatedPod.name}`,
      );
    });

    it(`the associated name in another namespace gets no credentials [${clientName}]`, async (ctx) => {
      const client = await podClientFor(ctx, suite.info, clientName);
      expect(isPodIdentityMutated(otherNamespacePod.stored)).toBe(false);
      expectNoCredentials(
        await client.whoami(otherNamespacePod),
        `pod ${otherNamespacePod.namespace}/${otherNamespacePod.name}`,
      );
    });

    it(`a pod with role B cannot write where only role A may [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'iamEnforcement');
      const client = await podClientFor(ctx, info, clientName);
      const identity = await callerIdentityOnceAvailable(run, client, podB);
      expect(identity.arn).toContain(`:assumed-role/${roleB.name}/`);
      await createTestFile(podB, clientName);

      const own = await allowedOnceIamCatchesUp(run, 'role B writing under its own prefix', () =>
        client.putObject(podB, bucket.name, `b/${clientName}.txt`, `${clientName}.txt`),
      );
      expect(own.ok ? 'allowed' : `denied: ${own.message}`, 'role B writes under its own prefix').toBe(
        'allowed',
      );
      const foreign = await client.putObject(podB, bucket.name, `a/${clientName}.txt`, `${clientName}.txt`);
      expectDenied(foreign, 'role B writing under role A’s prefix');
    });
  }
});

async function createTestFile(pod: Pod, name: string): Promise<void> {
  const result = await pod.exec(['sh', '-c', `echo isolation > ${name}.txt`]);
  expect(result.exitCode, result.stderr).toBe(0);
}

function expectDenied(result: PodCallResult<void>, what: string): void {
  expect(result.ok, `${what} should be denied but succeeded`).toBe(false);
  if (!result.ok) expect(result.failure, `${what}: ${result.message}`).toBe('access-denied');
}
