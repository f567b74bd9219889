// Mount-path mapping. The stored pod keeps real container paths (`/var/run/secrets/...`); when a
// process is spawned, every occurrence of a mount path in its argv and env values (as a prefix or
// inside a shell script string) is rewritten to where the volume lives in the pod's sandbox.

import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface MountMapping {
  /** Path inside the container, as in the pod spec. */
  mountPath: string;
  /** Where it is on the host. */
  hostPath: string;
}

export function volumeDirectory(sandboxDir: string, volumeName: string): string {
  return join(sandboxDir, 'volumes', volumeName);
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function mountMappings(pod: V1Pod, container: V1Container, sandboxDir: string): MountMapping[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((volume) => [volume.name, volume]));
  const mappings: MountMapping[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    // A volume mounted over the whole root cannot be told apart from other paths: not mapped.
    if (!volume || !mount.mountPath || trimSlash(mount.mountPath) === '/') continue;
    const base = volume.hostPath?.path ?? volumeDirectory(sandboxDir, volume.name);
    mappings.push({
      mountPath: trimSlash(mount.mountPath),
      hostPath: mount.subPath ? join(base, mount.subPath) : base,
    });
  }
  // Longest first, so a nested mount wins over the one containing it.
  return mappings.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites mount paths in a string. A mount path matches only as a whole path: not preceded by a path
 * character and followed by the end, `/` or a character that cannot continue a file name.
 */
export function rewriteMountPaths(value: string, mappings: MountMapping[]): string {
  if (mappings.length === 0 || value === '') return value;
  const pattern = new RegExp(
    `(?<![\\w.\\-/])(${mappings.map((m) => escapeRegExp(m.mountPath)).join('|')})(?![\\w.\\-])`,
    'g',
  );
  const byPath = new Map(mappings.map((m) => [m.mountPath, m.hostPath]));
  return value.replace(pattern, (match) => byPath.get(match) ?? match);
}
