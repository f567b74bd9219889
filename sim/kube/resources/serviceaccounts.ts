// ServiceAccounts and their `token` subresource (TokenRequest), which is also how the simulator
// issues projected tokens for pods and tokens for the rest of the simulator.

import type { AuthenticationV1TokenRequest, V1Pod, V1ServiceAccount } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration, isPlainObject, timestamp } from '../objects.ts';
import { type ApiRequest, type Reply, RestResource } from '../rest.ts';
import { badRequest, invalid, KubeStatusError, notFound, resourceNotFound } from '../status.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';
import type { IssuedToken, ServiceAccountTokenRequest } from '../types.ts';

const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** Issues a token for an existing service account (404 NotFound when it does not exist). */
export async function issueServiceAccountToken(
  ctx: KubeContext,
  request: ServiceAccountTokenRequest,
): Promise<IssuedToken> {
  const serviceAccount = ctx.store.get<V1ServiceAccount>(
    'serviceaccounts',
    request.namespace,
    request.serviceAccountName,
  );
  if (!serviceAccount) throw notFound('serviceaccounts', request.serviceAccountName);
  let node: { name: string; uid: string } | undefined;
  if (request.boundPod) {
    const pod = ctx.store.get<V1Pod>('pods', request.namespace, request.boundPod.name);
    const bound = ctx.nodes.find((candidate) => candidate.name === pod?.spec?.nodeName);
    if (bound) node = { name: bound.name, uid: bound.uid };
  }
  return ctx.tokens.issue({
    namespace: request.namespace,
    serviceAccount: { name: request.serviceAccountName, uid: serviceAccount.metadata?.uid ?? '' },
    audiences: request.audiences.length > 0 ? request.audiences : ctx.apiAudiences,
    expirationSeconds: request.expirationSeconds,
    ...(request.boundPod ? { pod: request.boundPod } : {}),
    ...(node ? { node } : {}),
  });
}

export class ServiceAccountsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'serviceaccounts',
        singular: 'serviceaccount',
        kind: 'ServiceAccount',
        namespaced: true,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['sa'],
      },
      ctx,
    );
    this.printer = {
      columns: [
        NAME_COLUMN,
        column(
          'Secrets',
          'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
          { type: 'integer' },
        ),
        AGE_COLUMN,
      ],
      cells: (object: KubeObject) => {
        const serviceAccount = object as V1ServiceAccount;
        return [
          serviceAccount.metadata?.name ?? '',
          (serviceAccount.secrets ?? []).length,
          humanDuration(serviceAccount.metadata?.creationTimestamp as unknown as string),
        ];
      },
    };
  }

  override subresourceInfo() {
    return [
      {
        name: 'serviceaccounts/token',
        kind: 'TokenRequest',
        group: 'authentication.k8s.io',
        version: 'v1',
        verbs: ['create'],
      },
    ];
  }

  protected override async handleSubresource(req: ApiRequest): Promise<Reply> {
    if (req.subresource !== 'token') throw resourceNotFound();
    if (req.method !== 'POST')
      throw new KubeStatusError(
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    return this.#createToken(req);
  }

  async #createToken(req: ApiRequest): Promise<Reply> {
    const name = req.name ?? '';
    const namespace = req.namespace ?? '';
    const body = await req.readJson();
    if (!isPlainObject(body))
      throw badRequest(
        'the body of the request was in an unknown format - accepted media types include: application/json',
      );
    const request = body as unknown as AuthenticationV1TokenRequest;
    if (request.kind !== undefined && request.kind !== 'TokenRequest') {
      throw badRequest(
        `${String(request.kind)} in version "v1" cannot be handled as a TokenRequest: the object provided is unrecognized (must be of type TokenRequest)`,
      );
    }
    this.mustGet(namespace, name);
    const spec: AuthenticationV1TokenRequest['spec'] = isPlainObject(request.spec)
      ? request.spec
      : { audiences: [] };
    const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
      throw invalid(
        'TokenRequest',
        name,
        [
          {
            field: 'spec.expirationSeconds',
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
          },
        ],
        'authentication.k8s.io',
      );
    }
    if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
      throw invalid(
        'TokenRequest',
        name,
        [
          {
            field: 'spec.expirationSeconds',
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds`,
          },
        ],
        'authentication.k8s.io',
      );
    }
    let boundPod: { name: string; uid: string } | undefined;
    const ref = spec.boundObjectRef;
    if (ref) {
      if (ref.kind !== 'Pod' || (ref.apiVersion ?? 'v1') !== 'v1') {
        throw badRequest(
          `cannot bind token to object of type ${ref.kind ?? 'unknown'}: the simulator supports binding to pods`,
        );
      }
      const pod = this.ctx.store.get<V1Pod>('pods', namespace, ref.name ?? '');
      if (!pod) throw notFound('pods', ref.name ?? '');
      if (ref.uid && ref.uid !== pod.metadata?.uid) {
        throw new KubeStatusError(
          'Conflict',
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      }
      if ((pod.spec?.serviceAccountName ?? 'default') !== name) {
        throw badRequest(
          `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`,
        );
      }
      boundPod = { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
    }
    const audiences = spec.audiences && spec.audiences.length > 0 ? spec.audiences : this.ctx.apiAudiences;
    const issued = await issueServiceAccountToken(this.ctx, {
      namespace,
      serviceAccountName: name,
      audiences,
      expirationSeconds,
      ...(boundPod ? { boundPod } : {}),
    });
    return {
      code: 201,
      body: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: timestamp() },
        spec: {
          audiences,
          expirationSeconds,
          boundObjectRef: ref ? { kind: 'Pod', apiVersion: 'v1', name: ref.name, uid: boundPod?.uid } : null,
        },
        status: { token: issued.token, expirationTimestamp: timestamp(issued.expiresAt) },
      },
    };
  }
}
