// The EKS control-plane REST/JSON API (signing name `eks`): clusters, the add-on operations (create,
// describe, list, update, delete, supported versions, and DescribeUpdate for add-on updates), and the
// five pod identity association operations with AWS's shapes, validation, errors and authorization
// (eks:<Operation> on the resource, iam:PassRole on the role).

import { evaluatePolicies } from '../aws/policy/index.ts';
import type { ServiceContext, ServiceHandler, ServiceResponse, SignedRequest } from '../aws/service.ts';
import { describeAddonVersions, RESOLVE_CONFLICTS } from './addons.ts';
import { accountOfArn, parseRoleArn } from './arns.ts';
import {
  ASSOCIATION_ID_PATTERN,
  type AssociationFilter,
  type PodIdentityAssociation,
  type UpdateAssociationInput,
} from './associations.ts';
import { type EksCluster, epochSeconds } from './cluster.ts';
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
import {
  POD_IDENTITY_SERVICE_PRINCIPAL,
  type PolicyEvaluator,
  type RoleDirectory,
  roleDirectoryFromIamView,
  trustAllowsPodIdentity,
} from './roles.ts';

export interface EksApiOptions {
  controlPlane: EksControlPlane;
  /** The IAM policy evaluator that checks role trust policies (default: the simulator's). */
  evaluatePolicies?: PolicyEvaluator;
  /** Where roles are looked up; default: the simulator's IAM as the request context shows it. */
  roleDirectory?: (ctx: ServiceContext) => RoleDirectory;
}

const MAX_TAGS = 50;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface Route {
  operation: string;
  params: Record<string, string>;
}

export function createEksApiHandler(options: EksApiOptions): ServiceHandler {
  const roleDirectory = options.roleDirectory ?? ((ctx: ServiceContext) => roleDirectoryFromIamView(ctx.iam));
  return async (req, ctx) => {
    try {
      const route = matchRoute(req);
      if (!route) {
        return errorResponse(
          new ServiceError(
            'UnknownOperationException',
            404,
            `No EKS operation matches ${req.method} ${req.path}`,
          ),
          req.requestId,
        );
      }
      const operations = new EksOperations(options, req, ctx, roleDirectory(ctx));
      return await operations.run(route);
    } catch (error) {
      if (error instanceof ServiceError) return errorResponse(error, req.requestId);
      return errorResponse(
        new ServiceError(
          'ServerException',
          500,
          `The simulator failed to handle ${req.method} ${req.path}: ${String(error)}`,
        ),
        req.requestId,
      );
    }
  };
}

function matchRoute(req: SignedRequest): Route | undefined {
  const segments = req.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const [root, name, collection, id, ...rest] = segments;
  const method = req.method.toUpperCase();
  if (root === 'addons' && name === 'supported-versions' && collection === undefined) {
    return method === 'GET' ? { operation: 'DescribeAddonVersions', params: {} } : undefined;
  }
  if (root !== 'clusters') return undefined;
  if (collection === 'addons' && id !== undefined && rest.length === 1 && rest[0] === 'update') {
    return method === 'POST'
      ? { operation: 'UpdateAddon', params: { name: name!, addonName: id } }
      : undefined;
  }
  if (rest.length > 0) return undefined;
  if (name === undefined) return method === 'GET' ? { operation: 'ListClusters', params: {} } : undefined;
  if (collection === undefined)
    return method === 'GET' ? { operation: 'DescribeCluster', params: { name } } : undefined;
  if (collection === 'addons') {
    if (id === undefined) {
      if (method === 'GET') return { operation: 'ListAddons', params: { name } };
      if (method === 'POST') return { operation: 'CreateAddon', params: { name } };
      return undefined;
    }
    if (method === 'GET') return { operation: 'DescribeAddon', params: { name, addonName: id } };
    if (method === 'DELETE') return { operation: 'DeleteAddon', params: { name, addonName: id } };
    return undefined;
  }
  if (collection === 'updates' && id !== undefined) {
    return method === 'GET' ? { operation: 'DescribeUpdate', params: { name, updateId: id } } : undefined;
  }
  if (collection === 'pod-identity-associations') {
    if (id === undefined) {
      if (method === 'POST') return { operation: 'CreatePodIdentityAssociation', params: { name } };
      if (method === 'GET') return { operation: 'ListPodIdentityAssociations', params: { name } };
      return undefined;
    }
    const params = { name, associationId: id };
    if (method === 'GET') return { operation: 'DescribePodIdentityAssociation', params };
    if (method === 'POST') return { operation: 'UpdatePodIdentityAssociation', params };
    if (method === 'DELETE') return { operation: 'DeletePodIdentityAssociation', params };
  }
  return undefined;
}

