/**
 * The cache key's copy in the kernel keyring (src/core/kernel-keyring.ts) and the keychain in front of it
 * (withCacheKeyCopy in src/core/keychain.ts). The syscalls are a model of keyctl(2)/add_key(2) that records every
 * call, so each test can check what the kernel was asked (permissions, timeouts, unlinks); the compiled binary's
 * real syscalls are exercised by test/e2e/launch-snapshot.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheKeyCopyDescription, KERNEL_COPY_IDLE_S, openKernelKeyring } from '../../src/core/kernel-keyring.js';
import { CACHE_KEY_ACCOUNT, withCacheKeyCopy, type CacheKeyCopy, type Keychain } from '../../src/core/keychain.js';

const ADD_KEY = 248n;
const KEYCTL = 250n;
const OP = { setperm: 5n, unlink: 9n, search: 10n, read: 11n, timeout: 15n };

/** An in-memory user keyring behind a syscall(2) stand-in; pointers are handles to registered buffers. */
function fakeKernel(options: { refuse?: 'add_key' | 'setperm' | 'timeout' | 'all' } = {}) {
  const buffers = new Map<bigint, Buffer>();
  let nextPtr = 1000n;
  const ptr = (b: Buffer) => {
    const p = nextPtr++;
    buffers.set(p, b);
    return p;
  };
  const cstr = (p: bigint) => {
    const b = buffers.get(p)!;
    return b.subarray(0, b.indexOf(0)).toString('utf8');
  };
  const keys = new Map<bigint, { description: string; value: Buffer; perm?: bigint; timeoutS?: bigint; linked: boolean }>();
  let nextId = 1n;
  const calls: string[] = [];
  const syscall = (n: bigint, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
    if (options.refuse === 'all') return -1n;
    if (n === ADD_KEY) {
      calls.push('add_key');
      if (options.refuse === 'add_key') return -1n;
      assert.equal(cstr(a), 'user');
      assert.equal(e, -4n, 'into the user keyring');
      const description = cstr(b);
      for (const [id, k] of keys) if (k.description === description && k.linked) keys.delete(id);
      const id = nextId++;
      keys.set(id, { description, value: Buffer.from(buffers.get(c)!.subarray(0, Number(d))), linked: true });
      return id;
    }
    assert.equal(n, KEYCTL);
    const op = a;
    if (op === OP.search) {
      calls.push('search');
      assert.equal(b, -4n);
      const description = cstr(d);
      for (const [id, k] of keys) if (k.linked && k.description === description) return id;
      return -1n;
    }
    const key = keys.get(b);
    if (!key) return -1n;
    if (op === OP.read) {
      calls.push('read');
      const out = buffers.get(c)!;
      key.value.copy(out, 0, 0, Math.min(Number(d), key.value.length));
      return BigInt(key.value.length);
    }
    if (op === OP.setperm) {
      calls.push('setperm');
      if (options.refuse === 'setperm') return -1n;
      key.perm = c;
      return 0n;
    }
    if (op === OP.timeout) {
      calls.push('timeout');
      if (options.refuse === 'timeout') return -1n;
      key.timeoutS = c;
      return 0n;
    }
    if (op === OP.unlink) {
      calls.push('unlink');
      key.linked = false;
      return 0n;
    }
    throw new Error(`unexpected keyctl op ${op}`);
  };
  return { syscall, ptr, keys, calls };
}

