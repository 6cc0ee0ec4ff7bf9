/**
 * `docker-vaultmcp install-plugin`: the built single executable installs itself into Docker's plugin directory,
 * checked with the real docker CLI (no daemon needed for plugins). Runs with the repository hidden
 * (test/helpers/binary.ts), from a copy of the binary like a downloaded release.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binaryPath, dockerAvailable, runDocker, runHidden } from '../helpers/binary.js';

const CI = !!process.env.CI;
const skip = !dockerAvailable() && !CI ? 'docker CLI not installed' : false;
const NO_STACK = /^\s+at .+[(:]\d+/m;

describe('docker-vaultmcp install-plugin (built binary, real docker CLI)', { skip }, () => {
  let dir: string;
  let download: string;
  let version: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-install-plugin-'));
    // a "downloaded release": a copy outside the repository, in a directory the test owns
    download = path.join(dir, 'download', 'docker-vaultmcp');
    mkdirp(path.dirname(download));
    copyFileSync(binaryPath(), download);
    version = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const install = (dockerConfig: string, ...args: string[]) =>
    runHidden(download, ['install-plugin', ...args], { env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 60_000 });

  it('installs 0755 into $DOCKER_CONFIG/cli-plugins; docker then runs it', async () => {
    const dc = path.join(dir, 'dc1');
    const r = await install(dc);
    assert.equal(r.code, 0, r.stderr);
    const target = path.join(dc, 'cli-plugins', 'docker-vaultmcp');
    assert.equal(r.stdout.split('\n')[0], `installed docker-vaultmcp ${version} as ${target}`);
    assert.equal(statSync(target).mode & 0o777, 0o755);
    assert.ok(readFileSync(target).equals(readFileSync(download)), 'a byte copy of the running executable');
    assert.deepEqual(readdirSync(path.join(dc, 'cli-plugins')), ['docker-vaultmcp'], 'no temp file left behind');
    const d = await runDocker(['vaultmcp', '--version'], { env: { DOCKER_CONFIG: dc } });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, new RegExp(`^docker-vaultmcp/${version.replaceAll('.', '\\.')} `));

    // again from the download: ours, so replaced without --force; from the installed file itself: unchanged
    const again = await install(dc);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`installed .* \\(replaced version ${version.replaceAll('.', '\\.')}\\)`));
    const self = await runHidden(target, ['install-plugin', '--json'], { env: { DOCKER_CONFIG: dc } });
    assert.equal(self.code, 0, self.stderr);
    assert.equal(JSON.parse(self.stdout).action, 'unchanged');
  });

  it('without DOCKER_CONFIG: ~/.docker/cli-plugins, and docker finds it there', async () => {
    const home = path.join(dir, 'home2');
    mkdirp(home);
    const r = await runHidden(download, ['install-plugin'], { env: { HOME: home, DOCKER_CONFIG: undefined } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(home, '.docker', 'cli-plugins', 'docker-vaultmcp')));
    const d = await runDocker(['vaultmcp', '--version'], { env: { HOME: home, DOCKER_CONFIG: undefined } });
    assert.equal(d.code, 0, d.stderr);
  });

  it('refuses (exit 2) to replace a plugin of another vendor or one that does not answer, unless --force', async () => {
    const dc = path.join(dir, 'dc3');
    const target = path.join(dc, 'cli-plugins', 'docker-vaultmcp');
    mkdirp(path.dirname(target));
    const foreign = '#!/bin/sh\necho \'{"SchemaVersion":"0.1.0","Vendor":"Someone else","Version":"9"}\'\n';
    writeFileSync(target, foreign, { mode: 0o755 });
    const refused = await install(dc);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refusing to replace .*docker-vaultmcp: its plugin metadata names Vendor "Someone else"/);
    assert.match(refused.stderr, /--force/);
    assert.doesNotMatch(refused.stderr, NO_STACK);
    assert.equal(readFileSync(target, 'utf8'), foreign, 'the foreign plugin is untouched');

    writeFileSync(target, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const silent = await install(dc);
    assert.equal(silent.code, 2);
    assert.match(silent.stderr, /does not answer the docker plugin metadata probe/);

    const forced = await install(dc, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /\(replaced the file there\)/);
    assert.ok(readFileSync(target).equals(readFileSync(download)));
  });

  it('replaces a symlink at the target with the file, leaving what it pointed to alone', async () => {
    const dc = path.join(dir, 'dc4');
    const target = path.join(dc, 'cli-plugins', 'docker-vaultmcp');
    mkdirp(path.dirname(target));
    const other = path.join(dir, 'other-copy');
    copyFileSync(binaryPath(), other);
    symlinkSync(other, target);
    const r = await install(dc);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!lstatSync(target).isSymbolicLink());
    assert.ok(existsSync(other));
  });

  it('a plugin directory that cannot be created: exit 1, one line and a hint, no stack', async () => {
    const dc = path.join(dir, 'dc5');
    mkdirp(dc);
    writeFileSync(path.join(dc, 'cli-plugins'), 'not a directory');
    const r = await install(dc);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot install the plugin into .*cli-plugins/);
    assert.match(r.stderr, /Try: /);
    assert.doesNotMatch(r.stderr, NO_STACK);
  });
});

function mkdirp(p: string) {
  mkdirSync(p, { recursive: true });
}
