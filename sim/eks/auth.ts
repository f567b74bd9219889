// EKS Auth `AssumeRoleForPodIdentity` (signing name `eks-auth`): checks the caller (the node), the
// pod's service-account token (signature against the cluster's JWKS, issuer, audience, expiry), finds
// the association in effect for the token's service account, and assumes its role through STS over
// HTTP, with the six transitive session tags (or the association's session policy when tags are
// disabled), chaining to the target role when the association has one.

import { randomUUID } from 'node:crypto';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createLocalJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { ServiceHandler, SignedRequest } from '../aws/service.ts';
import type { Sabotage } from '../sabotage.ts';
import type { PodIdentityAssociation } from './associations.ts';
import type { EksCluster } from './cluster.ts';
import { epochSeconds } from './cluster.ts';
import type { EksControlPlane } from './control-plane.ts';
import {
  accessDenied,
  errorResponse,
  invalidParameter,
  invalidRequest,
  jsonResponse,
  resourceNotFound,
  ServiceError,
} from './errors.ts';
import { POD_IDENTITY_SERVICE_PRINCIPAL } from './roles.ts';
import { podIdentitySessionName } from './session-name.ts';

export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

/** The message EKS Auth gives when STS refuses the role (aws/eks-pod-identity-agent #139). */
export const EKS_CANNOT_ASSUME_ROLE_MESSAGE =
  'Unauthorized Exception! EKS does not have permissions to assume the associated role.';

/**
 * A simulator-only association tag: the credentials EKS Auth hands out for this association live this
 * many seconds (overriding `credentialLifetime.defaultSeconds`). EKS ignores it like any other tag.
 */
export const CREDENTIAL_LIFETIME_TAG = 'pod-identity-sim:credential-lifetime-seconds';
export const MIN_CREDENTIAL_LIFETIME_SECONDS = 2;
/** STS's default session duration, which EKS Auth asks for: shorter lifetimes are cut from it. */
export const MAX_CREDENTIAL_LIFETIME_SECONDS = 3600;

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
const JWT_SHAPE = /^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$/;

