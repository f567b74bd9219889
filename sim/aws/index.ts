// The simulator's AWS half: one SigV4-verified endpoint serving IAM, STS and S3, open to more services
// (EKS, EKS Auth) through registerService.

import type { Sabotage } from '../sabotage.ts';
import { Authorizer } from './authorize.ts';
import { AwsEndpoint, type AwsEndpoint as Endpoint, type RequestTiming } from './endpoint.ts';
import type { AwsProtocol } from './errors.ts';
import { type AwsFaultOptions, FaultInjector } from './faults.ts';
import { resolveHttpLimits } from './http-limits.ts';
import { createIamHandler } from './iam/handler.ts';
import { IamStore, type IamStore as IamStoreType } from './iam/store.ts';
import type { PolicyDocument } from './policy/index.ts';
import { PrincipalStore, type TemporaryCredentials } from './principals.ts';
import { createS3Handler } from './s3/handler.ts';
import { S3Store } from './s3/store.ts';
import type { CallerIdentity, ServiceContext, ServiceHandler } from './service.ts';
import { createStsHandler } from './sts/handler.ts';
import { type Jwks, OidcIssuerKeys } from './sts/web-identity.ts';

export type { RequestTiming } from './endpoint.ts';
export { AwsError, type AwsProtocol, renderError } from './errors.ts';
export type { AwsFaultOptions } from './faults.ts';
export type { IamRole, IamStore, Tag } from './iam/store.ts';
export type { TemporaryCredentials } from './principals.ts';
export type { S3Store } from './s3/store.ts';
export type * from './service.ts';

export const DEFAULT_ACCOUNT_ID = '111122223333';
export const DEFAULT_REGION = 'us-east-1';
/** The IAM user behind the admin credentials. */
export const ADMIN_USER_NAME = 'pod-identity-conformance-admin';

export interface AwsSimOptions {
  accountId?: string;
  region?: string;
  faults?: AwsFaultOptions;
  host?: string;
  port?: number;
  /** The simulator's clock (session expiry, propagation, clock-skew checks). Default: Date.now. */
  now?: () => Date;
  /** Largest S3 request body, in bytes (default 256 MiB); above it EntityTooLarge, unread. */
  maxRequestBytes?: number;
  /** Largest body of IAM, STS and the rest-json services, in bytes (default 1 MiB); above it 413. */
  maxApiRequestBytes?: number;
  /** Open connections per listener (default 1024); more are closed at once. */
  maxConnections?: number;
  /** Time to receive a request's headers (default 10 s); then 408 and the connection closed. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 300 s). */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this long (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** A connection without traffic for this long is closed (default 120 s). */
  idleTimeoutMs?: number;
  /** Server-side timing of each request (benchmarks). */
  onRequestTiming?: (timing: RequestTiming) => void;
  /** Unexpected errors inside a handler (answered with a 500). Default: one line on stderr. */
  onInternalError?: (error: unknown, where: string) => void;
  /** Deliberate defects for negative tests (sim/sabotage.ts); never set by targets. */
  sabotage?: Sabotage;
  /**
   * More accounts on the same endpoint, each with its own IAM, keys and admin user (for roles assumed
   * across accounts). S3 buckets are shared: there are no bucket policies to tell accounts apart.
   */
  otherAccountIds?: string[];
}

/** Another simulated account, as the handle shows it. */
export interface OtherAccount {
  accountId: string;
  /** Keys of that account's admin IAM user. Secret: never log. */
  adminCredentials: AccessKeyPair;
  iam: IamStoreType;
}

export interface AccessKeyPair {
  accessKeyId: string;
  /** Secret: never log. */
  secretAccessKey: string;
}

export interface RoleSessionOptions {
  sessionName: string;
  durationSeconds?: number;
  tags?: Record<string, string>;
  transitiveTagKeys?: string[];
}

export interface AwsSim {
  /** http://127.0.0.1:PORT, the endpoint for every service. */
  url: string;
  accountId: string;
  region: string;
  /** Keys of the admin IAM user (AdministratorAccess-equivalent inline policy). Secret: never log. */
  adminCredentials: AccessKeyPair;
  /** The accounts of `otherAccountIds`. */
  otherAccounts: OtherAccount[];
  /** Serves a connection accepted elsewhere (the simulated node's address, for pods). */
  acceptConnection(socket: import('node:net').Socket): void;
  /** Serve another service on this endpoint, routed by its SigV4 signing name. */
  registerService(signingName: string, handler: ServiceHandler, options?: { protocol?: AwsProtocol }): void;
  /** Long-term keys whose caller is the service principal (trust policies are evaluated for it). */
  createServicePrincipalCredentials(servicePrincipal: string): AccessKeyPair;
  /**
   * Credentials of a role session issued directly, without a trust check (as EC2 hands a node its
   * instance-profile role). The role must exist and be visible.
   */
  createRoleSessionCredentials(roleArn: string, options: RoleSessionOptions): TemporaryCredentials;
  /** Test hook: the session's credentials are expired from now on. */
  expireSession(accessKeyId: string): boolean;
  /** IRSA: STS verifies web identity tokens of `issuer` with these keys (read on every call). */
  registerOidcIssuer(issuer: string, jwks: () => Jwks): void;
  /** The session expires at `expiresAt` if that is sooner than STS gave it (short EKS Auth credentials). */
  limitSessionLifetime(accessKeyId: string, expiresAt: Date): boolean;
  context: ServiceContext;
  iam: IamStoreType;
  s3: S3Store;
  close(): Promise<void>;
}

const ADMIN_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

function byteLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`AWS simulator: ${name} must be a number of bytes, got ${value}.`);
  return value;
}

