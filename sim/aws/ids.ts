// Identifiers in AWS's formats, random per call. Nothing here is a real or fixed credential.

import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const randomUpperAlnum = (length: number): string => randomFrom(UPPER_ALNUM, length);
export const newRoleId = (): string => `AROA${randomUpperAlnum(17)}`;
export const newUserId = (): string => `AIDA${randomUpperAlnum(17)}`;
export const newPolicyId = (): string => `ANPA${randomUpperAlnum(17)}`;
export const newLongTermAccessKeyId = (): string => `AKIA${randomUpperAlnum(16)}`;
export const newSessionAccessKeyId = (): string => `ASIA${randomUpperAlnum(16)}`;
export const newSecretAccessKey = (): string => randomFrom(SECRET_ALPHABET, 40);
export const newSessionToken = (): string => randomBytes(264).toString('base64');
export const newQueryRequestId = (): string => randomUUID();
export const newS3RequestId = (): string => randomBytes(8).toString('hex').toUpperCase();
export const newHostId = (): string => randomBytes(48).toString('base64');
export const newUploadId = (): string => randomBytes(48).toString('base64url');
