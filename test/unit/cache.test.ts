/** The encrypted cache's format and key handling (src/core/cache.ts) and keychain error mapping (src/core/keychain.ts). */
import assert from 'node:assert/strict';
import { atomicTempName } from '../../src/core/atomic-file.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearCacheDir, createSecretCache, inspectCacheDir, openSecretCacheDetailed, parseCacheKey } from '../../src/core/cache/secret-cache.js';
import { ConfigError } from '../../src/core/errors.js';
import { CACHE_KEY_ACCOUNT, classifyKeychainError, KeychainError, type Keychain } from '../../src/core/keychain.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';
import type { Settings } from '../../src/core/config/settings/index.js';

const scope = { endpoint: 'http://127.0.0.1:1', vaultId: 'ocid1.vault.oc1.x.v1' };
const secret = { value: 'hunter2-hunter2', secretId: 'ocid1.vaultsecret.oc1.x.s1', versionNumber: 4, stages: ['CURRENT'], name: 'db' };

function fakeKeychain(initial: Record<string, string> = {}, fail?: Error): Keychain & { items: Map<string, string> } {
  const items = new Map(Object.entries(initial));
  const guard = () => {
    if (fail) throw classifyKeychainError(fail);
  };
  return {
    items,
    get: async (a) => (guard(), items.get(a)),
    set: async (a, v) => void (guard(), items.set(a, v)),
    delete: async (a) => (guard(), items.delete(a)),
    status: async () => ({ available: !fail, locked: false, detail: '' }),
  };
}

describe('secret cache format', () => {
  let dir: string;
  let t = 1_700_000_000_000;
  const key = randomBytes(32);
  const make = (s = scope, k = key) => createSecretCache({ dir, key: k, keySource: 'env', scope: s, now: () => t });
  before(async () => (dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-cache-')), 'c')));
  after(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('round trip; age from the clock; selectors and scope are separate entries', async () => {
    const c = make();
    assert.equal(await c.put(parseSecretRef('db'), secret), true);
    t += 5000;
    const got = await c.get(parseSecretRef('db'));
    assert.deepEqual(got, { ...secret, reference: 'db', fetchedAt: t - 5000, ageMs: 5000 });
    assert.equal(await c.get(parseSecretRef('db?version=4')), undefined);
    assert.equal(await make({ ...scope, vaultId: 'ocid1.vault.oc1.x.other' }).get(parseSecretRef('db')), undefined, 'bare names are scoped by vault_id');
    assert.equal(await make({ ...scope, endpoint: 'http://elsewhere' }).get(parseSecretRef('db')), undefined);
    assert.equal(await make(scope, randomBytes(32)).get(parseSecretRef('db')), undefined, 'another key: a miss');
  });

  it('file name is an HMAC, header in clear has only time and version, dir 0700 / file 0600', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.entry'));
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^[0-9a-f]{64}\.entry$/);
    const doc = JSON.parse(await readFile(path.join(dir, files[0]!), 'utf8'));
    assert.deepEqual(Object.keys(doc).sort(), ['ct', 'iv', 'n', 't', 'tag', 'v']);
    assert.equal(doc.n, 4);
    const text = JSON.stringify(doc);
    // (short needles like "db" would match random base64 by chance: look for them as JSON strings)
    for (const needle of ['hunter2', Buffer.from('hunter2-hunter2').toString('base64'), '"db"', 'vaultsecret', 'CURRENT']) assert.ok(!text.includes(needle), needle);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dir, files[0]!))).mode & 0o777, 0o600);
  });

  it('any change to header, nonce, tag or ciphertext makes a miss', async () => {
    const c = make();
    const file = path.join(dir, (await readdir(dir)).find((f) => f.endsWith('.entry'))!);
    const original = await readFile(file, 'utf8');
    const doc = JSON.parse(original);
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[b.length - 1] = b[b.length - 1]! ^ 0x80;
      return b.toString('base64');
    };
    for (const variant of [{ ...doc, t: doc.t + 1 }, { ...doc, n: 5 }, { ...doc, iv: flip(doc.iv) }, { ...doc, tag: flip(doc.tag) }, { ...doc, ct: flip(doc.ct) }, { ...doc, v: 2 }, { ...doc, iv: 'AAAA' }]) {
      await writeFile(file, JSON.stringify(variant));
      assert.equal(await c.get(parseSecretRef('db')), undefined, JSON.stringify(Object.keys(variant)));
    }
    await writeFile(file, original);
    assert.ok(await c.get(parseSecretRef('db')));
  });

  it('entries, inspect without key, purge, delete, clear', async () => {
    const c = make();
    await c.put(parseSecretRef('other'), { value: 'v2', secretId: 'ocid1.vaultsecret.oc1.x.s2', versionNumber: 1 });
    const withNames = await c.entries({ names: true });
    assert.deepEqual(withNames.map((e) => [e.reference, e.valid]).sort(), [['db', true], ['other', true]]);
    const keyless = await inspectCacheDir(dir, () => t);
    assert.ok(keyless.every((e) => e.valid === undefined && e.reference === undefined && e.bytes > 100));
    assert.equal(await make(scope, randomBytes(32)).purgeSecret({ name: 'db' }), 0, 'cannot match what it cannot decrypt');
    assert.equal(await c.purgeSecret({ secretId: 'ocid1.vaultsecret.oc1.x.s1' }), 1);
    assert.equal(await c.delete(parseSecretRef('other')), true);
    assert.equal(await c.delete(parseSecretRef('other')), false);
    await c.put(parseSecretRef('a'), secret);
    await writeFile(path.join(dir, 'breaker.json'), '{}');
    // leftover temp files have the atomic writer's own names (one rule: atomicTempName / isAtomicTempName)
    const old = atomicTempName('a'.repeat(64) + '.entry', 4242);
    const fresh = atomicTempName('breaker.json', 4243);
    await writeFile(path.join(dir, old), 'x');
    await writeFile(path.join(dir, fresh), 'x');
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await utimes(path.join(dir, old), new Date(0), new Date(0));
    await utimes(path.join(dir, 'notes.txt'), new Date(0), new Date(0));
    assert.equal(await clearCacheDir(dir), 1);
    assert.deepEqual((await readdir(dir)).sort(), [fresh, 'breaker.json', 'notes.txt'].sort(), 'a running writer\'s temp file, the breaker state and foreign files stay');
  });
});

