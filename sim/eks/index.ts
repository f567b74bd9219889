// The simulator's EKS: control plane (clusters, add-on, pod identity associations), EKS Auth, the pod
// identity admission mutation and the agent's DaemonSet.

export { createSeededRandom, deriveRandom, type RandomSource } from '../random.ts';
export { createPodIdentityAdmissionHook, type PodIdentityAdmissionOptions } from './admission.ts';
export { AGENT_DAEMONSET_NAME, podIdentityAgentDaemonSet } from './agent-daemonset.ts';
export { associationShape, associationSummaryShape, createEksApiHandler, type EksApiOptions } from './api.ts';
export {
  type AssociationFilter,
  AssociationStore,
  type CreateAssociationInput,
  type PodIdentityAssociation,
  type UpdateAssociationInput,
} from './associations.ts';
export {
  createEksAuthHandler,
  EKS_CANNOT_ASSUME_ROLE_MESSAGE,
  type EksAuthOptions,
  mapStsError,
  POD_IDENTITY_AUDIENCE,
  type PodIdentitySubject,
  verifyPodIdentityToken,
} from './auth.ts';
export {
  type ClusterKubernetesSide,
  EksCluster,
  KUBERNETES_VERSION,
  PLATFORM_VERSION,
  POD_IDENTITY_AGENT_ADDON,
  POD_IDENTITY_AGENT_ADDON_VERSION,
} from './cluster.ts';
export { EksControlPlane, type EksControlPlaneOptions } from './control-plane.ts';
export * from './irsa-mutation.ts';
export * from './mutation.ts';
export {
  POD_IDENTITY_SERVICE_PRINCIPAL,
  type PolicyEvaluator,
  type RoleDirectory,
  roleDirectoryFromIamApi,
  roleDirectoryFromIamView,
  trustAllowsPodIdentity,
} from './roles.ts';
export { podIdentitySessionName } from './session-name.ts';
