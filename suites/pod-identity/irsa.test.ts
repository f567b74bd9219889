// IRSA, and the migration from IRSA to Pod Identity (spec §1.6). The same webhook serves both: a
// service account annotated eks.amazonaws.com/role-arn gets the web identity variables and the
// aws-iam-token volume, and its pods assume the role through STS AssumeRoleWithWebIdentity, which the
// role's trust policy (the cluster's OIDC provider, :sub and :aud) decides. When the service account
// also has an association, a new pod gets only Pod Identity's variables; a pod that carries both sets
// is on the IRSA role, because the SDKs try web identity before the container provider. The documented
// migration (create the association, restart the pods, remove the annotation) ends on Pod Identity.

import type { V1Pod } from '@kubernetes/client-node';
import {
  awsCliClient,
  type CallerIdentity,
  type CaseContext,
  clusterOidcIssuer,
  createAssociation,
  createNamespace,
  createPod,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  ENV_FULL_URI,
  ENV_ROLE_ARN,
  ENV_TOKEN_FILE,
  ENV_WEB_IDENTITY_TOKEN_FILE,
  ensureOidcProvider,
  envValue,
  eventually,
  handMadeIrsaVolume,
  IRSA_MOUNT_PATH,
  IRSA_ROLE_ANNOTATION,
  IRSA_TOKEN_EXPIRATION_SECONDS,
  IRSA_TOKEN_FILE,
  IRSA_VOLUME_NAME,
  irsaRoleArnInPod,
  irsaTrustPolicy,
  NotYet,
  noteForReport,
  type Pod,
  type PodCallResult,
  type PodClient,
  podClientFor,
  type Role,
  removeIrsaAnnotation,
  requireCapabilities,
  STS_AUDIENCE,
  sdkProbeClient,
  selectedPodClients,
  TOKEN_VOLUME_NAME,
  type Tracked,
  useSuiteRun,
  WaitTimeout,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const IRSA_SA = 'irsa-app';
const UNTRUSTED_SA = 'irsa-untrusted';
const BOTH_SA = 'both';
const MIGRATING_SA = 'migrating';
const MIGRATING_PODS = ['migrating-1', 'migrating-2'];
/** How long IAM and STS may take to use a new OIDC provider or role trust. */
const IAM_CATCH_UP_MS = 30_000;
/** STS's answer while it does not know a new OIDC provider yet. */
const PROVIDER_NOT_YET_KNOWN = /InvalidIdentityToken/;

describe('IRSA', () => {
  const suite = useSuiteRun();
  /** Set when the target has no way to run IRSA; every case skips with it. */
  let unavailable: string | undefined;
  let namespace: string;
  let irsaRole: Role;
  let podIdentityRole: Role;
  let irsaPod: Pod;
  let untrustedPod: Pod;

  beforeAll(async () => {
    const { info, run, stack } = suite;
    if (!info.capabilities.webIdentityFederation.available) return;
    const issuer = await clusterOidcIssuer(run);
    if (!issuer) {
      unavailable = `the cluster ${info.cluster.name} has no OIDC issuer (DescribeCluster identity.oidc.issuer is empty)`;
      return;
    }
    const provider = stack.adopt(await ensureOidcProvider(run, issuer));
    if (!provider.clientIds.includes(STS_AUDIENCE)) {
      unavailable = `the account's OIDC provider for ${provider.url} does not list ${STS_AUDIENCE} as a client ID (audience)`;
      return;
    }
    namespace = stack.adopt(await createNamespace(run, 'irsa')).name;
    const trusted = [IRSA_SA, BOTH_SA, MIGRATING_SA].map((name) => ({ namespace, name }));
    irsaRole = stack.adopt(
      await createRole(run, { purpose: 'irsa', trustPolicy: irsaTrustPolicy(provider, trusted) }),
    );
    podIdentityRole = stack.adopt(await createRole(run, { purpose: 'irsa-pod-identity' }));
    const annotations = { [IRSA_ROLE_ANNOTATION]: irsaRole.arn };
    for (const name of [IRSA_SA, UNTRUSTED_SA, BOTH_SA, MIGRATING_SA]) {
      stack.adopt(await createServiceAccount(run, { namespace, name, annotations }));
    }
    stack.adopt(
      await createAssociation(run, { namespace, serviceAccount: BOTH_SA, roleArn: podIdentityRole.arn }),
    );
    irsaPod = stack.adopt(await createPod(run, { namespace, name: IRSA_SA, serviceAccountName: IRSA_SA }));
    untrustedPod = stack.adopt(
      await createPod(run, { namespace, name: UNTRUSTED_SA, serviceAccountName: UNTRUSTED_SA }),
    );
  });

  function requireIrsa(ctx: CaseContext): void {
    requireCapabilities(ctx, suite.info, 'webIdentityFederation');
    if (unavailable) ctx.skip(unavailable);
  }

  /** Fails at once, naming what is missing, when the webhook did not apply IRSA to the pod. */
  function expectIrsaMutated(pod: Pod): void {
    expect(
      irsaRoleArnInPod(pod.stored),
      `${ENV_ROLE_ARN} in pod ${pod.name}: the webhook did not apply the IRSA mutation`,
    ).toBe(irsaRole.arn);
  }

  const rolePrefix = (role: Role) => `arn:aws:sts::${suite.info.accountId}:assumed-role/${role.name}/`;

  /**
   * The pod's caller identity, asked again only while IAM and STS catch up with what the file created:
   * a new OIDC provider is InvalidIdentityToken for a few seconds, a new role's trust AccessDenied
   * (`retryDenied`; a refusal that must hold is asked without it). The last answer is returned.
   */
  async function whoamiOnceIamCatchesUp(
    client: PodClient,
    pod: Pod,
    retryDenied: boolean,
  ): Promise<PodCallResult<CallerIdentity>> {
    let last: PodCallResult<CallerIdentity> | undefined;
    try {
      return await eventually(
        `${client.name} credentials in pod ${pod.namespace}/${pod.name}`,
        async () => {
          const result = await client.whoami(pod);
          last = result;
          if (result.ok) return result;
          const catchingUp =
            PROVIDER_NOT_YET_KNOWN.test(result.message) ||
            (retryDenied && result.failure === 'access-denied');
          if (catchingUp) throw new NotYet(result.message);
          return result;
        },
        { timeoutMs: Math.min(suite.info.waitTimeoutMs, IAM_CATCH_UP_MS), intervalMs: 1_000 },
      );
    } catch (error) {
      if (error instanceof WaitTimeout && last) return last;
      throw error;
    }
  }

  async function whoami(client: PodClient, pod: Pod): Promise<CallerIdentity> {
    const result = await whoamiOnceIamCatchesUp(client, pod, true);
    if (!result.ok)
      throw new Error(`${client.name} in pod ${pod.name} got no credentials: ${result.message}`);
    return result.value;
  }

  it('an annotated service account gets AWS_ROLE_ARN, the web identity token file and the aws-iam-token volume', (ctx) => {
    requireIrsa(ctx);
    expectIrsaMutated(irsaPod);
    const container = irsaPod.stored.spec!.containers[0];
    expect(envValue(container, ENV_WEB_IDENTITY_TOKEN_FILE)).toBe(IRSA_TOKEN_FILE);
    expect(
      envValue(container, ENV_FULL_URI),
      'no Pod Identity variables without an association',
    ).toBeUndefined();
    const volume = irsaPod.stored.spec!.volumes?.find((v) => v.name === IRSA_VOLUME_NAME);
    expect(volume, `volume ${IRSA_VOLUME_NAME}`).toBeDefined();
    expect(volume!.projected?.sources?.[0]?.serviceAccountToken).toEqual({
      audience: STS_AUDIENCE,
      expirationSeconds: IRSA_TOKEN_EXPIRATION_SECONDS,
      path: 'token',
    });
    const mount = container?.volumeMounts?.find((m) => m.name === IRSA_VOLUME_NAME);
    expect(mount?.mountPath?.replace(/\/$/, '')).toBe(IRSA_MOUNT_PATH);
    expect(mount?.readOnly).toBe(true);
  });

  for (const clientName of selectedPodClients()) {
    it(`the IRSA pod is a session of the IRSA role, through AssumeRoleWithWebIdentity [${clientName}]`, async (ctx) => {
      requireIrsa(ctx);
      const client = await podClientFor(ctx, suite.info, clientName);
      expectIrsaMutated(irsaPod);
      const identity = await whoami(client, irsaPod);
      expect(
        identity.arn.startsWith(rolePrefix(irsaRole)),
        `${identity.arn} should be a session of ${irsaRole.name}`,
      ).toBe(true);
      await noteForReport(ctx, `${clientName} got ${identity.arn}`);
    });

    it(`a service account the role's trust does not name is refused (the :sub condition) [${clientName}]`, async (ctx) => {
      requireIrsa(ctx);
      const client = await podClientFor(ctx, suite.info, clientName);
      expectIrsaMutated(untrustedPod);
      // A denial is not asked again: retrying could only turn it into a pass.
      const result = await whoamiOnceIamCatchesUp(client, untrustedPod, false);
      if (result.ok) {
        expect.fail(
          `the trust policy names only ${IRSA_SA}, ${BOTH_SA} and ${MIGRATING_SA}, yet ${UNTRUSTED_SA} got credentials for ${result.value.arn}`,
        );
      }
      expect(result.failure, result.message).toBe('access-denied');
    });
  }

  // Created by the first case that needs it: its wait must fail that case, not the whole file.
  let bothPods: Promise<{ mutatedByWebhook: Pod; carryingBoth: Pod }> | undefined;
  function podsWithBoth(): Promise<{ mutatedByWebhook: Pod; carryingBoth: Pod }> {
    bothPods ??= (async () => {
      const { run, stack } = suite;
      const mutatedByWebhook = stack.adopt(
        await createPodOnceAssociationApplies(run, {
          namespace,
          name: 'both-new',
          serviceAccountName: BOTH_SA,
          mutated: true,
        }),
      );
      // A pod that carries its web identity in its own spec (as one copied from an IRSA pod): the
      // webhook adds Pod Identity's variables next to it.
      const { volume, mount } = handMadeIrsaVolume();
      const carryingBoth = stack.adopt(
        await createPodOnceAssociationApplies(run, {
          namespace,
          name: 'both-sets',
          serviceAccountName: BOTH_SA,
          env: { [ENV_ROLE_ARN]: irsaRole.arn, [ENV_WEB_IDENTITY_TOKEN_FILE]: IRSA_TOKEN_FILE },
          volumes: [volume],
          volumeMounts: [mount],
          mutated: true,
        }),
      );
      return { mutatedByWebhook, carryingBoth };
    })();
    return bothPods;
  }

  it('with an IRSA annotation and an association, a new pod gets only the Pod Identity variables', async (ctx) => {
    requireIrsa(ctx);
    const { mutatedByWebhook } = await podsWithBoth();
    const container = mutatedByWebhook.stored.spec!.containers[0];
    expect(envValue(container, ENV_TOKEN_FILE)).toBeDefined();
    expect(
      envValue(container, ENV_ROLE_ARN),
      'Pod Identity takes precedence: no AWS_ROLE_ARN',
    ).toBeUndefined();
    expect(envValue(container, ENV_WEB_IDENTITY_TOKEN_FILE)).toBeUndefined();
    const volumes = (mutatedByWebhook.stored.spec!.volumes ?? []).map((v) => v.name);
    expect(volumes).toContain(TOKEN_VOLUME_NAME);
    expect(volumes, `no ${IRSA_VOLUME_NAME} volume`).not.toContain(IRSA_VOLUME_NAME);
  });

  for (const clientName of selectedPodClients()) {
    it(`that pod is a session of the Pod Identity role [${clientName}]`, async (ctx) => {
      requireIrsa(ctx);
      const client = await podClientFor(ctx, suite.info, clientName);
      const { mutatedByWebhook } = await podsWithBoth();
      const identity = await whoami(client, mutatedByWebhook);
      await noteForReport(ctx, `${clientName} got ${identity.arn}`);
      expect(
        identity.arn.startsWith(rolePrefix(podIdentityRole)),
        `${identity.arn} should be a session of ${podIdentityRole.name}`,
      ).toBe(true);
    });

    it(`a pod carrying both sets of variables is on the IRSA role: web identity comes first in the SDK chain [${clientName}]`, async (ctx) => {
      requireIrsa(ctx);
      const client = await podClientFor(ctx, suite.info, clientName);
      const { carryingBoth } = await podsWithBoth();
      const container = carryingBoth.stored.spec!.containers[0];
      expect(envValue(container, ENV_ROLE_ARN)).toBe(irsaRole.arn);
      expect(envValue(container, ENV_TOKEN_FILE), 'the Pod Identity variables next to it').toBeDefined();
      const identity = await whoami(client, carryingBoth);
      await noteForReport(ctx, `${clientName} with both sets got ${identity.arn}`);
      expect(
        identity.arn.startsWith(rolePrefix(irsaRole)),
        `${identity.arn} should be a session of ${irsaRole.name}`,
      ).toBe(true);
    });
  }

  it('migration: association, restarted pods, annotation removed: every pod ends on the Pod Identity role', async (ctx) => {
    requireIrsa(ctx);
    const { info, run, stack } = suite;
    const clients = [awsCliClient(info), sdkProbeClient(info)].filter(
      (c) => info.capabilities[c.capability].available,
    );
    if (clients.length === 0)
      ctx.skip('no in-pod client can run on this target (needs podAwsCli or podSdkProbe)');

    /** Every client in every pod: which role each one is on. */
    const rolesOf = async (pods: Pod[], step: string): Promise<string[]> => {
      const seen: string[] = [];
      for (const pod of pods) {
        for (const client of clients) {
          const identity = await whoami(client, pod);
          const role = identity.arn.split('/')[1] ?? identity.arn;
          seen.push(role);
          await noteForReport(ctx, `${step}: ${pod.name} [${client.name}] on ${role}`);
        }
      }
      return seen;
    };
    const restart = async (pods: Array<Tracked<Pod>>, expectIrsa: (stored: V1Pod) => void) => {
      const restarted: Array<Tracked<Pod>> = [];
      for (const pod of pods) {
        await pod[Symbol.asyncDispose]();
        stack.forget(pod);
        const fresh = stack.adopt(
          await createPodOnceAssociationApplies(run, {
            namespace,
            name: pod.name,
            serviceAccountName: MIGRATING_SA,
            mutated: true,
          }),
        );
        expectIrsa(fresh.stored);
        restarted.push(fresh);
      }
      return restarted;
    };

    // 1. IRSA only.
    let pods: Array<Tracked<Pod>> = [];
    for (const name of MIGRATING_PODS) {
      const pod = stack.adopt(await createPod(run, { namespace, name, serviceAccountName: MIGRATING_SA }));
      expectIrsaMutated(pod);
      pods.push(pod);
    }
    expect(await rolesOf(pods, 'IRSA only')).toEqual(Array(pods.length * clients.length).fill(irsaRole.name));

    // 2. The association: running pods keep IRSA (mutation happens only at admission).
    stack.adopt(
      await createAssociation(run, { namespace, serviceAccount: MIGRATING_SA, roleArn: podIdentityRole.arn }),
    );
    expect(await rolesOf(pods, 'association created, pods not restarted')).toEqual(
      Array(pods.length * clients.length).fill(irsaRole.name),
    );

    // 3. Restarted pods get only Pod Identity's variables (the annotation is still there).
    pods = await restart(pods, (stored) => expect(irsaRoleArnInPod(stored), 'restarted pod').toBeUndefined());
    expect(await rolesOf(pods, 'pods restarted')).toEqual(
      Array(pods.length * clients.length).fill(podIdentityRole.name),
    );

    // 4. The annotation removed, pods restarted once more: nothing of IRSA is left.
    await removeIrsaAnnotation(run, { namespace, name: MIGRATING_SA });
    pods = await restart(pods, (stored) =>
      expect(irsaRoleArnInPod(stored), 'pod after the annotation').toBeUndefined(),
    );
    const final = await rolesOf(pods, 'annotation removed');
    expect(
      final.filter((role) => role === irsaRole.name),
      'pods still on the IRSA role',
    ).toEqual([]);
    expect(final).toEqual(Array(pods.length * clients.length).fill(podIdentityRole.name));
  });
});
