// What the runtime adds to a pod process's environment at spawn time (the stored pod keeps the real
// values). In a pod sandbox only AWS_ENDPOINT_URL (and per-service endpoints): the pod reaches the
// agent at its real link-local address. In fallback mode (host processes) also: the agent's link-local
// address becomes the loopback port the simulator's agent listens on, and IMDS is disabled so SDKs do
// not wait on a metadata service that host processes cannot reach.

import type { SpawnEnvHook } from '../kube/types.ts';

const AGENT_LINK_LOCAL_HOSTS = new Set(['169.254.170.23', '[fd00:ec2::23]']);

export interface AgentSpawnEnvOptions {
  /** Where the simulator's agent listens, e.g. http://127.0.0.1:PORT. */
  agentUrl: string;
  /** AWS_ENDPOINT_URL for pods: the simulator's AWS endpoint, or the external one (LocalStack). */
  awsEndpointUrl: string;
  /**
   * Per-service endpoints for pods, as AWS_ENDPOINT_URL_<SERVICE> (e.g. EKS and EKS_AUTH staying on
   * the simulator while AWS_ENDPOINT_URL points at LocalStack).
   */
  serviceEndpointUrls?: Record<string, string>;
  /** Pods run in a sandbox, where the agent's real address works: nothing but the endpoints is added. */
  sandboxed?: boolean;
}

export function createAgentSpawnEnvHook(options: AgentSpawnEnvOptions): SpawnEnvHook {
  const agent = new URL(options.agentUrl);
  return (env) => {
    const result = { ...env };
    const fullUri = result.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    if (fullUri && !options.sandboxed) {
      const mapped = mapAgentUri(fullUri, agent);
      if (mapped) result.AWS_CONTAINER_CREDENTIALS_FULL_URI = mapped;
    }
    result.AWS_ENDPOINT_URL ??= options.awsEndpointUrl;
    for (const [service, url] of Object.entries(options.serviceEndpointUrls ?? {})) {
      const name = `AWS_ENDPOINT_URL_${service.toUpperCase().replaceAll('-', '_')}`;
      result[name] ??= url;
    }
    if (!options.sandboxed) result.AWS_EC2_METADATA_DISABLED ??= 'true';
    return result;
  };
}

/** http://169.254.170.23/v1/credentials -> http://127.0.0.1:PORT/v1/credentials; other URIs unchanged. */
export function mapAgentUri(uri: string, agent: URL): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || !AGENT_LINK_LOCAL_HOSTS.has(parsed.hostname)) return undefined;
  if (parsed.port !== '' && parsed.port !== '80') return undefined;
  parsed.hostname = agent.hostname;
  parsed.port = agent.port;
  return parsed.toString();
}