describe('kernel keyring copy', () => {
  it('writes a user key with possessor-only rights and an idle timeout, reads it back and renews the timeout', async () => {
    const k = fakeKernel();
    const ring = (await openKernelKeyring({ syscall: k.syscall, ptr: k.ptr, arch: 'x64' }))!;
    assert.equal(ring.write('docker-vaultmcp:cache-key:abc', 'a2V5LWJ5dGVz'), true);
    const [key] = [...k.keys.values()];
    assert.equal(key!.perm, 0x3f010000n, 'possessor: all; other processes of our uid: view only; others: nothing');
    assert.equal(key!.timeoutS, BigInt(KERNEL_COPY_IDLE_S));
    key!.timeoutS = 1n;
    assert.equal(ring.read('docker-vaultmcp:cache-key:abc'), 'a2V5LWJ5dGVz');
    assert.equal(key!.timeoutS, BigInt(KERNEL_COPY_IDLE_S), 'a hit renews the idle timeout');
    assert.equal(ring.read('docker-vaultmcp:cache-key:other'), undefined);
  });

  it('remove unlinks the key; a later read misses', async () => {
    const k = fakeKernel();
    const ring = (await openKernelKeyring({ syscall: k.syscall, ptr: k.ptr, arch: 'x64' }))!;
    ring.write('d', 'v1');
    ring.remove('d');
    assert.equal(ring.read('d'), undefined);
    assert.ok(k.calls.includes('unlink'));
  });

  it('a key the kernel will not restrict or time out is not kept', async () => {
    for (const refuse of ['setperm', 'timeout'] as const) {
      const k = fakeKernel({ refuse });
      const ring = (await openKernelKeyring({ syscall: k.syscall, ptr: k.ptr, arch: 'x64' }))!;
      assert.equal(ring.write('d', 'v1'), false, refuse);
      assert.equal(ring.read('d'), undefined, `${refuse}: unlinked again`);
    }
  });

  it('a kernel that refuses keyctl (a container seccomp profile) makes every call a quiet no-op', async () => {
    const k = fakeKernel({ refuse: 'all' });
    const ring = (await openKernelKeyring({ syscall: k.syscall, ptr: k.ptr, arch: 'arm64' }))!;
    assert.equal(ring.write('d', 'v'), false);
    assert.equal(ring.read('d'), undefined);
    ring.remove('d');
  });

  it('no keyring where the syscall numbers are unknown, nor under Node', async () => {
    assert.equal(await openKernelKeyring({ syscall: fakeKernel().syscall, arch: 'ia32' }), undefined);
    assert.equal(await openKernelKeyring(), undefined, 'bun:ffi only exists in the Bun executable');
  });

  it('the description names the Secret Service by a digest of uid and bus address, never the address itself', () => {
    const a = cacheKeyCopyDescription(1000, 'unix:path=/run/user/1000/bus');
    assert.match(a, /^docker-vaultmcp:cache-key:[0-9a-f]{24}$/);
    assert.equal(a, cacheKeyCopyDescription(1000, 'unix:path=/run/user/1000/bus'));
    assert.notEqual(a, cacheKeyCopyDescription(1001, 'unix:path=/run/user/1000/bus'));
    assert.notEqual(a, cacheKeyCopyDescription(1000, 'unix:path=/tmp/dbus-XYZ'));
  });
});

describe('withCacheKeyCopy', () => {
  function harness(stored: Record<string, string>) {
    let copy: string | undefined;
    const log: string[] = [];
    const copyStore: CacheKeyCopy = {
      read: () => (log.push('copy.read'), copy),
      write: (v) => (log.push('copy.write'), (copy = v)),
      remove: () => (log.push('copy.remove'), (copy = undefined)),
    };
    let opened = 0;
    const real: Keychain = {
      get: async (a) => (log.push(`get ${a}`), stored[a]),
      set: async (a, v) => void (log.push(`set ${a}`), (stored[a] = v)),
      delete: async (a) => (log.push(`delete ${a}`), delete stored[a]),
      status: async () => ({ available: true, locked: false, detail: 'ok' }),
    };
    const keychain = withCacheKeyCopy(async () => (opened++, real), copyStore);
    return { keychain, log, opened: () => opened, copy: () => copy, setCopy: (v: string) => (copy = v) };
  }

  it('a copy answers the cache key without opening the keychain at all', async () => {
    const h = harness({ [CACHE_KEY_ACCOUNT]: 'real' });
    h.setCopy('copied');
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT), 'copied');
    assert.equal(h.opened(), 0, 'no addon, no D-Bus');
  });

  it('without a copy the keychain answers and its answer is copied for the next launch', async () => {
    const h = harness({ [CACHE_KEY_ACCOUNT]: 'real' });
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT), 'real');
    assert.equal(h.copy(), 'real');
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT), 'real');
    assert.deepEqual(h.log.filter((l) => l.startsWith('get')), [`get ${CACHE_KEY_ACCOUNT}`], 'the second read was the copy');
  });

  it('a fresh read goes past the copy to the keychain and renews the copy', async () => {
    const h = harness({ [CACHE_KEY_ACCOUNT]: 'new' });
    h.setCopy('stale');
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT, { fresh: true }), 'new');
    assert.equal(h.copy(), 'new');
  });

  it('writing or deleting the cache key drops the copy first; an item that is not there is not copied', async () => {
    const h = harness({});
    h.setCopy('old');
    await h.keychain.set(CACHE_KEY_ACCOUNT, 'next');
    assert.equal(h.copy(), undefined);
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT), 'next');
    await h.keychain.delete(CACHE_KEY_ACCOUNT);
    assert.equal(h.copy(), undefined);
    assert.equal(await h.keychain.get(CACHE_KEY_ACCOUNT), undefined);
    assert.equal(h.copy(), undefined);
  });

  it('other accounts (key passphrases) always go to the keychain and are never copied', async () => {
    const h = harness({ 'oci-passphrase:DEFAULT': 'pp' });
    assert.equal(await h.keychain.get('oci-passphrase:DEFAULT'), 'pp');
    await h.keychain.set('oci-passphrase:DEFAULT', 'pp2');
    assert.equal(h.copy(), undefined);
    assert.ok(!h.log.includes('copy.read') && !h.log.includes('copy.write') && !h.log.includes('copy.remove'));
  });
});
