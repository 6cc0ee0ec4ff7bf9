/**
 * A short-lived copy of the cache key in the Linux kernel's key retention service, so that a launch on a cache hit
 * does not pay a D-Bus round trip to the Secret Service (addon load + connect + OpenSession + GetSecret: ~10 ms,
 * ~7 ms of it blocking the JS thread; bench/RESULTS.md "Launch at the floor").
 *
 * What is stored, where, for whom (keyrings(7), keyctl(2), add_key(2)):
 * - a key of type `user` in the user keyring (`KEY_SPEC_USER_KEYRING`): kernel memory only, never on disk;
 * - permissions `0x3f010000`: all rights for a possessor (a process of our uid that reaches it through its own
 *   keyrings, which in practice is any of our processes: the same circle as the unlocked Secret Service), *view*
 *   (its existence, not its value) for other processes of our uid, nothing for other users;
 * - an idle timeout ({@link KERNEL_COPY_IDLE_S}): each hit renews it, so an idle copy expires on its own;
 * - its description names the Secret Service it was copied from (a digest of our uid and the session bus address):
 *   a copy from another bus (another login, a test's private bus) is never used.
 * The Secret Service stays the source of truth: keychain.ts (withCacheKeyCopy) drops the copy whenever it writes or
 * deletes the key and copies what it reads; a copy made stale by anything else is caught by the cache directory's
 * key check (cache/secret-cache.ts), which then reads the Secret Service itself.
 *
 * Reached through bun:ffi's `syscall(2)` of the C library (no libkeyutils needed), so it works in the compiled
 * executable only; under Node (the npm package, tests) and on other platforms {@link openKernelKeyring} returns
 * undefined and the Secret Service is read as before. Where the kernel refuses (containers whose seccomp profile
 * blocks `add_key`/`keyctl`, as Docker's default does; a full key quota), every call quietly does nothing.
 */

import { createHash } from 'node:crypto';

/** Idle lifetime of a copy, seconds: renewed on each use; a copy unused for this long expires. */
export const KERNEL_COPY_IDLE_S = 15 * 60;

/** Key permissions (keyctl(2) KEYCTL_SETPERM): possessor view|read|write|search|link|setattr, user view. */
const KEY_PERM = 0x3f010000;
const KEY_SPEC_USER_KEYRING = -4n;
const KEYCTL_SETPERM = 5n;
const KEYCTL_UNLINK = 9n;
const KEYCTL_SEARCH = 10n;
const KEYCTL_READ = 11n;
const KEYCTL_SET_TIMEOUT = 15n;
/** Syscall numbers of add_key(2) and keyctl(2) (Linux asm-generic/unistd.h for arm64, arch/x86 syscall_64.tbl). */
const SYSCALLS: Partial<Record<string, { addKey: bigint; keyctl: bigint }>> = {
  x64: { addKey: 248n, keyctl: 250n },
  arm64: { addKey: 217n, keyctl: 219n },
};
/** Largest copy read back, bytes (a base64 32-byte key is 44). */
const MAX_VALUE_BYTES = 256;

/** A kernel-memory store of small values by description, for this uid. Never throws. */
export interface KernelKeyring {
  /** @returns the value stored under `description` (renewing its idle timeout), or undefined */
  read(description: string): string | undefined;
  /** Stores `value` under `description` (replacing any) with the idle timeout. @returns false when refused */
  write(description: string, value: string): boolean;
  /** Removes the value stored under `description`, if any. */
  remove(description: string): void;
}

type Syscall = (n: bigint, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => bigint;

type Ffi = {
  dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: { syscall: Syscall } };
  ptr(b: Uint8Array): number;
};

let opened: Promise<KernelKeyring | undefined> | undefined;

/**
 * The kernel keyring of this process (opened once), or undefined where it cannot be reached (not Linux x64/arm64,
 * not the Bun executable, no `libc.so.6`).
 * @param options.syscall syscall(2) to use instead of libc's, with `ptr` giving a buffer's address (tests)
 * @param options.arch the architecture whose syscall numbers apply (tests); default process.arch
 */
export function openKernelKeyring(options: { syscall?: Syscall; ptr?: (b: Buffer) => bigint; arch?: string } = {}): Promise<KernelKeyring | undefined> {
  const numbers = SYSCALLS[options.arch ?? process.arch];
  if (options.syscall) return Promise.resolve(numbers ? kernelKeyring(options.syscall, options.ptr ?? (() => 0n), numbers) : undefined);
  return (opened ??= (async () => {
    if (process.platform !== 'linux' || !numbers || typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') return undefined;
    try {
      const ffi = (await import('bun:ffi' as string)) as Ffi;
      const i64 = 'i64';
      const { syscall } = ffi.dlopen('libc.so.6', { syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 } }).symbols;
      return kernelKeyring(syscall, (b) => BigInt(ffi.ptr(b)), numbers);
    } catch {
      return undefined;
    }
  })());
}

function kernelKeyring(sys: Syscall, ptrOf: (b: Buffer) => bigint, nr: { addKey: bigint; keyctl: bigint }): KernelKeyring {
  const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
  const type = cstr('user');
  const search = (description: string): bigint => {
    const desc = cstr(description);
    return sys(nr.keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, ptrOf(type), ptrOf(desc), 0n);
  };
  return {
    read(description) {
      try {
        const id = search(description);
        if (id <= 0n) return undefined;
        const buf = Buffer.alloc(MAX_VALUE_BYTES);
        const n = sys(nr.keyctl, KEYCTL_READ, id, ptrOf(buf), BigInt(buf.length), 0n);
        if (n <= 0n || n > BigInt(buf.length)) return undefined;
        sys(nr.keyctl, KEYCTL_SET_TIMEOUT, id, BigInt(KERNEL_COPY_IDLE_S), 0n, 0n);
        const value = buf.toString('utf8', 0, Number(n));
        buf.fill(0);
        return value;
      } catch {
        return undefined;
      }
    },
    write(description, value) {
      try {
        const desc = cstr(description);
        const payload = Buffer.from(value, 'utf8');
        if (payload.length === 0 || payload.length > MAX_VALUE_BYTES) return false;
        const id = sys(nr.addKey, ptrOf(type), ptrOf(desc), ptrOf(payload), BigInt(payload.length), KEY_SPEC_USER_KEYRING);
        payload.fill(0);
        if (id <= 0n) return false;
        const permOk = sys(nr.keyctl, KEYCTL_SETPERM, id, BigInt(KEY_PERM), 0n, 0n) === 0n;
        const timeoutOk = sys(nr.keyctl, KEYCTL_SET_TIMEOUT, id, BigInt(KERNEL_COPY_IDLE_S), 0n, 0n) === 0n;
        if (permOk && timeoutOk) return true;
        // a copy we cannot restrict or make expire is not kept
        sys(nr.keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING, 0n, 0n);
        return false;
      } catch {
        return false;
      }
    },
    remove(description) {
      try {
        // add_key replaces a key of the same type and description in a keyring, so there is at most one
        const id = search(description);
        if (id > 0n) sys(nr.keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING, 0n, 0n);
      } catch {
        // nothing to remove, or the kernel refuses: the copy expires on its own
      }
    },
  };
}

/**
 * The description of the cache key's copy for the Secret Service on `busAddress`: a digest of our uid and that
 * address, so a copy is only used with the Secret Service it was read from.
 */
export function cacheKeyCopyDescription(uid: number, busAddress: string): string {
  const digest = createHash('sha256').update(`${uid}\0${busAddress}`, 'utf8').digest('hex').slice(0, 24);
  return `docker-vaultmcp:cache-key:${digest}`;
}
