// The simulator's EKS Pod Identity Agent and the spawn-time environment mapping that points pods at it.

export { CredentialCache, type CredentialCacheOptions } from './credential-cache.ts';
export {
  type AssumeRoleForPodIdentity,
  createEksAuthClient,
  type EksAuthClientOptions,
  EksAuthResponseError,
  EksAuthUnreachableError,
  type PodCredentials,
} from './eks-auth-client.ts';
export { goRfc3339Nano } from './go-format.ts';
export {
  type AgentLogEntry,
  type PodIdentityAgent,
  type PodIdentityAgentOptions,
  startPodIdentityAgent,
} from './server.ts';
export { type AgentSpawnEnvOptions, createAgentSpawnEnvHook, mapAgentUri } from './spawn-env.ts';
export { AGENT_IPV4_HOST, AGENT_IPV6_HOST, normaliseHost } from './validation.ts';
