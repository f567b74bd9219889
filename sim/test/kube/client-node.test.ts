// The simulator's API server driven the way the conformance suites drive a real cluster:
// @kubernetes/client-node over HTTPS with the generated kubeconfig.

import { type CoreV1Api, type KubeConfig, Watch } from '@kubernetes/client-node';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { callApi, clients, eventually, execInPod, waitForPhase } from './helpers.ts';

let sim: StartedKubeSim;
let kc: KubeConfig;
let core: CoreV1Api;
const ns = 'client-node-test';

beforeAll(async () => {
  sim = await startKubeSim({ clusterName: 'client-node' });
  ({ kc, core } = clients(sim));
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'app' } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'sleeper', labels: { app: 'sleeper', tier: 'test' } },
      spec: {
        serviceAccountName: 'app',
        containers: [
          { name: 'main', image: 'public.ecr.aws/docker/library/busybox:1.36', command: ['sleep', '3600'] },
        ],
      },
    },
  });
});

afterAll(async () => {
  await sim?.close();
});

describe('client-node against the simulated API server', () => {
  it('reports Kubernetes 1.32 or newer on /version', async () => {
    const { VersionApi } = await import('@kubernetes/client-node');
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.major).toBe('1');
    expect(Number(version.minor)).toBeGreaterThanOrEqual(32);
  });

  it('creates the default service account and CA config map with a namespace', async () => {
    const sa = await core.readNamespacedServiceAccount({ namespace: ns, name: 'default' });
    expect(sa.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'kube-root-ca.crt' });
    expect(cm.data?.['ca.crt']).toBe(sim.caCertPem);
  });

  it('runs a pod until Running with the defaults a cluster applies', async () => {
    const pod = await waitForPhase(core, ns, 'sleeper', ['Running']);
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(pod.spec?.nodeName).toBeTruthy();
    expect(pod.spec?.serviceAccountName).toBe('app');
    const apiAccess = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    expect(apiAccess?.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(pod.spec?.containers[0].volumeMounts).toContainEqual({
      name: apiAccess?.name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.state?.running).toBeDefined();
    expect(status?.ready).toBe(true);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('lists pods by label and field selectors', async () => {
    const byLabel = await core.listNamespacedPod({
      namespace: ns,
      labelSelector: 'app=sleeper,tier in (test,prod)',
    });
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['sleeper']);
    const none = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app!=sleeper' });
    expect(none.items).toEqual([]);
    const byField = await core.listNamespacedPod({
      namespace: ns,
      fieldSelector: 'status.phase=Running,metadata.name=sleeper',
    });
    expect(byField.items).toHaveLength(1);
    const all = await core.listPodForAllNamespaces({ labelSelector: 'app=sleeper' });
    expect(all.items).toHaveLength(1);
  });

  it('execs a command: stdout and the exit code as Kubernetes reports it', async () => {
    const result = await execInPod(kc, ns, 'sleeper', 'main', [
      'sh',
      '-c',
      'echo $HOSTNAME; echo oops >&2; exit 3',
    ]);
    expect(result.stdout).toBe('sleeper\n');
    expect(result.stderr).toBe('oops\n');
    expect(result.status.status).toBe('Failure');
    expect(result.status.reason).toBe('NonZeroExitCode');
    expect(result.status.details?.causes).toEqual([{ reason: 'ExitCode', message: '3' }]);
  });

  it('execs a successful command with a Success status', async () => {
    const result = await execInPod(kc, ns, 'sleeper', 'main', ['true']);
    expect(result.status.status).toBe('Success');
  });

  it('passes stdin to the command', async () => {
    const result = await execInPod(kc, ns, 'sleeper', 'main', ['cat'], 'hello from stdin\n');
    expect(result.stdout).toBe('hello from stdin\n');
    expect(result.status.status).toBe('Success');
  });

  it('maps the service-account mount into the sandbox for exec', async () => {
    const result = await execInPod(kc, ns, 'sleeper', 'main', [
      'cat',
      '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
    ]);
    expect(result.stdout).toBe(ns);
  });

  it('issues a TokenRequest whose JWT verifies against the published JWKS', async () => {
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'sleeper' });
    const response = await core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: 'app',
      body: {
        spec: {
          audiences: ['pods.eks.amazonaws.com'],
          expirationSeconds: 3600,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'sleeper', uid: pod.metadata?.uid },
        },
      },
    });
    const token = response.status?.token ?? '';
    expect(new Date(response.status?.expirationTimestamp ?? 0).getTime()).toBeGreaterThan(
      Date.now() + 3500_000,
    );

    // The JWKS is readable without credentials, as on EKS.
    const jwksResponse = await callApi(sim, 'GET', '/openid/v1/jwks', { token: null });
    expect(jwksResponse.status).toBe(200);
    const keySet = jwksResponse.json() as unknown as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(keySet), {
      issuer: sim.issuer,
      audience: 'pods.eks.amazonaws.com',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toMatch(/^[0-9a-f]{40}$/);
    expect(keySet.keys[0].kid).toBe(protectedHeader.kid);
    const sa = await core.readNamespacedServiceAccount({ namespace: ns, name: 'app' });
    expect(payload.sub).toBe(`system:serviceaccount:${ns}:app`);
    expect(payload.aud).toEqual(['pods.eks.amazonaws.com']);
    expect(typeof payload.jti).toBe('string');
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(payload['kubernetes.io']).toMatchObject({
      namespace: ns,
      serviceaccount: { name: 'app', uid: sa.metadata?.uid },
      pod: { name: 'sleeper', uid: pod.metadata?.uid },
    });
  });

  it('watches pods (what client-node informers and waits use)', async () => {
    const seen: string[] = [];
    const watch = new Watch(kc);
    const request = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: 'app=watched' },
      (type, object: { metadata?: { name?: string } }) => seen.push(`${type} ${object.metadata?.name}`),
      () => {},
    );
    try {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'watched', labels: { app: 'watched' } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
          },
        },
      });
      await eventually('ADDED and MODIFIED events', async () =>
        seen.includes('ADDED watched') && seen.includes('MODIFIED watched') ? true : undefined,
      );
      await waitForPhase(core, ns, 'watched', ['Succeeded']);
      await core.deleteNamespacedPod({ namespace: ns, name: 'watched' });
      await eventually('DELETED event', async () => (seen.includes('DELETED watched') ? true : undefined));
    } finally {
      request.abort();
    }
  });
});
