// IAM's state: roles (trust policy, inline and attached policies, tags), customer managed policies, and
// users. Both the IAM Query API and the simulator itself (node roles, admin user) go through this store,
// so validation and AWS's error codes live here.

import { AwsError, validationError } from '../errors.ts';
import { newPolicyId, newRoleId, newUserId } from '../ids.ts';
import {
  AWS_MANAGED_POLICIES,
  type PolicyDocument,
  parsePolicyJson,
  validatePolicyDocument,
} from '../policy/index.ts';
import type { IamRoleView, IamView } from '../service.ts';
import { OidcProviderStore } from './oidc-providers.ts';

export interface Tag {
  Key: string;
  Value: string;
}

/** A policy as submitted (IAM returns the text it was given) and as parsed. */
export interface StoredPolicy {
  text: string;
  document: PolicyDocument;
  /** Epoch ms from which IAM enforces it (PutRolePolicy over the API with a propagation delay). */
  effectiveAt?: number;
}

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  trustPolicy: StoredPolicy;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundaryArn?: string;
  tags: Tag[];
  createDate: Date;
  /** Epoch ms from which GetRole, AssumeRole and EKS see the role (IAM propagation). */
  visibleAt: number;
  inlinePolicies: Map<string, StoredPolicy>;
  attachedPolicyArns: string[];
}

export interface IamManagedPolicy {
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  description?: string;
  createDate: Date;
  updateDate: Date;
  defaultVersion: { versionId: string; text: string; document: PolicyDocument; createDate: Date };
  tags: Tag[];
  awsManaged: boolean;
}

export interface IamUser {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createDate: Date;
  tags: Tag[];
  inlinePolicies: Map<string, StoredPolicy>;
  attachedPolicyArns: string[];
}

export type PolicyInput = string | PolicyDocument;

export interface CreateRoleInput {
  roleName: string;
  path?: string;
  assumeRolePolicyDocument: PolicyInput;
  description?: string;
  maxSessionDuration?: number;
  permissionsBoundary?: string;
  tags?: Tag[];
  /** Hide the role from GetRole/AssumeRole/EKS for this long (the API applies the configured delay). */
  propagationDelayMs?: number;
}

export interface CreatePolicyInput {
  policyName: string;
  path?: string;
  policyDocument: PolicyInput;
  description?: string;
  tags?: Tag[];
}

export interface CreateUserInput {
  userName: string;
  path?: string;
  tags?: Tag[];
}

const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007e]+\/)$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_ARN_PATTERN = /^arn:aws:iam::(aws|\d{12}):policy(\/.*)?\/([\w+=,.@-]+)$/;
const MAX_TAGS = 50;

