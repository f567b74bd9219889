// The agent's own request checks, in its order (spec §2.3): the Host the pod called, then that a token
// is present, parses as a JWT (unverified: EKS Auth checks signatures) and has valid exp/nbf. Error
// messages follow golang-jwt v5, which the real agent uses.

export const AGENT_IPV4_HOST = '169.254.170.23';
export const AGENT_IPV6_HOST = 'fd00:ec2::23';
export const AGENT_TARGET_HOSTS = [AGENT_IPV4_HOST, AGENT_IPV6_HOST] as const;

export class AgentRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Strips the port and IPv6 brackets as the agent does (net.SplitHostPort, then brackets). */
export function normaliseHost(hostHeader: string): string {
  let host = hostHeader;
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  const colons = host.split(':').length - 1;
  if (colons === 1) host = host.slice(0, host.indexOf(':'));
  return host;
}

/**
 * 403 unless the Host is one of the agent's link-local addresses or one of `extraHosts` (the simulator
 * adds the loopback address it maps pods to). The message lists the real agent's fixed pair.
 */
export function validateTargetHost(hostHeader: string | undefined, extraHosts: readonly string[]): void {
  const host = normaliseHost(hostHeader ?? '');
  if ((AGENT_TARGET_HOSTS as readonly string[]).includes(host) || extraHosts.includes(host)) return;
  throw new AgentRequestError(
    403,
    `Access Denied. Called agent through invalid address, please use either [${AGENT_TARGET_HOSTS.join(' ')}] address not ${host}`,
  );
}

/** 400 when the token is missing, unparsable, expired or not yet valid. */
export function validateServiceAccountToken(token: string | undefined, now: Date): void {
  if (!token) throw new AgentRequestError(400, 'Service account token cannot be empty');
  let claims: Record<string, unknown>;
  try {
    claims = parseUnverified(token);
  } catch (error) {
    throw new AgentRequestError(400, `Service account token cannot be parsed: ${(error as Error).message}`);
  }
  const nowSeconds = now.getTime() / 1000;
  let problem: string | undefined;
  if (typeof claims.exp === 'number' && !(nowSeconds < claims.exp)) problem = 'token is expired';
  else if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) problem = 'token is not valid yet';
  if (problem) {
    throw new AgentRequestError(
      400,
      `Service account token failed basic claim validations: token has invalid claims: ${problem}`,
    );
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** jwt.ParseUnverified: three segments, base64url JSON header with alg, base64url JSON claims. */
function parseUnverified(token: string): Record<string, unknown> {
  const segments = token.split('.');
  if (segments.length !== 3)
    throw new Error('token is malformed: token contains an invalid number of segments');
  const header = decodeSegment(segments[0]!, 'header');
  const claims = decodeSegment(segments[1]!, 'claim');
  if (typeof header.alg !== 'string' || header.alg === '') {
    throw new Error('token is unverifiable: signing method (alg) is unspecified');
  }
  return claims;
}

function decodeSegment(segment: string, what: 'header' | 'claim'): Record<string, unknown> {
  if (!BASE64URL.test(segment)) throw new Error(`token is malformed: could not base64 decode ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`token is malformed: could not JSON decode ${what}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`token is malformed: could not JSON decode ${what}`);
  }
  return parsed as Record<string, unknown>;
}
