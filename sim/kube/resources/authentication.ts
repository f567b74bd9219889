// authentication.k8s.io/v1: TokenReview (is this token valid, and whose is it) and SelfSubjectReview
// (`kubectl auth whoami`).

import type { KubeContext } from '../context.ts';
import { isPlainObject } from '../objects.ts';
import { type ApiRequest, type Reply, RestResource } from '../rest.ts';
import { badRequest } from '../status.ts';

export interface AuthenticatedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN_USER: AuthenticatedUser = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

/** The user a service-account token authenticates as, or undefined when it is not valid for `audience`. */
export async function serviceAccountUser(
  ctx: KubeContext,
  token: string,
  audiences: string[],
): Promise<{ user: AuthenticatedUser; audiences: string[] } | undefined> {
  for (const audience of audiences) {
    try {
      const { payload } = await ctx.tokens.verify(token, audience);
      const claims = payload['kubernetes.io'];
      if (!claims) return undefined;
      // A token bound to a pod is only valid while that pod exists (the API server checks this too).
      if (claims.pod) {
        const pod = ctx.store.get('pods', claims.namespace, claims.pod.name);
        if (pod?.metadata?.uid !== claims.pod.uid) return undefined;
      }
      const serviceAccount = ctx.store.get('serviceaccounts', claims.namespace, claims.serviceaccount.name);
      if (serviceAccount?.metadata?.uid !== claims.serviceaccount.uid) return undefined;
      const extra: Record<string, string[]> = {};
      if (payload.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
      if (claims.node) {
        extra['authentication.kubernetes.io/node-name'] = [claims.node.name];
        extra['authentication.kubernetes.io/node-uid'] = [claims.node.uid];
      }
      if (claims.pod) {
        extra['authentication.kubernetes.io/pod-name'] = [claims.pod.name];
        extra['authentication.kubernetes.io/pod-uid'] = [claims.pod.uid];
      }
      const tokenAudiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
      return {
        user: {
          username: `system:serviceaccount:${claims.namespace}:${claims.serviceaccount.name}`,
          uid: claims.serviceaccount.uid,
          groups: [
            'system:serviceaccounts',
            `system:serviceaccounts:${claims.namespace}`,
            'system:authenticated',
          ],
          extra,
        },
        audiences: audiences.filter((a) => tokenAudiences.includes(a)),
      };
    } catch {
      // not valid for this audience; try the next
    }
  }
  return undefined;
}

export class TokenReviewsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: 'authentication.k8s.io',
        version: 'v1',
        resource: 'tokenreviews',
        singular: 'tokenreview',
        kind: 'TokenReview',
        namespaced: false,
        verbs: ['create'],
      },
      ctx,
    );
  }

  protected override async create(req: ApiRequest): Promise<Reply> {
    const body = await req.readJson();
    if (!isPlainObject(body) || !isPlainObject(body.spec) || typeof body.spec.token !== 'string') {
      throw badRequest('TokenReview needs spec.token');
    }
    const requested = Array.isArray(body.spec.audiences) ? (body.spec.audiences as string[]) : [];
    const audiences = requested.length > 0 ? requested : this.ctx.apiAudiences;
    const result = await serviceAccountUser(this.ctx, body.spec.token, audiences);
    return {
      code: 201,
      body: {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: { token: body.spec.token, ...(requested.length > 0 ? { audiences: requested } : {}) },
        status: result
          ? { authenticated: true, user: result.user, audiences: result.audiences }
          : {
              user: {},
              error: '[invalid bearer token, service account token is not valid for the requested audiences]',
            },
      },
    };
  }
}

export class SelfSubjectReviewsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: 'authentication.k8s.io',
        version: 'v1',
        resource: 'selfsubjectreviews',
        singular: 'selfsubjectreview',
        kind: 'SelfSubjectReview',
        namespaced: false,
        verbs: ['create'],
      },
      ctx,
    );
  }

  protected override async create(req: ApiRequest): Promise<Reply> {
    await req.readJson();
    return {
      code: 201,
      body: {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        status: { userInfo: req.user },
      },
    };
  }
}
