/**
 * The OS keychain for real (Linux: Secret Service over D-Bus, gnome-keyring in CI via scripts/with-keyring.sh),
 * its failure modes (no D-Bus, locked keyring) and what the cache does without it.
 * When no Secret Service is reachable these tests skip on a developer machine but FAIL when CI is set.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CACHE_KEY_ACCOUNT, lookupPassphraseFromKeychain, openKeychain, passphraseAccount } from '../../src/core/keychain.js';
import { KEY_CHECK_FILE, openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, runResolveChild, type ResolverFixture } from '../helpers/resolver-fixture.js';

quietSdkRetryWarnings();

const root = path.resolve(import.meta.dirname, '../..');
const linux = process.platform === 'linux';
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
/** A Secret Service is reachable (scripts/test.mjs and with-keyring.sh set this after checking the bus). */
const secretService = !linux || process.env.VAULTMCP_SECRET_SERVICE === '1';
/** Only a throw-away keyring may have its cache-key item created and deleted. */
const throwAwayKeyring = process.env.VAULTMCP_KEYRING_SESSION === '1';
const ci = !!process.env.CI;

function probe(args: string[], env: NodeJS.ProcessEnv, wrap: string[] = []): Promise<{ status: { available: boolean; locked: boolean; detail: string; hint?: string; reason?: string }; cache?: { keySource?: string; notice?: string } }> {
  return new Promise((resolve, reject) => {
    const cmd = [...wrap, process.execPath, '--import', 'tsx', path.join(root, 'test/helpers/keychain-probe.ts'), ...args];
    const child = spawn(cmd[0]!, cmd.slice(1), { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`probe failed (exit ${code}): ${err.slice(0, 1500)}`));
      }
    });
  });
}

