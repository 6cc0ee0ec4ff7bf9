/**
 * Files and directories we trust (issue 9, points 6, 7 and 11): core/config/trust.ts, core/private-dir.ts and their
 * users (settings, service definitions, the cache, setup, doctor). Foreign owners are made with chown when the
 * tests run as root, else simulated with another identity.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildDoctorChecks, runChecks } from '../../src/app/doctor/index.js';
import { writeResolverYaml } from '../../src/app/setup/index.js';
import { openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { loadService } from '../../src/core/config/services/index.js';
import { loadSettings } from '../../src/core/config/settings/index.js';
import { assertTrustedFile, readTrustedConfigFile } from '../../src/core/config/trust.js';
import { ConfigError } from '../../src/core/errors.js';
import { ensurePrivateDir } from '../../src/core/private-dir.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-trust-'));
after(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
let n = 0;
const fresh = () => {
  const d = path.join(root, `t${n++}`);
  mkdirSync(d, { mode: 0o700 });
  chmodSync(d, 0o700);
  return d;
};
const SERVICE = JSON.stringify({ secrets: {}, target_command: ['true'] });
const ctxFor = (home: string) => ({ env: { XDG_CONFIG_HOME: path.join(home, 'config'), VAULTMCP_SYSTEM_CONFIG_DIR: path.join(home, 'etc') }, homeDir: home, cwd: home });
const refuses = (re: RegExp) => (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && re.test(e.message) && !!e.hint;

describe('trusted configuration files (ssh rules)', () => {
  it('a service file in a world-writable config directory is refused, naming the directory and the fix', async () => {
    const home = fresh();
    const services = path.join(home, 'config', 'oci-vault-mcp', 'services');
    mkdirSync(services, { recursive: true });
    writeFileSync(path.join(services, 'github.json'), SERVICE, { mode: 0o600 });
    chmodSync(services, 0o777);
    await assert.rejects(loadService('github', ctxFor(home)), (e: unknown) =>
      refuses(/refusing service definition .*github\.json: its directory .*services is writable by group and others \(mode 0777\)/)(e) &&
      /chmod go-w /.test((e as ConfigError).hint!));
    chmodSync(services, 0o755);
    assert.equal((await loadService('github', ctxFor(home))).source, 'user');
  });

  it('a group/world-writable file is refused, by path too', async () => {
    const dir = fresh();
    const file = path.join(dir, 'svc.json');
    writeFileSync(file, SERVICE);
    chmodSync(file, 0o666);
    await assert.rejects(loadService(file, ctxFor(dir)), refuses(/it is writable by group and others \(mode 0666\)/));
    chmodSync(file, 0o620);
    await assert.rejects(assertTrustedFile(file, 'service definition'), refuses(/writable by group/));
  });

  it('a resolver.yaml owned by another (non-root) user is refused', { skip: !isRoot && 'needs root to chown' }, async () => {
    const dir = fresh();
    const file = path.join(dir, 'resolver.yaml');
    writeFileSync(file, 'cache: { ttl: 5 }\n', { mode: 0o644 });
    chownSync(file, 4242, 4242);
    await assert.rejects(loadSettings(ctxFor(dir), { configFile: file }), refuses(/refusing settings file .*owned by uid 4242/));
  });

  it('the same rule without root: another identity sees our files as foreign', { skip: isRoot && 'as root our files are root-owned, which is trusted' }, async () => {
    const dir = fresh();
    const file = path.join(dir, 'resolver.yaml');
    writeFileSync(file, 'x: 1\n', { mode: 0o600 });
    await assert.rejects(readTrustedConfigFile(file, { what: 'settings file', me: { uid: 4242 } }), refuses(/owned by uid \d+, not by you \(uid 4242\)/));
  });

  it('group write by our own user private group (umask 002 distributions) is accepted; by a shared group it is not', async () => {
    const dir = fresh();
    const file = path.join(dir, 'resolver.yaml');
    writeFileSync(file, 'x: 1\n');
    chmodSync(file, 0o664);
    const st = statSync(file);
    const me = { uid: st.uid, gid: st.gid };
    assert.equal(await readTrustedConfigFile(file, { what: 'settings file', me: { ...me, privateGroup: true } }), 'x: 1\n');
    await assert.rejects(readTrustedConfigFile(file, { what: 'settings file', me: { ...me, privateGroup: false } }), refuses(/writable by group \(mode 0664\)/));
  });

  it('root-owned sticky directories (/tmp) are fine above a file, not as the file', async () => {
    assert.ok(statSync(os.tmpdir()).mode & 0o1000, 'tmpdir is sticky');
    const dir = fresh();
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, SERVICE, { mode: 0o600 });
    await assertTrustedFile(file, 'service definition');
  });

  it('reads only regular files with a size limit: a FIFO, /dev/zero, a directory and a huge file are refused at once', async () => {
    const dir = fresh();
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(loadService(fifo, ctxFor(dir)), refuses(/not a regular file/));
    await assert.rejects(loadService('/dev/zero', ctxFor(dir)), refuses(/not a regular file/));
    await assert.rejects(loadSettings(ctxFor(dir), { configFile: dir }), refuses(/not a regular file/));
    const big = path.join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(1024 * 1024 + 1), { mode: 0o600 });
    await assert.rejects(loadService(big, ctxFor(dir)), refuses(/too large/));
  });
});

describe('the cache directory (never re-moded unless we created it)', () => {
  const settings = (dir: string) => ({
    vault: {}, auth: { method: 'api_key' as const, config_file: '', profile: 'DEFAULT' },
    cache: { enabled: true, dir, ttl: 3600, max_stale: 86400 },
    resilience: { timeout_ms: 5000, retries: 3, breaker_threshold: 5, breaker_reset_ms: 60000, concurrency: 8 },
  });
  const env = { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') };

  it('a world-writable (1777) directory is refused with the fix, and its mode is left alone', async () => {
    const dir = fresh();
    chmodSync(dir, 0o1777);
    await assert.rejects(openSecretCacheDetailed(settings(dir) as never, { env, now: Date.now }), refuses(/refusing cache directory .*: it is writable by group and others \(mode 01777\)/));
    await assert.rejects(ensurePrivateDir(dir), /writable by group and others/);
    assert.equal(statSync(dir).mode & 0o7777, 0o1777);
  });

  it('refused even without a cache key (no keychain), and the breaker state is not kept there', async () => {
    const dir = fresh();
    chmodSync(dir, 0o777);
    const keychain = { get: async () => { throw new Error('no keychain here'); }, set: async () => {}, delete: async () => false, status: async () => ({ available: false, locked: false, detail: '' }) };
    await assert.rejects(openSecretCacheDetailed(settings(dir) as never, { env: {}, now: Date.now }, { keychain }), refuses(/refusing cache directory/));
    // a failing vault call is recorded in the shared breaker state, in a private cache dir only
    const { createResolver } = await import('../../src/core/resolve/resolver.js');
    const failing = { secrets: { getSecretBundleByName: async () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })) } };
    const withVault = (d: string) => ({ ...settings(d), vault: { vault_id: 'ocid1.vault.oc1..aaaa', endpoint: 'http://127.0.0.1:1' }, resilience: { ...settings(d).resilience, retries: 0 } });
    const ctx = { env: {}, cwd: dir, homeDir: dir, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: Date.now };
    for (const d of [dir, fresh()]) {
      const resolver = await createResolver({ settings: withVault(d) as never, ctx, cache: null, clients: async () => failing as never });
      const report = await resolver.resolve([{ envVar: 'X', ref: { kind: 'name', name: 'x' }, reference: 'x', required: true }]);
      assert.equal(report.failures.length, 1);
      await resolver.close();
    }
    assert.ok(!existsSync(path.join(dir, 'breaker.json')), 'nothing written into the world-writable dir');
    assert.ok(existsSync(path.join(root, `t${n - 1}`, 'breaker.json')), 'the private one keeps the shared state');
  });

  it('/tmp itself is refused, never made 0700', async () => {
    const before = statSync(os.tmpdir()).mode;
    await assert.rejects(openSecretCacheDetailed(settings(os.tmpdir()) as never, { env, now: Date.now }), refuses(/refusing cache directory/));
    assert.equal(statSync(os.tmpdir()).mode, before);
  });

  it('a foreign-owned directory is refused, not silently ignored', { skip: !isRoot && 'needs root to chown' }, async () => {
    const dir = fresh();
    chownSync(dir, 4242, 4242);
    await assert.rejects(openSecretCacheDetailed(settings(dir) as never, { env, now: Date.now }), refuses(/owned by uid 4242/));
  });

  it('a missing directory is created 0700; our own 0700 one is used', async () => {
    const dir = path.join(fresh(), 'cache');
    const opened = await openSecretCacheDetailed(settings(dir) as never, { env, now: Date.now });
    assert.ok(opened.cache);
    await opened.cache.put({ kind: 'name', name: 'x' } as never, { value: 'v', secretId: 'ocid1.vaultsecret.oc1..x', versionNumber: 1 });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('doctor flags the cache directory and an untrusted service file', async () => {
    const home = fresh();
    const cacheDir = fresh();
    chmodSync(cacheDir, 0o777);
    const services = path.join(home, 'config', 'oci-vault-mcp', 'services');
    mkdirSync(services, { recursive: true });
    writeFileSync(path.join(services, 'evil.json'), SERVICE, { mode: 0o666 });
    chmodSync(path.join(services, 'evil.json'), 0o666);
    const ctx = { ...ctxFor(home), env: { ...ctxFor(home).env, OCI_VAULT_CACHE_DIR: cacheDir, ...env }, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: Date.now };
    const checks = buildDoctorChecks(ctx as never, {}).filter((c) => c.id === 'cache' || c.id === 'config-trust' || c.id === 'settings');
    const results = await runChecks(checks, { timeoutMs: 10_000 });
    const cache = results.find((r) => r.id === 'cache')!;
    assert.equal(cache.status, 'fail', cache.detail);
    assert.match(cache.detail, /writable by group and others/);
    const files = results.find((r) => r.id === 'config-trust')!;
    assert.equal(files.status, 'fail', files.detail);
    assert.match(files.detail, /evil\.json: writable by group and others \(mode 0666\)/);
    assert.match(files.hint, /chmod go-w/);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o777);
  });
});

describe('setup', () => {
  it('does not write resolver.yaml into a world-writable config directory (and does not re-mode it)', async () => {
    const dir = fresh();
    chmodSync(dir, 0o777);
    await assert.rejects(writeResolverYaml(path.join(dir, 'resolver.yaml'), 'vault: {}\n'), refuses(/writable by group and others/));
    assert.equal(statSync(dir).mode & 0o777, 0o777);
  });
});
