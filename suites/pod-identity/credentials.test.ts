// A pod whose service account has an association gets the associated role's credentials:
// `aws sts get-caller-identity` in the pod names assumed-role/ROLE/eks-CLUSTER-POD-… in the account.

import {
  callerIdentityOnceAvailable,
  createAssociatedApp,
  escapeRegExp,
  expectUnconfirmed,
  type Pod,
  podClientFor,
  type Role,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const STS_SESSION_NAME_LIMIT = 64;

describe('credentials', () => {
  const suite = useSuiteRun();
  let role: Role;
  let pod: Pod;

  beforeAll(async () => {
    ({ role, pod } = await createAssociatedApp(suite.run, suite.stack, { purpose: 'credentials' }));
  });

  for (const clientName of selectedPodClients()) {
    it(`the pod is the associated role's session assumed-role/ROLE/eks-CLUSTER-POD-… [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      const client = await podClientFor(ctx, info, clientName);

      const identity = await callerIdentityOnceAvailable(run, client, pod);

      expect(identity.account).toBe(info.accountId);
      const prefix = `arn:aws:sts::${info.accountId}:assumed-role/${role.name}/`;
      expect(identity.arn.startsWith(prefix), `${identity.arn} should start with ${prefix}`).toBe(true);
      const sessionName = identity.arn.slice(prefix.length);
      expect(sessionName).toMatch(/^eks-/);
      expect(sessionName.length).toBeLessThanOrEqual(STS_SESSION_NAME_LIMIT);
      expect(identity.userId).toMatch(new RegExp(`^AROA[A-Z0-9]+:${escapeRegExp(sessionName)}$`));

      // The documented format is eks-CLUSTER-POD-UUID; how EKS shortens it past 64 characters is not
      // documented, so only a name that fits is held to the full format.
      const full = `eks-${info.cluster.name}-${pod.name}-`;
      if (full.length + 36 <= STS_SESSION_NAME_LIMIT) {
        expect(sessionName).toMatch(new RegExp(`^${escapeRegExp(full)}[0-9a-f-]{36}$`));
      } else {
        await expectUnconfirmed(
          ctx,
          info,
          'a shortened session name keeps the eks-CLUSTER prefix',
          sessionName.startsWith(`eks-${info.cluster.name.slice(0, 8)}`),
          sessionName,
        );
      }
    });
  }
});
