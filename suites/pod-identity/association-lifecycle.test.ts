// Associations apply to pods created after a change: after UpdatePodIdentityAssociation to a new role a
// new pod gets the new role; after DeletePodIdentityAssociation a new pod is not mutated and gets no
// credentials. Pods that already exist may keep cached credentials for hours (spec §2.7): that is
// observed and reported, never failed.

import {
  type Association,
  type CaseContext,
  callerIdentityOnceAvailable,
  createAssociation,
  createNamespace,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  eventually,
  isPodIdentityMutated,
  NotYet,
  type Pod,
  type PodClient,
  podClientFor,
  podClientNamed,
  type Role,
  type RunContext,
  selectedPodClients,
  type Tracked,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

describe('association lifecycle', () => {
  const suite = useSuiteRun();
  let namespace: string;
  let roleA: Role;
  let roleB: Role;
  let association: Tracked<Association>;
  let firstPod: Pod;

  beforeAll(async () => {
    const { run, stack } = suite;
    // The roles propagate in IAM while the namespace and service account are made.
    const [createdNamespace, createdA, createdB] = await stack.adoptAll([
      createNamespace(run, 'association-lifecycle'),
      createRole(run, { purpose: 'lifecycle-a' }),
      createRole(run, { purpose: 'lifecycle-b' }),
    ]);
    namespace = createdNamespace.name;
    roleA = createdA;
    roleB = createdB;
    stack.adopt(await createServiceAccount(run, { namespace, name: 'app' }));
    association = stack.adopt(
      await createAssociation(run, { namespace, serviceAccount: 'app', roleArn: roleA.arn }),
    );
    firstPod = stack.adopt(
      await createPodOnceAssociationApplies(run, {
        namespace,
        name: 'before-update',
        serviceAccountName: 'app',
        mutated: true,
      }),
    );
  });

  /** The client these cases use: the first of the run's clients the pods can run (the AWS CLI first). */
  async function lifecycleClient(ctx: CaseContext): Promise<PodClient> {
    const { info } = suite;
    const clients = selectedPodClients(info);
    const runnable = clients.find(
      (name) => info.capabilities[podClientNamed(info, name).capability].available,
    );
    return podClientFor(ctx, info, runnable ?? clients[0] ?? 'aws-cli');
  }

  /** A new pod whose credentials are the expected role's, recreated while the change propagates. */
  async function newPodWithRole(run: RunContext, client: PodClient, name: string, role: Role): Promise<Pod> {
    return eventually(
      `a new pod ${namespace}/${name} with role ${role.name}`,
      async () => {
        const pod = await createPodOnceAssociationApplies(run, {
          namespace,
          name,
          serviceAccountName: 'app',
          mutated: true,
        });
        const identity = await callerIdentityOnceAvailable(run, client, pod);
        if (identity.arn.includes(`:assumed-role/${role.name}/`)) return suite.stack.adopt(pod);
        await pod[Symbol.asyncDispose]();
        throw new NotYet(`the new pod got ${identity.arn}`);
      },
      { timeoutMs: run.info.waitTimeoutMs, intervalMs: 1_000 },
    );
  }

  async function observeExistingPod(ctx: CaseContext, client: PodClient, after: string): Promise<void> {
    const result = await client.whoami(firstPod);
    const seen = result.ok ? result.value.arn : `no credentials (${result.failure})`;
    await ctx.annotate(
      `observed: after ${after}, the pod created before it still has: ${seen}`,
      'observation',
    );
  }

  it('after the association moves to another role, a new pod gets it', async (ctx) => {
    const { run } = suite;
    const client = await lifecycleClient(ctx);
    const before = await callerIdentityOnceAvailable(run, client, firstPod);
    expect(before.arn).toContain(`:assumed-role/${roleA.name}/`);

    const updated = await association.update({ roleArn: roleB.arn });
    expect(updated.roleArn).toBe(roleB.arn);
    expect(updated.namespace).toBe(namespace);
    expect(updated.serviceAccount).toBe('app');

    const pod = await newPodWithRole(run, client, 'after-update', roleB);
    expect((await callerIdentityOnceAvailable(run, client, pod)).arn).toContain(
      `:assumed-role/${roleB.name}/`,
    );
    await observeExistingPod(ctx, client, 'the update');
  });

  it('after the association is deleted, a new pod gets nothing', async (ctx) => {
    const { run, stack } = suite;
    const client = await lifecycleClient(ctx);
    await association[Symbol.asyncDispose]();
    stack.forget(association);

    const pod: Tracked<Pod> = stack.adopt(
      await createPodOnceAssociationApplies(run, {
        namespace,
        name: 'after-delete',
        serviceAccountName: 'app',
        mutated: false,
      }),
    );
    expect(isPodIdentityMutated(pod.stored)).toBe(false);
    const result = await client.whoami(pod);
    expect(result.ok ? `credentials for ${result.value.arn}` : result.failure).toBe('no-credentials');
    await observeExistingPod(ctx, client, 'the deletion');
  });
});
