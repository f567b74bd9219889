// Installs the client releases the suites install on first use (aws-sdk 2.1693.0 and 2.1400.0, Debian's
// botocore 1.29.27) once, before the project's tests: the suite runs these tests interrupt at random
// points must not race with an install. On a fresh machine apt may have no package lists yet: as root
// the project's tests fetch them first (a user's run never does; it notes the reason instead). What
// cannot be installed here is said once; the cases that need it note it, as they do for a user.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installPinnedClients } from '../suite-api/pinned-clients.ts';

function aptKnowsBotocore(): boolean {
  try {
    return /Candidate: 1\.29\.27/.test(
      execFileSync('apt-cache', ['policy', 'python3-botocore'], { encoding: 'utf8' }),
    );
  } catch {
    return false;
  }
}

export default async function setup(): Promise<void> {
  if (existsSync('/usr/bin/apt-get') && process.getuid?.() === 0 && !aptKnowsBotocore()) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
  }
  for (const problem of await installPinnedClients())
    process.stderr.write(`pinned client not installed: ${problem}\n`);
}
