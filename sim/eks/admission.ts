// The pod identity admission hook: on pod CREATE, if the association in effect for the pod's
// (namespace, service account) exists, apply the mutation; otherwise, if the service account is
// annotated with an IRSA role, the IRSA mutation (the same webhook serves both, spec §1.6). Fails open
// like EKS's webhook (failurePolicy: Ignore): an error admits the pod unmutated.

import type { PodAdmissionHook } from '../kube/types.ts';
import { type RandomSource, randomIntInclusive } from '../random.ts';
import type { Sabotage } from '../sabotage.ts';
import type { EksCluster } from './cluster.ts';
import { irsaRoleArnOf, mutatePodForIrsa } from './irsa-mutation.ts';
import {
  DEFAULT_TOKEN_EXPIRATION_SECONDS,
  LABEL_SKIP_POD_IDENTITY_WEBHOOK,
  MIN_JITTERED_TOKEN_EXPIRATION_SECONDS,
  mutatePodForPodIdentity,
} from './mutation.ts';

export interface PodIdentityAdmissionOptions {
  cluster: EksCluster;
  /** Seeded source for the token-expiration jitter. */
  random: RandomSource;
  /** Called when the mutation fails and the pod is admitted without it. */
  onError?: (error: unknown, pod: { namespace: string; name?: string }) => void;
  addPodIdentityLabel?: boolean;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

export function createPodIdentityAdmissionHook(options: PodIdentityAdmissionOptions): PodAdmissionHook {
  return (pod, ctx) => {
    try {
      if (options.sabotage?.mutationOff) return;
      if (pod.metadata?.labels && LABEL_SKIP_POD_IDENTITY_WEBHOOK in pod.metadata.labels) return;
      const serviceAccount = pod.spec?.serviceAccountName ?? ctx.serviceAccount.metadata?.name ?? 'default';
      const association = options.cluster.associations.effectiveFor(ctx.namespace, serviceAccount);
      const serviceAccountAnnotations = ctx.serviceAccount.metadata?.annotations;
      const irsa =
        !options.sabotage?.irsaMutationOff && irsaRoleArnOf(serviceAccountAnnotations) !== undefined;
      if (irsa && (!association || options.sabotage?.irsaOverridesPodIdentity)) {
        const mutated = mutatePodForIrsa(pod, { region: options.cluster.region, serviceAccountAnnotations });
        pod.metadata = mutated.metadata;
        pod.spec = mutated.spec;
        return;
      }
      if (!association && !options.sabotage?.mutatesEveryPod) return;
      const mutated = mutatePodForPodIdentity(pod, {
        region: options.cluster.region,
        jitteredExpirationSeconds: randomIntInclusive(
          options.random,
          MIN_JITTERED_TOKEN_EXPIRATION_SECONDS,
          DEFAULT_TOKEN_EXPIRATION_SECONDS,
        ),
        serviceAccountAnnotations,
        addPodIdentityLabel: options.addPodIdentityLabel,
      });
      // The hook contract mutates in place.
      pod.metadata = mutated.metadata;
      pod.spec = mutated.spec;
    } catch (error) {
      options.onError?.(error, { namespace: ctx.namespace, name: pod.metadata?.name });
    }
  };
}
