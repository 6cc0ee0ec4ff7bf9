#!/usr/bin/env node
/**
 * `npm run build:node` (also `prepare`): bundles src/ for Node 22+ into dist/node/main.js, which
 * bin/docker-vaultmcp.js (the package's `bin`) imports. Dependencies stay external (resolved from node_modules at
 * run time, the keychain's native addon included), so `npm i -g` / `npx` of the package run the CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bun = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
if (!existsSync(bun)) {
  // an installed package without devDependencies: the bundle ships in it already
  if (existsSync(path.join(root, 'dist', 'node', 'main.js'))) process.exit(0);
  console.error('build-node: bun (devDependency) is missing: run npm ci first');
  process.exit(1);
}
mkdirSync(path.join(root, 'dist', 'node'), { recursive: true });
const r = spawnSync(bun, ['build', 'src/main.ts', '--target=node', '--format=esm', '--packages=external', '--outdir=dist/node', '--entry-naming=main.js'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (r.status !== 0) {
  console.error(`build-node: bun build failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
