// `npm run janitor`: finds (and with --delete, deletes) what pod-identity-conformance runs left on a
// target. See README.md ("Cleanup and interruptions") or --help.

import { janitorDeps } from '../janitor/deps.ts';
import { runJanitor } from '../janitor/run-janitor.ts';

process.exit(await runJanitor(process.argv.slice(2), janitorDeps()));
