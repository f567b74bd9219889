// EKS bearer tokens made in-process, exactly as `aws eks get-token` makes them: a presigned STS
// GetCallerIdentity URL (valid 60 s as a presign; EKS accepts it for 15 minutes after X-Amz-Date) whose
// signature covers the header `x-k8s-aws-id: <cluster>`, encoded `k8s-aws-v1.` + base64url without
// padding. The STS client resolves the endpoint (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's
// endpoint_url, regional STS) and the credentials (the default chain); @smithy/signature-v4 presigns.

import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** X-Amz-Expires of the presigned URL, as the AWS CLI sets it (STS itself ignores it). */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** How long EKS accepts a token after its X-Amz-Date. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

export interface EksToken {
  /** Bearer token. Secret: never log. */
  token: string;
  /** When EKS stops accepting it (a minute early, as `aws eks get-token` reports). */
  expiresAt: Date;
}

/** What the STS client would send for GetCallerIdentity: endpoint, path and form parameters. */
interface StsRequestShape {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  parameters: Record<string, string>;
}

const SHA256 = Hash.bind(null, 'sha256');

/** RFC 3986 query encoding, as SigV4 canonicalises it. */
function encodeQuery(query: Record<string, string | string[] | null>): string {
  const encode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = value === null ? [] : Array.isArray(value) ? value : [value];
      return values.map((v) => `${encode(key)}=${encode(v)}`);
    })
    .join('&');
}

/** Makes EKS tokens for one cluster; reuses one STS client (endpoint and credentials resolved once). */
export class EksTokenSource {
  readonly #clusterName: string;
  readonly #region: string;
  readonly #sts: STSClient;
  readonly #now: () => Date;
  #shape: Promise<StsRequestShape> | undefined;

  constructor(options: {
    clusterName: string;
    region: string;
    credentials?: CredentialProvider;
    /** The STS endpoint; default: what the SDK resolves (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, regional). */
    endpoint?: string;
    now?: () => Date;
  }) {
    this.#clusterName = options.clusterName;
    this.#region = options.region;
    this.#now = options.now ?? (() => new Date());
    this.#sts = new STSClient({
      region: options.region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
  }

  async token(): Promise<EksToken> {
    this.#shape ??= this.#requestShape();
    const shape = await this.#shape.catch((error: unknown) => {
      this.#shape = undefined;
      throw error;
    });
    const credentials = await this.#sts.config.credentials();
    const host = shape.port ? `${shape.hostname}:${shape.port}` : shape.hostname;
    const request = new HttpRequest({
      method: 'GET',
      protocol: shape.protocol,
      hostname: shape.hostname,
      ...(shape.port ? { port: shape.port } : {}),
      path: shape.path,
      query: shape.parameters,
      headers: { host, [CLUSTER_ID_HEADER]: this.#clusterName },
    });
    const signer = new SignatureV4({
      service: 'sts',
      region: this.#region,
      credentials,
      sha256: SHA256,
    });
    const signingDate = this.#now();
    const presigned = await signer.presign(request, {
      expiresIn: PRESIGN_EXPIRES_SECONDS,
      signingDate,
      signableHeaders: new Set(['host', CLUSTER_ID_HEADER]),
    });
    const url = `${shape.protocol}//${host}${shape.path}?${encodeQuery(presigned.query ?? {})}`;
    return {
      token: `${EKS_TOKEN_PREFIX}${Buffer.from(url, 'utf8').toString('base64url')}`,
      expiresAt: new Date(signingDate.getTime() + EKS_TOKEN_LIFETIME_MS - 60_000),
    };
  }

  destroy(): void {
    this.#sts.destroy();
  }

  /**
   * Lets the STS client build (but not send) GetCallerIdentity: its endpoint resolution and Query
   * serialisation say where the presigned URL points and what it carries.
   */
  async #requestShape(): Promise<StsRequestShape> {
    const captured: { shape?: StsRequestShape } = {};
    const command = new GetCallerIdentityCommand({});
    command.middlewareStack.add(
      () => async (args) => {
        const built = args.request as HttpRequest;
        captured.shape = {
          protocol: built.protocol,
          hostname: built.hostname,
          ...(built.port ? { port: built.port } : {}),
          path: built.path || '/',
          parameters: Object.fromEntries(new URLSearchParams(String(built.body ?? ''))),
        };
        return { output: { $metadata: {} }, response: {} } as never;
      },
      { step: 'build', priority: 'low', name: 'eksTokenRequestShape' },
    );
    await this.#sts.send(command);
    const { shape } = captured;
    if (shape?.parameters.Action !== 'GetCallerIdentity') {
      throw new Error('the STS client did not build a GetCallerIdentity request to presign');
    }
    return shape;
  }
}

/** The presigned URL inside a token (for checks and tests; the token itself is the secret). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX))
    throw new Error(`not an EKS token (no ${EKS_TOKEN_PREFIX} prefix)`);
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}