export interface EksAuthOptions {
  controlPlane: EksControlPlane;
  /** The STS endpoint roles are assumed through: the simulator's own, or an external one (LocalStack). */
  stsEndpoint: string;
  region: string;
  /**
   * What EKS Auth signs its AssumeRole calls with: service-principal credentials for
   * pods.eks.amazonaws.com on the simulator (the role's trust policy decides), or plain configured
   * credentials for an external endpoint.
   */
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** DurationSeconds asked of STS; default: STS's default. */
  sessionDurationSeconds?: number;
  /**
   * Shorter credentials than STS issues (SimOptions.credentialLifetimeSeconds, or the association's
   * CREDENTIAL_LIFETIME_TAG): the session STS returned is cut to that lifetime with `limitSession`.
   * Absent: the credentials live as long as STS made them (the external-AWS mode).
   */
  credentialLifetime?: {
    defaultSeconds?: number;
    limitSession(accessKeyId: string, expiresAt: Date): void;
  };
  now?: () => number;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

/** The pod and service account a verified token speaks for. */
export interface PodIdentitySubject {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podUid: string;
}

export function createEksAuthHandler(options: EksAuthOptions): ServiceHandler {
  const now = options.now ?? Date.now;
  const sts = new STSClient({
    region: options.region,
    endpoint: options.stsEndpoint,
    credentials: options.credentials,
    maxAttempts: 1,
  });
  return async (req, ctx) => {
    try {
      const clusterName = matchClusterName(req);
      const clusterArn = `arn:aws:eks:${options.controlPlane.region}:${options.controlPlane.accountId}:cluster/${clusterName}`;
      const decision = ctx.authorize(req.caller, {
        action: 'eks-auth:AssumeRoleForPodIdentity',
        resource: clusterArn,
      });
      if (!decision.allowed) throw accessDenied(decision.message, 400);
      const cluster = options.controlPlane.getCluster(clusterName);
      if (!cluster) throw resourceNotFound(`No cluster found for name: ${clusterName}.`);
      const token = readToken(req);
      const subject = await verifyPodIdentityToken(token, cluster, now());
      const association = cluster.associations.effectiveFor(subject.namespace, subject.serviceAccount);
      if (!association) {
        throw resourceNotFound(
          `No Pod Identity Association found for service account ${subject.serviceAccount} in namespace ${subject.namespace} of cluster ${cluster.name}`,
        );
      }
      const session = await assumeAssociationRoles(sts, options, cluster, association, subject);
      const expiration = limitLifetime(options, association, session, now());
      return jsonResponse(
        200,
        {
          subject: { namespace: subject.namespace, serviceAccount: subject.serviceAccount },
          audience: POD_IDENTITY_AUDIENCE,
          podIdentityAssociation: {
            associationArn: association.associationArn,
            associationId: association.associationId,
          },
          assumedRoleUser: {
            arn: session.AssumedRoleUser!.Arn!,
            assumeRoleId: session.AssumedRoleUser!.AssumedRoleId!,
          },
          credentials: {
            sessionToken: session.Credentials!.SessionToken!,
            secretAccessKey: session.Credentials!.SecretAccessKey!,
            accessKeyId: session.Credentials!.AccessKeyId!,
            expiration: Math.floor(epochSeconds(expiration)),
          },
        },
        req.requestId,
      );
    } catch (error) {
      if (error instanceof ServiceError) return errorResponse(error, req.requestId);
      return errorResponse(
        new ServiceError('InternalServerException', 500, `EKS Auth failed unexpectedly: ${String(error)}`),
        req.requestId,
      );
    }
  };
}

/** The credentials' expiration: STS's, or sooner when a shorter lifetime is configured for them. */
function limitLifetime(
  options: EksAuthOptions,
  association: PodIdentityAssociation,
  session: AssumeRoleCommandOutput,
  nowMs: number,
): Date {
  const issued = session.Credentials!.Expiration!;
  const limit = options.credentialLifetime;
  if (!limit) return issued;
  const seconds = lifetimeFromTag(association.tags[CREDENTIAL_LIFETIME_TAG]) ?? limit.defaultSeconds;
  if (seconds === undefined) return issued;
  // On a whole second: EKS Auth reports the expiration in epoch seconds.
  const expiresAt = new Date(Math.floor(nowMs / 1000) * 1000 + seconds * 1000);
  if (expiresAt >= issued) return issued;
  limit.limitSession(session.Credentials!.AccessKeyId!, expiresAt);
  return expiresAt;
}

/** The tag's lifetime when it is a whole number of seconds in range; anything else is ignored. */
function lifetimeFromTag(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds >= MIN_CREDENTIAL_LIFETIME_SECONDS && seconds <= MAX_CREDENTIAL_LIFETIME_SECONDS
    ? seconds
    : undefined;
}

function matchClusterName(req: SignedRequest): string {
  const segments = req.path.split('/').filter((s) => s !== '');
  if (
    req.method.toUpperCase() !== 'POST' ||
    segments.length !== 3 ||
    segments[0] !== 'clusters' ||
    segments[2] !== 'assume-role-for-pod-identity'
  ) {
    throw new ServiceError(
      'UnknownOperationException',
      404,
      `No EKS Auth operation matches ${req.method} ${req.path}`,
    );
  }
  const name = decodeURIComponent(segments[1]!);
  if (name.length > 100 || !CLUSTER_NAME.test(name)) {
    throw invalidParameter(
      `The cluster name ${name} is not valid: 1-100 characters matching [0-9A-Za-z][A-Za-z0-9-_]*`,
    );
  }
  return name;
}

function readToken(req: SignedRequest): string {
  let body: unknown;
  try {
    body = req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON');
  }
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token === '') throw invalidParameter('token is required');
  if (!JWT_SHAPE.test(token))
    throw new ServiceError('InvalidTokenException', 400, 'The token is not a valid JWT');
  return token;
}

const invalidToken = (reason: string) =>
  new ServiceError('InvalidTokenException', 400, `The service account token is invalid: ${reason}`);

