// The EKS REST/JSON handler against a fake request context (authorization and IAM view) and the
// real policy evaluator for trust checks.

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceHandler, ServiceResponse } from '../../aws/service.ts';
import { createEksApiHandler } from '../../eks/api.ts';
import { EksControlPlane } from '../../eks/control-plane.ts';
import {
  ACCOUNT,
  type FakeContext,
  type FakeKubernetes,
  fakeContext,
  fakeKubernetes,
  REGION,
  signedRequest,
} from './fakes.ts';

let ctx: FakeContext;
let handler: ServiceHandler;
let controlPlane: EksControlPlane;
let roleArn: string;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
function json(response: ServiceResponse): Record<string, any> {
  return JSON.parse(String(response.body));
}

async function call(method: string, path: string, options: Parameters<typeof signedRequest>[2] = {}) {
  const response = await handler(signedRequest(method, path, options), ctx);
  return { status: response.status, headers: response.headers ?? {}, body: json(response) };
}

const create = (body: Record<string, unknown>) =>
  call('POST', '/clusters/c1/pod-identity-associations', {
    body: { namespace: 'ns', serviceAccount: 'sa', roleArn, ...body },
  });

let kubernetes: FakeKubernetes;
beforeAll(async () => {
  kubernetes = await fakeKubernetes();
});

beforeEach(() => {
  ctx = fakeContext();
  controlPlane = new EksControlPlane({ region: REGION, accountId: ACCOUNT });
  controlPlane.addCluster('c1', kubernetes);
  handler = createEksApiHandler({ controlPlane });
  roleArn = ctx.addRole('app-role');
});

describe('clusters and the agent add-on', () => {
  it('describes the cluster with its endpoint, CA, OIDC issuer and ACTIVE status', async () => {
    const { status, body } = await call('GET', '/clusters/c1');
    expect(status).toBe(200);
    const cluster = body.cluster;
    expect(cluster.arn).toBe(`arn:aws:eks:${REGION}:${ACCOUNT}:cluster/c1`);
    expect(cluster.version).toBe('1.33');
    expect(cluster.platformVersion).toMatch(/^eks\.\d+$/);
    expect(cluster.endpoint).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(cluster.certificateAuthority.data, 'base64').toString()).toContain(
      'BEGIN CERTIFICATE',
    );
    expect(cluster.identity.oidc.issuer).toBe('https://127.0.0.1:6443');
    expect(cluster.status).toBe('ACTIVE');
    expect(typeof cluster.createdAt).toBe('number');
  });

  it('answers 404 ResourceNotFoundException for an unknown cluster', async () => {
    const { status, headers, body } = await call('GET', '/clusters/nope');
    expect(status).toBe(404);
    expect(headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(body.message).toBe('No cluster found for name: nope.');
  });

  it('lists clusters and add-ons and describes the pod identity agent add-on', async () => {
    expect((await call('GET', '/clusters')).body).toEqual({ clusters: ['c1'] });
    expect((await call('GET', '/clusters/c1/addons')).body).toEqual({ addons: ['eks-pod-identity-agent'] });
    const { body } = await call('GET', '/clusters/c1/addons/eks-pod-identity-agent');
    expect(body.addon).toMatchObject({
      addonName: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      clusterName: 'c1',
    });
    expect(body.addon.addonVersion).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    expect((await call('GET', '/clusters/c1/addons/vpc-cni')).status).toBe(404);
  });
});

