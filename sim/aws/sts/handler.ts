// STS over the Query protocol (API version 2011-06-15): GetCallerIdentity and AssumeRole with session
// tags, transitive tags, session policies, ExternalId and duration limits, checked against the role's
// trust policy.

import type { Authorizer } from '../authorize.ts';
import type { UnsignedHandler } from '../endpoint.ts';
import { AwsError, validationError } from '../errors.ts';
import type { IamRole, IamStore } from '../iam/store.ts';
import {
  type ContextValue,
  type PolicyDocument,
  parsePolicyJson,
  validatePolicyDocument,
} from '../policy/index.ts';
import type { PrincipalStore } from '../principals.ts';
import {
  invalidAction,
  isoSeconds,
  memberList,
  parseQueryRequest,
  queryResponse,
  stringList,
} from '../query.ts';
import type { CallerIdentity, ServiceHandler } from '../service.ts';
import { assumeRoleWithWebIdentity, type OidcIssuerKeys } from './web-identity.ts';

export const STS_API_VERSION = '2011-06-15';

export interface StsHandlerOptions {
  iam: IamStore;
  principals: PrincipalStore;
  authorizer: Authorizer;
  now: () => Date;
  /** IRSA: the issuers whose tokens AssumeRoleWithWebIdentity can verify. */
  issuerKeys?: OidcIssuerKeys;
  region?: string;
  webIdentityTrustIgnored?: boolean;
  /** The IAM and sessions of another simulated account, for roles assumed across accounts. */
  otherAccount?: (accountId: string) => { iam: IamStore; principals: PrincipalStore } | undefined;
}

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/.*)?\/([\w+=,.@-]+)$/;
const PACKED_LIMIT_BYTES = 2048;

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message, 400);
}

function checkLength(
  field: string,
  value: string,
  min: number,
  max: number,
  pattern?: RegExp,
  patternText?: string,
): void {
  if (value.length < min)
    throw validationError(field, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max)
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
  if (pattern && !pattern.test(value))
    throw validationError(field, value, `Member must satisfy regular expression pattern: ${patternText}`);
}

interface SessionTag {
  Key: string;
  Value: string;
}

