// `npm test` / `npx pod-identity-conformance`: runs the conformance suites. See README.md or --help.

import { defaultDeps } from '../runner/default-deps.ts';
import { runConformance } from '../runner/run-conformance.ts';

process.exit(await runConformance(process.argv.slice(2), defaultDeps()));
