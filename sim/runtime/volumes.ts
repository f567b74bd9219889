// Volume contents in the pod sandbox. Projected, configMap and downwardAPI volumes are written the
// way the kubelet's atomic writer does: files live in a timestamped directory, `..data` links to it,
// and each top-level name links through `..data`, so a refresh swaps every file at once.
// Service-account tokens are written without a trailing newline.

import { chmod, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  V1ConfigMap,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Volume,
} from '@kubernetes/client-node';
import type { IssuedToken } from '../kube/types.ts';

export class VolumeMountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeMountError';
  }
}

export interface VolumeSources {
  readConfigMap(namespace: string, name: string): V1ConfigMap | undefined;
  issueToken(pod: V1Pod, audiences: string[], expirationSeconds: number): Promise<IssuedToken>;
  /** The API server's audiences: the default audience of projected tokens. */
  defaultAudiences: string[];
}

interface VolumeFile {
  content: string | Buffer;
  mode: number;
}

export interface MaterialisedVolume {
  /** Lifetime of the shortest-lived token in the volume, when it has tokens (for refresh scheduling). */
  tokenLifetimeMs?: number;
}

const DEFAULT_MODE = 0o644;

let sequence = 0;

function timestampDirName(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  sequence = (sequence + 1) % 1_000_000_000;
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.${pad(sequence, 9)}`;
}

/** Writes `files` (relative paths) into `dir` atomically, replacing what an earlier write put there. */
export async function writeAtomically(dir: string, files: Map<string, VolumeFile>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const dataDirName = timestampDirName();
  const dataDir = join(dir, dataDirName);
  await mkdir(dataDir, { recursive: true });
  for (const [path, file] of files) {
    const target = join(dataDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode);
  }
  let previous: string | undefined;
  try {
    previous = await readlink(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(dataDirName, tmpLink);
  await rename(tmpLink, join(dir, '..data'));
  const topLevel = new Set([...files.keys()].map((path) => path.split('/')[0]));
  for (const name of topLevel) {
    await rm(join(dir, name), { force: true, recursive: false }).catch(() => {});
    await symlink(join('..data', name), join(dir, name)).catch(() => {});
  }
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith('..') && !topLevel.has(entry)) await rm(join(dir, entry), { force: true });
  }
  if (previous && previous !== dataDirName) await rm(join(dir, previous), { recursive: true, force: true });
}

function keyFiles(
  data: Record<string, string>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): Map<string, VolumeFile> {
  const files = new Map<string, VolumeFile>();
  if (!items || items.length === 0) {
    for (const [key, value] of Object.entries(data)) files.set(key, { content: value, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeMountError(`configmap references non-existent config key: ${item.key} (${what})`);
    }
    files.set(item.path, { content: value, mode: item.mode ?? defaultMode });
  }
  return files;
}

function configMapData(configMap: V1ConfigMap): Record<string, string> {
  const data: Record<string, string> = { ...(configMap.data ?? {}) };
  for (const [key, value] of Object.entries(configMap.binaryData ?? {})) {
    data[key] = Buffer.from(value, 'base64').toString('latin1');
  }
  return data;
}

function downwardValue(pod: V1Pod, item: V1DownwardAPIVolumeFile): string {
  const fieldPath = item.fieldRef?.fieldPath;
  if (!fieldPath) return '0';
  const meta = pod.metadata ?? {};
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapKey) return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2]] ?? '';
  const asList = (map: Record<string, string> | undefined) =>
    Object.entries(map ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return asList(meta.labels);
    case 'metadata.annotations':
      return asList(meta.annotations);
    default:
      throw new VolumeMountError(`unsupported downward API fieldPath "${fieldPath}"`);
  }
}

/** Creates or refreshes one volume's content in `dir`. */
export async function materialiseVolume(
  volume: V1Volume,
  dir: string,
  pod: V1Pod,
  sources: VolumeSources,
): Promise<MaterialisedVolume> {
  const namespace = pod.metadata?.namespace ?? '';
  if (volume.emptyDir) {
    await mkdir(dir, { recursive: true });
    return {};
  }
  if (volume.hostPath) return {};
  if (volume.configMap) {
    const { name = '', items, optional = false, defaultMode = DEFAULT_MODE } = volume.configMap;
    const configMap = sources.readConfigMap(namespace, name);
    if (!configMap && !optional) throw new VolumeMountError(`configmap "${name}" not found`);
    await writeAtomically(
      dir,
      configMap ? keyFiles(configMapData(configMap), items, defaultMode, name, optional) : new Map(),
    );
    return {};
  }
  if (volume.downwardAPI) {
    const mode = volume.downwardAPI.defaultMode ?? DEFAULT_MODE;
    const files = new Map<string, VolumeFile>();
    for (const item of volume.downwardAPI.items ?? [])
      files.set(item.path, { content: downwardValue(pod, item), mode: item.mode ?? mode });
    await writeAtomically(dir, files);
    return {};
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files = new Map<string, VolumeFile>();
    let tokenLifetimeMs: number | undefined;
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const { audience, expirationSeconds = 3600, path } = source.serviceAccountToken;
        const audiences = audience ? [audience] : sources.defaultAudiences;
        const issued = await sources.issueToken(pod, audiences, expirationSeconds);
        files.set(path, { content: issued.token, mode });
        const lifetime = issued.expiresAt.getTime() - Date.now();
        tokenLifetimeMs = tokenLifetimeMs === undefined ? lifetime : Math.min(tokenLifetimeMs, lifetime);
      } else if (source.configMap) {
        const { name = '', items, optional = false } = source.configMap;
        const configMap = sources.readConfigMap(namespace, name);
        if (!configMap) {
          if (optional) continue;
          throw new VolumeMountError(`configmap "${name}" not found`);
        }
        for (const [path, file] of keyFiles(configMapData(configMap), items, mode, name, optional))
          files.set(path, file);
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? [])
          files.set(item.path, { content: downwardValue(pod, item), mode: item.mode ?? mode });
      } else if (source.secret) {
        if (source.secret.optional) continue;
        throw new VolumeMountError(`secret "${source.secret.name}" not found`);
      }
    }
    await writeAtomically(dir, files);
    return tokenLifetimeMs === undefined ? {} : { tokenLifetimeMs };
  }
  if (volume.secret) {
    if (volume.secret.optional) {
      await mkdir(dir, { recursive: true });
      return {};
    }
    throw new VolumeMountError(`secret "${volume.secret.secretName}" not found`);
  }
  throw new VolumeMountError(
    `volume type of "${volume.name}" is not supported by the simulator (supported: projected, configMap, downwardAPI, emptyDir, hostPath)`,
  );
}
