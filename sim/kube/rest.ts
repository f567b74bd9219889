// The generic REST behaviour every resource shares (list with selectors and pages, get, create,
// update, patch, delete, watch), with the steps a resource specialises as overridable methods.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { KubeContext } from './context.ts';
import { isPlainObject, newUid, randomSuffix, timestamp, validateDns1123Subdomain } from './objects.ts';
import { applyPatch, patchTypeOf } from './patch.ts';
import type { AuthenticatedUser } from './resources/authentication.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  type FieldError,
  forbidden,
  invalid,
  KubeStatusError,
  methodNotAllowed,
  notFound,
  resourceNotFound,
} from './status.ts';
import type { KubeObject } from './store.ts';
import { type TablePrinter, toTable, wantsTable } from './tables.ts';
import { serveWatch } from './watch.ts';

export interface ApiRequest {
  method: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON (400 BadRequest when it is not). */
  readJson(): Promise<unknown>;
  req: IncomingMessage;
  res: ServerResponse;
  user: AuthenticatedUser;
}

export type Reply = { code: number; body: unknown; contentType?: string } | { streamed: true };

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural name, as in the URL. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

function encodeContinue(key: string): string {
  return Buffer.from(JSON.stringify({ start: key })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw badRequest(`continue key is not valid: invalid continue token`);
}

function objectKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export class RestResource {
  readonly info: ResourceInfo;
  protected readonly ctx: KubeContext;
  protected printer?: TablePrinter;

  constructor(info: ResourceInfo, ctx: KubeContext) {
    this.info = info;
    this.ctx = ctx;
  }

  get apiVersion(): string {
    return apiVersionOf(this.info);
  }

  /** Discovery entries for subresources: name (e.g. `pods/exec`), kind, verbs. */
  subresourceInfo(): Array<{
    name: string;
    kind: string;
    verbs: string[];
    group?: string;
    version?: string;
  }> {
    return [];
  }

  async handle(req: ApiRequest): Promise<Reply> {
    if (
      this.info.namespaced &&
      req.namespace === undefined &&
      (req.name !== undefined || req.method === 'POST')
    ) {
      throw resourceNotFound();
    }
    if (!this.info.namespaced && req.namespace !== undefined) throw resourceNotFound();
    if (req.subresource !== undefined) {
      if (req.name === undefined) throw resourceNotFound();
      return this.handleSubresource(req);
    }
    const watch = req.query.get('watch');
    if (req.name === undefined) {
      switch (req.method) {
        case 'GET':
          if (watch === 'true' || watch === '1') {
            this.requireVerb('watch');
            return this.watch(req);
          }
          this.requireVerb('list');
          return this.list(req);
        case 'POST':
          this.requireVerb('create');
          return this.create(req);
        case 'DELETE':
          this.requireVerb('deletecollection');
          return this.deleteCollection(req);
        default:
          throw methodNotAllowed();
      }
    }
    switch (req.method) {
      case 'GET':
        this.requireVerb('get');
        return this.get(req);
      case 'PUT':
        this.requireVerb('update');
        return this.update(req);
      case 'PATCH':
        this.requireVerb('patch');
        return this.patch(req);
      case 'DELETE':
        this.requireVerb('delete');
        return this.delete(req);
      default:
        throw methodNotAllowed();
    }
  }

  protected requireVerb(verb: string): void {
    if (!this.info.verbs.includes(verb)) throw methodNotAllowed();
  }

  protected handleSubresource(_req: ApiRequest): Promise<Reply> {
    throw resourceNotFound();
  }

  protected notFound(name: string): KubeStatusError {
    return notFound(this.info.resource, name, this.info.group, this.info.resource);
  }

  /** The stored object, or 404 NotFound. */
  mustGet(namespace: string | undefined, name: string): KubeObject {
    const object = this.ctx.store.get(this.info.resource, this.info.namespaced ? namespace : undefined, name);
    if (!object) throw this.notFound(name);
    return object;
  }

  protected withType(object: KubeObject): KubeObject {
    return { kind: this.info.kind, apiVersion: this.apiVersion, ...object };
  }

  /** Objects the request selects (namespace, labelSelector, fieldSelector). */
  protected select(req: ApiRequest): KubeObject[] {
    const byLabels = parseLabelSelector(req.query.get('labelSelector'));
    const byFields = parseFieldSelector(req.query.get('fieldSelector'), this.supportedFields());
    return this.ctx.store
      .list(this.info.resource, this.info.namespaced ? req.namespace : undefined)
      .filter((object) => byLabels(object.metadata?.labels) && byFields(object));
  }

  supportedFields(): string[] {
    return [
      'metadata.name',
      ...(this.info.namespaced ? ['metadata.namespace'] : []),
      ...(this.info.fieldSelectors ?? []),
    ];
  }

  protected list(req: ApiRequest): Reply {
    const resourceVersion = this.ctx.store.resourceVersion;
    let items = this.select(req);
    const listMeta: Record<string, unknown> = { resourceVersion };
    const continueToken = req.query.get('continue');
    if (continueToken) {
      const start = decodeContinue(continueToken);
      items = items.filter((object) => objectKey(object) > start);
    }
    const limit = Number(req.query.get('limit') ?? '0');
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      const remaining = items.length - limit;
      items = items.slice(0, limit);
      listMeta.continue = encodeContinue(objectKey(items[items.length - 1]));
      listMeta.remainingItemCount = remaining;
    }
    if (this.printer && wantsTable(req.headers)) {
      return {
        code: 200,
        body: toTable(
          this.printer,
          items.map((item) => this.withType(item)),
          listMeta,
          req.query.get('includeObject'),
        ),
      };
    }
    return {
      code: 200,
      body: {
        kind: `${this.info.kind}List`,
        apiVersion: this.apiVersion,
        metadata: listMeta,
        items: items.map((item) => this.withType(item)),
      },
    };
  }

  protected get(req: ApiRequest): Reply {
    const object = this.withType(this.mustGet(req.namespace, req.name ?? ''));
    if (this.printer && wantsTable(req.headers)) {
      return {
        code: 200,
        body: toTable(
          this.printer,
          [object],
          { resourceVersion: object.metadata?.resourceVersion },
          req.query.get('includeObject'),
        ),
      };
    }
    return { code: 200, body: object };
  }

  protected watch(req: ApiRequest): Reply {
    const byLabels = parseLabelSelector(req.query.get('labelSelector'));
    const byFields = parseFieldSelector(req.query.get('fieldSelector'), this.supportedFields());
    const namespace = this.info.namespaced ? req.namespace : undefined;
    serveWatch({
      store: this.ctx.store,
      res: req.res,
      resource: this.info.resource,
      namespace,
      matches: (object) => byLabels(object.metadata?.labels) && byFields(object),
      resourceVersion: req.query.get('resourceVersion'),
      timeoutSeconds: Number(req.query.get('timeoutSeconds') ?? '0'),
      present: (object) => {
        const typed = this.withType(object);
        return this.printer && wantsTable(req.headers)
          ? toTable(
              this.printer,
              [typed],
              { resourceVersion: typed.metadata?.resourceVersion },
              req.query.get('includeObject'),
            )
          : typed;
      },
      list: () => this.ctx.store.list(this.info.resource, namespace),
    });
    return { streamed: true };
  }

  /** Reads a request body that must be an object of this resource's kind. */
  protected async readObject(req: ApiRequest): Promise<KubeObject> {
    const body = await req.readJson();
    if (!isPlainObject(body))
      throw badRequest(
        `the body of the request was in an unknown format - accepted media types include: application/json`,
      );
    const object = body as KubeObject;
    if (object.kind !== undefined && object.kind !== this.info.kind) {
      throw badRequest(
        `${String(object.kind)} in version "${this.info.version}" cannot be handled as a ${this.info.kind}: the object provided is unrecognized (must be of type ${this.info.kind})`,
      );
    }
    if (object.apiVersion !== undefined && object.apiVersion !== this.apiVersion) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${this.apiVersion})`,
      );
    }
    if (object.metadata !== undefined && !isPlainObject(object.metadata)) {
      throw badRequest(
        `${this.info.kind} in version "${this.info.version}" cannot be handled as a ${this.info.kind}: metadata must be an object`,
      );
    }
    object.metadata ??= {};
    return object;
  }

  protected checkNamespaceOf(object: KubeObject, req: ApiRequest): void {
    if (!this.info.namespaced) {
      delete object.metadata?.namespace;
      return;
    }
    const meta = object.metadata ?? {};
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== req.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta.namespace = req.namespace;
  }

  /**
   * The namespace lifecycle admission check: new objects need an existing namespace that is not
   * being terminated.
   */
  protected checkNamespaceAcceptsContent(namespace: string, name: string): void {
    const ns = this.ctx.store.get('namespaces', undefined, namespace);
    if (!ns) throw notFound('namespaces', namespace);
    if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      const error = forbidden(
        this.info.resource,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        this.info.group,
      );
      error.status.details = {
        ...error.status.details,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      };
      throw error;
    }
  }

  /** Resource defaults and admission, after the namespace check and before validation and storage. */
  protected async admit(_object: KubeObject, _req: ApiRequest | undefined): Promise<void> {}

  protected validateName(name: string): FieldError[] {
    return validateDns1123Subdomain('metadata.name', name);
  }

  /** Field validation after admission (422 Invalid when it returns errors). */
  protected validate(_object: KubeObject): FieldError[] {
    return [];
  }

  protected afterCreate(_object: KubeObject): void {}

  protected async create(req: ApiRequest): Promise<Reply> {
    const object = await this.readObject(req);
    this.checkNamespaceOf(object, req);
    const stored = await this.createObject(object, req);
    return { code: 201, body: stored };
  }

  /** Creates an object through admission, validation and storage (also used for objects the simulator makes). */
  async createObject(object: KubeObject, req?: ApiRequest): Promise<KubeObject> {
    const meta = object.metadata ?? {};
    object.metadata = meta;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name) {
      throw invalid(this.info.kind, '', [
        {
          field: 'metadata.name',
          type: 'FieldValueRequired',
          detail: 'Required value: name or generateName is required',
        },
      ]);
    }
    if (this.info.namespaced) this.checkNamespaceAcceptsContent(meta.namespace ?? '', meta.name);
    object.kind = this.info.kind;
    object.apiVersion = this.apiVersion;
    await this.admit(object, req);
    // Admission may have replaced the metadata object: read it again.
    const admitted = object.metadata ?? meta;
    object.metadata = admitted;
    const name = admitted.name ?? meta.name;
    admitted.name = name;
    admitted.namespace = meta.namespace;
    if (!this.info.namespaced) delete admitted.namespace;
    const errors = [...this.validateName(name), ...this.validate(object)];
    if (errors.length > 0) throw invalid(this.info.kind, name, errors, this.info.group);
    if (this.ctx.store.get(this.info.resource, admitted.namespace, name)) {
      throw alreadyExists(this.info.resource, name, this.info.group);
    }
    admitted.uid = newUid();
    admitted.creationTimestamp = timestamp() as unknown as Date;
    delete admitted.resourceVersion;
    delete admitted.deletionTimestamp;
    delete admitted.deletionGracePeriodSeconds;
    const stored = this.ctx.store.create(this.info.resource, object);
    this.afterCreate(stored);
    return this.withType(stored);
  }

  /**
   * Decides what an update stores. Default: the new object with the system metadata of the old.
   * `subresource` is `status` for writes to the status subresource.
   */
  protected prepareUpdate(existing: KubeObject, updated: KubeObject, _subresource?: string): KubeObject {
    const preserved = existing.metadata ?? {};
    updated.metadata = {
      ...updated.metadata,
      name: preserved.name,
      namespace: preserved.namespace,
      uid: preserved.uid,
      creationTimestamp: preserved.creationTimestamp,
      ...(preserved.deletionTimestamp ? { deletionTimestamp: preserved.deletionTimestamp } : {}),
      ...(preserved.deletionGracePeriodSeconds !== undefined
        ? { deletionGracePeriodSeconds: preserved.deletionGracePeriodSeconds }
        : {}),
    };
    if (!this.info.namespaced) delete updated.metadata.namespace;
    return updated;
  }

  protected storeUpdate(existing: KubeObject, updated: KubeObject, subresource?: string): KubeObject {
    const name = existing.metadata?.name ?? '';
    const requestedVersion = updated.metadata?.resourceVersion;
    if (requestedVersion && requestedVersion !== existing.metadata?.resourceVersion) {
      throw conflict(this.info.resource, name, this.info.group);
    }
    updated.kind = this.info.kind;
    updated.apiVersion = this.apiVersion;
    const prepared = this.prepareUpdate(existing, updated, subresource);
    const errors = this.validate(prepared);
    if (errors.length > 0) throw invalid(this.info.kind, name, errors, this.info.group);
    return this.withType(this.ctx.store.update(this.info.resource, prepared));
  }

  protected async update(req: ApiRequest, subresource?: string): Promise<Reply> {
    const object = await this.readObject(req);
    const existing = this.mustGet(req.namespace, req.name ?? '');
    if (object.metadata?.name && object.metadata.name !== req.name) {
      throw badRequest(
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${req.name})`,
      );
    }
    this.checkNamespaceOf(object, req);
    return { code: 200, body: this.storeUpdate(existing, object, subresource) };
  }

  protected async patch(req: ApiRequest, subresource?: string): Promise<Reply> {
    const type = patchTypeOf(req.headers['content-type']);
    if (!type) {
      throw new KubeStatusError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    }
    const patch = await req.readJson();
    const existing = this.mustGet(req.namespace, req.name ?? '');
    const patched = applyPatch(type, existing, patch);
    if (!isPlainObject(patched)) throw badRequest('the patch did not produce an object');
    const patchedObject = patched as KubeObject;
    // A patch that does not mention resourceVersion must not conflict with the current one.
    const patchMentionsVersion = JSON.stringify(patch).includes('"resourceVersion"');
    if (!patchMentionsVersion && patchedObject.metadata)
      patchedObject.metadata.resourceVersion = existing.metadata?.resourceVersion;
    return { code: 200, body: this.storeUpdate(existing, patchedObject, subresource) };
  }

  protected async readDeleteOptions(req: ApiRequest): Promise<DeleteOptions> {
    const options: DeleteOptions = {};
    const hasBody =
      Number(req.headers['content-length'] ?? '0') > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody) {
      const body = await req.readJson();
      if (isPlainObject(body)) Object.assign(options, body);
    }
    const grace = req.query.get('gracePeriodSeconds');
    if (grace !== null && grace !== '') options.gracePeriodSeconds = Number(grace);
    const propagation = req.query.get('propagationPolicy');
    if (propagation) options.propagationPolicy = propagation;
    return options;
  }

  protected async delete(req: ApiRequest): Promise<Reply> {
    const options = await this.readDeleteOptions(req);
    const existing = this.mustGet(req.namespace, req.name ?? '');
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid && uid !== existing.metadata?.uid) {
      throw new KubeStatusError(
        'Conflict',
        `Operation cannot be fulfilled on ${this.info.resource} "${req.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata?.uid}`,
      );
    }
    if (resourceVersion && resourceVersion !== existing.metadata?.resourceVersion) {
      throw new KubeStatusError(
        'Conflict',
        `Operation cannot be fulfilled on ${this.info.resource} "${req.name}": Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata?.resourceVersion}`,
      );
    }
    return { code: 200, body: this.withType(await this.remove(existing, options)) };
  }

  protected async deleteCollection(req: ApiRequest): Promise<Reply> {
    const options = await this.readDeleteOptions(req);
    const removed: KubeObject[] = [];
    for (const object of this.select(req)) removed.push(this.withType(await this.remove(object, options)));
    return {
      code: 200,
      body: {
        kind: `${this.info.kind}List`,
        apiVersion: this.apiVersion,
        metadata: { resourceVersion: this.ctx.store.resourceVersion },
        items: removed,
      },
    };
  }

  /** Deletes an object; resources with graceful deletion override this. Returns what the client sees. */
  async remove(existing: KubeObject, _options: DeleteOptions): Promise<KubeObject> {
    const meta = existing.metadata ?? {};
    return this.ctx.store.delete(this.info.resource, meta.namespace, meta.name ?? '') ?? existing;
  }
}