class EksOperations {
  readonly #options: EksApiOptions;
  readonly #req: SignedRequest;
  readonly #ctx: ServiceContext;
  readonly #roles: RoleDirectory;

  constructor(options: EksApiOptions, req: SignedRequest, ctx: ServiceContext, roles: RoleDirectory) {
    this.#options = options;
    this.#req = req;
    this.#ctx = ctx;
    this.#roles = roles;
  }

  get #controlPlane(): EksControlPlane {
    return this.#options.controlPlane;
  }

  async run(route: Route): Promise<ServiceResponse> {
    const { params } = route;
    switch (route.operation) {
      case 'ListClusters':
        return this.#listClusters();
      case 'DescribeCluster':
        return this.#describeCluster(params.name!);
      case 'ListAddons':
        return this.#listAddons(params.name!);
      case 'DescribeAddon':
        return this.#describeAddon(params.name!, params.addonName!);
      case 'CreateAddon':
        return this.#createAddon(params.name!);
      case 'UpdateAddon':
        return this.#updateAddon(params.name!, params.addonName!);
      case 'DeleteAddon':
        return this.#deleteAddon(params.name!, params.addonName!);
      case 'DescribeAddonVersions':
        return this.#describeAddonVersions();
      case 'DescribeUpdate':
        return this.#describeUpdate(params.name!, params.updateId!);
      case 'CreatePodIdentityAssociation':
        return this.#createAssociation(params.name!);
      case 'ListPodIdentityAssociations':
        return this.#listAssociations(params.name!);
      case 'DescribePodIdentityAssociation':
        return this.#describeAssociation(params.name!, params.associationId!);
      case 'UpdatePodIdentityAssociation':
        return this.#updateAssociation(params.name!, params.associationId!);
      case 'DeletePodIdentityAssociation':
        return this.#deleteAssociation(params.name!, params.associationId!);
      default:
        throw new ServiceError('UnknownOperationException', 404, `Unknown operation ${route.operation}`);
    }
  }

  #ok(body: unknown): ServiceResponse {
    return jsonResponse(200, body, this.#req.requestId);
  }

  #arnOf(resource: string): string {
    return `arn:aws:eks:${this.#controlPlane.region}:${this.#controlPlane.accountId}:${resource}`;
  }

  #authorize(action: string, resource: string, context?: Record<string, string | string[]>): void {
    const result = this.#ctx.authorize(this.#req.caller, { action, resource, context });
    if (!result.allowed) throw accessDenied(result.message, 403);
  }

  #cluster(name: string): EksCluster {
    const cluster = this.#controlPlane.getCluster(name);
    if (!cluster) throw resourceNotFound(`No cluster found for name: ${name}.`, { clusterName: name });
    return cluster;
  }

  #body(): Record<string, unknown> {
    if (this.#req.body.length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#req.body.toString('utf8'));
    } catch {
      throw invalidRequest('The request body is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw invalidRequest('The request body must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }

  #listClusters(): ServiceResponse {
    this.#authorize('eks:ListClusters', '*');
    const { maxResults, after } = this.#pageParams(100);
    const names = this.#controlPlane.clusterNames();
    const page = names.slice(after, after + maxResults);
    const next = after + page.length;
    return this.#ok({ clusters: page, ...(next < names.length ? { nextToken: encodeToken(next) } : {}) });
  }

  #describeCluster(name: string): ServiceResponse {
    this.#authorize('eks:DescribeCluster', this.#arnOf(`cluster/${name}`));
    return this.#ok({ cluster: this.#cluster(name).describe() });
  }

  #listAddons(name: string): ServiceResponse {
    this.#authorize('eks:ListAddons', this.#arnOf(`cluster/${name}`));
    const { maxResults, after } = this.#pageParams(100);
    const names = this.#cluster(name).addons.names();
    const page = names.slice(after, after + maxResults);
    const next = after + page.length;
    return this.#ok({ addons: page, ...(next < names.length ? { nextToken: encodeToken(next) } : {}) });
  }

  /** Add-on ARNs end in a UUID the caller cannot know before the call: policies match them by prefix. */
  #addonResource(name: string, addonName: string): string {
    return this.#arnOf(`addon/${name}/${addonName}/*`);
  }

  #describeAddon(name: string, addonName: string): ServiceResponse {
    this.#authorize('eks:DescribeAddon', this.#addonResource(name, addonName));
    const addon = this.#cluster(name).addons.describe(addonName);
    if (!addon) {
      throw resourceNotFound(`No addon: ${addonName} found in cluster: ${name}`, {
        clusterName: name,
        addonName,
      });
    }
    return this.#ok({ addon });
  }

  #createAddon(name: string): ServiceResponse {
    const body = this.#body();
    const tags = optionalTags(body.tags);
    this.#authorize('eks:CreateAddon', this.#arnOf(`cluster/${name}`), requestTagContext(tags));
    const cluster = this.#cluster(name);
    const addonName = requiredString(body, 'addonName');
    const serviceAccountRoleArn = optionalString(body, 'serviceAccountRoleArn');
    if (serviceAccountRoleArn) validateServiceAccountRoleArn(serviceAccountRoleArn);
    optionalResolveConflicts(body);
    if (Array.isArray(body.podIdentityAssociations) && body.podIdentityAssociations.length > 0) {
      throw invalidParameter(`Addon ${addonName} does not support pod identity associations`, {
        clusterName: name,
        addonName,
      });
    }
    const namespace = (body.namespaceConfig as { namespace?: unknown } | undefined)?.namespace;
    if (namespace !== undefined && namespace !== 'kube-system') {
      throw invalidParameter(`Addon ${addonName} can only be installed in namespace kube-system`, {
        clusterName: name,
        addonName,
      });
    }
    const addon = cluster.addons.create({
      addonName,
      addonVersion: optionalString(body, 'addonVersion') || undefined,
      serviceAccountRoleArn: serviceAccountRoleArn || undefined,
      configurationValues: optionalString(body, 'configurationValues') || undefined,
      tags,
      clientRequestToken: optionalString(body, 'clientRequestToken'),
    });
    return this.#ok({ addon });
  }

  #updateAddon(name: string, addonName: string): ServiceResponse {
    this.#authorize('eks:UpdateAddon', this.#addonResource(name, addonName));
    const cluster = this.#cluster(name);
    const body = this.#body();
    const serviceAccountRoleArn = optionalString(body, 'serviceAccountRoleArn');
    if (serviceAccountRoleArn) validateServiceAccountRoleArn(serviceAccountRoleArn);
    if (Array.isArray(body.podIdentityAssociations) && body.podIdentityAssociations.length > 0) {
      throw invalidParameter(`Addon ${addonName} does not support pod identity associations`, {
        clusterName: name,
        addonName,
      });
    }
    const update = cluster.addons.update(addonName, {
      addonVersion: optionalString(body, 'addonVersion') || undefined,
      serviceAccountRoleArn,
      configurationValues: optionalString(body, 'configurationValues'),
      resolveConflicts: optionalResolveConflicts(body),
      clientRequestToken: optionalString(body, 'clientRequestToken'),
    });
    return this.#ok({ update });
  }

  #deleteAddon(name: string, addonName: string): ServiceResponse {
    this.#authorize('eks:DeleteAddon', this.#addonResource(name, addonName));
    const cluster = this.#cluster(name);
    const preserve = this.#req.query.get('preserve') === 'true';
    return this.#ok({ addon: cluster.addons.delete(addonName, preserve) });
  }

  #describeAddonVersions(): ServiceResponse {
    this.#authorize('eks:DescribeAddonVersions', '*');
    const query = this.#req.query;
    const { maxResults, after } = this.#pageParams(100);
    const addons = describeAddonVersions({
      addonName: query.get('addonName') ?? undefined,
      kubernetesVersion: query.get('kubernetesVersion') ?? undefined,
      types: query.getAll('types'),
      publishers: query.getAll('publishers'),
      owners: query.getAll('owners'),
    });
    const page = addons.slice(after, after + maxResults);
    const next = after + page.length;
    return this.#ok({ addons: page, ...(next < addons.length ? { nextToken: encodeToken(next) } : {}) });
  }

  /** Add-on updates only (the simulator makes no other kind): `addonName` names the add-on. */
  #describeUpdate(name: string, updateId: string): ServiceResponse {
    const addonName = this.#req.query.get('addonName');
    this.#authorize(
      'eks:DescribeUpdate',
      addonName ? this.#addonResource(name, addonName) : this.#arnOf(`cluster/${name}`),
    );
    const cluster = this.#cluster(name);
    const update = addonName ? cluster.addons.describeUpdate(addonName, updateId) : undefined;
    if (!update) throw resourceNotFound(`No update found for ID: ${updateId}`, { clusterName: name });
    return this.#ok({ update });
  }

  async #createAssociation(name: string): Promise<ServiceResponse> {
    const body = this.#body();
    const tags = optionalTags(body.tags);
    this.#authorize(
      'eks:CreatePodIdentityAssociation',
      this.#arnOf(`cluster/${name}`),
      requestTagContext(tags),
    );
    const cluster = this.#cluster(name);
    const namespace = requiredString(body, 'namespace');
    const serviceAccount = requiredString(body, 'serviceAccount');
    const roleArn = requiredString(body, 'roleArn');
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
      throw invalidParameter(`Namespace ${namespace} is not a valid Kubernetes namespace name`);
    }
    if (!DNS_SUBDOMAIN.test(serviceAccount) || serviceAccount.length > 253) {
      throw invalidParameter(
        `Service account ${serviceAccount} is not a valid Kubernetes service account name`,
      );
    }
    const disableSessionTags = optionalBoolean(body, 'disableSessionTags');
    const targetRoleArn = optionalString(body, 'targetRoleArn');
    const policy = optionalString(body, 'policy');
    const clientRequestToken = optionalString(body, 'clientRequestToken');
    if (targetRoleArn !== undefined) validateTargetRoleArn(targetRoleArn);
    if (policy !== undefined) validatePolicy(policy);
    await this.#validateRole(roleArn, cluster);
    const association = cluster.associations.create({
      namespace,
      serviceAccount,
      roleArn,
      tags,
      disableSessionTags,
      targetRoleArn: targetRoleArn || undefined,
      policy: policy || undefined,
      clientRequestToken,
    });
    return this.#ok({ association: associationShape(association) });
  }

  #listAssociations(name: string): ServiceResponse {
    this.#authorize('eks:ListPodIdentityAssociations', this.#arnOf(`cluster/${name}`));
    const cluster = this.#cluster(name);
    const filter: AssociationFilter = {};
    const namespace = this.#req.query.get('namespace');
    const serviceAccount = this.#req.query.get('serviceAccount');
    if (namespace !== null) filter.namespace = namespace;
    if (serviceAccount !== null) filter.serviceAccount = serviceAccount;
    const { maxResults, after } = this.#pageParams(100);
    const page = cluster.associations.listPage(filter, after, maxResults);
    return this.#ok({
      associations: page.items.map(associationSummaryShape),
      ...(page.more && page.lastSequence !== undefined ? { nextToken: encodeToken(page.lastSequence) } : {}),
    });
  }

  #describeAssociation(name: string, associationId: string): ServiceResponse {
    this.#authorize(
      'eks:DescribePodIdentityAssociation',
      this.#arnOf(`podidentityassociation/${name}/${associationId}`),
    );
    const cluster = this.#cluster(name);
    validateAssociationId(associationId);
    return this.#ok({ association: associationShape(cluster.associations.describe(associationId)) });
  }

  async #updateAssociation(name: string, associationId: string): Promise<ServiceResponse> {
    this.#authorize(
      'eks:UpdatePodIdentityAssociation',
      this.#arnOf(`podidentityassociation/${name}/${associationId}`),
    );
    const cluster = this.#cluster(name);
    validateAssociationId(associationId);
    const body = this.#body();
    const update: UpdateAssociationInput = {
      roleArn: optionalString(body, 'roleArn'),
      disableSessionTags: optionalBoolean(body, 'disableSessionTags'),
      targetRoleArn: optionalString(body, 'targetRoleArn'),
      policy: optionalString(body, 'policy'),
    };
    if (Object.values(update).every((value) => value === undefined)) {
      throw invalidParameter(
        'An update must set at least one of roleArn, targetRoleArn, disableSessionTags or policy; namespace and service account cannot be changed (delete and re-create the association instead)',
      );
    }
    // Fail with 404 before checking the role, as for any unknown association.
    const current = cluster.associations.describe(associationId);
    if (update.targetRoleArn) validateTargetRoleArn(update.targetRoleArn);
    if (update.policy) validatePolicy(update.policy);
    if (update.roleArn !== undefined && update.roleArn !== current.roleArn) {
      await this.#validateRole(update.roleArn, cluster);
    }
    return this.#ok({ association: associationShape(cluster.associations.update(associationId, update)) });
  }

  #deleteAssociation(name: string, associationId: string): ServiceResponse {
    this.#authorize(
      'eks:DeletePodIdentityAssociation',
      this.#arnOf(`podidentityassociation/${name}/${associationId}`),
    );
    const cluster = this.#cluster(name);
    validateAssociationId(associationId);
    return this.#ok({ association: associationShape(cluster.associations.delete(associationId)) });
  }

  /** iam:PassRole, then the role's existence in the cluster's account, then its trust policy. */
  async #validateRole(roleArn: string, cluster: EksCluster): Promise<void> {
    const parts = parseRoleArn(roleArn);
    if (!parts) throw invalidParameter(`The roleArn ${roleArn} is not a valid IAM role ARN`);
    this.#authorize('iam:PassRole', roleArn, { 'iam:PassedToService': POD_IDENTITY_SERVICE_PRINCIPAL });
    const role = parts.accountId === cluster.accountId ? await this.#roles.getRole(roleArn) : undefined;
    if (!role) throw invalidParameter('Role provided in the request does not exist');
    if (
      !this.#controlPlane.sabotage.associationTrustUnchecked &&
      !trustAllowsPodIdentity(role, this.#options.evaluatePolicies ?? evaluatePolicies)
    ) {
      throw invalidParameter('Trust policy of the role provided is invalid');
    }
  }

  #pageParams(defaultMax: number): { maxResults: number; after: number } {
    const rawMax = this.#req.query.get('maxResults');
    let maxResults = defaultMax;
    if (rawMax !== null) {
      maxResults = Number(rawMax);
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
        throw invalidParameter(`maxResults must be an integer between 1 and 100, got: ${rawMax}`);
      }
    }
    const rawToken = this.#req.query.get('nextToken');
    const after = rawToken === null || rawToken === '' ? 0 : decodeToken(rawToken);
    return { maxResults, after };
  }
}

