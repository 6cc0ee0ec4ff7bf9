/**
 * Test helper: src/main.ts bundled with esbuild (packages external) so a test can start the real CLI as a Node
 * process in ~0.2 s (no tsx transpile, no Bun binary build). The bundle lives in node_modules/.cache so packages
 * resolve, and is removed when the test process exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

let bundle: string | undefined;

/** Path of the bundled CLI (`node <path> run …`); built once per test process. */
export function cliBundle(): string {
  if (bundle) return bundle;
  const root = path.resolve(import.meta.dirname, '../..');
  const outDir = path.join(root, 'node_modules/.cache/vaultmcp-test');
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `main-${process.pid}.mjs`);
  const r = spawnSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'src/main.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', '--jsx=automatic',
    `--outfile=${out}`, '--log-level=error',
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  process.once('exit', () => rmSync(out, { force: true }));
  bundle = out;
  return out;
}
