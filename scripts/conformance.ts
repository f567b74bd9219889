// `npm test` / `npx pod-identity-conformance`: runs the conformance suites. See README.md or --help.

// A Ctrl-C while the runner is still loading counts too: signals are recorded from the first moment
// and handed to the run's interrupt handler when it starts listening.
const early: NodeJS.Signals[] = [];
const record = (signal: NodeJS.Signals) => early.push(signal);
process.on('SIGINT', record);
process.on('SIGTERM', record);

const { defaultDeps } = await import('../runner/default-deps.ts');
const { runConformance } = await import('../runner/run-conformance.ts');
process.exit(await runConformance(process.argv.slice(2), defaultDeps({ early, record })));
