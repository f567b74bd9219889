// STS AssumeRoleWithWebIdentity (IRSA): an unsigned call whose token is verified as AWS does — the
// issuer must be an IAM OIDC provider of the account, the signature must check against the issuer's
// JWKS, the token must be current and its audience one of the provider's client IDs — and then the
// role's trust policy decides, for the principal Federated = the provider's ARN with the
// <provider-url>:sub / :aud condition keys.

import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { AwsError, validationError } from '../errors.ts';
import type { IamStore } from '../iam/store.ts';
import { type ContextValue, evaluatePolicies, type PolicyDocument } from '../policy/index.ts';
import type { PrincipalStore } from '../principals.ts';
import { isoSeconds } from '../query.ts';

export type Jwks = { keys: Array<Record<string, unknown>> };

/** Where STS gets an issuer's signing keys; real STS fetches <issuer>/.well-known/openid-configuration. */
export class OidcIssuerKeys {
  readonly #issuers = new Map<string, () => Jwks>();

  /** The keys are read on every verification: the issuer may rotate them. */
  register(issuer: string, jwks: () => Jwks): void {
    this.#issuers.set(issuer, jwks);
  }

  jwksFor(issuer: string): Jwks | undefined {
    return this.#issuers.get(issuer)?.();
  }
}

export interface WebIdentityOptions {
  iam: IamStore;
  principals: PrincipalStore;
  issuerKeys: OidcIssuerKeys;
  region: string;
  now: () => Date;
  /** webIdentityTrustIgnored (sim/sabotage.ts): the trust policy is not evaluated. */
  trustIgnored?: boolean;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/.*)?\/([\w+=,.@-]+)$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;

function invalidToken(message: string): AwsError {
  return new AwsError('InvalidIdentityToken', message, 400);
}

function readDuration(text: string | null, maxSessionDuration: number): number {
  if (text === null) return 3600;
  const seconds = Number(text);
  if (!Number.isInteger(seconds)) throw validationError('durationSeconds', text, 'Member must be an integer');
  if (seconds < 900)
    throw validationError('durationSeconds', text, 'Member must have value greater than or equal to 900');
  if (seconds > 43200)
    throw validationError('durationSeconds', text, 'Member must have value less than or equal to 43200');
  if (seconds > maxSessionDuration)
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      400,
    );
  return seconds;
}

export async function assumeRoleWithWebIdentity(
  params: URLSearchParams,
  sessionPolicies: PolicyDocument[],
  options: WebIdentityOptions,
): Promise<Record<string, unknown>> {
  const { iam, principals } = options;
  const roleArn = params.get('RoleArn') ?? '';
  if (!roleArn) throw validationError('roleArn', undefined, 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048)
    throw validationError('roleArn', roleArn, 'Member must have length between 20 and 2048');
  const sessionName = params.get('RoleSessionName');
  if (sessionName === null) throw validationError('roleSessionName', undefined, 'Member must not be null');
  if (sessionName.length < 2 || sessionName.length > 64 || !SESSION_NAME.test(sessionName))
    throw validationError(
      'roleSessionName',
      sessionName,
      'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const token = params.get('WebIdentityToken');
  // The token is a secret: never echoed in an error.
  if (token === null) throw validationError('webIdentityToken', undefined, 'Member must not be null');
  if (token.length < 4 || token.length > 20000)
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000",
      400,
    );

  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw invalidToken('Unable to parse the web identity token: it is not a JWT.');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const provider = issuer ? iam.oidcProviders.findByIssuer(issuer) : undefined;
  if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${issuer}`);
  const jwks = options.issuerKeys.jwksFor(issuer);
  if (!jwks)
    throw new AwsError(
      'IDPCommunicationError',
      "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
      400,
    );
  const now = options.now();
  try {
    await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer,
      algorithms: ['RS256'],
      currentDate: now,
    });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw new AwsError(
        'ExpiredTokenException',
        `Token expired: current date/time ${Math.floor(now.getTime() / 1000)} must be before the expiration date/time ${claims.exp}`,
        400,
      );
    throw invalidToken('The web identity token could not be verified with the issuer keys.');
  }
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  const audience = audiences.find((aud) => provider.clientIds.includes(aud));
  if (!audience) throw invalidToken('Incorrect token audience');
  const subject = typeof claims.sub === 'string' ? claims.sub : '';

  const denied = new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
  if (!ROLE_ARN.test(roleArn)) throw new AwsError('ValidationError', `${roleArn} is invalid`, 400);
  const role = iam.findVisibleRoleByArn(roleArn);
  if (!role) throw denied;
  const context: Record<string, ContextValue> = {
    [`${provider.url}:sub`]: subject,
    [`${provider.url}:aud`]: audience,
    'aws:FederatedProvider': provider.arn,
    'sts:RoleSessionName': sessionName,
    'aws:CurrentTime': isoSeconds(now),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SecureTransport': false,
    'aws:SourceIp': '127.0.0.1',
    'aws:RequestedRegion': options.region,
  };
  const trust = evaluatePolicies({
    request: {
      principal: { type: 'Federated', id: provider.arn },
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: role.arn,
      context,
    },
    identityPolicies: [],
    resourcePolicies: [role.trustPolicy.document],
  });
  if (trust.decision !== 'Allow' && !options.trustIgnored) throw denied;

  const durationSeconds = readDuration(params.get('DurationSeconds'), role.maxSessionDuration);
  const session = principals.createSession({
    issuedAt: now,
    expiresAt: new Date(now.getTime() + durationSeconds * 1000),
    roleArn: role.arn,
    roleName: role.roleName,
    roleId: role.roleId,
    sessionName,
    sessionTags: {},
    transitiveTagKeys: [],
    sessionPolicies,
    chained: false,
  });
  principals.pruneExpiredSessions(now);
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: isoSeconds(session.expiresAt),
    },
    SubjectFromWebIdentityToken: subject,
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${iam.accountId}:assumed-role/${role.roleName}/${sessionName}`,
    },
    Provider: issuer,
    Audience: audience,
  };
}
