/**
 * The cache directory's key check (src/core/cache/secret-cache.ts) against a stale copy of the keychain's cache key
 * (src/core/kernel-keyring.ts): when the item was replaced by something that does not update the copy (the npm
 * package under Node, a keyring tool), the next launch that reads the copy notices and asks the keychain itself.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KEY_CHECK_FILE, openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { CACHE_KEY_ACCOUNT, withCacheKeyCopy, type Keychain } from '../../src/core/keychain.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';

describe('cache key check and a stale kernel copy', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-keycheck-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  function world() {
    const dir = mkdtempSync(path.join(root, 'cache-'));
    const items: Record<string, string> = { [CACHE_KEY_ACCOUNT]: randomBytes(32).toString('base64') };
    let reads = 0;
    /** The Secret Service itself, as the npm package under Node sees it (no copy). */
    const real: Keychain = {
      get: async (a) => (reads++, items[a]),
      set: async (a, v) => void (items[a] = v),
      delete: async (a) => delete items[a],
      status: async () => ({ available: true, locked: false, detail: 'ok' }),
    };
    let copy: string | undefined;
    /** What the executable uses: the same keychain behind its kernel copy. */
    const binary = withCacheKeyCopy(async () => real, { read: () => copy, write: (v) => (copy = v), remove: () => (copy = undefined) });
    const settings = { cache: { enabled: true, dir, ttl: 3600, max_stale: 86400 }, vault: {} } as never;
    const open = (keychain: Keychain) => openSecretCacheDetailed(settings, { env: {}, now: Date.now }, { keychain });
    return { dir, items, real, binary, open, reads: () => reads, copy: () => copy, setCopy: (v: string) => (copy = v) };
  }
  const ref = parseSecretRef('kc-secret');

  it('the key check records the key in use (an HMAC, not the key)', async () => {
    const w = world();
    await w.open(w.binary);
    const check = readFileSync(path.join(w.dir, KEY_CHECK_FILE), 'utf8').trim();
    assert.match(check, /^[0-9a-f]{32}$/);
    assert.ok(!Buffer.from(w.items[CACHE_KEY_ACCOUNT]!, 'base64').toString('hex').includes(check));
  });

  it('an unchanged key: the copy answers, the keychain is read once in all', async () => {
    const w = world();
    await w.open(w.binary);
    await w.open(w.binary);
    await w.open(w.binary);
    assert.equal(w.reads(), 1);
  });

  it('the item replaced behind the copy: the next launch reads the keychain again and finds what the others wrote', async () => {
    const w = world();
    await w.open(w.binary); // copy and key check hold the first key
    w.items[CACHE_KEY_ACCOUNT] = randomBytes(32).toString('base64'); // replaced by something that does not know the copy
    const node = await w.open(w.real); // e.g. the npm package: records the new key's check, caches a value with it
    await node.cache!.put(ref, { value: 'written-with-the-new-key', secretId: 'ocid1.vaultsecret.oc1.x.y', versionNumber: 2 });
    const readsBefore = w.reads();
    const healed = await w.open(w.binary);
    assert.equal(w.reads(), readsBefore + 1, 'one fresh read past the stale copy');
    assert.equal(w.copy(), w.items[CACHE_KEY_ACCOUNT], 'the copy holds the new key again');
    assert.equal((await healed.cache!.get(ref))?.value, 'written-with-the-new-key');
  });

  it('a malformed copy never makes a new key: the keychain itself is asked, and its key stays', async () => {
    const w = world();
    const original = w.items[CACHE_KEY_ACCOUNT];
    w.setCopy('not a key');
    const opened = await w.open(w.binary);
    assert.equal(w.items[CACHE_KEY_ACCOUNT], original, 'the Secret Service item was not replaced');
    assert.equal(w.copy(), original, 'the copy holds the real key again');
    await opened.cache!.put(ref, { value: 'v', secretId: 'ocid1.vaultsecret.oc1.x.y', versionNumber: 1 });
    assert.equal((await (await w.open(w.real)).cache!.get(ref))?.value, 'v', 'entries are under the real key');
  });

  it('a fresh key with no key check yet is recorded as it is', async () => {
    const w = world();
    rmSync(path.join(w.dir, KEY_CHECK_FILE), { force: true });
    const opened = await w.open(w.binary);
    assert.equal(opened.cache?.keySource, 'keychain');
    assert.match(readFileSync(path.join(w.dir, KEY_CHECK_FILE), 'utf8'), /^[0-9a-f]{32}\n$/);
  });
});
