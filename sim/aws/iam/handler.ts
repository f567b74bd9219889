// IAM over the Query protocol (API version 2010-05-08): roles, inline and managed policies, users and
// their access keys. Every action is authorized against the caller's policies before it runs.

import type { Sabotage } from '../../sabotage.ts';
import { requestTagContext, resourceTagContext } from '../authorize.ts';
import { AwsError, validationError } from '../errors.ts';
import type { ContextValue } from '../policy/index.ts';
import type { PrincipalStore } from '../principals.ts';
import {
  invalidAction,
  isoSeconds,
  memberList,
  members,
  parseQueryRequest,
  queryResponse,
  stringList,
} from '../query.ts';
import type { CallerIdentity, ServiceContext, ServiceHandler, SignedRequest } from '../service.ts';
import { oidcProviderActions } from './oidc-providers.ts';
import {
  checkMaxItems,
  type IamManagedPolicy,
  type IamRole,
  type IamStore,
  type IamUser,
  paginate,
  type StoredPolicy,
  type Tag,
} from './store.ts';

export const IAM_API_VERSION = '2010-05-08';

export interface IamHandlerOptions {
  store: IamStore;
  principals: PrincipalStore;
  now: () => Date;
  /** Delay before a role created over the API is visible (faults.iamPropagationDelayMs). */
  propagationDelayMs: number;
  /** Deliberate defects for negative tests (sim/sabotage.ts). */
  sabotage?: Sabotage;
}

type Result = Record<string, unknown> | undefined;

interface ActionCall {
  params: URLSearchParams;
  caller: CallerIdentity;
  /** Authorize, then throw AccessDenied if denied. */
  require(action: string, resource: string, context?: Record<string, ContextValue>): void;
}

const encodePolicy = (policy: StoredPolicy): string => encodeURIComponent(policy.text);

function tagsXml(tags: Tag[]): { member: Tag[] } | '' {
  return members(tags.map((t) => ({ Key: t.Key, Value: t.Value })));
}

function roleXml(role: IamRole, detail: 'full' | 'list'): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: isoSeconds(role.createDate),
    AssumeRolePolicyDocument: encodePolicy(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    PermissionsBoundary: role.permissionsBoundaryArn
      ? {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: role.permissionsBoundaryArn,
        }
      : undefined,
    Tags: detail === 'full' && role.tags.length > 0 ? tagsXml(role.tags) : undefined,
    RoleLastUsed: detail === 'full' ? '' : undefined,
  };
}

function policyXml(policy: IamManagedPolicy, attachmentCount: number): Record<string, unknown> {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersion.versionId,
    AttachmentCount: attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: policy.description,
    CreateDate: isoSeconds(policy.createDate),
    UpdateDate: isoSeconds(policy.updateDate),
    Tags: policy.tags.length > 0 ? tagsXml(policy.tags) : undefined,
  };
}

function userXml(user: IamUser, withTags: boolean): Record<string, unknown> {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: isoSeconds(user.createDate),
    Tags: withTags && user.tags.length > 0 ? tagsXml(user.tags) : undefined,
  };
}

function readTags(params: URLSearchParams): Tag[] {
  return memberList(params, 'Tags').map((entry) => ({ Key: entry.Key ?? '', Value: entry.Value ?? '' }));
}

function optionalInt(params: URLSearchParams, name: string, field: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw validationError(field, raw, 'Member must be an integer');
  return n;
}

function required(params: URLSearchParams, name: string, field: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw validationError(field, undefined, 'Member must not be null');
  return value;
}

function pageXml<T>(
  items: T[],
  keyOf: (item: T) => string,
  params: URLSearchParams,
): { page: T[]; tail: Record<string, unknown> } {
  const { page, isTruncated, nextMarker } = paginate(
    items,
    keyOf,
    params.get('Marker') ?? undefined,
    checkMaxItems(params.get('MaxItems') ?? undefined),
  );
  return { page, tail: { IsTruncated: isTruncated, Marker: nextMarker } };
}

