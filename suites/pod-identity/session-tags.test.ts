// Pod Identity's session tags reach IAM (spec §3.4): one role whose policy lets a pod write only under
// its own namespace's prefix (${aws:PrincipalTag/kubernetes-namespace}) and only for named service
// accounts (aws:PrincipalTag/kubernetes-service-account). With disableSessionTags the same role's
// ABAC write is denied, because the tags the policy needs are absent.

import {
  allowedOnceIamCatchesUp,
  type Bucket,
  callerIdentityOnceAvailable,
  createAssociation,
  createBucket,
  createNamespace,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  type Pod,
  type PodCallResult,
  type PodClient,
  podClientFor,
  requireCapabilities,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const TAGGED_SA = 'tagged';
const UNTAGGED_SA = 'untagged';
const UNLISTED_SA = 'unlisted';

describe('session tags', () => {
  const suite = useSuiteRun();
  let bucket: Bucket;
  let namespace: string;
  const pods: Record<string, Pod> = {};

  beforeAll(async () => {
    const { info, run, stack } = suite;
    // Without IAM evaluating session tags there is nothing to set up; each case skips with the reason.
    if (!info.capabilities.iamEnforcement.available || !info.capabilities.sessionTags.available) return;
    const [createdNamespace, createdBucket] = await stack.adoptAll([
      createNamespace(run, 'session-tags'),
      createBucket(run, 'session-tags'),
    ]);
    namespace = createdNamespace.name;
    bucket = createdBucket;
    const role = stack.adopt(
      await createRole(run, {
        purpose: 'session-tags',
        permissions: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:PutObject'],
              Resource: `${bucket.arn}/\${aws:PrincipalTag/kubernetes-namespace}/*`,
              Condition: {
                StringEquals: { 'aws:PrincipalTag/kubernetes-service-account': [TAGGED_SA, UNTAGGED_SA] },
              },
            },
          ],
        },
      }),
    );
    const associations: Array<[string, boolean]> = [
      [TAGGED_SA, false],
      [UNTAGGED_SA, true],
      [UNLISTED_SA, false],
    ];
    // The three service accounts do not depend on each other: set up at once, their waits overlap.
    await Promise.all(
      associations.map(async ([sa, disableSessionTags]) => {
        stack.adopt(await createServiceAccount(run, { namespace, name: sa }));
        stack.adopt(
          await createAssociation(run, {
            namespace,
            serviceAccount: sa,
            roleArn: role.arn,
            disableSessionTags,
          }),
        );
        pods[sa] = stack.adopt(
          await createPodOnceAssociationApplies(run, {
            namespace,
            name: sa,
            serviceAccountName: sa,
            mutated: true,
          }),
        );
      }),
    );
  });

  async function put(client: PodClient, pod: Pod, key: string): Promise<PodCallResult<void>> {
    const file = `${client.name}-tags.txt`;
    const made = await pod.exec(['sh', '-c', `echo tags > ${file}`]);
    expect(made.exitCode, made.stderr).toBe(0);
    return client.putObject(pod, bucket.name, key, file);
  }

  function outcome(result: PodCallResult<void>): string {
    return result.ok
      ? 'allowed'
      : result.failure === 'access-denied'
        ? 'denied'
        : `failed: ${result.message}`;
  }

  for (const clientName of selectedPodClients()) {
    it(`the pod may write under its namespace's prefix, not under another's [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'iamEnforcement', 'sessionTags');
      const client = await podClientFor(ctx, info, clientName);
      const pod = pods[TAGGED_SA]!;
      await callerIdentityOnceAvailable(run, client, pod);

      const own = await allowedOnceIamCatchesUp(run, 'the write under its own namespace prefix', () =>
        put(client, pod, `${namespace}/${clientName}.txt`),
      );
      expect(outcome(own), 'own namespace prefix').toBe('allowed');
      expect(
        outcome(await put(client, pod, `kube-system/${clientName}.txt`)),
        'another namespace prefix',
      ).toBe('denied');
    });

    it(`a service account the condition does not name is denied [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'iamEnforcement', 'sessionTags');
      const client = await podClientFor(ctx, info, clientName);
      const pod = pods[UNLISTED_SA]!;
      await callerIdentityOnceAvailable(run, client, pod);
      expect(outcome(await put(client, pod, `${namespace}/${clientName}-unlisted.txt`))).toBe('denied');
    });

    it(`with disableSessionTags the ABAC write is denied [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'iamEnforcement', 'sessionTags');
      const client = await podClientFor(ctx, info, clientName);
      const pod = pods[UNTAGGED_SA]!;
      await callerIdentityOnceAvailable(run, client, pod);
      expect(outcome(await put(client, pod, `${namespace}/${clientName}-untagged.txt`))).toBe('denied');
    });
  }
});
