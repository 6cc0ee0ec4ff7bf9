#!/usr/bin/env node
/**
 * `npm test`: type-checks, builds the single binary (the e2e tests run it through the real docker CLI), then runs
 * every test file with node's test runner (TypeScript through tsx).
 * Test files: test/unit/** (no I/O beyond tmp dirs), test/integration/** (real OCI SDK against the emulator),
 * test/e2e/** (built binary via docker CLI + MCP SDK client). Pass file paths to run a subset.
 * Keychain tests need a Secret Service. On Linux this script re-runs itself under scripts/with-keyring.sh
 * (private D-Bus + throw-away unlocked gnome-keyring, never the user's keychain) when dbus-run-session and
 * gnome-keyring-daemon exist, else uses the session's Secret Service if any; with CI set and none, it fails.
 * Tests see VAULTMCP_SECRET_SERVICE=1 when a Secret Service is there (skip keychain tests otherwise, but never
 * when CI is set).
 * `npm test` runs on the project's Node 22 (devDependency `node`, first on PATH in npm scripts); the first
 * line printed says which Node runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// `node scripts/test.mjs` with an older machine Node: rerun on the project's Node 22 (devDependency `node`).
const projectNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
if (Number(process.versions.node.split('.')[0]) < 22 && existsSync(projectNode)) {
  const r = spawnSync(projectNode, process.argv.slice(1), { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (!process.env.VAULTMCP_TEST_WRAPPED) console.log(`test: node ${process.version} (${process.execPath})`);

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const secretServiceOnBus = () =>
  !!process.env.DBUS_SESSION_BUS_ADDRESS &&
  has('dbus-send') &&
  /boolean true/.test(
    spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '',
  );
if (process.platform === 'linux' && !process.env.VAULTMCP_KEYRING_SESSION) {
  // Prefer a private, throw-away keyring even when the desktop has one: tests never touch the user's keychain.
  if (has('dbus-run-session') && has('gnome-keyring-daemon') && has('dbus-send')) {
    const r = spawnSync(path.join(root, 'scripts/with-keyring.sh'), [process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, VAULTMCP_TEST_WRAPPED: '1' },
    });
    process.exit(r.status ?? 1);
  } else if (secretServiceOnBus()) {
    process.env.VAULTMCP_SECRET_SERVICE = '1';
    console.warn('test: using the Secret Service of your session (install gnome-keyring for a private one)');
  } else if (process.env.CI) {
    console.error('test: CI is set but there is no Secret Service: apt-get install dbus gnome-keyring (see .ci/run)');
    process.exit(1);
  } else {
    console.warn('test: no Secret Service (apt-get install dbus gnome-keyring): keychain tests will skip');
  }
}
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
