// Access keys and who they belong to: long-term keys (AKIA) of the admin user, IAM users and service
// principals, and STS sessions (ASIA + session token, with an expiry). Secrets stay in here; nothing
// in this module formats them into a message.

import { newLongTermAccessKeyId, newSecretAccessKey, newSessionAccessKeyId, newSessionToken } from './ids.ts';
import type { PolicyDocument } from './policy/types.ts';
import type { CallerIdentity } from './service.ts';

export type KeyOwner =
  | { kind: 'root' }
  | { kind: 'user'; userName: string; userId: string; arn: string }
  | { kind: 'service'; servicePrincipal: string };

export interface LongTermKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  owner: KeyOwner;
}

export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: Date;
  expiresAt: Date;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  /** Session tags (request tags plus inherited transitive tags). */
  sessionTags: Record<string, string>;
  transitiveTagKeys: string[];
  sessionPolicies: PolicyDocument[];
  /** Assumed with the credentials of another role session (role chaining). */
  chained: boolean;
  sourceIdentity?: string;
}

export type ResolvedKey = { kind: 'long-term'; key: LongTermKey } | { kind: 'session'; session: RoleSession };

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export class PrincipalStore {
  private readonly accountId: string;
  private readonly longTerm = new Map<string, LongTermKey>();
  private readonly sessions = new Map<string, RoleSession>();

  constructor(accountId: string) {
    this.accountId = accountId;
  }

  createLongTermKey(owner: KeyOwner, now: Date): LongTermKey {
    const key: LongTermKey = {
      accessKeyId: newLongTermAccessKeyId(),
      secretAccessKey: newSecretAccessKey(),
      status: 'Active',
      createDate: now,
      owner,
    };
    this.longTerm.set(key.accessKeyId, key);
    return key;
  }

  deleteLongTermKey(accessKeyId: string): boolean {
    return this.longTerm.delete(accessKeyId);
  }

  keysOfUser(userName: string): LongTermKey[] {
    return [...this.longTerm.values()].filter(
      (k) => k.owner.kind === 'user' && k.owner.userName.toLowerCase() === userName.toLowerCase(),
    );
  }

  getLongTermKey(accessKeyId: string): LongTermKey | undefined {
    return this.longTerm.get(accessKeyId);
  }

  createSession(fields: Omit<RoleSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): RoleSession {
    const session: RoleSession = {
      ...fields,
      accessKeyId: newSessionAccessKeyId(),
      secretAccessKey: newSecretAccessKey(),
      sessionToken: newSessionToken(),
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  getSession(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Test hook: make a session's credentials expired now. Returns false for an unknown key. */
  expireSession(accessKeyId: string, now: Date): boolean {
    const session = this.sessions.get(accessKeyId);
    if (!session) return false;
    session.expiresAt = new Date(now.getTime() - 1000);
    return true;
  }

  /** Makes a session expire at `expiresAt` if that is sooner (EKS Auth's shorter credential lifetime). */
  limitSessionLifetime(accessKeyId: string, expiresAt: Date): boolean {
    const session = this.sessions.get(accessKeyId);
    if (!session) return false;
    if (expiresAt < session.expiresAt) session.expiresAt = expiresAt;
    return true;
  }

  /** Drop sessions that expired more than `graceMs` ago, so long runs do not grow without bound. */
  pruneExpiredSessions(now: Date, graceMs = 3_600_000): void {
    for (const [id, session] of this.sessions) {
      if (session.expiresAt.getTime() + graceMs < now.getTime()) this.sessions.delete(id);
    }
  }

  resolve(accessKeyId: string): ResolvedKey | undefined {
    const key = this.longTerm.get(accessKeyId);
    if (key) return key.status === 'Active' ? { kind: 'long-term', key } : undefined;
    const session = this.sessions.get(accessKeyId);
    return session ? { kind: 'session', session } : undefined;
  }

  callerOf(resolved: ResolvedKey): CallerIdentity {
    const accountId = this.accountId;
    if (resolved.kind === 'session') {
      const s = resolved.session;
      return {
        accessKeyId: s.accessKeyId,
        accountId,
        arn: `arn:aws:sts::${accountId}:assumed-role/${s.roleName}/${s.sessionName}`,
        userId: `${s.roleId}:${s.sessionName}`,
        kind: 'assumed-role',
        roleName: s.roleName,
        roleArn: s.roleArn,
        sessionName: s.sessionName,
        sessionTags: { ...s.sessionTags },
        transitiveTagKeys: [...s.transitiveTagKeys],
        expiresAt: s.expiresAt,
      };
    }
    const { key } = resolved;
    const base = { accessKeyId: key.accessKeyId, accountId, sessionTags: {}, transitiveTagKeys: [] };
    switch (key.owner.kind) {
      case 'root':
        return { ...base, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, kind: 'root' };
      case 'user':
        return { ...base, arn: key.owner.arn, userId: key.owner.userId, kind: 'user' };
      case 'service':
        return {
          ...base,
          arn: `arn:aws:iam::${accountId}:service/${key.owner.servicePrincipal}`,
          userId: key.owner.servicePrincipal,
          kind: 'service',
          servicePrincipal: key.owner.servicePrincipal,
        };
    }
  }
}
