// The association's session policy narrows the role (spec §3.4, §4.1 `policy`): EKS Auth passes it to
// STS when it assumes the role, so the pod may do only what both the role and the session policy
// allow. The role here may write under two prefixes; the session policy allows one of them.

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

const ALLOWED_PREFIX = 'allowed';
const NARROWED_PREFIX = 'narrowed';

describe('session policy', () => {
  const suite = useSuiteRun();
  let bucket: Bucket;
  let pod: Pod;

  beforeAll(async () => {
    const { info, run, stack } = suite;
    if (!info.capabilities.iamEnforcement.available) return;
    const namespace = stack.adopt(await createNamespace(run, 'session-policy')).name;
    bucket = stack.adopt(await createBucket(run, 'session-policy'));
    const role = stack.adopt(
      await createRole(run, {
        purpose: 'session-policy',
        permissions: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:PutObject'],
              Resource: [`${bucket.arn}/${ALLOWED_PREFIX}/*`, `${bucket.arn}/${NARROWED_PREFIX}/*`],
            },
          ],
        },
      }),
    );
    const serviceAccount = stack.adopt(await createServiceAccount(run, { namespace, name: 'narrowed' })).name;
    stack.adopt(
      await createAssociation(run, {
        namespace,
        serviceAccount,
        roleArn: role.arn,
        // EKS accepts a session policy only on an association without session tags.
        disableSessionTags: true,
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${bucket.arn}/${ALLOWED_PREFIX}/*` },
          ],
        },
      }),
    );
    pod = stack.adopt(
      await createPodOnceAssociationApplies(run, {
        namespace,
        name: 'narrowed',
        serviceAccountName: serviceAccount,
        mutated: true,
      }),
    );
  });

  async function put(client: PodClient, key: string): Promise<PodCallResult<void>> {
    const file = `${client.name}-session-policy.txt`;
    const made = await pod.exec(['sh', '-c', `echo narrowed > ${file}`]);
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
    it(`the pod may write where role and session policy both allow, not where only the role does [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'iamEnforcement');
      const client = await podClientFor(ctx, info, clientName);
      await callerIdentityOnceAvailable(run, client, pod);

      const allowed = await allowedOnceIamCatchesUp(run, 'the write both policies allow', () =>
        put(client, `${ALLOWED_PREFIX}/${clientName}.txt`),
      );
      expect(outcome(allowed), 'the prefix role and session policy allow').toBe('allowed');
      expect(
        outcome(await put(client, `${NARROWED_PREFIX}/${clientName}.txt`)),
        'the prefix only the role allows',
      ).toBe('denied');
    });
  }
});