describe('cache key sources', () => {
  const settings = (dir: string, enabled = true) => ({ cache: { enabled, dir, ttl: 60, max_stale: 600 }, vault: {} }) as unknown as Settings;
  const ctx = (env: NodeJS.ProcessEnv = {}) => ({ env, now: Date.now });

  it('VAULTMCP_CACHE_KEY wins and must be base64 of 32 bytes', async () => {
    const k = fakeKeychain();
    const r = await openSecretCacheDetailed(settings('/tmp/x'), ctx({ VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64') }), { keychain: k });
    assert.equal(r.cache?.keySource, 'env');
    assert.equal(k.items.size, 0);
    for (const bad of ['abc', randomBytes(16).toString('base64'), 'a b c']) assert.throws(() => parseCacheKey(bad, 'VAULTMCP_CACHE_KEY'), ConfigError);
  });

  it('keychain: created on first use, then reused; a malformed stored key is replaced', async () => {
    const k = fakeKeychain();
    const first = await openSecretCacheDetailed(settings('/tmp/x'), ctx(), { keychain: k });
    assert.equal(first.cache?.keySource, 'keychain');
    const stored = k.items.get(CACHE_KEY_ACCOUNT)!;
    assert.equal(Buffer.from(stored, 'base64').length, 32);
    await openSecretCacheDetailed(settings('/tmp/x'), ctx(), { keychain: k });
    assert.equal(k.items.get(CACHE_KEY_ACCOUNT), stored);
    k.items.set(CACHE_KEY_ACCOUNT, 'short');
    await openSecretCacheDetailed(settings('/tmp/x'), ctx(), { keychain: k });
    assert.equal(Buffer.from(k.items.get(CACHE_KEY_ACCOUNT)!, 'base64').length, 32);
  });

  it('no keychain: no cache and one notice naming the fix; disabled: nothing at all', async () => {
    const r = await openSecretCacheDetailed(settings('/tmp/x'), ctx(), { keychain: fakeKeychain({}, new Error('Platform failure: DBus error: Failed to connect to socket /x: No such file or directory')) });
    assert.equal(r.cache, undefined);
    assert.match(r.notice!, /^disk cache off for this run: no D-Bus session bus.*To enable it: .*VAULTMCP_CACHE_KEY/);
    assert.deepEqual(await openSecretCacheDetailed(settings('/tmp/x', false), ctx(), { keychain: fakeKeychain() }), {});
  });
});

describe('classifyKeychainError (messages of @napi-rs/keyring 2.1.2, reference/packaging.md)', () => {
  const cases: Array<[string, string]> = [
    ['Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead', 'no_dbus'],
    ['Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory', 'no_dbus'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'no_secret_service'],
    ["Couldn't access platform storage: Secret Service: no result found", 'no_collection'],
    ['Secret Service: unlock prompt was dismissed', 'locked'],
    ['Cannot create an item in a locked collection', 'locked'],
    ['Cannot find native binding. npm has a bug related to optional dependencies', 'addon'],
    ['something else entirely', 'other'],
  ];
  for (const [message, reason] of cases) {
    it(`${reason}: ${message.slice(0, 50)}`, () => {
      const e = classifyKeychainError(new Error(message));
      assert.ok(e instanceof KeychainError);
      assert.equal(e.reason, reason);
      assert.ok(e.hint && e.hint.length > 20);
      // the bus's own error is kept where it says what really happened (issue 9: a busy bus was called absent)
      if (reason === 'no_dbus' || reason === 'other') assert.ok(e.message.includes(message.slice(0, 40)), 'the real error is kept');
      else assert.ok(!e.message.includes('DBus error'), 'addon text is not passed on');
    });
  }
});
