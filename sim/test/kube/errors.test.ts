// Bad requests get Kubernetes Status errors with the right reason and code, and the server keeps serving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { callApi, clients } from './helpers.ts';

let sim: StartedKubeSim;

beforeAll(async () => {
  sim = await startKubeSim({ clusterName: 'errors' });
  await clients(sim).core.createNamespace({ body: { metadata: { name: 'errs' } } });
});

afterAll(async () => {
  await sim?.close();
});

function expectStatus(
  result: { status: number; json: () => Record<string, unknown> },
  code: number,
  reason: string,
): Record<string, unknown> {
  expect(result.status).toBe(code);
  const body = result.json();
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  return body;
}

const pod = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] },
    ...extra,
  });

describe('API errors', () => {
  it('rejects requests without a token or with a bad one (401), but serves public endpoints', async () => {
    expectStatus(await callApi(sim, 'GET', '/api/v1/namespaces', { token: null }), 401, 'Unauthorized');
    expectStatus(await callApi(sim, 'GET', '/api', { token: null }), 401, 'Unauthorized');
    expectStatus(await callApi(sim, 'GET', '/api/v1/pods', { token: 'not-a-token' }), 401, 'Unauthorized');
    expect((await callApi(sim, 'GET', '/version', { token: null })).status).toBe(200);
    expect(
      (await callApi(sim, 'GET', '/.well-known/openid-configuration', { token: null })).json(),
    ).toMatchObject({
      issuer: sim.issuer,
      jwks_uri: `${sim.apiServerUrl}/openid/v1/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('answers malformed JSON with 400 BadRequest', async () => {
    expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/pods', { body: '{"metadata": {' }),
      400,
      'BadRequest',
    );
    expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/pods', { body: '[1,2]' }),
      400,
      'BadRequest',
    );
  });

  it('answers unknown resources and paths with 404 NotFound', async () => {
    const body = expectStatus(await callApi(sim, 'GET', '/api/v1/namespaces/errs/widgets'), 404, 'NotFound');
    expect(body.message).toBe('the server could not find the requested resource');
    expectStatus(await callApi(sim, 'GET', '/apis/batch/v1/jobs'), 404, 'NotFound');
    expectStatus(await callApi(sim, 'GET', '/nonsense'), 404, 'NotFound');
  });

  it('rejects an object whose namespace differs from the URL, and a missing namespace', async () => {
    const mismatch = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/pods', {
        body: pod('p', { metadata: { name: 'p', namespace: 'other' } }),
      }),
      400,
      'BadRequest',
    );
    expect(mismatch.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const missing = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/nowhere/pods', { body: pod('p') }),
      404,
      'NotFound',
    );
    expect(missing.message).toBe('namespaces "nowhere" not found');
  });

  it('names what was not found', async () => {
    const body = expectStatus(
      await callApi(sim, 'GET', '/api/v1/namespaces/errs/pods/ghost'),
      404,
      'NotFound',
    );
    expect(body.message).toBe('pods "ghost" not found');
    expect(body.details).toMatchObject({ name: 'ghost', kind: 'pods' });
  });

  it('reports AlreadyExists and Conflict', async () => {
    expect(
      (
        await callApi(sim, 'POST', '/api/v1/namespaces/errs/serviceaccounts', {
          body: '{"metadata":{"name":"dup"}}',
        })
      ).status,
    ).toBe(201);
    const exists = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/serviceaccounts', {
        body: '{"metadata":{"name":"dup"}}',
      }),
      409,
      'AlreadyExists',
    );
    expect(exists.message).toBe('serviceaccounts "dup" already exists');
    const stale = expectStatus(
      await callApi(sim, 'PUT', '/api/v1/namespaces/errs/serviceaccounts/dup', {
        body: '{"metadata":{"name":"dup","resourceVersion":"1"},"automountServiceAccountToken":false}',
      }),
      409,
      'Conflict',
    );
    expect(stale.message).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('rejects a pod whose service account does not exist (403, Kubernetes wording)', async () => {
    const body = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/pods', {
        body: pod('orphan', {
          spec: { serviceAccountName: 'nobody', containers: [{ name: 'c', image: 'x', command: ['true'] }] },
        }),
      }),
      403,
      'Forbidden',
    );
    expect(body.message).toBe(
      'pods "orphan" is forbidden: error looking up service account errs/nobody: serviceaccount "nobody" not found',
    );
  });

  it('validates fields with 422 Invalid', async () => {
    const badName = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces', { body: '{"metadata":{"name":"Bad_Name"}}' }),
      422,
      'Invalid',
    );
    expect(badName.message).toMatch(
      /^Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
    );
    const noImage = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/pods', {
        body: JSON.stringify({ metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c' }] } }),
      }),
      422,
      'Invalid',
    );
    expect(noImage.message).toBe('Pod "noimage" is invalid: spec.containers[0].image: Required value');
    const shortToken = expectStatus(
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/serviceaccounts/default/token', {
        body: '{"spec":{"audiences":["a"],"expirationSeconds":60}}',
      }),
      422,
      'Invalid',
    );
    expect(shortToken.message).toContain('may not specify a duration less than 10 minutes');
  });

  it('refuses writes to read-only resources with 405 MethodNotAllowed', async () => {
    expectStatus(
      await callApi(sim, 'POST', '/apis/apps/v1/namespaces/kube-system/daemonsets', {
        body: '{"metadata":{"name":"x"}}',
      }),
      405,
      'MethodNotAllowed',
    );
    expectStatus(await callApi(sim, 'DELETE', '/api/v1/nodes/sim-node-1'), 405, 'MethodNotAllowed');
  });

  it('refuses to delete the default namespace', async () => {
    const body = expectStatus(await callApi(sim, 'DELETE', '/api/v1/namespaces/default'), 403, 'Forbidden');
    expect(body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it('rejects bad selectors with 400', async () => {
    expectStatus(await callApi(sim, 'GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx'), 400, 'BadRequest');
    expectStatus(await callApi(sim, 'GET', '/api/v1/pods?labelSelector=a%20in%20b'), 400, 'BadRequest');
  });

  it('keeps serving after all of the above', async () => {
    const result = await callApi(sim, 'GET', '/api/v1/namespaces/errs');
    expect(result.status).toBe(200);
    expect(result.json()).toMatchObject({ kind: 'Namespace', status: { phase: 'Active' } });
  });

  it('publishes discovery with the verbs it serves', async () => {
    const core = (await callApi(sim, 'GET', '/api/v1')).json() as {
      resources: Array<{ name: string; verbs: string[]; kind: string }>;
    };
    const byName = new Map(core.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')?.verbs).toEqual(
      expect.arrayContaining(['create', 'get', 'list', 'delete', 'watch']),
    );
    expect(byName.get('pods/exec')?.verbs).toEqual(['create', 'get']);
    expect(byName.get('serviceaccounts/token')).toMatchObject({ kind: 'TokenRequest', verbs: ['create'] });
    expect(byName.get('namespaces')?.verbs).toContain('delete');
    const groups = (await callApi(sim, 'GET', '/apis')).json() as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'authentication.k8s.io']),
    );
    const apps = (await callApi(sim, 'GET', '/apis/apps/v1')).json() as {
      resources: Array<{ name: string; verbs: string[] }>;
    };
    expect(apps.resources.find((r) => r.name === 'daemonsets')?.verbs).toEqual(['get', 'list', 'watch']);
    const auth = (await callApi(sim, 'GET', '/apis/authentication.k8s.io/v1')).json() as {
      resources: Array<{ name: string }>;
    };
    expect(auth.resources.map((r) => r.name)).toContain('tokenreviews');
  });

  it('pages lists with limit and continue', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await callApi(sim, 'POST', '/api/v1/namespaces/errs/configmaps', {
        body: JSON.stringify({ metadata: { name } }),
      });
    }
    const first = (await callApi(sim, 'GET', '/api/v1/namespaces/errs/configmaps?limit=2')).json() as {
      metadata: { continue?: string };
      items: Array<{ metadata: { name: string } }>;
    };
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const second = (
      await callApi(
        sim,
        'GET',
        `/api/v1/namespaces/errs/configmaps?limit=2&continue=${first.metadata.continue}`,
      )
    ).json() as {
      metadata: { continue?: string };
      items: Array<{ metadata: { name: string } }>;
    };
    const names = [...first.items, ...second.items].map((i) => i.metadata.name);
    expect(names).toEqual(['kube-root-ca.crt', 'page-a', 'page-b', 'page-c']);
    expect(second.metadata.continue).toBeUndefined();
  });

  it('applies merge and JSON patches', async () => {
    const merged = await callApi(sim, 'PATCH', '/api/v1/namespaces/errs/configmaps/page-a', {
      body: '{"data":{"k":"v"},"metadata":{"labels":{"x":"y"}}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(merged.status).toBe(200);
    expect(merged.json()).toMatchObject({ data: { k: 'v' }, metadata: { labels: { x: 'y' } } });
    const patched = await callApi(sim, 'PATCH', '/api/v1/namespaces/errs/configmaps/page-a', {
      body: '[{"op":"replace","path":"/data/k","value":"w"}]',
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(patched.json()).toMatchObject({ data: { k: 'w' } });
    expectStatus(
      await callApi(sim, 'PATCH', '/api/v1/namespaces/errs/configmaps/page-a', {
        body: '{}',
        headers: { 'Content-Type': 'text/plain' },
      }),
      415,
      'UnsupportedMediaType',
    );
  });
});