describe('OS keychain (real Secret Service)', () => {
  it('a Secret Service is reachable (required in CI)', (t) => {
    if (!secretService) {
      if (ci) assert.fail('CI is set but no Secret Service is reachable: run the tests through scripts/with-keyring.sh (apt-get install dbus gnome-keyring)');
      t.skip('no Secret Service (apt-get install dbus gnome-keyring, or npm test starts one)');
    }
  });

  it('set, get, delete round trip; status available', async (t) => {
    if (!secretService && !ci) return t.skip('no Secret Service');
    const k = await openKeychain();
    const account = `test-${randomBytes(6).toString('hex')}`;
    const value = randomBytes(16).toString('base64');
    const t0 = performance.now();
    await k.set(account, value);
    assert.equal(await k.get(account), value);
    assert.equal(await k.delete(account), true);
    assert.equal(await k.get(account), undefined);
    assert.equal(await k.delete(account), false);
    assert.ok(performance.now() - t0 < 2000);
    const status = await k.status();
    assert.deepEqual([status.available, status.locked], [true, false], status.detail);
  });

  it('passphrase lookup reads oci-passphrase:<profile>, undefined when absent', async (t) => {
    if (!secretService && !ci) return t.skip('no Secret Service');
    const profile = `P${randomBytes(4).toString('hex')}`;
    const k = await openKeychain();
    assert.equal(await lookupPassphraseFromKeychain(profile, '/x/key.pem'), undefined);
    await k.set(passphraseAccount(profile), 'pass phrase 1');
    try {
      assert.equal(await lookupPassphraseFromKeychain(profile, '/x/key.pem'), 'pass phrase 1');
    } finally {
      await k.delete(passphraseAccount(profile));
    }
  });

  it('the cache key is created in the keychain on first use and reused', async (t) => {
    if (!throwAwayKeyring && !ci) return t.skip('only in a throw-away keyring (scripts/with-keyring.sh): it would touch the user\'s cache-key item');
    const k = await openKeychain();
    await k.delete(CACHE_KEY_ACCOUNT);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-kc-'));
    try {
      const settings = { cache: { enabled: true, dir, ttl: 60, max_stale: 60 }, vault: {} } as never;
      const first = await openSecretCacheDetailed(settings, { env: {}, now: Date.now }, { keychain: k });
      assert.equal(first.cache?.keySource, 'keychain');
      const stored = await k.get(CACHE_KEY_ACCOUNT);
      assert.equal(Buffer.from(stored!, 'base64').length, 32);
      const { parseSecretRef } = await import('../../src/core/vault/refs.js');
      await first.cache!.put(parseSecretRef('kc-secret'), { value: 'kc-value-123', secretId: 'ocid1.vaultsecret.oc1.x.y', versionNumber: 1 });
      const second = await openSecretCacheDetailed(settings, { env: {}, now: Date.now }, { keychain: k });
      assert.equal((await second.cache!.get(parseSecretRef('kc-secret')))?.value, 'kc-value-123');
      // a key file never exists on disk: besides the entries, only the key check (an HMAC of the key, not the key)
      assert.deepEqual((await readdir(dir)).filter((f) => !f.endsWith('.entry')), [KEY_CHECK_FILE]);
      const check = (await readFile(path.join(dir, KEY_CHECK_FILE), 'utf8')).trim();
      assert.match(check, /^[0-9a-f]{32}$/);
      assert.ok(!stored!.includes(check) && !Buffer.from(stored!, 'base64').toString('hex').includes(check));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('without a keychain', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'api-key': 'no-keychain-value-1' } });
    fx = await resolverFixture(emu.info, { cacheKey: false });
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });
  const noBus = () => ({ ...fx.ctx.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', CHILD_CACHE: JSON.stringify({ dir: fx.cacheDir }) });

  it('no D-Bus: status says why and how to fix it', { skip: !linux }, async () => {
    const { status } = await probe([], noBus());
    assert.equal(status.available, false);
    assert.equal(status.reason, 'no_dbus');
    assert.match(status.hint!, /dbus-run-session|VAULTMCP_CACHE_KEY/);
  });

  it('no D-Bus: the launch works, the disk cache is off, ONE notice says how to enable it', { skip: !linux }, async () => {
    const child = await runResolveChild(emu.info.resolverConfig, ['API_KEY=api-key'], noBus());
    assert.equal(child.ok, true, child.stderr);
    assert.equal(child.secrets[0]!.source, 'vault');
    assert.equal(child.warnings.length, 1);
    assert.match(child.warnings[0]!, /^disk cache off for this run: no D-Bus session bus.*VAULTMCP_CACHE_KEY/);
    assert.deepEqual((await readdir(fx.cacheDir).catch(() => [])).filter((f) => f.endsWith('.entry')), []);
  });

  it('no D-Bus but VAULTMCP_CACHE_KEY: the cache works and there is no notice', { skip: !linux }, async () => {
    const env = { ...noBus(), VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64') };
    const first = await runResolveChild(emu.info.resolverConfig, ['API_KEY=api-key'], env);
    const second = await runResolveChild(emu.info.resolverConfig, ['API_KEY=api-key'], env);
    assert.deepEqual([first.warnings, second.warnings], [[], []]);
    assert.deepEqual([first.secrets[0]!.source, second.secrets[0]!.source], ['vault', 'cache']);
  });

  it('a locked keyring is reported as locked with the fix, and the cache is off with one notice', async (t) => {
    if (!linux || !has('dbus-run-session') || !has('dbus-send') || !has('gnome-keyring-daemon')) {
      if (ci && linux) assert.fail('CI needs dbus-run-session, dbus-send and gnome-keyring-daemon');
      return t.skip('needs dbus-run-session and gnome-keyring-daemon');
    }
    // a login keyring with a password, then a daemon that does not unlock it (no display for the prompt)
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-locked-'));
    const script = path.join(tmp, 'locked.sh');
    await writeFile(
      script,
      `set -e
export XDG_DATA_HOME="${tmp}/data" XDG_RUNTIME_DIR="${tmp}/run"; mkdir -m 700 -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
printf 'pw-%s' "$$" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & P=$!
for i in $(seq 50); do [ -f "$XDG_DATA_HOME/keyrings/login.keyring" ] && break; sleep 0.1; done
"$@" >/dev/null 2>&1 || true
kill $P; wait $P 2>/dev/null || true
gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 & P=$!
for i in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.05
done
"$@" cache
kill $P 2>/dev/null || true
`,
    );
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, VAULTMCP_CACHE_KEY: '', DISPLAY: '', WAYLAND_DISPLAY: '', PROBE_CACHE_DIR: path.join(tmp, 'cache') };
      delete env.DBUS_SESSION_BUS_ADDRESS;
      const result = await probe([], env, ['dbus-run-session', '--', 'bash', script]);
      assert.equal(result.status.available, false);
      assert.equal(result.status.locked, true, result.status.detail);
      assert.match(result.status.hint!, /unlock/);
      assert.match(result.cache!.notice!, /disk cache off for this run: the keychain is locked\. To enable it: unlock/);
      assert.equal(result.cache!.keySource, undefined);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