describe('CreatePodIdentityAssociation', () => {
  it('returns the association with AWS shapes', async () => {
    const { status, body } = await create({});
    expect(status).toBe(200);
    const a = body.association;
    expect(Object.keys(a).sort()).toEqual(
      [
        'associationArn',
        'associationId',
        'clusterName',
        'createdAt',
        'disableSessionTags',
        'modifiedAt',
        'namespace',
        'roleArn',
        'serviceAccount',
        'tags',
      ].sort(),
    );
    expect(a.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(a.associationArn).toBe(
      `arn:aws:eks:${REGION}:${ACCOUNT}:podidentityassociation/c1/${a.associationId}`,
    );
    expect(a.tags).toEqual({});
    expect(a.createdAt).toBe(a.modifiedAt);
    expect(Math.abs(a.createdAt - Date.now() / 1000)).toBeLessThan(5);
  });

  it('answers a duplicate with 409 ResourceInUseException naming the existing association', async () => {
    const first = await create({});
    const { status, headers, body } = await create({});
    expect(status).toBe(409);
    expect(headers['x-amzn-errortype']).toBe('ResourceInUseException');
    expect(body.message).toBe(`Association already exists: ${first.body.association.associationId}`);
  });

  it('refuses a role that does not exist', async () => {
    const { status, body, headers } = await create({ roleArn: `arn:aws:iam::${ACCOUNT}:role/missing` });
    expect(status).toBe(400);
    expect(headers['x-amzn-errortype']).toBe('InvalidParameterException');
    expect(body.message).toBe('Role provided in the request does not exist');
  });

  it('refuses a role whose trust policy does not let pods.eks.amazonaws.com assume and tag', async () => {
    const ec2Only = ctx.addRole('ec2-role', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const noTagSession = ctx.addRole('no-tag-role', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    for (const arn of [ec2Only, noTagSession]) {
      const { status, body } = await create({ roleArn: arn });
      expect(status).toBe(400);
      expect(body.message).toBe('Trust policy of the role provided is invalid');
    }
  });

  it('accepts a trust policy whose Allow carries request-tag conditions', async () => {
    const conditional = ctx.addRole('conditional-role', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'ns' } },
        },
      ],
    });
    expect((await create({ roleArn: conditional })).status).toBe(200);
  });

  it('needs eks:CreatePodIdentityAssociation on the cluster and iam:PassRole on the role (403)', async () => {
    ctx.denied.add('iam:PassRole');
    const passRole = await create({});
    expect(passRole.status).toBe(403);
    expect(passRole.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(passRole.body.message).toContain('iam:PassRole');
    const passRoleCall = ctx.calls.find((c) => c.action === 'iam:PassRole');
    expect(passRoleCall).toMatchObject({
      resource: roleArn,
      context: { 'iam:PassedToService': 'pods.eks.amazonaws.com' },
    });

    ctx.denied.add(`eks:CreatePodIdentityAssociation arn:aws:eks:${REGION}:${ACCOUNT}:cluster/c1`);
    const create403 = await create({});
    expect(create403.status).toBe(403);
    expect(create403.body.message).toContain('eks:CreatePodIdentityAssociation');
  });

  it('requires disableSessionTags=true for a policy, and generates an external id for a target role', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    expect((await create({ policy })).status).toBe(400);
    const { body } = await create({
      policy,
      disableSessionTags: true,
      targetRoleArn: 'arn:aws:iam::444455556666:role/target',
    });
    expect(body.association).toMatchObject({
      policy,
      disableSessionTags: true,
      targetRoleArn: 'arn:aws:iam::444455556666:role/target',
    });
    expect(body.association.externalId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('validates tags', async () => {
    expect((await create({ tags: { 'aws:reserved': 'x' } })).status).toBe(400);
    const { body } = await create({ tags: { team: 'a' } });
    expect(body.association.tags).toEqual({ team: 'a' });
    expect(
      ctx.calls.find((c) => c.action === 'eks:CreatePodIdentityAssociation' && c.context)?.context,
    ).toEqual({
      'aws:TagKeys': ['team'],
      'aws:RequestTag/team': 'a',
    });
  });

  it('answers 404 for an unknown cluster', async () => {
    const { status } = await call('POST', '/clusters/nope/pod-identity-associations', {
      body: { namespace: 'ns', serviceAccount: 'sa', roleArn },
    });
    expect(status).toBe(404);
  });
});

describe('Describe, List, Update and Delete', () => {
  it('describes, updates and deletes an association', async () => {
    const created = (await create({})).body.association;
    const path = `/clusters/c1/pod-identity-associations/${created.associationId}`;
    expect((await call('GET', path)).body.association).toEqual(created);

    const newRole = ctx.addRole('new-role');
    const updated = await call('POST', path, { body: { roleArn: newRole } });
    expect(updated.status).toBe(200);
    expect(updated.body.association.roleArn).toBe(newRole);
    expect(updated.body.association.namespace).toBe('ns');
    expect(updated.body.association.modifiedAt).toBeGreaterThanOrEqual(created.modifiedAt);

    const deleted = await call('DELETE', path);
    expect(deleted.body.association.associationId).toBe(created.associationId);
    const gone = await call('GET', path);
    expect(gone.status).toBe(404);
    expect(gone.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
  });

  it('refuses an update that changes nothing it can change, and a new role that fails the trust check', async () => {
    const created = (await create({})).body.association;
    const path = `/clusters/c1/pod-identity-associations/${created.associationId}`;
    const empty = await call('POST', path, { body: { namespace: 'other', serviceAccount: 'other' } });
    expect(empty.status).toBe(400);
    expect(empty.headers['x-amzn-errortype']).toBe('InvalidParameterException');
    const missingRole = await call('POST', path, {
      body: { roleArn: `arn:aws:iam::${ACCOUNT}:role/missing` },
    });
    expect(missingRole.body.message).toBe('Role provided in the request does not exist');
    expect((await call('GET', path)).body.association.namespace).toBe('ns');
  });

  it('validates association ids', async () => {
    const short = await call('GET', '/clusters/c1/pod-identity-associations/a-123');
    expect(short.status).toBe(400);
    expect(short.body.message).toBe('The parameter associationId should be 19 characters long.');
    const unknown = await call('DELETE', '/clusters/c1/pod-identity-associations/a-00000000000000000');
    expect(unknown.status).toBe(404);
  });

  it('lists summaries without role, timestamps or tags, with filters and pagination', async () => {
    for (let i = 0; i < 5; i++) await create({ namespace: i < 3 ? 'ns' : 'other', serviceAccount: `sa${i}` });
    const all = await call('GET', '/clusters/c1/pod-identity-associations');
    expect(all.body.associations).toHaveLength(5);
    expect(all.body.nextToken).toBeUndefined();
    expect(Object.keys(all.body.associations[0]).sort()).toEqual(
      ['associationArn', 'associationId', 'clusterName', 'namespace', 'serviceAccount'].sort(),
    );

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call('GET', '/clusters/c1/pod-identity-associations', {
        query: { maxResults: '2', ...(nextToken ? { nextToken } : {}) },
      });
      expect(page.body.associations.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.associations.map((a: { serviceAccount: string }) => a.serviceAccount));
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(seen).toEqual(['sa0', 'sa1', 'sa2', 'sa3', 'sa4']);

    const filtered = await call('GET', '/clusters/c1/pod-identity-associations', {
      query: { namespace: 'other', serviceAccount: 'sa4' },
    });
    expect(filtered.body.associations.map((a: { serviceAccount: string }) => a.serviceAccount)).toEqual([
      'sa4',
    ]);

    for (const maxResults of ['0', '101', 'x']) {
      const bad = await call('GET', '/clusters/c1/pod-identity-associations', { query: { maxResults } });
      expect(bad.status).toBe(400);
      expect(bad.headers['x-amzn-errortype']).toBe('InvalidParameterException');
    }
    const badToken = await call('GET', '/clusters/c1/pod-identity-associations', {
      query: { nextToken: '!!' },
    });
    expect(badToken.status).toBe(400);
  });

  it('authorizes each operation on the association ARN', async () => {
    const created = (await create({})).body.association;
    ctx.denied.add(`eks:DeletePodIdentityAssociation ${created.associationArn}`);
    const denied = await call('DELETE', `/clusters/c1/pod-identity-associations/${created.associationId}`);
    expect(denied.status).toBe(403);
    expect(denied.headers['x-amzn-errortype']).toBe('AccessDeniedException');
  });
});
