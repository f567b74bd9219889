// The simulated node's identity: an IAM role (as an EC2 instance profile gives a node) whose session
// credentials the pod identity agent signs EKS Auth calls with, reissued before they expire.

import { randomBytes } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const NODE_ROLE_NAME = 'eks-node-role';
export const NODE_ROLE_PATH = '/eks/';

/** Reissue the node's session when less than this is left, as SDKs refresh instance credentials. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** A credential provider over `issue`, with the session named after a fixed EC2 instance id. */
export function createNodeCredentials(
  issue: (sessionName: string) => IssuedSession,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  const instanceId = `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
  let current: IssuedSession | undefined;
  return async (): Promise<AwsCredentialIdentity> => {
    if (!current || current.expiration.getTime() - now() < REFRESH_BEFORE_EXPIRY_MS)
      current = issue(instanceId);
    return {
      accessKeyId: current.accessKeyId,
      secretAccessKey: current.secretAccessKey,
      sessionToken: current.sessionToken,
      expiration: current.expiration,
    };
  };
}
