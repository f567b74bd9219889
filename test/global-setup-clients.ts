// Installs the client releases the suites install on first use (aws-sdk 2.1693.0 and 2.1400.0, Debian's
// botocore 1.29.27) once, before the project's tests: the suite runs these tests interrupt at random
// points must not race with an install. What cannot be installed here is said once; the cases that need
// it note it, as they do for a user.

import { installPinnedClients } from '../suite-api/pinned-clients.ts';

export default async function setup(): Promise<void> {
  for (const problem of await installPinnedClients())
    process.stderr.write(`pinned client not installed: ${problem}\n`);
}
