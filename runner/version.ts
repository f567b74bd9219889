// What ran: the tool's version (package.json) and, when it runs from a git checkout, the commit. The
// reports name both, so a result can be traced to the code that produced it. Read once per run.

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ToolInfo {
  /** package.json's version. */
  version: string;
  /** The checkout's HEAD commit (40 hex digits); absent when the package is not a git checkout. */
  commit?: string;
}

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const GIT_TIMEOUT_MS = 2_000;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The version in the package's package.json, or "unknown" if it cannot be read. */
export function toolVersion(packageRoot: string = PACKAGE_ROOT): string {
  try {
    const { version } = JSON.parse(readText(join(packageRoot, 'package.json')) ?? '{}') as {
      version?: unknown;
    };
    return typeof version === 'string' && version !== '' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The git directory of a checkout whose top is `packageRoot`: `.git` itself, or the directory a `.git`
 * file points to (worktrees, submodules). Only the package's own folder is looked at: an installed copy
 * in someone else's node_modules is not a checkout, whatever repository holds that project.
 */
function gitDirOf(packageRoot: string): string | undefined {
  const dotGit = join(packageRoot, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
  } catch {
    return undefined;
  }
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '')?.[1];
  if (!pointer) return undefined;
  return isAbsolute(pointer) ? pointer : resolve(packageRoot, pointer);
}

/** A ref's commit from its loose file or packed-refs, in the git dir or its common dir (worktrees). */
function resolveRef(gitDir: string, ref: string): string | undefined {
  const common = readText(join(gitDir, 'commondir'))?.trim();
  const dirs = [gitDir, ...(common ? [isAbsolute(common) ? common : resolve(gitDir, common)] : [])];
  for (const dir of dirs) {
    const loose = readText(join(dir, ref))?.trim();
    if (loose && COMMIT.test(loose)) return loose;
  }
  for (const dir of dirs) {
    for (const line of (readText(join(dir, 'packed-refs')) ?? '').split('\n')) {
      const [commit, name] = line.trim().split(' ');
      if (name === ref && commit && COMMIT.test(commit)) return commit;
    }
  }
  return undefined;
}

/**
 * HEAD's commit when `packageRoot` is a git checkout, read from .git (HEAD, then the ref it names);
 * when the files do not say (another ref storage), `git rev-parse HEAD`, bounded. Undefined otherwise.
 */
export function gitCommit(packageRoot: string = PACKAGE_ROOT): string | undefined {
  const gitDir = gitDirOf(packageRoot);
  if (!gitDir) return undefined;
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (head && COMMIT.test(head)) return head;
  const ref = head && /^ref:\s*(\S+)$/.exec(head)?.[1];
  const fromFiles = ref ? resolveRef(gitDir, ref) : undefined;
  if (fromFiles) return fromFiles;
  try {
    const output = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: packageRoot,
      timeout: GIT_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    }).trim();
    return COMMIT.test(output) ? output : undefined;
  } catch {
    return undefined;
  }
}

export function toolInfo(packageRoot: string = PACKAGE_ROOT): ToolInfo {
  const commit = gitCommit(packageRoot);
  return { version: toolVersion(packageRoot), ...(commit ? { commit } : {}) };
}
