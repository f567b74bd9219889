// The tool version and git commit the reports name (runner/version.ts): the version from package.json,
// the commit from the package's own .git (a branch, a packed ref, a detached HEAD, a worktree), and no
// commit when the package is not a checkout, even inside someone else's repository.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitCommit, toolInfo, toolVersion } from '../../runner/version.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pic-version-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '9.8.7' }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), text);
}

describe('toolVersion', () => {
  it("reads package.json's version", () => {
    expect(toolVersion(dir)).toBe('9.8.7');
  });

  it('says unknown when package.json has none', async () => {
    await writeFile(join(dir, 'package.json'), '{}');
    expect(toolVersion(dir)).toBe('unknown');
  });
});

describe('gitCommit', () => {
  it('is undefined without a .git of the package’s own, even when a parent folder is a checkout', async () => {
    await put('.git/HEAD', `${A}\n`);
    await put('node_modules/pod-identity-conformance/package.json', '{"version":"1.0.0"}');
    expect(gitCommit(join(dir, 'node_modules/pod-identity-conformance'))).toBeUndefined();
    expect(toolInfo(join(dir, 'node_modules/pod-identity-conformance'))).toEqual({ version: '1.0.0' });
  });

  it('reads a detached HEAD', async () => {
    await put('.git/HEAD', `${A}\n`);
    expect(gitCommit(dir)).toBe(A);
  });

  it('follows HEAD to a loose ref, else to packed-refs', async () => {
    await put('.git/HEAD', 'ref: refs/heads/main\n');
    await put('.git/packed-refs', `# pack-refs with: peeled fully-peeled sorted\n${B} refs/heads/main\n`);
    expect(gitCommit(dir)).toBe(B);
    await put('.git/refs/heads/main', `${A}\n`);
    expect(gitCommit(dir)).toBe(A);
  });

  it('follows a .git file to a worktree’s git dir and its common dir', async () => {
    await put('main/.git/packed-refs', `${B} refs/heads/feature\n`);
    await put('main/.git/worktrees/wt/HEAD', 'ref: refs/heads/feature\n');
    await put('main/.git/worktrees/wt/commondir', '../..\n');
    await put('wt/.git', `gitdir: ${join(dir, 'main/.git/worktrees/wt')}\n`);
    expect(gitCommit(join(dir, 'wt'))).toBe(B);
  });

  it('is this checkout’s HEAD when the tests run from one', async () => {
    const head = await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO, reject: false });
    if (head.exitCode !== 0) return;
    const commit = gitCommit(REPO);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    // HEAD may move while the tests run (a commit meanwhile): the commit is one of the checkout's.
    const type = await execa('git', ['cat-file', '-t', commit!], { cwd: REPO, reject: false });
    expect(String(type.stdout).trim()).toBe('commit');
  });
});