/** The PodIdentityAssociation shape: epoch-second timestamps, `tags` always present. */
export function associationShape(a: PodIdentityAssociation): Record<string, unknown> {
  return {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    associationArn: a.associationArn,
    associationId: a.associationId,
    tags: a.tags,
    createdAt: epochSeconds(a.createdAt),
    modifiedAt: epochSeconds(a.modifiedAt),
    ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
    disableSessionTags: a.disableSessionTags,
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn } : {}),
    ...(a.externalId ? { externalId: a.externalId } : {}),
    ...(a.policy ? { policy: a.policy } : {}),
  };
}

/** The PodIdentityAssociationSummary shape: no role, timestamps or tags. */
export function associationSummaryShape(a: PodIdentityAssociation): Record<string, unknown> {
  return {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationArn: a.associationArn,
    associationId: a.associationId,
    ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
  };
}

function validateAssociationId(id: string): void {
  if (id.length !== 19) throw invalidParameter('The parameter associationId should be 19 characters long.');
  if (!ASSOCIATION_ID_PATTERN.test(id)) {
    throw invalidParameter(`The parameter associationId ${id} is not a valid association id`);
  }
}

function validateServiceAccountRoleArn(arn: string): void {
  if (!parseRoleArn(arn))
    throw invalidParameter(`The serviceAccountRoleArn ${arn} is not a valid IAM role ARN`);
}

