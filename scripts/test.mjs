#!/usr/bin/env node
/**
 * `npm test`: type-checks, builds the single binary (the e2e tests run it through the real docker CLI), then runs
 * every test file with node's test runner (TypeScript through tsx).
 * Test files: test/unit/** (no I/O beyond tmp dirs), test/integration/** (real OCI SDK against the emulator),
 * test/e2e/** (built binary via docker CLI + MCP SDK client). Pass file paths to run a subset.
 * Keychain tests need a Secret Service: scripts/with-keyring.sh provides one when run under CI.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const step = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (/\.test\.tsx?$/.test(name)) out.push(path.relative(root, p));
  }
  return out.sort();
}

const selected = process.argv.slice(2);
if (!process.env.VAULTMCP_SKIP_BUILD) {
  step(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
  step(process.execPath, [path.join(root, 'scripts/build-binary.mjs')]);
}
const files = selected.length > 0 ? selected : findTests(path.join(root, 'test'));
step(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...files]);
