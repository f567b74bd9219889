#!/usr/bin/env node
// `npx pod-identity-conformance`: starts scripts/conformance.ts. Node does not strip TypeScript types
// under node_modules, so when this package is installed as a dependency the .ts sources are loaded
// through tsx, registered before the first import.

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(
    `pod-identity-conformance: Node.js ${process.versions.node} is too old; install Node.js 22.22 or newer (from a clone: source scripts/use-node22.sh)\n`,
  );
  process.exit(2);
}

const { register } = await import('tsx/esm/api');
register();
await import('../scripts/conformance.ts');