/** Verifies a projected service-account token as EKS Auth does; throws the EKS Auth exception. */
export async function verifyPodIdentityToken(
  token: string,
  cluster: EksCluster,
  nowMs: number,
): Promise<PodIdentitySubject> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(cluster.kubernetes.jwks() as never), {
      algorithms: ['RS256'],
      issuer: cluster.kubernetes.issuer,
      audience: POD_IDENTITY_AUDIENCE,
      currentDate: new Date(nowMs),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      const exp = typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000) : undefined;
      throw new ServiceError(
        'ExpiredTokenException',
        400,
        `The token included in the request is expired: current date/time ${isoSeconds(new Date(nowMs))} must be before the expiration date/time ${exp ? isoSeconds(exp) : 'in the token'}.`,
      );
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === 'aud') throw invalidToken(`the audience is not ${POD_IDENTITY_AUDIENCE}`);
      if (error.claim === 'iss')
        throw invalidToken(`the issuer is not the cluster's issuer ${cluster.kubernetes.issuer}`);
      throw invalidToken(`claim ${error.claim} failed validation (${error.reason})`);
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      throw invalidToken('it is not signed by a key of the cluster');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      throw invalidToken('the signature does not verify');
    throw invalidToken('it could not be parsed as a signed JWT');
  }
  const kubernetes = payload['kubernetes.io'] as
    | { namespace?: string; serviceaccount?: { name?: string }; pod?: { name?: string; uid?: string } }
    | undefined;
  const namespace = kubernetes?.namespace;
  const serviceAccount = kubernetes?.serviceaccount?.name;
  if (
    !namespace ||
    !serviceAccount ||
    payload.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`
  ) {
    throw invalidToken('it is not a Kubernetes service account token');
  }
  const podName = kubernetes.pod?.name;
  const podUid = kubernetes.pod?.uid;
  if (!podName || !podUid)
    throw invalidToken('it is not bound to a pod (use the projected token of the pod)');
  return { namespace, serviceAccount, podName, podUid };
}

async function assumeAssociationRoles(
  sts: STSClient,
  options: EksAuthOptions,
  cluster: EksCluster,
  association: PodIdentityAssociation,
  subject: PodIdentitySubject,
): Promise<AssumeRoleCommandOutput> {
  const sessionName = podIdentitySessionName(cluster.name, subject.podName, randomUUID());
  const { sabotage } = options;
  const tagsDisabled = association.disableSessionTags && !sabotage?.disableSessionTagsIgnored;
  const tags =
    tagsDisabled || sabotage?.sessionTagsDropped
      ? undefined
      : [
          { Key: 'eks-cluster-arn', Value: cluster.arn },
          { Key: 'eks-cluster-name', Value: cluster.name },
          { Key: 'kubernetes-namespace', Value: subject.namespace },
          { Key: 'kubernetes-service-account', Value: subject.serviceAccount },
          { Key: 'kubernetes-pod-name', Value: subject.podName },
          { Key: 'kubernetes-pod-uid', Value: subject.podUid },
        ];
  // With a target role the session policy narrows only the target-role session.
  const sessionPolicy =
    association.disableSessionTags && !sabotage?.sessionPolicyIgnored ? association.policy : undefined;
  const first: AssumeRoleCommandInput = {
    RoleArn: sabotage?.agentServesRoleArn ?? association.roleArn,
    RoleSessionName: sessionName,
    DurationSeconds: options.sessionDurationSeconds,
    ...(tags ? { Tags: tags, TransitiveTagKeys: tags.map((t) => t.Key) } : {}),
    ...(sessionPolicy && !association.targetRoleArn ? { Policy: sessionPolicy } : {}),
  };
  const session = await callSts(sts, first);
  if (!association.targetRoleArn || sabotage?.targetRoleIgnored) return session;
  const chained = new STSClient({
    region: options.region,
    endpoint: options.stsEndpoint,
    maxAttempts: 1,
    credentials: {
      accessKeyId: session.Credentials!.AccessKeyId!,
      secretAccessKey: session.Credentials!.SecretAccessKey!,
      sessionToken: session.Credentials!.SessionToken!,
    },
  });
  try {
    // The six tags are transitive, so STS carries them into the chained session by itself.
    return await callSts(chained, {
      RoleArn: association.targetRoleArn,
      RoleSessionName: sessionName,
      ExternalId: association.externalId,
      DurationSeconds: options.sessionDurationSeconds,
      ...(sessionPolicy ? { Policy: sessionPolicy } : {}),
    });
  } finally {
    chained.destroy();
  }
}

async function callSts(sts: STSClient, input: AssumeRoleCommandInput): Promise<AssumeRoleCommandOutput> {
  let output: AssumeRoleCommandOutput;
  try {
    output = await sts.send(new AssumeRoleCommand(input));
  } catch (error) {
    throw mapStsError(error);
  }
  if (!output.Credentials?.AccessKeyId || !output.AssumedRoleUser?.Arn) {
    throw new ServiceError(
      'InternalServerException',
      500,
      'STS returned no credentials for the associated role',
    );
  }
  return output;
}

/** STS failures as EKS Auth reports them (spec §3.2). */
export function mapStsError(error: unknown): ServiceError {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as { message?: string }).message ?? String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  switch (name) {
    case 'AccessDenied':
    case 'AccessDeniedException':
      return accessDenied(EKS_CANNOT_ASSUME_ROLE_MESSAGE, 400);
    case 'Throttling':
    case 'ThrottlingException':
      return new ServiceError('ThrottlingException', 429, 'Rate exceeded while assuming the associated role');
    case 'PackedPolicyTooLarge':
    case 'PackedPolicyTooLargeException':
      return invalidParameter(
        `The session tags and policy are too large for STS (${message}); set disableSessionTags on the association`,
      );
    case 'MalformedPolicyDocument':
    case 'MalformedPolicyDocumentException':
      return invalidParameter(`The association's session policy was refused by STS: ${message}`);
    case 'RegionDisabledException':
      return invalidRequest(`STS is not activated in this region: ${message}`);
  }
  if (status === 503)
    return new ServiceError('ServiceUnavailableException', 503, 'STS is unavailable, retry later');
  return new ServiceError(
    'InternalServerException',
    500,
    `Assuming the associated role failed: ${name || message}`,
  );
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export { POD_IDENTITY_SERVICE_PRINCIPAL };
