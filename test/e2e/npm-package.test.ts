/**
 * The npm package: `npm pack` (its `prepack` builds dist/node), then `npm install -g --prefix TMP` of the tarball
 * (dependencies from the npm registry / npm's cache), then the installed `docker-vaultmcp` run the way a user
 * with only Node 22+ runs it: repository hidden, PATH = a copy of this Node + the system directories.
 * Checks --version, `run --test` against the vault emulator with the cache key in the OS keychain (the
 * package's own @napi-rs/keyring), and `install-plugin` writing a launcher the real docker CLI runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, dockerAvailable, runDocker, runHidden } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const CI = !!process.env.CI;
const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

describe('npm pack → npm install -g → docker-vaultmcp on Node 22+', () => {
  let dir: string;
  let bin: string;
  let env: Record<string, string>;
  let emu: TestEmulator;
  const SECRET = `npm-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-npm-pkg-'));
    // npm's own variables from `npm test` (prefix, global…) must not steer the install
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))) as Record<string, string>;
    const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: REPO_ROOT, encoding: 'utf8', env: clean, timeout: 120_000 });
    assert.equal(pack.status, 0, pack.stderr);
    const tgz = path.join(dir, JSON.parse(pack.stdout)[0].filename as string);
    const files = (JSON.parse(pack.stdout)[0].files as Array<{ path: string }>).map((f) => f.path);
    assert.ok(files.includes('dist/node/main.js'), 'the package carries the Node bundle');
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('dist/release')), files.join(' '));
    const inst = spawnSync('npm', ['install', '-g', '--prefix', path.join(dir, 'prefix'), tgz, '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir, encoding: 'utf8', env: clean, timeout: 300_000,
    });
    assert.equal(inst.status, 0, inst.stderr);
    assert.doesNotMatch(inst.stderr, /install scripts not yet covered|install-scripts/, 'installing asks the user to allow no script');
    bin = path.join(dir, 'prefix', 'bin', 'docker-vaultmcp');
    // "a machine with only Node 22+": this Node (22) copied out of the repository, which is hidden
    mkdirSync(path.join(dir, 'node-bin'));
    copyFileSync(process.execPath, path.join(dir, 'node-bin', 'node'));
    spawnSync('chmod', ['755', path.join(dir, 'node-bin', 'node')]);
    env = { PATH: `${path.join(dir, 'node-bin')}:/usr/local/bin:/usr/bin:/bin` };
    emu = await startTestEmulator({ seed: { 'npm-api-key': SECRET } });
    writeFileSync(path.join(dir, 'resolver.yaml'), emulatorResolverYaml(emu.info, `cache: { enabled: true, dir: ${JSON.stringify(path.join(dir, 'cache'))} }`));
    writeFileSync(path.join(dir, 'svc.json'), JSON.stringify({ secrets: { API_KEY: 'npm-api-key' }, target_command: ['true'] }));
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--version runs on Node 22 from the installed package', async () => {
    const r = await runHidden(bin, ['--version'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^docker-vaultmcp/${version.replaceAll('.', '\\.')} linux-x64 node-v2[2-9]\\.`));
  });

  it('run --test against the emulator; the cache key comes from the OS keychain', { skip: process.env.VAULTMCP_SECRET_SERVICE === '1' || CI ? false : 'needs a Secret Service (npm test provides one)' }, async () => {
    const args = ['run', path.join(dir, 'svc.json'), '--config', path.join(dir, 'resolver.yaml'), '--test', '--json'];
    const first = await runHidden(bin, args, { env, timeoutMs: 60_000 });
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.ok, true);
    assert.deepEqual(r1.warnings, [], 'no "disk cache off" warning: the keychain worked');
    assert.ok(!first.stdout.includes(SECRET) && !first.stderr.includes(SECRET));
    assert.ok(readdirSync(path.join(dir, 'cache')).length > 0, 'an encrypted cache entry was written');
    const second = await runHidden(bin, args, { env, timeoutMs: 60_000 });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).secrets[0].source, 'cache', 'read back with the key from the keychain');
  });

  it('install-plugin from the package: a launcher that the docker CLI runs', { skip: !dockerAvailable() && !CI ? 'docker CLI not installed' : false }, async () => {
    const dc = path.join(dir, 'docker-config');
    const r = await runHidden(bin, ['install-plugin'], { env: { ...env, DOCKER_CONFIG: dc } });
    assert.equal(r.code, 0, r.stderr);
    const launcher = readFileSync(path.join(dc, 'cli-plugins', 'docker-vaultmcp'), 'utf8');
    assert.match(launcher, /^#!\/bin\/sh\n/);
    const d = await runDocker(['vaultmcp', '--version'], { env: { ...env, DOCKER_CONFIG: dc } });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, new RegExp(`^docker-vaultmcp/${version.replaceAll('.', '\\.')} `));
  });
});