function readSessionTags(params: URLSearchParams): SessionTag[] {
  const tags = memberList(params, 'Tags').map((entry) => ({
    Key: entry.Key ?? '',
    Value: entry.Value ?? '',
  }));
  if (tags.length > 50)
    throw validationError(
      'tags',
      `[${tags.length} tags]`,
      'Member must have length less than or equal to 50',
    );
  const seen = new Set<string>();
  for (const tag of tags) {
    checkLength('tags.member.key', tag.Key, 1, 128, TAG_TEXT, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    checkLength('tags.member.value', tag.Value, 0, 256, TAG_TEXT, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
    if (tag.Key.toLowerCase().startsWith('aws:'))
      throw invalidParameter(`Session tag keys cannot start with 'aws:' (${tag.Key}).`);
    if (seen.has(tag.Key.toLowerCase()))
      throw invalidParameter('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(tag.Key.toLowerCase());
  }
  return tags;
}

export function createStsHandler(options: StsHandlerOptions): ServiceHandler & { unsigned: UnsignedHandler } {
  const { iam, principals, authorizer } = options;

  function assumeRole(params: URLSearchParams, caller: CallerIdentity): Record<string, unknown> {
    const roleArn = params.get('RoleArn') ?? '';
    if (!roleArn) throw validationError('roleArn', undefined, 'Member must not be null');
    checkLength('roleArn', roleArn, 20, 2048);
    const sessionName = params.get('RoleSessionName');
    if (sessionName === null) throw validationError('roleSessionName', undefined, 'Member must not be null');
    checkLength('roleSessionName', sessionName, 2, 64, SESSION_NAME, '[\\w+=,.@-]*');
    const durationText = params.get('DurationSeconds');
    let durationSeconds = 3600;
    if (durationText !== null) {
      durationSeconds = Number(durationText);
      if (!Number.isInteger(durationSeconds))
        throw validationError('durationSeconds', durationText, 'Member must be an integer');
      if (durationSeconds < 900)
        throw validationError(
          'durationSeconds',
          durationText,
          'Member must have value greater than or equal to 900',
        );
      if (durationSeconds > 43200)
        throw validationError(
          'durationSeconds',
          durationText,
          'Member must have value less than or equal to 43200',
        );
    }
    const externalId = params.get('ExternalId') ?? undefined;
    if (externalId !== undefined)
      checkLength('externalId', externalId, 2, 1224, EXTERNAL_ID, '[\\w+=,.@:\\/-]*');
    const sourceIdentity = params.get('SourceIdentity') ?? undefined;
    if (sourceIdentity !== undefined)
      checkLength('sourceIdentity', sourceIdentity, 2, 64, SESSION_NAME, '[\\w+=,.@-]*');
    const tags = readSessionTags(params);
    const transitiveRequested = stringList(params, 'TransitiveTagKeys');
    for (const key of transitiveRequested) {
      if (!tags.some((t) => t.Key.toLowerCase() === key.toLowerCase()))
        throw invalidParameter(
          `The transitive tag key ${key} is not one of the session tags passed in the request.`,
        );
    }

    // Transitive tags of the calling session carry into the new one and cannot be changed.
    const inherited: SessionTag[] = [];
    if (caller.kind === 'assumed-role') {
      for (const key of caller.transitiveTagKeys) {
        const value = caller.sessionTags[key];
        if (value !== undefined) inherited.push({ Key: key, Value: value });
      }
    }
    for (const tag of tags) {
      const clash = inherited.find((t) => t.Key.toLowerCase() === tag.Key.toLowerCase());
      if (clash && clash.Value !== tag.Value)
        throw invalidParameter(
          `The session tag ${tag.Key} is transitive from the calling session and cannot be set to a different value.`,
        );
    }
    const requested = tags.filter((t) => !inherited.some((i) => i.Key.toLowerCase() === t.Key.toLowerCase()));
    const allTags = [...inherited, ...requested];

    const sessionPolicies = readSessionPolicies(params);

    const match = ROLE_ARN.exec(roleArn);
    const denied = (action: string) =>
      new AwsError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`,
        403,
      );
    if (!match) throw new AwsError('ValidationError', `${roleArn} is invalid`, 400);
    // The role's account keeps the role and the new session; the caller's policies are this account's.
    const home = match[1] === iam.accountId ? { iam, principals } : options.otherAccount?.(match[1]!);
    const role: IamRole | undefined = home?.iam.findVisibleRoleByArn(roleArn);
    if (!role) throw denied('sts:AssumeRole');

    const context: Record<string, ContextValue> = {
      'sts:RoleSessionName': sessionName,
      'aws:TagKeys': allTags.map((t) => t.Key),
    };
    for (const tag of allTags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
    if (externalId !== undefined) context['sts:ExternalId'] = externalId;
    if (sourceIdentity !== undefined) context['sts:SourceIdentity'] = sourceIdentity;
    if (transitiveRequested.length > 0) context['sts:TransitiveTagKeys'] = transitiveRequested;

    if (!authorizer.authorizeTrust(caller, role, { action: 'sts:AssumeRole', context }).allowed)
      throw denied('sts:AssumeRole');
    if (
      allTags.length > 0 &&
      !authorizer.authorizeTrust(caller, role, { action: 'sts:TagSession', context }).allowed
    )
      throw denied('sts:TagSession');
    if (
      sourceIdentity !== undefined &&
      !authorizer.authorizeTrust(caller, role, { action: 'sts:SetSourceIdentity', context }).allowed
    )
      throw denied('sts:SetSourceIdentity');

    const chained = caller.kind === 'assumed-role';
    if (chained && durationSeconds > 3600)
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        400,
      );
    if (durationSeconds > role.maxSessionDuration)
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        400,
      );

    const policyText = params.get('Policy') ?? '';
    const packedBytes =
      allTags.reduce((n, t) => n + Buffer.byteLength(t.Key) + Buffer.byteLength(t.Value), 0) +
      Buffer.byteLength(policyText.replace(/\s+/g, ''));
    const packedPolicySize = Math.ceil((packedBytes * 100) / PACKED_LIMIT_BYTES);
    if (packedPolicySize > 100)
      throw new AwsError(
        'PackedPolicyTooLarge',
        `Packed size of consumed session tags and policies exceeds the limit (${packedPolicySize}% of it).`,
        400,
      );

    const issuedAt = options.now();
    const transitive = new Map<string, string>();
    for (const tag of inherited) transitive.set(tag.Key.toLowerCase(), tag.Key);
    for (const key of transitiveRequested) {
      const tag = tags.find((t) => t.Key.toLowerCase() === key.toLowerCase());
      if (tag) transitive.set(tag.Key.toLowerCase(), tag.Key);
    }
    const session = home!.principals.createSession({
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + durationSeconds * 1000),
      roleArn: role.arn,
      roleName: role.roleName,
      roleId: role.roleId,
      sessionName,
      sessionTags: Object.fromEntries(allTags.map((t) => [t.Key, t.Value])),
      transitiveTagKeys: [...transitive.values()],
      sessionPolicies,
      chained,
      sourceIdentity,
    });
    home!.principals.pruneExpiredSessions(issuedAt);
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: isoSeconds(session.expiresAt),
      },
      AssumedRoleUser: {
        AssumedRoleId: `${role.roleId}:${sessionName}`,
        Arn: `arn:aws:sts::${home!.iam.accountId}:assumed-role/${role.roleName}/${sessionName}`,
      },
      PackedPolicySize: allTags.length > 0 || policyText ? packedPolicySize : undefined,
      SourceIdentity: sourceIdentity,
    };
  }

  function readSessionPolicies(params: URLSearchParams): PolicyDocument[] {
    const documents: PolicyDocument[] = [];
    const policyText = params.get('Policy');
    if (policyText !== null) {
      checkLength('policy', policyText, 1, 2048);
      const parsed = parsePolicyJson(policyText);
      if (!parsed.ok) throw new AwsError('MalformedPolicyDocument', parsed.message, 400);
      const validated = validatePolicyDocument(parsed.value, 'identity');
      if (!validated.ok) throw new AwsError('MalformedPolicyDocument', validated.message, 400);
      documents.push(validated.document);
    }
    const arns = memberList(params, 'PolicyArns').map((entry) => entry.arn ?? '');
    if (arns.length > 10)
      throw validationError(
        'policyArns',
        `[${arns.length} ARNs]`,
        'Member must have length less than or equal to 10',
      );
    for (const arn of arns) {
      try {
        documents.push(iam.managedPolicyDocument(arn));
      } catch {
        throw invalidParameter(`Managed session policy ${arn} does not exist or is not attachable.`);
      }
    }
    return documents;
  }

  const webIdentity = (params: URLSearchParams) => {
    if (!options.issuerKeys) throw invalidAction('AssumeRoleWithWebIdentity', STS_API_VERSION);
    return assumeRoleWithWebIdentity(params, readSessionPolicies(params), {
      iam,
      principals,
      issuerKeys: options.issuerKeys,
      region: options.region ?? 'us-east-1',
      now: options.now,
      trustIgnored: options.webIdentityTrustIgnored,
    });
  };

  // AssumeRoleWithWebIdentity is the one action AWS serves unsigned (its model's auth is noAuth).
  const unsigned: UnsignedHandler = async (req) => {
    const { action, version, params } = parseQueryRequest(req);
    if (action !== 'AssumeRoleWithWebIdentity') return undefined;
    if (version !== undefined && version !== STS_API_VERSION) throw invalidAction(action, version);
    return queryResponse('sts', action, req.requestId, await webIdentity(params));
  };

  const handler: ServiceHandler = async (req) => {
    const { action, version, params } = parseQueryRequest(req);
    if (version !== undefined && version !== STS_API_VERSION) throw invalidAction(action, version);
    switch (action) {
      case 'GetCallerIdentity':
        // Always allowed, even with an explicit deny (AWS documents no permission for it).
        return queryResponse('sts', action, req.requestId, {
          UserId: req.caller.userId,
          Account: req.caller.accountId,
          Arn: req.caller.arn,
        });
      case 'AssumeRole':
        return queryResponse('sts', action, req.requestId, assumeRole(params, req.caller));
      case 'AssumeRoleWithWebIdentity':
        return queryResponse('sts', action, req.requestId, await webIdentity(params));
      default:
        throw invalidAction(action, version ?? STS_API_VERSION);
    }
  };
  return Object.assign(handler, { unsigned });
}
