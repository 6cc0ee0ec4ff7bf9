#!/usr/bin/env node
/**
 * `npm run install-plugin [-- --force]`: installs dist/docker-vaultmcp as the Docker CLI plugin
 * `${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-vaultmcp` (mode 0755), then checks `docker vaultmcp --version`.
 *
 * - Builds first when the binary is missing (or stale, when the build tool is installed; VAULTMCP_SKIP_BUILD=1
 *   installs dist/ as it is).
 * - Then runs `dist/docker-vaultmcp install-plugin [--force]`, the command a downloaded release uses: atomic
 *   copy (temp file + rename), refusing (exit 2) to replace a `docker-vaultmcp` that is not ours (its metadata
 *   Vendor differs or it does not answer the metadata probe) unless `--force`.
 * Exit codes: 0 installed · 1 build/copy/check failed · 2 usage, or refused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const exe = process.platform === 'win32' ? '.exe' : '';
const source = path.join(root, 'dist', `docker-vaultmcp${exe}`);

const args = process.argv.slice(2);
const force = args.includes('--force');
if (args.some((a) => a !== '--force')) {
  console.error('usage: install-plugin.mjs [--force]\n  installs into ${DOCKER_CONFIG:-~/.docker}/cli-plugins');
  process.exit(2);
}

/** Runs the metadata probe of a plugin file; returns the parsed metadata or an error text. */
function metadata(file) {
  const r = spawnSync(file, ['docker-cli-plugin-metadata'], { encoding: 'utf8', timeout: 10_000, cwd: os.tmpdir() });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: `metadata probe exited ${r.status ?? r.signal}` };
  try {
    return { meta: JSON.parse(r.stdout) };
  } catch {
    return { error: 'metadata probe printed no JSON' };
  }
}

// 1. Build when missing, or let the build script decide when it can run (it skips an up-to-date binary).
const canBuild = existsSync(path.join(root, 'node_modules', '.bin', 'bun'));
if (!existsSync(source) || (canBuild && !process.env.VAULTMCP_SKIP_BUILD)) {
  if (!canBuild) {
    console.error(`install-plugin: ${source} is missing and bun is not installed: run \`npm ci\` first`);
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-binary.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const ours = metadata(source);
if (!ours.meta) {
  console.error(`install-plugin: ${source} is broken: ${ours.error}`);
  process.exit(1);
}

// 2.–4. The binary installs itself (`docker-vaultmcp install-plugin`, src/app/plugin/install.ts): into
// ${DOCKER_CONFIG:-~/.docker}/cli-plugins, atomically, refusing (exit 2) a plugin that is not ours unless --force.
const configDir = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
const self = spawnSync(source, ['install-plugin', ...(force ? ['--force'] : [])], {
  stdio: 'inherit',
  cwd: os.tmpdir(),
  env: { ...process.env, DOCKER_CONFIG: configDir },
});
if (self.status !== 0) process.exit(self.status === 2 ? 2 : 1);

// 5. Check it the way users call it.
const check = spawnSync('docker', ['vaultmcp', '--version'], {
  encoding: 'utf8',
  timeout: 30_000,
  cwd: os.tmpdir(),
  env: { ...process.env, DOCKER_CONFIG: configDir },
});
if (check.error) {
  console.log(`install-plugin: docker CLI not found; check later with: docker vaultmcp --version`);
} else if (check.status === 0) {
  console.log(`install-plugin: docker vaultmcp --version → ${check.stdout.trim()}`);
} else {
  console.error(`install-plugin: \`docker vaultmcp --version\` failed (exit ${check.status}): ${check.stderr.trim()}`);
  if (process.env.DOCKER_CONFIG === undefined && existsSync(path.join(configDir, 'config.json'))) {
    console.error('  Check `cliPluginsExtraDirs` in ~/.docker/config.json: a plugin there shadows this one.');
  }
  process.exit(1);
}