export function checkName(field: string, value: unknown, max: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw validationError(field, value, 'Member must not be null');
  if (value.length > max)
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
  if (!NAME_PATTERN.test(value))
    throw validationError(field, value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

export function checkPath(field: string, value: string): void {
  if (value.length > 512 || !PATH_PATTERN.test(value))
    throw validationError(
      field,
      value,
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
}

export function checkTags(tags: Tag[]): void {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (
      typeof tag.Key !== 'string' ||
      tag.Key.length < 1 ||
      tag.Key.length > 128 ||
      !TAG_PATTERN.test(tag.Key)
    )
      throw validationError(
        'tags.member.key',
        tag.Key,
        'Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    if (typeof tag.Value !== 'string' || tag.Value.length > 256 || !TAG_PATTERN.test(tag.Value))
      throw validationError(
        'tags.member.value',
        tag.Value,
        'Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    if (tag.Key.toLowerCase().startsWith('aws:'))
      throw new AwsError('InvalidInput', `The tag key '${tag.Key}' uses the reserved prefix 'aws:'.`, 400);
    const lower = tag.Key.toLowerCase();
    if (seen.has(lower))
      throw new AwsError(
        'InvalidInput',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
        400,
      );
    seen.add(lower);
  }
  if (tags.length > MAX_TAGS)
    throw new AwsError('LimitExceeded', 'The number of tags has reached the maximum limit.', 409);
}

/** Merge tags case-insensitively: a new tag replaces an existing one whose key differs only in case. */
function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const merged = existing.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  merged.push(...added.map((t) => ({ Key: t.Key, Value: t.Value })));
  if (merged.length > MAX_TAGS)
    throw new AwsError('LimitExceeded', 'The number of tags has reached the maximum limit.', 409);
  return merged;
}

/** Parse and validate a policy; MalformedPolicyDocument with IAM's message when it is not valid. */
export function parsePolicy(input: PolicyInput, kind: 'identity' | 'trust', field: string): StoredPolicy {
  if (input === undefined || input === null || input === '')
    throw validationError(field, undefined, 'Member must not be null');
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text.length > 131072)
    throw validationError(field, '...', 'Member must have length less than or equal to 131072');
  let value: unknown = input;
  if (typeof input === 'string') {
    const parsed = parsePolicyJson(input);
    if (!parsed.ok) throw new AwsError('MalformedPolicyDocument', parsed.message, 400);
    value = parsed.value;
  }
  const validated = validatePolicyDocument(value, kind);
  if (!validated.ok) throw new AwsError('MalformedPolicyDocument', validated.message, 400);
  return { text, document: validated.document };
}

/** Marker-based pagination as IAM does it: the marker is opaque to callers. */
export function paginate<T>(
  items: T[],
  keyOf: (item: T) => string,
  marker: string | undefined,
  maxItems: number | undefined,
): { page: T[]; isTruncated: boolean; nextMarker?: string } {
  let start = 0;
  if (marker !== undefined) {
    let after: string;
    try {
      after = Buffer.from(marker, 'base64url').toString('utf8');
    } catch {
      throw new AwsError('InvalidInput', 'Invalid Marker.', 400);
    }
    start = items.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = items.length;
  }
  const limit = maxItems ?? 100;
  const page = items.slice(start, start + limit);
  const isTruncated = start + limit < items.length;
  const nextMarker = isTruncated
    ? Buffer.from(keyOf(page[page.length - 1])).toString('base64url')
    : undefined;
  return { page, isTruncated, nextMarker };
}

export function checkMaxItems(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw validationError('maxItems', value, 'Member must have value between 1 and 1000');
  return n;
}

export class IamStore {
  readonly accountId: string;
  private readonly now: () => Date;
  private readonly roles = new Map<string, IamRole>();
  private readonly policies = new Map<string, IamManagedPolicy>();
  private readonly users = new Map<string, IamUser>();
  /** OpenID Connect providers (IRSA's issuers). */
  readonly oidcProviders: OidcProviderStore;

  constructor(accountId: string, now: () => Date = () => new Date()) {
    this.accountId = accountId;
    this.now = now;
    this.oidcProviders = new OidcProviderStore(accountId, now);
    const epoch = new Date('2015-02-06T18:40:00Z');
    for (const [name, managed] of Object.entries(AWS_MANAGED_POLICIES)) {
      const text = JSON.stringify(managed.document, null, 4);
      this.policies.set(managed.arn, {
        arn: managed.arn,
        policyName: name,
        policyId: newPolicyId(),
        path: '/',
        createDate: epoch,
        updateDate: epoch,
        defaultVersion: { versionId: 'v1', text, document: managed.document, createDate: epoch },
        tags: [],
        awsManaged: true,
      });
    }
  }

  // ---- roles ----

  roleArn(path: string, roleName: string): string {
    return `arn:aws:iam::${this.accountId}:role${path}${roleName}`;
  }

  createRole(input: CreateRoleInput): IamRole {
    checkName('roleName', input.roleName, 64);
    const path = input.path ?? '/';
    checkPath('path', path);
    if (input.description !== undefined && input.description.length > 1000)
      throw validationError(
        'description',
        input.description,
        'Member must have length less than or equal to 1000',
      );
    const maxSessionDuration = input.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200)
      throw validationError(
        'maxSessionDuration',
        input.maxSessionDuration,
        'Member must have value between 3600 and 43200',
      );
    const tags = input.tags ?? [];
    checkTags(tags);
    const trustPolicy = parsePolicy(input.assumeRolePolicyDocument, 'trust', 'assumeRolePolicyDocument');
    if (input.permissionsBoundary !== undefined) this.requirePolicy(input.permissionsBoundary);
    const key = input.roleName.toLowerCase();
    if (this.roles.has(key))
      throw new AwsError('EntityAlreadyExists', `Role with name ${input.roleName} already exists.`, 409);
    const createDate = this.now();
    const role: IamRole = {
      roleName: input.roleName,
      roleId: newRoleId(),
      arn: this.roleArn(path, input.roleName),
      path,
      trustPolicy,
      description: input.description,
      maxSessionDuration,
      permissionsBoundaryArn: input.permissionsBoundary,
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      createDate,
      visibleAt: createDate.getTime() + Math.max(0, input.propagationDelayMs ?? 0),
      inlinePolicies: new Map(),
      attachedPolicyArns: [],
    };
    this.roles.set(key, role);
    return role;
  }

  /** The role, whether or not it has propagated yet. */
  findRole(roleName: string): IamRole | undefined {
    return typeof roleName === 'string' ? this.roles.get(roleName.toLowerCase()) : undefined;
  }

  isVisible(role: IamRole): boolean {
    return this.now().getTime() >= role.visibleAt;
  }

  /** NoSuchEntity when absent, or (with `visibleOnly`) while it is still propagating. */
  getRole(roleName: string, options: { visibleOnly?: boolean } = {}): IamRole {
    checkName('roleName', roleName, 64);
    const role = this.findRole(roleName);
    if (!role || (options.visibleOnly && !this.isVisible(role)))
      throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found.`, 404);
    return role;
  }

  /** The visible role with exactly this ARN (path included). */
  findVisibleRoleByArn(arn: string): IamRole | undefined {
    const match = /^arn:aws:iam::(\d{12}):role(\/.*)?\/([\w+=,.@-]+)$/.exec(arn);
    if (!match || match[1] !== this.accountId) return undefined;
    const role = this.findRole(match[3]);
    return role && role.arn === arn && this.isVisible(role) ? role : undefined;
  }

  listRoles(pathPrefix = '/'): IamRole[] {
    return [...this.roles.values()]
      .filter((r) => r.path.startsWith(pathPrefix))
      .sort((a, b) => compareNames(a.roleName, b.roleName));
  }

  deleteRole(roleName: string): void {
    const role = this.getRole(roleName);
    if (role.inlinePolicies.size > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    if (role.attachedPolicyArns.length > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    this.roles.delete(role.roleName.toLowerCase());
  }

  updateAssumeRolePolicy(roleName: string, document: PolicyInput): void {
    const role = this.getRole(roleName);
    role.trustPolicy = parsePolicy(document, 'trust', 'policyDocument');
  }

  updateRole(roleName: string, fields: { description?: string; maxSessionDuration?: number }): void {
    const role = this.getRole(roleName);
    if (fields.maxSessionDuration !== undefined) {
      const d = fields.maxSessionDuration;
      if (!Number.isInteger(d) || d < 3600 || d > 43200)
        throw validationError('maxSessionDuration', d, 'Member must have value between 3600 and 43200');
      role.maxSessionDuration = d;
    }
    if (fields.description !== undefined) role.description = fields.description;
  }

  tagRole(roleName: string, tags: Tag[]): void {
    const role = this.getRole(roleName);
    checkTags(tags);
    role.tags = mergeTags(role.tags, tags);
  }

  untagRole(roleName: string, tagKeys: string[]): void {
    const role = this.getRole(roleName);
    const remove = new Set(tagKeys.map((k) => k.toLowerCase()));
    role.tags = role.tags.filter((t) => !remove.has(t.Key.toLowerCase()));
  }

  /** `propagationDelayMs`: IAM enforces the new document only after it (eventual consistency). */
  putRolePolicy(roleName: string, policyName: string, document: PolicyInput, propagationDelayMs = 0): void {
    const role = this.getRole(roleName);
    checkName('policyName', policyName, 128);
    const policy = parsePolicy(document, 'identity', 'policyDocument');
    if (propagationDelayMs > 0) policy.effectiveAt = this.now().getTime() + propagationDelayMs;
    role.inlinePolicies.set(policyName, policy);
  }

  getRolePolicy(roleName: string, policyName: string): StoredPolicy {
    const role = this.getRole(roleName);
    checkName('policyName', policyName, 128);
    const policy = role.inlinePolicies.get(policyName);
    if (!policy)
      throw new AwsError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    return policy;
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    this.getRolePolicy(roleName, policyName);
    this.getRole(roleName).inlinePolicies.delete(policyName);
  }

  attachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    this.attach(role.attachedPolicyArns, policyArn);
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    role.attachedPolicyArns = this.detach(role.attachedPolicyArns, policyArn);
  }

  // ---- managed policies ----

  policyArn(path: string, policyName: string): string {
    return `arn:aws:iam::${this.accountId}:policy${path}${policyName}`;
  }

  createPolicy(input: CreatePolicyInput): IamManagedPolicy {
    checkName('policyName', input.policyName, 128);
    const path = input.path ?? '/';
    checkPath('path', path);
    const tags = input.tags ?? [];
    checkTags(tags);
    const stored = parsePolicy(input.policyDocument, 'identity', 'policyDocument');
    const arn = this.policyArn(path, input.policyName);
    const duplicate = [...this.policies.values()].some(
      (p) => !p.awsManaged && p.policyName.toLowerCase() === input.policyName.toLowerCase(),
    );
    if (duplicate)
      throw new AwsError(
        'EntityAlreadyExists',
        `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`,
        409,
      );
    const now = this.now();
    const policy: IamManagedPolicy = {
      arn,
      policyName: input.policyName,
      policyId: newPolicyId(),
      path,
      description: input.description,
      createDate: now,
      updateDate: now,
      defaultVersion: { versionId: 'v1', ...stored, createDate: now },
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      awsManaged: false,
    };
    this.policies.set(arn, policy);
    return policy;
  }

  getPolicy(policyArn: string): IamManagedPolicy {
    this.checkPolicyArn(policyArn);
    const policy = this.policies.get(policyArn);
    if (!policy) throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`, 404);
    return policy;
  }

  deletePolicy(policyArn: string): void {
    const policy = this.getPolicy(policyArn);
    if (policy.awsManaged)
      throw new AwsError(
        'InvalidInput',
        `Policy ${policyArn} is an AWS managed policy and cannot be deleted.`,
        400,
      );
    if (this.attachmentCount(policyArn) > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    this.policies.delete(policyArn);
  }

  listPolicies(
    scope: 'All' | 'AWS' | 'Local',
    onlyAttached: boolean,
    pathPrefix: string,
  ): IamManagedPolicy[] {
    return [...this.policies.values()]
      .filter((p) => scope === 'All' || (scope === 'AWS') === p.awsManaged)
      .filter((p) => !onlyAttached || this.attachmentCount(p.arn) > 0)
      .filter((p) => p.path.startsWith(pathPrefix))
      .sort((a, b) => compareNames(a.policyName, b.policyName));
  }

  attachmentCount(policyArn: string): number {
    let count = 0;
    for (const role of this.roles.values()) if (role.attachedPolicyArns.includes(policyArn)) count++;
    for (const user of this.users.values()) if (user.attachedPolicyArns.includes(policyArn)) count++;
    return count;
  }

  private checkPolicyArn(policyArn: string): void {
    if (typeof policyArn !== 'string' || policyArn.length < 20)
      throw validationError('policyArn', policyArn, 'Member must have length greater than or equal to 20');
    if (!POLICY_ARN_PATTERN.test(policyArn))
      throw new AwsError('InvalidInput', `ARN ${policyArn} is not valid.`, 400);
  }

  private requirePolicy(policyArn: string): IamManagedPolicy {
    this.checkPolicyArn(policyArn);
    const policy = this.policies.get(policyArn);
    if (!policy)
      throw new AwsError('NoSuchEntity', `Policy ${policyArn} does not exist or is not attachable.`, 404);
    return policy;
  }

  private attach(list: string[], policyArn: string): void {
    this.requirePolicy(policyArn);
    if (list.includes(policyArn)) return;
    if (list.length >= 20)
      throw new AwsError('LimitExceeded', 'Cannot exceed quota for PoliciesPerRole: 20', 409);
    list.push(policyArn);
  }

  private detach(list: string[], policyArn: string): string[] {
    this.checkPolicyArn(policyArn);
    if (!list.includes(policyArn))
      throw new AwsError('NoSuchEntity', `Policy ${policyArn} was not found.`, 404);
    return list.filter((arn) => arn !== policyArn);
  }

  /** The documents of a list of attached policy ARNs (a deleted policy contributes nothing). */
  private attachedDocuments(arns: string[]): PolicyDocument[] {
    const documents: PolicyDocument[] = [];
    for (const arn of arns) {
      const policy = this.policies.get(arn);
      if (policy) documents.push(policy.defaultVersion.document);
    }
    return documents;
  }

  /** Managed policy documents for session PolicyArns; NoSuchEntity-free: unknown ARNs are invalid input. */
  managedPolicyDocument(policyArn: string): PolicyDocument {
    return this.requirePolicy(policyArn).defaultVersion.document;
  }

  roleIdentityPolicies(role: IamRole): PolicyDocument[] {
    const now = this.now().getTime();
    return [
      ...[...role.inlinePolicies.values()].filter((p) => (p.effectiveAt ?? 0) <= now).map((p) => p.document),
      ...this.attachedDocuments(role.attachedPolicyArns),
    ];
  }

  // ---- users ----

  createUser(input: CreateUserInput): IamUser {
    checkName('userName', input.userName, 64);
    const path = input.path ?? '/';
    checkPath('path', path);
    const tags = input.tags ?? [];
    checkTags(tags);
    const key = input.userName.toLowerCase();
    if (this.users.has(key))
      throw new AwsError('EntityAlreadyExists', `User with name ${input.userName} already exists.`, 409);
    const user: IamUser = {
      userName: input.userName,
      userId: newUserId(),
      arn: `arn:aws:iam::${this.accountId}:user${path}${input.userName}`,
      path,
      createDate: this.now(),
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      inlinePolicies: new Map(),
      attachedPolicyArns: [],
    };
    this.users.set(key, user);
    return user;
  }

  findUser(userName: string): IamUser | undefined {
    return this.users.get(userName.toLowerCase());
  }

  getUser(userName: string): IamUser {
    checkName('userName', userName, 64);
    const user = this.findUser(userName);
    if (!user) throw new AwsError('NoSuchEntity', `The user with name ${userName} cannot be found.`, 404);
    return user;
  }

  listUsers(pathPrefix = '/'): IamUser[] {
    return [...this.users.values()]
      .filter((u) => u.path.startsWith(pathPrefix))
      .sort((a, b) => compareNames(a.userName, b.userName));
  }

  /** `hasAccessKeys` comes from the principal store, which owns access keys. */
  deleteUser(userName: string, hasAccessKeys: boolean): void {
    const user = this.getUser(userName);
    if (hasAccessKeys)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete access keys first.', 409);
    if (user.inlinePolicies.size > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    if (user.attachedPolicyArns.length > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    this.users.delete(user.userName.toLowerCase());
  }

  putUserPolicy(userName: string, policyName: string, document: PolicyInput): void {
    const user = this.getUser(userName);
    checkName('policyName', policyName, 128);
    user.inlinePolicies.set(policyName, parsePolicy(document, 'identity', 'policyDocument'));
  }

  getUserPolicy(userName: string, policyName: string): StoredPolicy {
    const user = this.getUser(userName);
    checkName('policyName', policyName, 128);
    const policy = user.inlinePolicies.get(policyName);
    if (!policy)
      throw new AwsError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`, 404);
    return policy;
  }

  deleteUserPolicy(userName: string, policyName: string): void {
    this.getUserPolicy(userName, policyName);
    this.getUser(userName).inlinePolicies.delete(policyName);
  }

  attachUserPolicy(userName: string, policyArn: string): void {
    this.attach(this.getUser(userName).attachedPolicyArns, policyArn);
  }

  detachUserPolicy(userName: string, policyArn: string): void {
    const user = this.getUser(userName);
    user.attachedPolicyArns = this.detach(user.attachedPolicyArns, policyArn);
  }

  tagUser(userName: string, tags: Tag[]): void {
    const user = this.getUser(userName);
    checkTags(tags);
    user.tags = mergeTags(user.tags, tags);
  }

  userIdentityPolicies(user: IamUser): PolicyDocument[] {
    return [
      ...[...user.inlinePolicies.values()].map((p) => p.document),
      ...this.attachedDocuments(user.attachedPolicyArns),
    ];
  }

  // ---- read-only view for other services ----

  view(): IamView {
    const toView = (role: IamRole): IamRoleView => ({
      arn: role.arn,
      roleId: role.roleId,
      roleName: role.roleName,
      path: role.path,
      accountId: this.accountId,
      trustPolicy: role.trustPolicy.document,
      createDate: role.createDate,
    });
    return {
      getRoleByArn: (arn) => {
        const role = typeof arn === 'string' ? this.findVisibleRoleByArn(arn) : undefined;
        return role ? toView(role) : undefined;
      },
      getRoleByName: (name) => {
        const role = this.findRole(name);
        return role && this.isVisible(role) ? toView(role) : undefined;
      },
    };
  }
}

function compareNames(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}
