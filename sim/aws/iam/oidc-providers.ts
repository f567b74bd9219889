// IAM OpenID Connect providers (what IRSA trusts): Create, Get, List and Delete over the Query API, with
// AWS's shapes and error codes. STS AssumeRoleWithWebIdentity looks providers up here by issuer.

import { AwsError, validationError } from '../errors.ts';
import { isoSeconds, memberList, members, stringList } from '../query.ts';
import { checkTags, type Tag } from './store.ts';

export interface OidcProvider {
  arn: string;
  /** The issuer without its https:// scheme, as GetOpenIDConnectProvider returns it. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Tag[];
  createDate: Date;
}

const THUMBPRINT = /^[0-9a-fA-F]{40}$/;
const MAX_CLIENT_IDS = 100;
const MAX_THUMBPRINTS = 5;

/** The provider URL as IAM keys it: no scheme, no trailing slash. */
export function providerUrlOf(issuer: string): string {
  return issuer.replace(/^https:\/\//, '').replace(/\/+$/, '');
}

export class OidcProviderStore {
  readonly #accountId: string;
  readonly #now: () => Date;
  readonly #providers = new Map<string, OidcProvider>();

  constructor(accountId: string, now: () => Date) {
    this.#accountId = accountId;
    this.#now = now;
  }

  arnFor(issuer: string): string {
    return `arn:aws:iam::${this.#accountId}:oidc-provider/${providerUrlOf(issuer)}`;
  }

  create(input: { url: string; clientIds: string[]; thumbprints: string[]; tags: Tag[] }): OidcProvider {
    if (input.url.length < 1 || input.url.length > 255)
      throw validationError('url', input.url, 'Member must have length between 1 and 255');
    let parsed: URL;
    try {
      parsed = new URL(input.url);
    } catch {
      throw new AwsError('InvalidInput', `The URL ${input.url} is not a valid URL.`, 400);
    }
    if (parsed.protocol !== 'https:')
      throw new AwsError('InvalidInput', 'The URL must begin with https://', 400);
    if (parsed.search) throw new AwsError('InvalidInput', 'The URL must not contain query parameters.', 400);
    if (input.clientIds.length > MAX_CLIENT_IDS)
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`,
        409,
      );
    for (const id of input.clientIds)
      if (id.length < 1 || id.length > 255)
        throw validationError('clientIDList.member', id, 'Member must have length between 1 and 255');
    if (input.thumbprints.length > MAX_THUMBPRINTS)
      throw new AwsError(
        'LimitExceeded',
        `Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: ${MAX_THUMBPRINTS}`,
        409,
      );
    for (const thumbprint of input.thumbprints)
      if (!THUMBPRINT.test(thumbprint))
        throw validationError(
          'thumbprintList.member',
          thumbprint,
          'Member must have length greater than or equal to 40',
        );
    checkTags(input.tags);
    const arn = this.arnFor(input.url);
    if (this.#providers.has(arn))
      throw new AwsError('EntityAlreadyExists', `Provider with url ${input.url} already exists.`, 409);
    const provider: OidcProvider = {
      arn,
      url: providerUrlOf(input.url),
      clientIds: [...new Set(input.clientIds)],
      thumbprints: input.thumbprints.map((t) => t.toLowerCase()),
      tags: [...input.tags],
      createDate: this.#now(),
    };
    this.#providers.set(arn, provider);
    return provider;
  }

  get(arn: string): OidcProvider {
    const provider = this.#providers.get(arn);
    if (!provider) throw new AwsError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`, 404);
    return provider;
  }

  /** The provider registered for a token's issuer (iss), if any. */
  findByIssuer(issuer: string): OidcProvider | undefined {
    return this.#providers.get(this.arnFor(issuer));
  }

  list(): OidcProvider[] {
    return [...this.#providers.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  delete(arn: string): void {
    this.get(arn);
    this.#providers.delete(arn);
  }
}

const ARN = /^arn:aws:iam::\d{12}:oidc-provider\/.+$/;

function providerArnParam(params: URLSearchParams): string {
  const arn = params.get('OpenIDConnectProviderArn');
  if (!arn) throw validationError('openIDConnectProviderArn', undefined, 'Member must not be null');
  if (arn.length < 20 || arn.length > 2048)
    throw validationError('openIDConnectProviderArn', arn, 'Member must have length between 20 and 2048');
  if (!ARN.test(arn)) throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`, 400);
  return arn;
}

interface OidcActionCall {
  params: URLSearchParams;
  require(action: string, resource: string, context?: Record<string, string | string[]>): void;
}

/** The IAM actions on OIDC providers, merged into the IAM handler's action table. */
export function oidcProviderActions(
  store: OidcProviderStore,
  accountId: string,
): Record<string, (call: OidcActionCall) => Record<string, unknown> | undefined> {
  return {
    CreateOpenIDConnectProvider: (call) => {
      const url = call.params.get('Url');
      if (!url) throw validationError('url', undefined, 'Member must not be null');
      const tags = memberList(call.params, 'Tags').map((e) => ({ Key: e.Key ?? '', Value: e.Value ?? '' }));
      const requestTags: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
      for (const tag of tags) requestTags[`aws:RequestTag/${tag.Key}`] = tag.Value;
      call.require(
        'iam:CreateOpenIDConnectProvider',
        `arn:aws:iam::${accountId}:oidc-provider/${providerUrlOf(url)}`,
        requestTags,
      );
      const provider = store.create({
        url,
        clientIds: stringList(call.params, 'ClientIDList'),
        thumbprints: stringList(call.params, 'ThumbprintList'),
        tags,
      });
      return {
        OpenIDConnectProviderArn: provider.arn,
        Tags: provider.tags.length > 0 ? members(provider.tags) : undefined,
      };
    },
    GetOpenIDConnectProvider: (call) => {
      const arn = providerArnParam(call.params);
      call.require('iam:GetOpenIDConnectProvider', arn);
      const provider = store.get(arn);
      return {
        Url: provider.url,
        ClientIDList: members(provider.clientIds),
        ThumbprintList: members(provider.thumbprints),
        CreateDate: isoSeconds(provider.createDate),
        Tags: members(provider.tags),
      };
    },
    ListOpenIDConnectProviders: (call) => {
      call.require('iam:ListOpenIDConnectProviders', '*');
      return { OpenIDConnectProviderList: members(store.list().map((p) => ({ Arn: p.arn }))) };
    },
    DeleteOpenIDConnectProvider: (call) => {
      const arn = providerArnParam(call.params);
      call.require('iam:DeleteOpenIDConnectProvider', arn);
      store.delete(arn);
      return undefined;
    },
  };
}
