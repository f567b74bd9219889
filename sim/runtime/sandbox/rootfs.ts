// A container's root filesystem, planned as mounts in its pod's mount namespace. The root is a directory
// in the pod's sandbox (writable, like an image's top layer); the host's top-level directories are bound
// into it read-only, except the ones a container gets fresh (/tmp, /run, /root: the host's ~/.aws must
// not reach pods' SDKs); then /proc, /dev, /sys, the kubelet's /etc/hosts and /etc/hostname, and the
// volumes at their mountPaths. Paths are resolved as the container sees them (symlinks such as
// /var/run -> /run followed inside the root), and a mountPath under a host directory that lacks it
// replaces that directory by a fresh one holding binds of its entries, so the mount point can be made.

import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';

export interface PlannedMount {
  /** Host path, or `proc` / `tmpfs`. */
  source: string;
  /** Path inside the container. */
  containerPath: string;
  type: 'bind' | 'rbind' | 'proc' | 'tmpfs';
  readOnly: boolean;
  /** What it came from: host directories may be split into their entries; volumes may get mount points. */
  origin: 'host' | 'volume' | 'system';
}

export interface ContainerRootRequest {
  /** Host directory that becomes the container's `/`. */
  root: string;
  /** Host paths that stay visible at their own paths even under a fresh directory (tool prefixes). */
  toolDirs: string[];
  /** Host paths pods must not see (the simulator's state): hidden by an empty tmpfs when visible. */
  hiddenDirs: string[];
  volumes: Array<{ mountPath: string; source: string; readOnly: boolean }>;
  /** Files the kubelet manages, bound over their container paths (e.g. /etc/hosts). */
  managedFiles: Array<{ containerPath: string; source: string }>;
  workingDir: string;
}

const FRESH_TOP_LEVEL = new Set(['tmp', 'run', 'root']);
const SPECIAL_TOP_LEVEL = new Set(['proc', 'sys', 'dev', 'lost+found']);

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function componentsOf(path: string): string[] {
  return posix
    .normalize(path)
    .split('/')
    .filter((part) => part !== '' && part !== '.');
}

export class ContainerRootPlan {
  readonly root: string;
  readonly #mounts = new Map<string, PlannedMount>();

  constructor(root: string) {
    this.root = root;
  }

  get mounts(): PlannedMount[] {
    // Parents before children: mount(2) needs the mount points a parent mount provides.
    return [...this.#mounts.values()].sort(
      (a, b) => componentsOf(a.containerPath).length - componentsOf(b.containerPath).length,
    );
  }

  /** Host path of a container path, when it lies on a planned mount of a host path. */
  #backing(containerPath: string): { mount: PlannedMount; hostPath: string } | undefined {
    let best: PlannedMount | undefined;
    for (const mount of this.#mounts.values()) {
      if (mount.type === 'proc' || mount.type === 'tmpfs') continue;
      const prefix = mount.containerPath;
      if (
        (containerPath === prefix || containerPath.startsWith(`${prefix}/`)) &&
        (!best || prefix.length > best.containerPath.length)
      )
        best = mount;
    }
    if (!best) return undefined;
    return { mount: best, hostPath: join(best.source, containerPath.slice(best.containerPath.length)) };
  }

  /** Where a container path lives on the host: on a mount's source, or in the root directory. */
  #hostPathOf(containerPath: string): { hostPath: string; mount?: PlannedMount } {
    const backing = this.#backing(containerPath);
    return backing ?? { hostPath: join(this.root, containerPath) };
  }

  add(mount: PlannedMount): void {
    this.#mounts.set(mount.containerPath, mount);
  }

  /** Replaces a host directory's bind by a fresh directory with a bind per entry. */
  #split(mount: PlannedMount): void {
    this.#mounts.delete(mount.containerPath);
    const dir = join(this.root, mount.containerPath);
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(mount.source, { withFileTypes: true })) {
      const source = join(mount.source, entry.name);
      const containerPath = posix.join(mount.containerPath, entry.name);
      // A mount already planned there (e.g. the kubelet's /etc/hosts) stays; it needs its mount point.
      if (this.#mounts.has(containerPath)) {
        if (entry.isDirectory()) mkdirSync(join(dir, entry.name), { recursive: true });
        else writeFileSync(join(dir, entry.name), '');
        continue;
      }
      if (entry.isSymbolicLink()) {
        symlinkSync(readlinkSync(source), join(dir, entry.name));
      } else if (entry.isDirectory()) {
        mkdirSync(join(dir, entry.name), { recursive: true });
        this.add({ source, containerPath, type: 'rbind', readOnly: mount.readOnly, origin: 'host' });
      } else if (entry.isFile()) {
        writeFileSync(join(dir, entry.name), '');
        this.add({ source, containerPath, type: 'bind', readOnly: mount.readOnly, origin: 'host' });
      }
    }
  }

  /**
   * The container path `path` resolves to (symlinks followed inside the container's root), making the
   * directories on the way that do not exist. `last` is what the final component must be.
   */
  makeMountPoint(path: string, last: 'dir' | 'file', depth = 0): string {
    if (depth > 40) throw new Error(`too many levels of symbolic links in ${path}`);
    const parts = componentsOf(path);
    let resolved = '/';
    for (let i = 0; i < parts.length; i++) {
      const candidate = posix.join(resolved, parts[i] ?? '');
      const { hostPath, mount } = this.#hostPathOf(candidate);
      const stat = lstatOrUndefined(hostPath);
      if (stat?.isSymbolicLink()) {
        const target = readlinkSync(hostPath);
        const next = isAbsolute(target) ? target : posix.join(resolved, target);
        return this.makeMountPoint(posix.join(next, ...parts.slice(i + 1)), last, depth + 1);
      }
      if (!stat) {
        if (mount?.origin === 'host') {
          // A host directory cannot get a new entry: give the container a copy of it made of binds.
          this.#split(mount);
          return this.makeMountPoint(path, last, depth + 1);
        }
        const isLast = i === parts.length - 1;
        if (isLast && last === 'file') writeFileSync(hostPath, '');
        else mkdirSync(hostPath, { recursive: true });
      }
      resolved = candidate;
    }
    return resolved;
  }
}

