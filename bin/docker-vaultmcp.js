#!/usr/bin/env node
// `docker-vaultmcp` for `npm i -g` / `npx`: the CLI on Node 22+, from the Node bundle that `npm run build:node`
// (run by `prepare`) writes to dist/node/. The single executable (dist/docker-vaultmcp) needs no Node at all.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`Error: docker-vaultmcp needs Node.js 22 or newer (this is ${process.version})\n  Try: install Node 22+, or use the single executable (npm run build:binary)\n`);
  process.exit(2);
}
const bundle = fileURLToPath(new URL('../dist/node/main.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('Error: the Node bundle is missing (dist/node/main.js)\n  Try: npm run build:node in the package directory\n');
  process.exit(1);
}
await import(bundle);
