// Small in-test stand-ins for what sim/eks plugs into: the AWS endpoint's request context (caller,
// authorize, IAM view), a Kubernetes side with a real RSA key and issuer, and a recording STS.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { PolicyDocument } from '../../aws/policy/types.ts';
import type {
  AuthorizeInput,
  CallerIdentity,
  IamRoleView,
  ServiceContext,
  SignedRequest,
} from '../../aws/service.ts';
import type { ClusterKubernetesSide } from '../../eks/cluster.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-west-2';

export const ADMIN: CallerIdentity = {
  accessKeyId: 'AKIAADMIN',
  accountId: ACCOUNT,
  arn: `arn:aws:iam::${ACCOUNT}:user/admin`,
  userId: 'AIDAADMIN',
  kind: 'user',
  sessionTags: {},
  transitiveTagKeys: [],
};

export const POD_IDENTITY_TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};

export interface FakeContext extends ServiceContext {
  roles: Map<string, IamRoleView>;
  /** "action resource" pairs that authorize() refuses. */
  denied: Set<string>;
  calls: AuthorizeInput[];
  addRole(name: string, trustPolicy?: PolicyDocument): string;
}

export function fakeContext(): FakeContext {
  const roles = new Map<string, IamRoleView>();
  const denied = new Set<string>();
  const calls: AuthorizeInput[] = [];
  return {
    accountId: ACCOUNT,
    region: REGION,
    roles,
    denied,
    calls,
    authorize(caller, input) {
      calls.push(input);
      const refused = denied.has(`${input.action} ${input.resource}`) || denied.has(input.action);
      return refused
        ? {
            allowed: false,
            decision: 'ImplicitDeny',
            message: `User: ${caller.arn} is not authorized to perform: ${input.action} on resource: ${input.resource}`,
          }
        : { allowed: true, decision: 'Allow', message: 'allowed' };
    },
    iam: {
      getRoleByArn: (arn) => roles.get(arn),
      getRoleByName: (name) => [...roles.values()].find((r) => r.roleName === name),
    },
    addRole(name, trustPolicy = POD_IDENTITY_TRUST) {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      roles.set(arn, {
        arn,
        roleId: `AROA${randomUUID().replaceAll('-', '').slice(0, 17).toUpperCase()}`,
        roleName: name,
        path: '/',
        accountId: ACCOUNT,
        trustPolicy,
        createDate: new Date(),
      });
      return arn;
    },
  };
}

export function signedRequest(
  method: string,
  path: string,
  options: { query?: Record<string, string>; body?: unknown; caller?: CallerIdentity; service?: string } = {},
): SignedRequest {
  return {
    method,
    path,
    query: new URLSearchParams(options.query ?? {}),
    headers: {},
    body: options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body)),
    service: options.service ?? 'eks',
    region: REGION,
    caller: options.caller ?? ADMIN,
    requestId: randomUUID(),
  };
}

/** A Kubernetes side with a real signing key, and a way to mint tokens as its API server would. */
export interface FakeKubernetes extends ClusterKubernetesSide {
  mintToken(options: {
    namespace: string;
    serviceAccount: string;
    pod?: { name: string; uid: string };
    audience?: string | string[];
    expiresInSeconds?: number;
    issuer?: string;
    notBeforeOffsetSeconds?: number;
  }): Promise<string>;
  /** A token of the right shape signed by a key the cluster does not know. */
  mintForgedToken(options: {
    namespace: string;
    serviceAccount: string;
    pod: { name: string; uid: string };
  }): Promise<string>;
}

export async function fakeKubernetes(): Promise<FakeKubernetes> {
  const issuer = 'https://127.0.0.1:6443';
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const forger = await generateKeyPair('RS256', { extractable: true });
  const kid = 'a'.repeat(40);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const mint = async (
    key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'],
    options: Parameters<FakeKubernetes['mintToken']>[0],
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      'kubernetes.io': {
        namespace: options.namespace,
        serviceaccount: { name: options.serviceAccount, uid: randomUUID() },
        ...(options.pod ? { pod: options.pod } : {}),
      },
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(options.issuer ?? issuer)
      .setSubject(`system:serviceaccount:${options.namespace}:${options.serviceAccount}`)
      .setAudience(options.audience ?? 'pods.eks.amazonaws.com')
      .setIssuedAt(now)
      .setNotBefore(now + (options.notBeforeOffsetSeconds ?? 0))
      .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
      .sign(key);
  };
  return {
    apiServerUrl: 'https://127.0.0.1:6443',
    caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    issuer,
    jwks: () => ({ keys: [jwk as Record<string, unknown>] }),
    mintToken: (options) => mint(privateKey, options),
    mintForgedToken: (options) => mint(forger.privateKey, options),
  };
}

export interface RecordedStsCall {
  params: URLSearchParams;
  accessKeyId: string;
}

export interface FakeSts {
  url: string;
  calls: RecordedStsCall[];
  /** Answer the next calls with this STS error instead of credentials. */
  failWith?: { status: number; code: string; message: string };
  close(): Promise<void>;
}

/** An STS Query endpoint that answers AssumeRole with fresh credentials and records the parameters. */
export async function fakeSts(): Promise<FakeSts> {
  const calls: RecordedStsCall[] = [];
  const state: FakeSts = { url: '', calls, close: async () => {} };
  let counter = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
      calls.push({ params, accessKeyId });
      if (state.failWith) {
        res.writeHead(state.failWith.status, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${state.failWith.code}</Code><Message>${state.failWith.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
        return;
      }
      const roleArn = params.get('RoleArn')!;
      const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
      const account = roleArn.split(':')[4];
      const session = params.get('RoleSessionName')!;
      counter++;
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAFAKE${String(counter).padStart(8, '0')}</AccessKeyId>
      <SecretAccessKey>secret-${counter}</SecretAccessKey>
      <SessionToken>session-token-${counter}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAFAKEROLEID:${session}</AssumedRoleId>
      <Arn>arn:aws:sts::${account}:assumed-role/${roleName}/${session}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
