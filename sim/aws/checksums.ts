// The flexible checksums S3 accepts (x-amz-checksum-*), and Content-MD5.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256', 'crc64nvme'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

function uint32Base64(value: number): string {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0);
  return buf.toString('base64');
}

/** Base64 checksum of `data`, as S3 computes it for x-amz-checksum-<algorithm>. */
export async function computeChecksum(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  switch (algorithm) {
    case 'crc32':
      return uint32Base64(crc32(data));
    case 'crc32c':
      return uint32Base64(crc32c(data));
    case 'sha1':
      return createHash('sha1').update(data).digest('base64');
    case 'sha256':
      return createHash('sha256').update(data).digest('base64');
    case 'crc64nvme': {
      const checksum = new Crc64Nvme();
      checksum.update(data);
      return Buffer.from(await checksum.digest()).toString('base64');
    }
  }
}

/** S3's display name for an algorithm in error messages (CRC32, CRC32C, SHA1, SHA256, CRC64NVME). */
export const checksumDisplayName = (algorithm: ChecksumAlgorithm): string => algorithm.toUpperCase();

export const md5Base64 = (data: Uint8Array): string => createHash('md5').update(data).digest('base64');
export const md5Hex = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');
export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The x-amz-checksum-<algorithm> headers present on a request. */
export function checksumHeaders(
  headers: Record<string, string | string[] | undefined>,
): Array<{ algorithm: ChecksumAlgorithm; value: string }> {
  const found: Array<{ algorithm: ChecksumAlgorithm; value: string }> = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = headers[`x-amz-checksum-${algorithm}`];
    if (typeof value === 'string') found.push({ algorithm, value });
  }
  return found;
}
