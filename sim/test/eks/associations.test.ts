import { describe, expect, it } from 'vitest';
import { AssociationStore } from '../../eks/associations.ts';
import { ServiceError } from '../../eks/errors.ts';
import { podIdentitySessionName } from '../../eks/session-name.ts';
import { ACCOUNT, REGION } from './fakes.ts';

const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function store(propagationDelayMs = 0) {
  const clock = { now: 1_700_000_000_000 };
  const associations = new AssociationStore({
    clusterName: 'c1',
    region: REGION,
    accountId: ACCOUNT,
    propagationDelayMs,
    now: () => clock.now,
  });
  return { associations, clock };
}

describe('AssociationStore', () => {
  it('creates associations with AWS-format ids and ARNs', () => {
    const { associations } = store();
    const a = associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('r') });
    expect(a.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(a.associationArn).toBe(
      `arn:aws:eks:${REGION}:${ACCOUNT}:podidentityassociation/c1/${a.associationId}`,
    );
    expect(a.tags).toEqual({});
    expect(a.disableSessionTags).toBe(false);
    expect(a.externalId).toBeUndefined();
  });

  it('refuses a second association for the same service account with its id in the message', () => {
    const { associations } = store();
    const first = associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('r') });
    let error: unknown;
    try {
      associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('other') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).status).toBe(409);
    expect((error as ServiceError).code).toBe('ResourceInUseException');
    expect((error as ServiceError).message).toBe(`Association already exists: ${first.associationId}`);
  });

  it('returns the same association for a repeated client request token', () => {
    const { associations } = store();
    const a = associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn: role('r'),
      clientRequestToken: 't1',
    });
    const b = associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn: role('r'),
      clientRequestToken: 't1',
    });
    expect(b.associationId).toBe(a.associationId);
    expect(associations.size).toBe(1);
  });

  it('generates an external id when a target role is set, and drops it when the target role is removed', () => {
    const { associations } = store();
    const a = associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn: role('r'),
      targetRoleArn: 'arn:aws:iam::444455556666:role/target',
    });
    expect(a.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const kept = associations.update(a.associationId, { roleArn: role('r2') });
    expect(kept.externalId).toBe(a.externalId);
    const removed = associations.update(a.associationId, { targetRoleArn: '' });
    expect(removed.targetRoleArn).toBeUndefined();
    expect(removed.externalId).toBeUndefined();
  });

  it('requires disableSessionTags for a session policy', () => {
    const { associations } = store();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    });
    expect(() =>
      associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('r'), policy }),
    ).toThrow(/disableSessionTags/);
    const a = associations.create({
      namespace: 'ns',
      serviceAccount: 'sa',
      roleArn: role('r'),
      policy,
      disableSessionTags: true,
    });
    expect(a.policy).toBe(policy);
    expect(() => associations.update(a.associationId, { disableSessionTags: false })).toThrow(
      /disableSessionTags/,
    );
  });

  it('pages in creation order and filters by namespace and service account', () => {
    const { associations } = store();
    for (let i = 0; i < 5; i++) {
      associations.create({
        namespace: i % 2 ? 'odd' : 'even',
        serviceAccount: `sa${i}`,
        roleArn: role('r'),
      });
    }
    const first = associations.listPage({}, 0, 2);
    expect(first.items.map((a) => a.serviceAccount)).toEqual(['sa0', 'sa1']);
    expect(first.more).toBe(true);
    const second = associations.listPage({}, first.lastSequence!, 2);
    expect(second.items.map((a) => a.serviceAccount)).toEqual(['sa2', 'sa3']);
    const last = associations.listPage({}, second.lastSequence!, 2);
    expect(last.items.map((a) => a.serviceAccount)).toEqual(['sa4']);
    expect(last.more).toBe(false);
    expect(associations.list({ namespace: 'odd' }).map((a) => a.serviceAccount)).toEqual(['sa1', 'sa3']);
    expect(associations.list({ namespace: 'even', serviceAccount: 'sa2' })).toHaveLength(1);
  });

  it('applies a new association only after the propagation delay', () => {
    const { associations, clock } = store(5000);
    associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('r') });
    expect(associations.effectiveFor('ns', 'sa')).toBeUndefined();
    clock.now += 4999;
    expect(associations.effectiveFor('ns', 'sa')).toBeUndefined();
    clock.now += 1;
    expect(associations.effectiveFor('ns', 'sa')?.roleArn).toBe(role('r'));
  });

  it('keeps serving the previous version of an updated association until the update propagates', () => {
    const { associations, clock } = store(5000);
    const a = associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('old') });
    clock.now += 5000;
    associations.update(a.associationId, { roleArn: role('new') });
    expect(associations.describe(a.associationId).roleArn).toBe(role('new'));
    expect(associations.effectiveFor('ns', 'sa')?.roleArn).toBe(role('old'));
    clock.now += 5000;
    expect(associations.effectiveFor('ns', 'sa')?.roleArn).toBe(role('new'));
  });

  it('applies deletion at once', () => {
    const { associations } = store();
    const a = associations.create({ namespace: 'ns', serviceAccount: 'sa', roleArn: role('r') });
    expect(associations.effectiveFor('ns', 'sa')).toBeDefined();
    expect(associations.delete(a.associationId).associationId).toBe(a.associationId);
    expect(associations.effectiveFor('ns', 'sa')).toBeUndefined();
    expect(() => associations.describe(a.associationId)).toThrow(/No Pod Identity Association found/);
  });
});

describe('podIdentitySessionName', () => {
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('is eks-CLUSTER-POD-UUID when that fits in 64 characters', () => {
    expect(podIdentitySessionName('c1', 'web-0', uuid)).toBe(`eks-c1-web-0-${uuid}`);
  });

  it('cuts long cluster and pod names to 20 characters and keeps as much of the UUID as fits', () => {
    const name = podIdentitySessionName(
      'a-rather-long-cluster-name-for-tests',
      'deployment-7c9f8d6b5-x2x9q',
      uuid,
    );
    expect(name).toHaveLength(64);
    expect(name.startsWith('eks-a-rather-long-cluste-deployment-7c9f8d6b5-')).toBe(true);
    expect(uuid.startsWith(name.slice('eks-a-rather-long-cluste-deployment-7c9f8d6b5-'.length))).toBe(true);
  });

  it('keeps a short cluster name whole when only the pod name is long', () => {
    const name = podIdentitySessionName('c1', 'p'.repeat(60), uuid);
    expect(name).toBe(`eks-c1-${'p'.repeat(20)}-${uuid.slice(0, 64 - 28)}`);
    expect(name).toMatch(/^[\w+=,.@-]{1,64}$/);
  });
});
