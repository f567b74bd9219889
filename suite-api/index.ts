// The public API for suite files: `import { … } from 'pod-identity-conformance/suite'`. Everything a case
// needs: the file's run (target, fixtures stack, clients), the fixtures, the in-pod clients, capability
// checks that skip with the target's reason, condition-based waiting and report notes. The bundled
// suites import only from here; so can suites of your own (`--suites-dir`).

export { CAUSES, type CauseId, DiagnosedFailure } from '../diagnosis/causes.ts';
export { diagnoseMissingCredentials, diagnoseNotMutated } from '../diagnosis/diagnose.ts';
export {
  createRole,
  deleteRole,
  type PolicyDocumentJson,
  podIdentityTrustPolicy,
  type Role,
} from '../fixtures/iam-role.ts';
export { findToolResources, type InventoryItem } from '../fixtures/inventory.ts';
export * from '../fixtures/irsa.ts';
export { createNamespace, type Namespace } from '../fixtures/namespace.ts';
export {
  clusterOidcIssuer,
  ensureOidcProvider,
  type OidcProvider,
  STS_AUDIENCE,
} from '../fixtures/oidc-provider.ts';
export { createPod, type Pod, type PodSpec } from '../fixtures/pod.ts';
export { type Association, createAssociation } from '../fixtures/pod-identity-association.ts';
export type { RunContext } from '../fixtures/run-context.ts';
export { type Bucket, createBucket } from '../fixtures/s3-bucket.ts';
export { createServiceAccount, type ServiceAccount } from '../fixtures/service-account.ts';
export type { FixtureHandle, FixtureStack } from '../fixtures/stack.ts';
export type { Tracked } from '../fixtures/tracked.ts';
export {
  type AssociatedApp,
  allowedOnceIamCatchesUp,
  callerIdentityOnceAvailable,
  createAssociatedApp,
  createPodOnceAssociationApplies,
} from '../fixtures/workload.ts';
export { eventually, NotYet, WaitTimeout } from '../helpers/eventually.ts';
export { escapeRegExp } from '../helpers/naming.ts';
export type { CapabilityName, TargetInfo } from '../targets/target.ts';
export {
  type ClientReport,
  type ClientVerdict,
  describeReport,
  judgeClient,
  refusesAgentAddress,
  tooOldLine,
} from './client-compatibility.ts';
export {
  ensurePinnedClient,
  MINIMUM_VERSIONS,
  OLD_BOTOCORE_VERSION,
  OLD_NODE_V2_VERSION,
  PINNED_NODE_V2_VERSION,
  PinnedClientUnavailable,
  parsePodClientId,
} from './pinned-clients.ts';
export {
  awsCliClient,
  boto3Client,
  type CallerIdentity,
  CLIENTS_WITH_LONG_CALLS,
  type ContainerProviderResult,
  type CredentialUse,
  type FailureKind,
  nodeV2Client,
  POD_CLIENT_NAMES,
  type PodCallResult,
  type PodClient,
  type PodClientId,
  type PodClientName,
  podClientNamed,
  sdkProbeClient,
} from './pod-clients.ts';
export * from './pod-identity.ts';
export { noteForReport } from './report-note.ts';
export {
  type CaseContext,
  expectUnconfirmed,
  podClientFor,
  requireCapabilities,
  type SuiteRun,
  selectedPodClients,
  useSuiteRun,
} from './suite-run.ts';
