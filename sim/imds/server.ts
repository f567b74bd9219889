// The EC2 instance metadata service of the simulated node, on 169.254.169.254 and [fd00:ec2::254] in
// the node's network namespace: IMDSv2 session tokens (PUT /latest/api/token), IMDSv1 GETs where the
// launch template allows them, and the node role's credentials under
// /latest/meta-data/iam/security-credentials/. Pods that are not on the host network are one network
// hop further away than the node; with a PUT response hop limit of 1 the token response does not reach
// them (the client times out), which is what keeps pods from the node role on EKS.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { TemporaryCredentials } from '../aws/index.ts';

export type ImdsHttpTokens = 'optional' | 'required';

export interface ImdsSettings {
  /** The launch template's HttpTokens: `required` refuses IMDSv1 (default, as EKS recommends). */
  httpTokens?: ImdsHttpTokens;
  /** HttpPutResponseHopLimit, 1..64 (default 1). */
  hopLimit?: number;
}

export interface InstanceMetadataOptions extends ImdsSettings {
  instanceId: string;
  region: string;
  accountId: string;
  /** The node's instance role (an instance profile of the same name). */
  roleName: string;
  /** A fresh session of the node role, as EC2 issues it for the instance profile. */
  issueSession: () => TemporaryCredentials;
  /** Whether a client address is the node itself (host network), i.e. zero hops away. */
  isNodeAddress: (address: string) => boolean;
  now?: () => number;
}

export interface InstanceMetadataService {
  readonly settings: Required<ImdsSettings>;
  acceptConnection(socket: Socket): void;
  close(): Promise<void>;
}

const MAX_TOKEN_TTL_SECONDS = 21_600;
/** EC2 hands out a new role session when the current one has less than this left. */
const ROTATE_BEFORE_EXPIRY_MS = 15 * 60 * 1000;

export function validateImdsSettings(settings: ImdsSettings): Required<ImdsSettings> {
  const httpTokens = settings.httpTokens ?? 'required';
  const hopLimit = settings.hopLimit ?? 1;
  if (httpTokens !== 'optional' && httpTokens !== 'required')
    throw new Error(`IMDS httpTokens must be optional or required, got '${String(httpTokens)}'`);
  if (!Number.isInteger(hopLimit) || hopLimit < 1 || hopLimit > 64)
    throw new Error(`IMDS hop limit must be an integer from 1 to 64, got '${String(hopLimit)}'`);
  return { httpTokens, hopLimit };
}

export function startInstanceMetadataService(options: InstanceMetadataOptions): InstanceMetadataService {
  const settings = validateImdsSettings(options);
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  let session: TemporaryCredentials | undefined;
  let sessionUpdated = new Date(now());
  const currentSession = () => {
    if (!session || session.expiration.getTime() - now() < ROTATE_BEFORE_EXPIRY_MS) {
      session = options.issueSession();
      sessionUpdated = new Date(now());
    }
    return session;
  };
  const profileArn = `arn:aws:iam::${options.accountId}:instance-profile/${options.roleName}`;
  const profileId = `AIPA${randomBytes(8).toString('hex').toUpperCase().slice(0, 17)}`;
  const az = `${options.region}a`;

  const metadata = (path: string): string | undefined => {
    const credentialsPrefix = '/latest/meta-data/iam/security-credentials/';
    if (path === credentialsPrefix) return options.roleName;
    if (path === `${credentialsPrefix}${options.roleName}`) {
      const credentials = currentSession();
      return JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: isoSeconds(sessionUpdated),
          Type: 'AWS-HMAC',
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          Token: credentials.sessionToken,
          Expiration: isoSeconds(credentials.expiration),
        },
        null,
        2,
      );
    }
    switch (path) {
      case '/latest/meta-data/':
        return ['ami-id', 'hostname', 'iam/', 'instance-id', 'instance-type', 'placement/'].join('\n');
      case '/latest/meta-data/iam/':
        return ['info', 'security-credentials/'].join('\n');
      case '/latest/meta-data/iam/info':
        return JSON.stringify(
          {
            Code: 'Success',
            LastUpdated: isoSeconds(sessionUpdated),
            InstanceProfileArn: profileArn,
            InstanceProfileId: profileId,
          },
          null,
          2,
        );
      case '/latest/meta-data/instance-id':
        return options.instanceId;
      case '/latest/meta-data/instance-type':
        return 'm5.large';
      case '/latest/meta-data/ami-id':
        return 'ami-0eksnode000000000';
      case '/latest/meta-data/placement/':
        return ['availability-zone', 'region'].join('\n');
      case '/latest/meta-data/placement/region':
        return options.region;
      case '/latest/meta-data/placement/availability-zone':
        return az;
      case '/latest/dynamic/instance-identity/document':
        return JSON.stringify(
          {
            accountId: options.accountId,
            availabilityZone: az,
            instanceId: options.instanceId,
            instanceType: 'm5.large',
            region: options.region,
          },
          null,
          2,
        );
      default:
        return undefined;
    }
  };

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(body);
    };
    if (path === '/latest/api/token') {
      if (request.method !== 'PUT') return reply(405, 'Method Not Allowed');
      // IMDS refuses token requests that went through a proxy.
      if (request.headers['x-forwarded-for'] !== undefined) return reply(403, 'Forbidden');
      const ttl = Number(request.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) return reply(400, 'Bad Request');
      const hops = options.isNodeAddress(normalize(request.socket.remoteAddress)) ? 0 : 1;
      // The response's IP TTL is the hop limit: it expires on the way to a client further away, so
      // the client hears nothing and times out. The request is left unanswered until it gives up.
      if (hops >= settings.hopLimit) return;
      const token = randomBytes(42).toString('base64');
      tokens.set(token, now() + ttl * 1000);
      return reply(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'Method Not Allowed');
    const token = request.headers['x-aws-ec2-metadata-token'];
    if (token !== undefined) {
      const expiresAt = typeof token === 'string' ? tokens.get(token) : undefined;
      if (expiresAt === undefined || expiresAt <= now()) return reply(401, 'Unauthorized');
    } else if (settings.httpTokens === 'required') {
      return reply(401, 'Unauthorized');
    }
    // Leaves answer with or without a trailing slash (botocore asks for availability-zone/).
    const body = metadata(path) ?? (path.endsWith('/') ? metadata(path.slice(0, -1)) : undefined);
    if (body === undefined) return reply(404, 'Not Found');
    reply(200, body);
  });

  return {
    settings,
    acceptConnection: (socket) => {
      server.emit('connection', socket);
    },
    close: async () => {
      server.closeAllConnections();
    },
  };
}

function normalize(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/** IMDS writes times as 2024-01-01T00:00:00Z (no fraction). */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
