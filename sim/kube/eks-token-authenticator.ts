// EKS bearer tokens, as the EKS API server authenticates them: `k8s-aws-v1.` + base64url (no padding)
// of a presigned STS GetCallerIdentity URL whose signature covers the `x-k8s-aws-id: <cluster>` header.
// The URL is checked the way aws-iam-authenticator checks it (host, path, allowed parameters, action,
// signed cluster header, X-Amz-Expires 0..900, X-Amz-Date at most 15 minutes old), then called with the
// cluster's own name in the header: STS answers only if the signature, and so the cluster, matches.
// The principal that created the cluster is its administrator (bootstrapClusterCreatorAdminPermissions);
// any other principal has no access entry and is refused with 401, as EKS does.

import { XMLParser } from 'fast-xml-parser';
import type { AuthenticatedUser } from './resources/authentication.ts';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** A token is accepted for this long after its X-Amz-Date, whatever X-Amz-Expires says. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const MAX_TOKEN_LENGTH = 4 * 1024;
const ALLOWED_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const CACHE_LIMIT = 256;
const STS_TIMEOUT_MS = 10_000;

/** Returns the user a bearer token authenticates, undefined when the token is not of its kind. */
export type TokenAuthenticator = (token: string) => Promise<AuthenticatedUser | undefined>;

export interface EksTokenIdentity {
  arn: string;
  /** The IAM form of the ARN: assumed-role sessions become their role's ARN. */
  canonicalArn: string;
  accountId: string;
  userId: string;
  sessionName?: string;
  accessKeyId: string;
}

export type EksTokenVerdict =
  | {
      ok: true;
      identity: EksTokenIdentity /** Epoch ms after which the token is refused. */;
      validUntil: number;
    }
  | { ok: false; reason: string };

export interface EksTokenVerifierOptions {
  clusterName: string;
  /** The STS endpoint tokens must target (the simulator's own), e.g. http://127.0.0.1:PORT. */
  stsEndpoint: string;
  now?: () => Date;
}

function reject(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** arn:aws:sts::A:assumed-role/R/S -> arn:aws:iam::A:role/R; other ARNs are already canonical. */
export function canonicalPrincipalArn(arn: string): string {
  const assumed = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : arn;
}

/** The presigned URL inside an EKS token, checked for shape and freshness (no network). */
export function decodeEksToken(
  token: string,
  options: Pick<EksTokenVerifierOptions, 'stsEndpoint' | 'now'>,
): { ok: true; url: URL; accessKeyId: string; validUntil: number } | { ok: false; reason: string } {
  if (token.length > MAX_TOKEN_LENGTH) return reject('token is too large');
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return reject(`token is missing the "${EKS_TOKEN_PREFIX}" prefix`);
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return reject('token is not unpadded base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return reject('token does not hold a URL');
  }
  const expected = new URL(options.stsEndpoint);
  if (url.protocol !== expected.protocol || url.host !== expected.host) {
    return reject(
      `unexpected host ${url.protocol}//${url.host} in the presigned URL (expected ${expected.host})`,
    );
  }
  if (url.pathname !== '/') return reject('unexpected path in the presigned URL');
  const params = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!ALLOWED_PARAMETERS.has(key.toLowerCase())) return reject(`query parameter "${key}" is not allowed`);
    const values = url.searchParams.getAll(key);
    if (values.length !== 1) return reject(`query parameter "${key}" has more than one value`);
    params.set(key.toLowerCase(), values[0]!);
  }
  if (params.get('action') !== 'GetCallerIdentity')
    return reject('the presigned URL is not GetCallerIdentity');
  const signedHeaders = (params.get('x-amz-signedheaders') ?? '').split(';').map((h) => h.toLowerCase());
  if (!signedHeaders.includes(CLUSTER_ID_HEADER)) {
    return reject(`the ${CLUSTER_ID_HEADER} header is not signed in the presigned URL`);
  }
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900) {
    return reject(`invalid X-Amz-Expires ${params.get('x-amz-expires') ?? '(absent)'}`);
  }
  const signedAt = parseAmzDate(params.get('x-amz-date') ?? '');
  if (!signedAt) return reject('X-Amz-Date is absent or malformed');
  const now = (options.now ?? (() => new Date()))();
  const validUntil = signedAt.getTime() + EKS_TOKEN_LIFETIME_MS;
  if (now.getTime() > validUntil) {
    return reject(`X-Amz-Date ${params.get('x-amz-date')} is more than 15 minutes old`);
  }
  const accessKeyId = (params.get('x-amz-credential') ?? '').split('/')[0] ?? '';
  return { ok: true, url, accessKeyId, validUntil };
}

