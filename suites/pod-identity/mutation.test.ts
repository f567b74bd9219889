// EKS mutates pods of associated service accounts at admission (spec §1.2–§1.3): the two container
// credential variables, the projected token volume for the pods.eks.amazonaws.com audience, and its
// read-only mount. A pod of a service account without an association gets none of it.

import type { V1Pod } from '@kubernetes/client-node';
import {
  AGENT_URIS,
  createAssociatedApp,
  createPod,
  createServiceAccount,
  ENV_FULL_URI,
  ENV_TOKEN_FILE,
  envValue,
  expectUnconfirmed,
  jwtClaims,
  POD_IDENTITY_AUDIENCE,
  type Pod,
  requireCapabilities,
  TOKEN_EXPIRATION_RANGE,
  TOKEN_FILE_PATH,
  TOKEN_MOUNT_PATH,
  TOKEN_VOLUME_NAME,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

function tokenVolume(pod: V1Pod) {
  return pod.spec?.volumes?.find((v) => v.name === TOKEN_VOLUME_NAME);
}

function tokenMount(pod: V1Pod) {
  return pod.spec?.containers[0]?.volumeMounts?.find((m) => m.name === TOKEN_VOLUME_NAME);
}

describe('mutation', () => {
  const suite = useSuiteRun();
  let associated: Pod;
  let unassociated: Pod;

  beforeAll(async () => {
    const { run, stack } = suite;
    const app = await createAssociatedApp(run, stack, { purpose: 'mutation', podName: 'associated' });
    associated = app.pod;
    const other = stack.adopt(await createServiceAccount(run, { namespace: app.namespace, name: 'other' }));
    unassociated = stack.adopt(
      await createPod(run, {
        namespace: app.namespace,
        name: 'unassociated',
        serviceAccountName: other.name,
      }),
    );
  });

  it('a pod of an associated service account gets the container credential variables', () => {
    const container = associated.stored.spec!.containers[0];
    expect(AGENT_URIS).toContain(envValue(container, ENV_FULL_URI));
    expect(envValue(container, ENV_TOKEN_FILE)).toBe(TOKEN_FILE_PATH);
  });

  it('the token is a projected token for pods.eks.amazonaws.com lasting about a day', () => {
    const volume = tokenVolume(associated.stored);
    expect(volume, `volume ${TOKEN_VOLUME_NAME} in the pod`).toBeDefined();
    const source = volume!.projected?.sources?.[0]?.serviceAccountToken;
    expect(source?.audience).toBe(POD_IDENTITY_AUDIENCE);
    expect(source?.path).toBe('eks-pod-identity-token');
    expect(source?.expirationSeconds).toBeGreaterThanOrEqual(TOKEN_EXPIRATION_RANGE.min);
    expect(source?.expirationSeconds).toBeLessThanOrEqual(TOKEN_EXPIRATION_RANGE.max);
  });

  it('the token volume is mounted read-only at the documented path', () => {
    const mount = tokenMount(associated.stored);
    expect(mount?.mountPath?.replace(/\/$/, '')).toBe(TOKEN_MOUNT_PATH);
    expect(mount?.readOnly).toBe(true);
  });

  it('the token file in the pod names the pod, its service account and the audience', async (ctx) => {
    // Only the claims leave the pod (the payload segment); the signed token itself never does.
    const result = await associated.exec(['sh', '-c', `cut -d. -f2 < "$${ENV_TOKEN_FILE}"`]);
    expect(result.exitCode, result.stderr).toBe(0);
    const claims = jwtClaims(`x.${result.stdout.trim()}.x`);
    const audience = ([] as unknown[]).concat(claims.aud);
    expect(audience).toContain(POD_IDENTITY_AUDIENCE);
    expect(claims.sub).toBe(`system:serviceaccount:${associated.namespace}:app`);
    const kubernetes = claims['kubernetes.io'] as { pod?: { name?: string; uid?: string } } | undefined;
    expect(kubernetes?.pod?.name).toBe(associated.name);
    expect(kubernetes?.pod?.uid).toBe(associated.uid);
    // The volume asks for this lifetime; whether the API server grants it unchanged (or caps it) is not
    // documented for EKS, so on a real cluster it is reported rather than asserted.
    const lifetime = Number(claims.exp) - Number(claims.iat);
    const { min, max } = TOKEN_EXPIRATION_RANGE;
    await expectUnconfirmed(
      ctx,
      suite.info,
      `the token lives as long as the volume asks, ${min}-${max} s`,
      lifetime >= min && lifetime <= max,
      `${lifetime} s`,
    );
  });

  it('inside the pod, the agent URI and the token file are exactly the ones stored', async (ctx) => {
    // What SDKs read is the process environment; a runtime that rewrote it would hide SDKs that refuse
    // the link-local agent address.
    requireCapabilities(ctx, suite.info, 'podSandbox');
    const container = associated.stored.spec!.containers[0];
    const result = await associated.exec([
      'sh',
      '-c',
      `printenv ${ENV_FULL_URI} ${ENV_TOKEN_FILE}; test -r ${TOKEN_FILE_PATH} && echo readable`,
    ]);
    const [uri, tokenFile, readable] = result.stdout.trim().split('\n');
    expect(uri, `${ENV_FULL_URI} in the pod's environment`).toBe(envValue(container, ENV_FULL_URI));
    expect(tokenFile, `${ENV_TOKEN_FILE} in the pod's environment`).toBe(TOKEN_FILE_PATH);
    expect(readable, `${TOKEN_FILE_PATH} readable in the pod`).toBe('readable');
  });

  it('a pod of an unassociated service account gets no variables, volume or mount', () => {
    const container = unassociated.stored.spec!.containers[0];
    expect(envValue(container, ENV_FULL_URI)).toBeUndefined();
    expect(envValue(container, ENV_TOKEN_FILE)).toBeUndefined();
    expect(tokenVolume(unassociated.stored)).toBeUndefined();
    expect(tokenMount(unassociated.stored)).toBeUndefined();
  });
});