export function createIamHandler(options: IamHandlerOptions): ServiceHandler {
  const { store, principals } = options;
  const accountId = store.accountId;

  /** The role's ARN for authorization: with its path when it exists. */
  const roleResource = (roleName: string | null): { arn: string; context: Record<string, ContextValue> } => {
    const role = roleName ? store.findRole(roleName) : undefined;
    if (role) return { arn: role.arn, context: resourceTagContext(role.tags, 'iam') };
    return { arn: `arn:aws:iam::${accountId}:role/${roleName ?? ''}`, context: {} };
  };
  const userResource = (userName: string | null): { arn: string; context: Record<string, ContextValue> } => {
    const user = userName ? store.findUser(userName) : undefined;
    if (user) return { arn: user.arn, context: resourceTagContext(user.tags, 'iam') };
    return { arn: `arn:aws:iam::${accountId}:user/${userName ?? ''}`, context: {} };
  };
  const roleAction = (call: ActionCall, action: string, extra: Record<string, ContextValue> = {}): string => {
    const roleName = call.params.get('RoleName');
    const { arn, context } = roleResource(roleName);
    call.require(action, arn, { ...context, ...extra });
    return roleName ?? '';
  };
  const userAction = (call: ActionCall, action: string, extra: Record<string, ContextValue> = {}): string => {
    const userName = call.params.get('UserName');
    const { arn, context } = userResource(userName);
    call.require(action, arn, { ...context, ...extra });
    return userName ?? '';
  };

  const actions: Record<string, (call: ActionCall) => Result> = {
    CreateRole: (call) => {
      const { params } = call;
      const tags = readTags(params);
      const roleName = params.get('RoleName') ?? '';
      const path = params.get('Path') ?? '/';
      call.require(
        'iam:CreateRole',
        `arn:aws:iam::${accountId}:role${path}${roleName}`,
        requestTagContext(tags),
      );
      const role = store.createRole({
        roleName,
        path,
        assumeRolePolicyDocument: params.get('AssumeRolePolicyDocument') ?? '',
        description: params.get('Description') ?? undefined,
        maxSessionDuration: optionalInt(params, 'MaxSessionDuration', 'maxSessionDuration'),
        permissionsBoundary: params.get('PermissionsBoundary') ?? undefined,
        tags,
        propagationDelayMs: options.propagationDelayMs,
      });
      return { Role: roleXml(role, 'full') };
    },
    GetRole: (call) => {
      const roleName = roleAction(call, 'iam:GetRole');
      return { Role: roleXml(store.getRole(roleName, { visibleOnly: true }), 'full') };
    },
    ListRoles: (call) => {
      call.require('iam:ListRoles', '*');
      const prefix = call.params.get('PathPrefix') ?? '/';
      const { page, tail } = pageXml(store.listRoles(prefix), (r) => r.roleName.toLowerCase(), call.params);
      return { Roles: members(page.map((r) => roleXml(r, 'list'))), ...tail };
    },
    DeleteRole: (call) => {
      const roleName = roleAction(call, 'iam:DeleteRole');
      if (!options.sabotage?.roleDeletesIgnored) store.deleteRole(roleName);
      return undefined;
    },
    UpdateAssumeRolePolicy: (call) => {
      const roleName = roleAction(call, 'iam:UpdateAssumeRolePolicy');
      store.updateAssumeRolePolicy(roleName, call.params.get('PolicyDocument') ?? '');
      return undefined;
    },
    UpdateRole: (call) => {
      const roleName = roleAction(call, 'iam:UpdateRole');
      store.updateRole(roleName, {
        description: call.params.get('Description') ?? undefined,
        maxSessionDuration: optionalInt(call.params, 'MaxSessionDuration', 'maxSessionDuration'),
      });
      return {};
    },
    TagRole: (call) => {
      const tags = readTags(call.params);
      const roleName = roleAction(call, 'iam:TagRole', requestTagContext(tags));
      store.tagRole(roleName, tags);
      return undefined;
    },
    UntagRole: (call) => {
      const keys = stringList(call.params, 'TagKeys');
      const roleName = roleAction(call, 'iam:UntagRole', { 'aws:TagKeys': keys });
      store.untagRole(roleName, keys);
      return undefined;
    },
    ListRoleTags: (call) => {
      const role = store.getRole(roleAction(call, 'iam:ListRoleTags'));
      const { page, tail } = pageXml(role.tags, (t) => t.Key.toLowerCase(), call.params);
      return { Tags: tagsXml(page), ...tail };
    },
    PutRolePolicy: (call) => {
      const roleName = roleAction(call, 'iam:PutRolePolicy');
      store.putRolePolicy(
        roleName,
        call.params.get('PolicyName') ?? '',
        required(call.params, 'PolicyDocument', 'policyDocument'),
        options.propagationDelayMs,
      );
      return undefined;
    },
    GetRolePolicy: (call) => {
      const roleName = roleAction(call, 'iam:GetRolePolicy');
      const policyName = call.params.get('PolicyName') ?? '';
      const policy = store.getRolePolicy(roleName, policyName);
      return {
        RoleName: store.getRole(roleName).roleName,
        PolicyName: policyName,
        PolicyDocument: encodePolicy(policy),
      };
    },
    DeleteRolePolicy: (call) => {
      store.deleteRolePolicy(roleAction(call, 'iam:DeleteRolePolicy'), call.params.get('PolicyName') ?? '');
      return undefined;
    },
    ListRolePolicies: (call) => {
      const role = store.getRole(roleAction(call, 'iam:ListRolePolicies'));
      const names = [...role.inlinePolicies.keys()].sort();
      const { page, tail } = pageXml(names, (n) => n, call.params);
      return { PolicyNames: members(page), ...tail };
    },
    AttachRolePolicy: (call) => {
      const policyArn = required(call.params, 'PolicyArn', 'policyArn');
      store.attachRolePolicy(
        roleAction(call, 'iam:AttachRolePolicy', { 'iam:PolicyARN': policyArn }),
        policyArn,
      );
      return undefined;
    },
    DetachRolePolicy: (call) => {
      const policyArn = required(call.params, 'PolicyArn', 'policyArn');
      store.detachRolePolicy(
        roleAction(call, 'iam:DetachRolePolicy', { 'iam:PolicyARN': policyArn }),
        policyArn,
      );
      return undefined;
    },
    ListAttachedRolePolicies: (call) => {
      const role = store.getRole(roleAction(call, 'iam:ListAttachedRolePolicies'));
      return listAttached(role.attachedPolicyArns, call.params);
    },
    CreatePolicy: (call) => {
      const { params } = call;
      const tags = readTags(params);
      const name = params.get('PolicyName') ?? '';
      const path = params.get('Path') ?? '/';
      call.require('iam:CreatePolicy', store.policyArn(path, name), requestTagContext(tags));
      const policy = store.createPolicy({
        policyName: name,
        path,
        policyDocument: required(params, 'PolicyDocument', 'policyDocument'),
        description: params.get('Description') ?? undefined,
        tags,
      });
      return { Policy: policyXml(policy, 0) };
    },
    GetPolicy: (call) => {
      const arn = required(call.params, 'PolicyArn', 'policyArn');
      call.require('iam:GetPolicy', arn);
      const policy = store.getPolicy(arn);
      return { Policy: policyXml(policy, store.attachmentCount(arn)) };
    },
    GetPolicyVersion: (call) => {
      const arn = required(call.params, 'PolicyArn', 'policyArn');
      const versionId = required(call.params, 'VersionId', 'versionId');
      call.require('iam:GetPolicyVersion', arn);
      const policy = store.getPolicy(arn);
      const version = policy.defaultVersion;
      if (version.versionId !== versionId)
        throw new AwsError(
          'NoSuchEntity',
          `Policy ${arn} version ${versionId} does not exist or is not attachable.`,
          404,
        );
      return {
        PolicyVersion: {
          Document: encodeURIComponent(version.text),
          VersionId: version.versionId,
          IsDefaultVersion: true,
          CreateDate: isoSeconds(version.createDate),
        },
      };
    },
    DeletePolicy: (call) => {
      const arn = required(call.params, 'PolicyArn', 'policyArn');
      call.require('iam:DeletePolicy', arn);
      store.deletePolicy(arn);
      return undefined;
    },
    ListPolicies: (call) => {
      call.require('iam:ListPolicies', '*');
      const scope = call.params.get('Scope') ?? 'All';
      if (scope !== 'All' && scope !== 'AWS' && scope !== 'Local')
        throw validationError('scope', scope, 'Member must satisfy enum value set: [All, AWS, Local]');
      const list = store.listPolicies(
        scope,
        call.params.get('OnlyAttached') === 'true',
        call.params.get('PathPrefix') ?? '/',
      );
      const { page, tail } = pageXml(list, (p) => p.arn.toLowerCase(), call.params);
      return {
        Policies: members(
          page.map((p) => ({ ...policyXml(p, store.attachmentCount(p.arn)), Tags: undefined })),
        ),
        ...tail,
      };
    },
    CreateUser: (call) => {
      const tags = readTags(call.params);
      const userName = call.params.get('UserName') ?? '';
      const path = call.params.get('Path') ?? '/';
      call.require(
        'iam:CreateUser',
        `arn:aws:iam::${accountId}:user${path}${userName}`,
        requestTagContext(tags),
      );
      return { User: userXml(store.createUser({ userName, path, tags }), true) };
    },
    GetUser: (call) => {
      let userName = call.params.get('UserName');
      if (!userName) {
        if (call.caller.kind === 'root')
          return {
            User: {
              Path: '/',
              UserName: '',
              UserId: accountId,
              Arn: call.caller.arn,
              CreateDate: isoSeconds(new Date(0)),
            },
          };
        if (call.caller.kind !== 'user')
          throw validationError(
            'userName',
            undefined,
            'Must specify userName when calling with non-User credentials',
          );
        userName = call.caller.arn.slice(call.caller.arn.lastIndexOf('/') + 1);
      }
      const { arn, context } = userResource(userName);
      call.require('iam:GetUser', arn, context);
      return { User: userXml(store.getUser(userName), true) };
    },
    ListUsers: (call) => {
      call.require('iam:ListUsers', '*');
      const list = store.listUsers(call.params.get('PathPrefix') ?? '/');
      const { page, tail } = pageXml(list, (u) => u.userName.toLowerCase(), call.params);
      return { Users: members(page.map((u) => userXml(u, false))), ...tail };
    },
    DeleteUser: (call) => {
      const userName = userAction(call, 'iam:DeleteUser');
      store.deleteUser(userName, principals.keysOfUser(userName).length > 0);
      return undefined;
    },
    TagUser: (call) => {
      const tags = readTags(call.params);
      store.tagUser(userAction(call, 'iam:TagUser', requestTagContext(tags)), tags);
      return undefined;
    },
    CreateAccessKey: (call) => {
      const user = store.getUser(selfOrNamedUser(call));
      const { context } = userResource(user.userName);
      call.require('iam:CreateAccessKey', user.arn, context);
      if (principals.keysOfUser(user.userName).length >= 2)
        throw new AwsError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
      const key = principals.createLongTermKey(
        { kind: 'user', userName: user.userName, userId: user.userId, arn: user.arn },
        options.now(),
      );
      return {
        AccessKey: {
          UserName: user.userName,
          AccessKeyId: key.accessKeyId,
          Status: key.status,
          SecretAccessKey: key.secretAccessKey,
          CreateDate: isoSeconds(key.createDate),
        },
      };
    },
    ListAccessKeys: (call) => {
      const user = store.getUser(selfOrNamedUser(call));
      call.require('iam:ListAccessKeys', user.arn);
      const keys = principals.keysOfUser(user.userName);
      return {
        AccessKeyMetadata: members(
          keys.map((k) => ({
            UserName: user.userName,
            AccessKeyId: k.accessKeyId,
            Status: k.status,
            CreateDate: isoSeconds(k.createDate),
          })),
        ),
        IsTruncated: false,
      };
    },
    DeleteAccessKey: (call) => {
      const user = store.getUser(selfOrNamedUser(call));
      call.require('iam:DeleteAccessKey', user.arn);
      const accessKeyId = required(call.params, 'AccessKeyId', 'accessKeyId');
      const owner = principals.getLongTermKey(accessKeyId)?.owner;
      if (owner?.kind !== 'user' || owner.userName.toLowerCase() !== user.userName.toLowerCase())
        throw new AwsError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`, 404);
      principals.deleteLongTermKey(accessKeyId);
      return undefined;
    },
    PutUserPolicy: (call) => {
      const userName = userAction(call, 'iam:PutUserPolicy');
      store.putUserPolicy(
        userName,
        call.params.get('PolicyName') ?? '',
        required(call.params, 'PolicyDocument', 'policyDocument'),
      );
      return undefined;
    },
    GetUserPolicy: (call) => {
      const userName = userAction(call, 'iam:GetUserPolicy');
      const policyName = call.params.get('PolicyName') ?? '';
      const policy = store.getUserPolicy(userName, policyName);
      return {
        UserName: store.getUser(userName).userName,
        PolicyName: policyName,
        PolicyDocument: encodePolicy(policy),
      };
    },
    DeleteUserPolicy: (call) => {
      store.deleteUserPolicy(userAction(call, 'iam:DeleteUserPolicy'), call.params.get('PolicyName') ?? '');
      return undefined;
    },
    AttachUserPolicy: (call) => {
      const policyArn = required(call.params, 'PolicyArn', 'policyArn');
      store.attachUserPolicy(
        userAction(call, 'iam:AttachUserPolicy', { 'iam:PolicyARN': policyArn }),
        policyArn,
      );
      return undefined;
    },
    DetachUserPolicy: (call) => {
      const policyArn = required(call.params, 'PolicyArn', 'policyArn');
      store.detachUserPolicy(
        userAction(call, 'iam:DetachUserPolicy', { 'iam:PolicyARN': policyArn }),
        policyArn,
      );
      return undefined;
    },
    ListAttachedUserPolicies: (call) => {
      const user = store.getUser(userAction(call, 'iam:ListAttachedUserPolicies'));
      return listAttached(user.attachedPolicyArns, call.params);
    },
    ...oidcProviderActions(store.oidcProviders, accountId),
  };

  function selfOrNamedUser(call: ActionCall): string {
    const named = call.params.get('UserName');
    if (named) return named;
    if (call.caller.kind === 'user') return call.caller.arn.slice(call.caller.arn.lastIndexOf('/') + 1);
    throw validationError(
      'userName',
      undefined,
      'Must specify userName when calling with non-User credentials',
    );
  }

  function listAttached(arns: string[], params: URLSearchParams): Record<string, unknown> {
    const prefix = params.get('PathPrefix') ?? '/';
    const attached = arns
      .map((arn) => store.getPolicy(arn))
      .filter((p) => p.path.startsWith(prefix))
      .sort((a, b) => (a.policyName < b.policyName ? -1 : 1));
    const { page, tail } = pageXml(attached, (p) => p.policyName, params);
    return {
      AttachedPolicies: members(page.map((p) => ({ PolicyName: p.policyName, PolicyArn: p.arn }))),
      ...tail,
    };
  }

  return async (req: SignedRequest, ctx: ServiceContext) => {
    const { action, version, params } = parseQueryRequest(req);
    const run = actions[action];
    if (!run || (version !== undefined && version !== IAM_API_VERSION))
      throw invalidAction(action, version ?? IAM_API_VERSION);
    const call: ActionCall = {
      params,
      caller: req.caller,
      require(iamAction, resource, context) {
        const result = ctx.authorize(req.caller, { action: iamAction, resource, context });
        if (!result.allowed) throw new AwsError('AccessDenied', result.message, 403);
      },
    };
    return queryResponse('iam', action, req.requestId, run(call));
  };
}
