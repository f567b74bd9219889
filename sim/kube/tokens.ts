// Service-account tokens: RS256 JWTs with the claims a Kubernetes API server puts in them, signed by a
// key generated per start and published as the JWKS. The key id is 40 lowercase hex characters
// (a SHA-1 of the public key), the form EKS uses.

import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { IssuedToken } from './types.ts';

export interface TokenClaimsInput {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  pod?: { name: string; uid: string };
  node?: { name: string; uid: string };
}

export interface KubernetesClaims {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  node?: { name: string; uid: string };
}

export interface VerifiedServiceAccountToken {
  payload: JWTPayload & { 'kubernetes.io'?: KubernetesClaims };
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** An RS256 key pair with its EKS-style key id and public JWK. */
export interface SigningKeyPair {
  keyId: string;
  privateKey: SigningKey;
  publicKey: SigningKey;
  jwk: Record<string, unknown>;
}

export async function generateSigningKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const spkiPem = await exportSPKI(publicKey);
  const spkiDer = Buffer.from(spkiPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const keyId = createHash('sha1').update(spkiDer).digest('hex');
  const { n, e, kty } = await exportJWK(publicKey);
  return { keyId, privateKey, publicKey, jwk: { use: 'sig', kty, kid: keyId, alg: 'RS256', n, e } };
}

export class ServiceAccountTokenIssuer {
  readonly issuer: string;
  readonly keyId: string;
  readonly #privateKey: SigningKey;
  readonly #publicKey: SigningKey;
  readonly #jwk: Record<string, unknown>;

  constructor(issuer: string, key: SigningKeyPair) {
    this.issuer = issuer;
    this.keyId = key.keyId;
    this.#privateKey = key.privateKey;
    this.#publicKey = key.publicKey;
    this.#jwk = key.jwk;
  }

  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: [{ ...this.#jwk }] };
  }

  async issue(input: TokenClaimsInput): Promise<IssuedToken> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + input.expirationSeconds;
    const kubernetes: KubernetesClaims = {
      namespace: input.namespace,
      ...(input.node ? { node: { name: input.node.name, uid: input.node.uid } } : {}),
      ...(input.pod ? { pod: { name: input.pod.name, uid: input.pod.uid } } : {}),
      serviceaccount: { name: input.serviceAccount.name, uid: input.serviceAccount.uid },
    };
    const token = await new SignJWT({ 'kubernetes.io': kubernetes })
      .setProtectedHeader({ alg: 'RS256', kid: this.keyId })
      .setAudience(input.audiences)
      .setExpirationTime(expiresAt)
      .setIssuedAt(issuedAt)
      .setIssuer(this.issuer)
      .setJti(randomUUID())
      .setNotBefore(issuedAt)
      .setSubject(`system:serviceaccount:${input.namespace}:${input.serviceAccount.name}`)
      .sign(this.#privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Verifies signature, issuer, time claims and (when given) that `audience` is among the token's. */
  async verify(token: string, audience?: string): Promise<VerifiedServiceAccountToken> {
    const { payload } = await jwtVerify(token, this.#publicKey, {
      issuer: this.issuer,
      algorithms: ['RS256'],
      ...(audience ? { audience } : {}),
    });
    return { payload: payload as VerifiedServiceAccountToken['payload'] };
  }
}