/** The host's top-level entries: which are bound, made fresh, or copied as symlinks (cached). */
interface TopLevelEntry {
  name: string;
  kind: 'dir' | 'symlink';
  target?: string;
}
let topLevel: TopLevelEntry[] | undefined;
function hostTopLevel(): TopLevelEntry[] {
  topLevel ??= readdirSync('/', { withFileTypes: true }).flatMap((entry): TopLevelEntry[] => {
    if (SPECIAL_TOP_LEVEL.has(entry.name)) return [];
    if (entry.isSymbolicLink())
      return [{ name: entry.name, kind: 'symlink' as const, target: readlinkSync(`/${entry.name}`) }];
    if (entry.isDirectory()) return [{ name: entry.name, kind: 'dir' as const }];
    return [];
  });
  return topLevel;
}

export function planContainerRoot(request: ContainerRootRequest): ContainerRootPlan {
  const plan = new ContainerRootPlan(request.root);
  mkdirSync(request.root, { recursive: true });
  for (const entry of hostTopLevel()) {
    const path = join(request.root, entry.name);
    if (entry.kind === 'symlink') {
      symlinkSync(entry.target ?? '', path);
      continue;
    }
    mkdirSync(path, { recursive: true, mode: entry.name === 'tmp' ? 0o1777 : 0o755 });
    if (FRESH_TOP_LEVEL.has(entry.name)) continue;
    plan.add({
      source: `/${entry.name}`,
      containerPath: `/${entry.name}`,
      type: 'rbind',
      readOnly: true,
      origin: 'host',
    });
  }
  for (const name of ['proc', 'dev', 'sys']) mkdirSync(join(request.root, name), { recursive: true });
  plan.add({ source: 'proc', containerPath: '/proc', type: 'proc', readOnly: false, origin: 'system' });
  plan.add({ source: '/dev', containerPath: '/dev', type: 'rbind', readOnly: false, origin: 'system' });
  plan.add({ source: '/sys', containerPath: '/sys', type: 'rbind', readOnly: true, origin: 'system' });

  for (const hidden of request.hiddenDirs) {
    const first = componentsOf(hidden)[0] ?? '';
    if (FRESH_TOP_LEVEL.has(first) || !lstatOrUndefined(hidden)?.isDirectory()) continue;
    plan.add({ source: 'tmpfs', containerPath: hidden, type: 'tmpfs', readOnly: false, origin: 'system' });
  }
  for (const dir of request.toolDirs) {
    const first = componentsOf(dir)[0] ?? '';
    if (!FRESH_TOP_LEVEL.has(first) || !lstatOrUndefined(dir)?.isDirectory()) continue;
    const at = plan.makeMountPoint(dir, 'dir');
    plan.add({ source: dir, containerPath: at, type: 'rbind', readOnly: true, origin: 'host' });
  }
  for (const file of request.managedFiles) {
    const at = plan.makeMountPoint(file.containerPath, 'file');
    plan.add({ source: file.source, containerPath: at, type: 'bind', readOnly: false, origin: 'volume' });
  }
  for (const volume of request.volumes) {
    const isFile = lstatOrUndefined(volume.source)?.isFile() ?? false;
    const at = plan.makeMountPoint(volume.mountPath, isFile ? 'file' : 'dir');
    plan.add({
      source: volume.source,
      containerPath: at,
      type: 'bind',
      readOnly: volume.readOnly,
      origin: 'volume',
    });
  }
  plan.makeMountPoint(request.workingDir, 'dir');
  return plan;
}

/** fstab(5) field: spaces, tabs, newlines and backslashes as octal escapes. */
function fstabField(value: string): string {
  return value.replace(/[\s\\]/g, (char) => `\\${char.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** fstab lines for `mount --all --fstab`, with targets as host paths in the pod's mount namespace. */
export function fstabLines(plan: ContainerRootPlan): string[] {
  return plan.mounts.map((mount) => {
    const target = fstabField(join(plan.root, mount.containerPath));
    const ro = mount.readOnly ? ',ro' : '';
    switch (mount.type) {
      case 'proc':
        return `proc ${target} proc nosuid,nodev,noexec 0 0`;
      case 'tmpfs':
        return `tmpfs ${target} tmpfs mode=0755,size=1m 0 0`;
      default:
        return `${fstabField(mount.source)} ${target} none ${mount.type}${ro} 0 0`;
    }
  });
}
