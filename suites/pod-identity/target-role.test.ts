// Cross-account target roles (spec §3.6): with `targetRoleArn`, EKS Auth assumes the association's role
// in the cluster's account, then with that session the target role in a second account, passing the
// association's external id. The pod is the target role's session; a target role whose trust refuses
// the source role gives the pod no credentials, and the agent passes EKS Auth's error on.

import {
  allowedOnceIamCatchesUp,
  CLIENTS_WITH_LONG_CALLS,
  callerIdentityOnceAvailable,
  createAssociation,
  createNamespace,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  expectUnconfirmed,
  type Pod,
  type PolicyDocumentJson,
  podClientFor,
  type Role,
  requireCapabilities,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const CHAINED_SA = 'chained';
const REFUSED_SA = 'refused';

/** A trust policy letting `roleArn` assume the role and pass (transitive) session tags. */
function trustingRole(roleArn: string, condition?: Record<string, unknown>): PolicyDocumentJson {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: roleArn },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  };
}

describe('target role', () => {
  const suite = useSuiteRun();
  let namespace: string;
  let target: Role;
  const pods: Record<string, Pod> = {};

  beforeAll(async () => {
    const { info, run, stack } = suite;
    // Without a second account there is nothing to set up; each case skips with the reason.
    if (!info.capabilities.targetRoleAccount.available) return;
    const targetAccount = info.targetRoleAccount!.accountId;
    namespace = stack.adopt(await createNamespace(run, 'target-role')).name;
    // The association's role may assume (and tag sessions of) roles in the second account; their trust decides.
    const source = stack.adopt(
      await createRole(run, {
        purpose: 'target-source',
        permissions: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['sts:AssumeRole', 'sts:TagSession'],
              Resource: `arn:aws:iam::${targetAccount}:role/*`,
            },
          ],
        },
      }),
    );
    // Trusts the source role without an external id condition: EKS Auth passes one, which is allowed.
    // Its policy reads the role itself only for pods of this namespace (the session tags' ABAC).
    target = stack.adopt(
      await createRole(run, {
        purpose: 'target',
        account: 'target',
        trustPolicy: trustingRole(source.arn),
        permissions: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'iam:GetRole',
              Resource: '*',
              Condition: { StringEquals: { 'aws:PrincipalTag/kubernetes-namespace': namespace } },
            },
          ],
        },
      }),
    );
    // Trusts the source role only with another external id than the association's: EKS Auth is refused.
    const refusing = stack.adopt(
      await createRole(run, {
        purpose: 'target-refusing',
        account: 'target',
        trustPolicy: trustingRole(source.arn, {
          StringEquals: { 'sts:ExternalId': 'not-the-association-external-id' },
        }),
      }),
    );
    for (const [serviceAccount, targetRole] of [
      [CHAINED_SA, target],
      [REFUSED_SA, refusing],
    ] as const) {
      stack.adopt(await createServiceAccount(run, { namespace, name: serviceAccount }));
      const association = stack.adopt(
        await createAssociation(run, {
          namespace,
          serviceAccount,
          roleArn: source.arn,
          targetRoleArn: targetRole.arn,
        }),
      );
      expect(association.current.externalId, 'EKS returns the external id it passes').toBeTruthy();
      pods[serviceAccount] = stack.adopt(
        await createPodOnceAssociationApplies(run, {
          namespace,
          name: serviceAccount,
          serviceAccountName: serviceAccount,
          mutated: true,
        }),
      );
    }
  });

  for (const clientName of selectedPodClients()) {
    it(`the pod is the target role's session in the second account [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      requireCapabilities(ctx, info, 'targetRoleAccount');
      const client = await podClientFor(ctx, info, clientName);
      const identity = await callerIdentityOnceAvailable(run, client, pods[CHAINED_SA]!);
      const targetAccount = info.targetRoleAccount!.accountId;
      expect(identity.account, 'the account of the pod identity').toBe(targetAccount);
      const prefix = `arn:aws:sts::${targetAccount}:assumed-role/${target.name}/eks-`;
      expect(identity.arn.startsWith(prefix), `${identity.arn} should start with ${prefix}`).toBe(true);
    });

    // iam:GetRole from the pod: the clients that have it.
    if (CLIENTS_WITH_LONG_CALLS.includes(clientName))
      it(`the session tags reach the target role's policies [${clientName}]`, async (ctx) => {
        const { info, run } = suite;
        requireCapabilities(ctx, info, 'targetRoleAccount', 'iamEnforcement');
        const client = await podClientFor(ctx, info, clientName);
        const pod = pods[CHAINED_SA]!;
        await callerIdentityOnceAvailable(run, client, pod);
        // A new role's policy takes a moment to apply everywhere: a denial is asked again for a while.
        const read = await allowedOnceIamCatchesUp(run, 'the target role reading itself', () =>
          client.getRole!(pod, target.name),
        );
        const outcome = read.ok
          ? 'allowed'
          : read.failure === 'access-denied'
            ? 'denied'
            : `failed: ${read.message}`;
        // Transitive tags into the target role session are UNCONFIRMED for targetRoleArn (spec §3.4).
        await expectUnconfirmed(
          ctx,
          info,
          'the target role session carries the transitive session tags (aws:PrincipalTag/kubernetes-namespace)',
          outcome === 'allowed',
          `iam:GetRole conditioned on the namespace tag: ${outcome}`,
        );
      });

    it(`a target role whose trust refuses the source role gives no credentials, with EKS Auth's error [${clientName}]`, async (ctx) => {
      const { info } = suite;
      requireCapabilities(ctx, info, 'targetRoleAccount');
      const client = await podClientFor(ctx, info, clientName);
      const result = await client.whoami(pods[REFUSED_SA]!);
      expect(result.ok ? `credentials of ${result.value.arn}` : result.failure).toBe('no-credentials');
      // The AWS CLI shows the agent's answer; the JS SDK hides it (Could not load credentials).
      if (clientName === 'aws-cli' && !result.ok) {
        expect(result.message, "the agent's answer").toMatch(/\(AccessDeniedException\)/);
      }
    });
  }
});