/** One simulated account: its IAM, its keys and sessions, its policy evaluation, its admin user. */
interface SimulatedAccount {
  accountId: string;
  iam: IamStore;
  principals: PrincipalStore;
  authorizer: Authorizer;
  adminKey: AccessKeyPair;
  context: ServiceContext;
}

function createAccount(
  accountId: string,
  region: string,
  now: () => Date,
  sabotage: Sabotage | undefined,
): SimulatedAccount {
  const iam = new IamStore(accountId, now);
  const principals = new PrincipalStore(accountId);
  const authorizer = new Authorizer({ accountId, region, iam, principals, now, sabotage });
  const admin = iam.createUser({ userName: ADMIN_USER_NAME, path: '/' });
  iam.putUserPolicy(admin.userName, 'AdministratorAccess', ADMIN_POLICY);
  const adminKey = principals.createLongTermKey(
    { kind: 'user', userName: admin.userName, userId: admin.userId, arn: admin.arn },
    now(),
  );
  const context: ServiceContext = {
    accountId,
    region,
    authorize: (caller, input) => authorizer.authorize(caller, input),
    iam: iam.view(),
  };
  return { accountId, iam, principals, authorizer, adminKey, context };
}

export async function startAwsSim(options: AwsSimOptions = {}): Promise<AwsSim> {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId))
    throw new Error(`AWS simulator: accountId must be 12 digits, got '${accountId}'.`);
  const region = options.region ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    throw new Error(`AWS simulator: '${region}' is not a region name (e.g. us-east-1).`);
  const now = options.now ?? (() => new Date());
  const faults = new FaultInjector(options.faults);
  const s3 = new S3Store(options.sabotage);
  const primary = createAccount(accountId, region, now, options.sabotage);
  const { iam, principals, adminKey, context } = primary;
  const others = new Map<string, SimulatedAccount>();
  for (const otherId of options.otherAccountIds ?? []) {
    if (!/^\d{12}$/.test(otherId) || otherId === accountId || others.has(otherId))
      throw new Error(`AWS simulator: other account ids must be 12 digits, distinct, got '${otherId}'.`);
    others.set(otherId, createAccount(otherId, region, now, options.sabotage));
  }
  const accounts = [primary, ...others.values()];
  const accountOf = (caller: CallerIdentity) => others.get(caller.accountId) ?? primary;
  /** The account holding an access key, for the endpoint's authentication. */
  const keys: Pick<PrincipalStore, 'resolve' | 'callerOf'> = {
    resolve: (accessKeyId) => {
      for (const account of accounts) {
        const resolved = account.principals.resolve(accessKeyId);
        if (resolved) return resolved;
      }
      return undefined;
    },
    callerOf: (resolved) => {
      const accessKeyId =
        resolved.kind === 'session' ? resolved.session.accessKeyId : resolved.key.accessKeyId;
      const owner = accounts.find((account) => account.principals.resolve(accessKeyId) !== undefined);
      return (owner ?? primary).principals.callerOf(resolved);
    },
  };
  const endpoint: Endpoint = new AwsEndpoint({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    principals: keys,
    faults,
    context,
    now,
    maxRequestBytes: byteLimit('maxRequestBytes', options.maxRequestBytes, 256 * 1024 * 1024),
    maxApiRequestBytes: byteLimit('maxApiRequestBytes', options.maxApiRequestBytes, 1024 * 1024),
    http: resolveHttpLimits({
      maxConnections: options.maxConnections,
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
    }),
    authorizeElapsedMs: () => accounts.reduce((sum, account) => sum + account.authorizer.elapsedMs, 0),
    onRequestTiming: options.onRequestTiming,
    onInternalError:
      options.onInternalError ??
      ((error, where) => {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`aws simulator: internal error in ${where}: ${message}\n`);
      }),
  });
  // IAM, STS and S3 answer each caller in its own account (its IAM, its policies).
  const perAccount = (make: (account: SimulatedAccount) => ServiceHandler): ServiceHandler => {
    const handlers = new Map(accounts.map((account) => [account.accountId, make(account)]));
    return (req) => {
      const account = accountOf(req.caller);
      return handlers.get(account.accountId)!(req, account.context);
    };
  };
  endpoint.register(
    'iam',
    perAccount((account) =>
      createIamHandler({
        store: account.iam,
        principals: account.principals,
        now,
        propagationDelayMs: faults.iamPropagationDelayMs,
        sabotage: options.sabotage,
      }),
    ),
  );
  const accountById = (id: string) => (id === accountId ? primary : others.get(id));
  const issuerKeys = new OidcIssuerKeys();
  const stsFor = (account: SimulatedAccount) =>
    createStsHandler({
      iam: account.iam,
      principals: account.principals,
      authorizer: account.authorizer,
      now,
      otherAccount: accountById,
      issuerKeys,
      region,
      webIdentityTrustIgnored: options.sabotage?.webIdentityTrustIgnored,
    });
  endpoint.register('sts', perAccount(stsFor));
  // Unsigned calls (AssumeRoleWithWebIdentity) have no caller: the role they name is the cluster account's.
  endpoint.registerUnsigned('sts', stsFor(primary).unsigned);
  const s3Handler = createS3Handler({ store: s3, region, now });
  endpoint.register(
    's3',
    perAccount(() => s3Handler),
  );
  const url = await endpoint.listen();

  return {
    url,
    accountId,
    region,
    adminCredentials: { accessKeyId: adminKey.accessKeyId, secretAccessKey: adminKey.secretAccessKey },
    otherAccounts: [...others.values()].map((account) => ({
      accountId: account.accountId,
      adminCredentials: {
        accessKeyId: account.adminKey.accessKeyId,
        secretAccessKey: account.adminKey.secretAccessKey,
      },
      iam: account.iam,
    })),
    acceptConnection: (socket) => endpoint.acceptConnection(socket),
    registerService(signingName, handler, serviceOptions) {
      endpoint.register(signingName, handler, serviceOptions?.protocol);
    },
    createServicePrincipalCredentials(servicePrincipal) {
      if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(servicePrincipal))
        throw new Error(
          `AWS simulator: '${servicePrincipal}' is not a service principal name (e.g. pods.eks.amazonaws.com).`,
        );
      const key = principals.createLongTermKey({ kind: 'service', servicePrincipal }, now());
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    },
    createRoleSessionCredentials(roleArn, sessionOptions) {
      const role = iam.findVisibleRoleByArn(roleArn);
      if (!role)
        throw new Error(
          `AWS simulator: cannot issue a session for ${roleArn}: no such role (or not yet propagated).`,
        );
      const issuedAt = now();
      const durationSeconds = sessionOptions.durationSeconds ?? 3600;
      const session = principals.createSession({
        issuedAt,
        expiresAt: new Date(issuedAt.getTime() + durationSeconds * 1000),
        roleArn: role.arn,
        roleName: role.roleName,
        roleId: role.roleId,
        sessionName: sessionOptions.sessionName,
        sessionTags: { ...(sessionOptions.tags ?? {}) },
        transitiveTagKeys: [...(sessionOptions.transitiveTagKeys ?? [])],
        sessionPolicies: [],
        chained: false,
      });
      return {
        accessKeyId: session.accessKeyId,
        secretAccessKey: session.secretAccessKey,
        sessionToken: session.sessionToken,
        expiration: session.expiresAt,
      };
    },
    expireSession: (accessKeyId) => principals.expireSession(accessKeyId, now()),
    registerOidcIssuer: (issuer, jwks) => issuerKeys.register(issuer, jwks),
    limitSessionLifetime: (accessKeyId, expiresAt) =>
      accounts.some((account) => account.principals.limitSessionLifetime(accessKeyId, expiresAt)),
    context,
    iam,
    s3,
    close: () => endpoint.close(),
  };
}