function optionalResolveConflicts(body: Record<string, unknown>): string | undefined {
  const value = optionalString(body, 'resolveConflicts');
  if (value !== undefined && !RESOLVE_CONFLICTS.includes(value)) {
    throw invalidParameter(`resolveConflicts must be one of ${RESOLVE_CONFLICTS.join(', ')}, got: ${value}`);
  }
  return value;
}

function validateTargetRoleArn(arn: string): void {
  if (arn === '') return;
  if (!parseRoleArn(arn) || !accountOfArn(arn)) {
    throw invalidParameter(`The targetRoleArn ${arn} is not a valid IAM role ARN`);
  }
}

function validatePolicy(policy: string): void {
  if (policy === '') return;
  try {
    const parsed = JSON.parse(policy);
    if (parsed === null || typeof parsed !== 'object' || !('Statement' in parsed))
      throw new Error('no Statement');
  } catch {
    throw invalidParameter('The policy is not a valid IAM policy document (JSON with a Statement)');
  }
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined || value === null || value === '') throw invalidParameter(`${key} is required`);
  if (typeof value !== 'string') throw invalidParameter(`${key} must be a string`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${key} must be a string`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${key} must be a boolean`);
  return value;
}

function optionalTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter('tags must be a map of strings');
  const tags = value as Record<string, unknown>;
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS)
    throw invalidParameter(`At most ${MAX_TAGS} tags are allowed, got ${keys.length}`);
  for (const key of keys) {
    const tagValue = tags[key];
    if (typeof tagValue !== 'string') throw invalidParameter(`The value of tag ${key} must be a string`);
    if (key.length < 1 || key.length > 128)
      throw invalidParameter(`Tag key ${key} must be 1 to 128 characters`);
    if (tagValue.length > 256)
      throw invalidParameter(`The value of tag ${key} must be at most 256 characters`);
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidParameter(`Tag key ${key} uses the reserved prefix aws:`);
  }
  return tags as Record<string, string>;
}

function requestTagContext(
  tags: Record<string, string> | undefined,
): Record<string, string | string[]> | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  const context: Record<string, string | string[]> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [key, value] of Object.entries(tags)) context[`aws:RequestTag/${key}`] = value;
  return context;
}

function encodeToken(position: number): string {
  return Buffer.from(JSON.stringify({ after: position })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Number.isInteger(parsed.after) && parsed.after >= 0) return parsed.after;
  } catch {
    // fall through
  }
  throw invalidParameter('The nextToken provided is not valid: pass the nextToken of the previous response');
}