const xml = new XMLParser({ parseTagValue: false });

/** Verifies a token: shape, then STS GetCallerIdentity with the cluster's name in the signed header. */
export async function verifyEksToken(
  token: string,
  options: EksTokenVerifierOptions,
): Promise<EksTokenVerdict> {
  const decoded = decodeEksToken(token, options);
  if (!decoded.ok) return decoded;
  let response: Response;
  try {
    response = await fetch(decoded.url, {
      headers: { [CLUSTER_ID_HEADER]: options.clusterName },
      redirect: 'manual',
      signal: AbortSignal.timeout(STS_TIMEOUT_MS),
    });
  } catch (error) {
    return reject(`STS could not be called: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = await response.text();
  if (response.status !== 200) {
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? 'no error code';
    return reject(`STS answered ${response.status} (${code})`);
  }
  const result = (xml.parse(body) as Record<string, Record<string, Record<string, unknown>>>)
    .GetCallerIdentityResponse?.GetCallerIdentityResult;
  const arn = typeof result?.Arn === 'string' ? result.Arn : undefined;
  const userId = typeof result?.UserId === 'string' ? result.UserId : '';
  if (!arn) return reject('STS answered without an Arn');
  const [principalId, sessionName] = userId.split(':');
  return {
    ok: true,
    validUntil: decoded.validUntil,
    identity: {
      arn,
      canonicalArn: canonicalPrincipalArn(arn),
      accountId: String(result?.Account ?? ''),
      userId: principalId ?? '',
      ...(sessionName ? { sessionName } : {}),
      accessKeyId: decoded.accessKeyId,
    },
  };
}

export interface EksTokenAuthenticatorOptions extends EksTokenVerifierOptions {
  /** True for principals (canonical IAM ARNs) with cluster-admin access, such as the cluster's creator. */
  isClusterAdmin(canonicalArn: string): boolean;
  /** Why a token was refused (the client only ever sees 401 Unauthorized). */
  onRejected?(reason: string): void;
}

/**
 * Authenticates `k8s-aws-v1.` tokens; other tokens are left to the next authenticator (undefined).
 * Throws `refuse()` (the caller maps it to 401) for an EKS token that is invalid or whose principal has
 * no access to the cluster.
 */
export function createEksTokenAuthenticator(
  options: EksTokenAuthenticatorOptions,
  refuse: () => Error,
): TokenAuthenticator {
  // Verified tokens, until their 15 minutes are up: a token is sent with every request.
  const cache = new Map<string, { user: AuthenticatedUser; validUntil: number }>();
  const now = options.now ?? (() => new Date());
  return async (token) => {
    if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
    const cached = cache.get(token);
    if (cached && cached.validUntil > now().getTime()) return cached.user;
    cache.delete(token);
    const verdict = await verifyEksToken(token, options);
    if (!verdict.ok) {
      options.onRejected?.(verdict.reason);
      throw refuse();
    }
    const { identity } = verdict;
    if (!options.isClusterAdmin(identity.canonicalArn)) {
      options.onRejected?.(`${identity.arn} has no access entry for cluster ${options.clusterName}`);
      throw refuse();
    }
    const user: AuthenticatedUser = {
      username: identity.canonicalArn,
      uid: `aws-iam-authenticator:${identity.accountId}:${identity.userId}`,
      groups: ['system:authenticated'],
      extra: {
        accessKeyId: [identity.accessKeyId],
        arn: [identity.arn],
        canonicalArn: [identity.canonicalArn],
        principalId: [identity.userId],
        ...(identity.sessionName ? { sessionName: [identity.sessionName] } : {}),
      },
    };
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(token, { user, validUntil: verdict.validUntil });
    return user;
  };
}
