import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { clearDirEntries, writeFileAtomic } from '../atomic-file.js';
import type { AppContext } from '../context.js';
import { ConfigError } from '../errors.js';
import { CACHE_KEY_ACCOUNT, classifyKeychainError, sharedKeychain, type Keychain } from '../keychain.js';
import { formatSecretRef, type SecretRef } from '../vault/refs.js';
import { ensurePrivateDir, isPrivateDir, privateDirProblem } from '../private-dir.js';
import type { TrustProblem } from '../config/trust.js';
import type { Settings } from '../config/settings/index.js';

/**
 * Encrypted on-disk cache of resolved secrets (DESIGN.md "Cache").
 *
 * Key: 32 random bytes, from VAULTMCP_CACHE_KEY (base64) or the OS keychain (service `docker-vaultmcp`, account
 * `cache-key`, created on first use). Never written to disk. Two subkeys are derived with HKDF-SHA256: one names
 * files, one encrypts them.
 *
 * Entry identity: `v1|<vault.endpoint>|<vault.vault_id for bare names>|<canonical reference>`; the reference
 * includes the version selector (`?version=3`, `?stage=PENDING`), so each selector is its own entry.
 *
 * Files: `<cache.dir>/<HMAC-SHA256(nameKey, identity) hex>.entry`, mode 0600 in a 0700 directory, written
 * atomically (temp file in the same dir + rename), so parallel launches never read a torn file. Content (JSON):
 *   {"v":1,"t":<fetchedAt ms>,"n":<versionNumber>,"iv":b64(12),"tag":b64(16),"ct":b64(AES-256-GCM ciphertext)}
 * The plaintext is {identity, value, secretId, versionNumber, stages, name, fetchedAt}; the additional
 * authenticated data binds the ciphertext to its file id and its clear header (`v`, `t`, `n`), so an entry cannot be
 * moved to another name or re-dated. `t` and `n` are in clear so `cache status` can show ages and versions
 * without the key; names and values only exist encrypted. A file that fails any check (bad JSON, unknown `v`,
 * wrong key, tag mismatch, identity mismatch) is a miss, never an error.
 */
export interface CachedSecret {
  value: string;
  secretId: string;
  versionNumber: number;
  stages?: string[];
  /** Secret name when the reference has one. */
  name?: string;
  /** Canonical reference text the entry was stored for. */
  reference: string;
  /** When the value was read from the vault, ms since the epoch. */
  fetchedAt: number;
  /** now − fetchedAt, ms (never negative). */
  ageMs: number;
}

/** What `put` stores for a reference. */
export interface SecretToCache {
  value: string;
  secretId: string;
  versionNumber: number;
  stages?: string[];
  name?: string;
}

/** One row of `entries()` (no values). */
export interface CacheEntryInfo {
  /** File name inside the cache dir. */
  file: string;
  /** Canonical reference; only with `names: true` (needs decryption). */
  reference?: string;
  versionNumber: number;
  ageMs: number;
  /** File size, bytes. */
  bytes: number;
  /** True when it decrypts and authenticates with the current key; undefined when not checked (no key). */
  valid?: boolean;
}

/** Which entries `clear` removes; none → all. */
export interface CacheClearFilter {
  /** References (with their version selectors) whose entries go. */
  refs?: SecretRef[];
}

/** The encrypted cache, bound to one key and one settings scope. */
export interface SecretCache {
  readonly dir: string;
  /** Where the key came from. */
  readonly keySource: 'env' | 'keychain';
  /** The entry for `ref`, whatever its age; undefined when missing or invalid. Never throws. */
  get(ref: SecretRef): Promise<CachedSecret | undefined>;
  /**
   * Stores `secret` for `ref` (fetchedAt = now). Never throws: a cache that cannot be written only costs speed.
   * @returns false when the write failed
   */
  put(ref: SecretRef, secret: SecretToCache): Promise<boolean>;
  /** Removes the entry of `ref`. @returns true when there was one. Never throws. */
  delete(ref: SecretRef): Promise<boolean>;
  /**
   * Removes every entry of a secret, whatever reference form cached it (decrypts each entry to compare); used after
   * `secret rotate/delete`. @returns the number removed
   */
  purgeSecret(match: { secretId?: string; name?: string }): Promise<number>;
  /** Lists entries, newest first; `names: true` adds the reference (decrypts). */
  entries(options?: { names?: boolean }): Promise<CacheEntryInfo[]>;
  /** Removes entries (all, or those of `filter.refs`) and leftover temp files. @returns entries removed */
  clear(filter?: CacheClearFilter): Promise<number>;
}

const FORMAT_VERSION = 1;
const ENTRY_SUFFIX = '.entry';
const MAX_ENTRY_BYTES = 1024 * 1024;

/** Result of opening: the cache, or why there is none this run (one notice for stderr). */
export interface CacheOpenResult {
  cache?: SecretCache;
  /** Set when the cache is enabled but unusable (no keychain…): says how to enable it. */
  notice?: string;
}

/**
 * Opens the cache for `settings`, or returns undefined when `cache.enabled` is false or no key is available.
 * @throws ConfigError (exit 2) when VAULTMCP_CACHE_KEY is set but is not base64 of exactly 32 bytes
 */
export async function openSecretCache(settings: Settings, ctx: Pick<AppContext, 'env' | 'now'>): Promise<SecretCache | undefined> {
  return (await openSecretCacheDetailed(settings, ctx)).cache;
}

/**
 * Like `openSecretCache`, and says why the cache is off when it is enabled but unusable. Key source order:
 * VAULTMCP_CACHE_KEY, else the keychain (a key is created there on first use); no keychain → no cache this run
 * (never a key file on disk).
 * @param options.keychain keychain to use (default: the process-wide one)
 * @throws ConfigError for a malformed VAULTMCP_CACHE_KEY
 */
export async function openSecretCacheDetailed(
  settings: Settings,
  ctx: Pick<AppContext, 'env' | 'now'>,
  options: { keychain?: Keychain } = {},
): Promise<CacheOpenResult> {
  if (!settings.cache.enabled) return {};
  // before the key: an untrusted directory is refused whether or not a key is at hand
  await assertCacheDirTrusted(settings.cache.dir);
  const fromEnv = ctx.env.VAULTMCP_CACHE_KEY;
  let key: Buffer;
  let keySource: 'env' | 'keychain';
  if (fromEnv !== undefined && fromEnv !== '') {
    key = parseCacheKey(fromEnv, 'VAULTMCP_CACHE_KEY');
    keySource = 'env';
  } else {
    try {
      key = await keyFromKeychain(options.keychain ?? (await sharedKeychain()), settings.cache.dir);
      keySource = 'keychain';
    } catch (err) {
      const e = classifyKeychainError(err);
      return { notice: `disk cache off for this run: ${e.message}. To enable it: ${e.hint}` };
    }
  }
  return { cache: createSecretCache({ dir: settings.cache.dir, key, keySource, scope: scopeOf(settings), now: ctx.now }) };
}

/**
 * Refuses a cache directory someone else owns or can write to (another user could put back an older genuine entry,
 * a revoked secret's value; and we never re-mode a directory we did not create). A missing one is fine: it is
 * created 0700 on first write.
 * @throws ConfigError (exit 2) naming the directory, why, and the fix
 */
export async function assertCacheDirTrusted(dir: string): Promise<void> {
  const problem = await privateDirProblem(dir);
  if (problem) throw cacheDirError(dir, problem);
}

function cacheDirError(dir: string, problem: TrustProblem): ConfigError {
  const subject = problem.path === dir ? 'it is' : `${problem.path} is`;
  return new ConfigError(`refusing cache directory ${dir}: ${subject} ${problem.reason}`, {
    hint: `${problem.fix}; or set cache.dir (OCI_VAULT_CACHE_DIR) to a directory only you can write, e.g. ~/.cache/oci-vault-mcp`,
  });
}

/**
 * Decodes a base64 cache key.
 * @throws ConfigError (exit 2) unless it is base64 of exactly 32 bytes
 */
export function parseCacheKey(text: string, name: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new ConfigError(`${name} must be base64 of exactly 32 bytes (got ${bytes.length === 0 ? 'no valid base64' : `${bytes.length} bytes`})`, {
      hint: `generate one with \`openssl rand -base64 32\`, or unset ${name} to keep the key in the OS keychain`,
    });
  }
  return bytes;
}

/**
 * The keychain's cache key, created (32 random bytes) when missing or malformed, checked against the cache
 * directory's key check ({@link KEY_CHECK_FILE}): a key that does not match it may come from a stale copy of the item
 * (core/kernel-keyring.ts), so the keychain itself is read again, and its answer decides (and is recorded).
 * @throws KeychainError
 */
async function keyFromKeychain(keychain: Keychain, dir: string): Promise<Buffer> {
  let key = await readOrCreateKey(keychain);
  const recorded = readKeyCheck(dir);
  if (recorded !== undefined && recorded !== keyCheckOf(key)) key = await readOrCreateKey(keychain, { fresh: true });
  if (recorded !== keyCheckOf(key)) await writeKeyCheck(dir, keyCheckOf(key));
  return key;
}

async function readOrCreateKey(keychain: Keychain, options: { fresh?: boolean } = {}): Promise<Buffer> {
  const decode = (stored: string | undefined) => {
    const bytes = stored ? Buffer.from(stored, 'base64') : undefined;
    return bytes?.length === 32 ? bytes : undefined;
  };
  const found = decode(await keychain.get(CACHE_KEY_ACCOUNT, options)) ?? (options.fresh ? undefined : decode(await keychain.get(CACHE_KEY_ACCOUNT, { fresh: true })));
  // none (or a malformed one) in the keychain itself, not merely in a copy of it: only then is a new key made
  if (found) return found;
  await keychain.set(CACHE_KEY_ACCOUNT, randomBytes(32).toString('base64'));
  // read back: when two launches create a key at once, both then use the one that won
  const winner = Buffer.from((await keychain.get(CACHE_KEY_ACCOUNT)) ?? '', 'base64');
  if (winner.length !== 32) throw new Error('Secret Service: no result found');
  return winner;
}

/**
 * The key check of the keychain's cache key, in the cache directory: 32 hex characters of HMAC-SHA256(key, a fixed
 * label). It tells which key the keychain held when a process last read it there, and reveals nothing of the key.
 */
export const KEY_CHECK_FILE = 'keychain-key.check';

function keyCheckOf(key: Buffer): string {
  return createHmac('sha256', key).update('docker-vaultmcp keychain key check v1', 'utf8').digest('hex').slice(0, 32);
}

function readKeyCheck(dir: string): string | undefined {
  try {
    const text = readFileSync(path.join(dir, KEY_CHECK_FILE), 'utf8').trim();
    return /^[0-9a-f]{32}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

async function writeKeyCheck(dir: string, check: string): Promise<void> {
  try {
    await ensurePrivateDir(dir);
    await writeFileAtomic(path.join(dir, KEY_CHECK_FILE), `${check}\n`, { mode: 0o600 });
  } catch {
    // only a stale copy's detection is at stake
  }
}

/** What outside the reference decides which secret a reference means (endpoint, default vault). */
export function scopeOf(settings: Settings): { endpoint: string; vaultId: string } {
  return { endpoint: settings.vault.endpoint ?? '', vaultId: settings.vault.vault_id ?? '' };
}

/**
 * Builds a cache over `dir` with a given key (openSecretCache does this after finding the key).
 * @param args.key 32 bytes
 */
export function createSecretCache(args: {
  dir: string;
  key: Buffer;
  keySource: 'env' | 'keychain';
  scope: { endpoint: string; vaultId: string };
  now: () => number;
}): SecretCache {
  const { dir, scope, now } = args;
  const nameKey = Buffer.from(hkdfSync('sha256', args.key, Buffer.alloc(0), 'docker-vaultmcp cache names v1', 32));
  const encKey = Buffer.from(hkdfSync('sha256', args.key, Buffer.alloc(0), 'docker-vaultmcp cache entries v1', 32));
  const identityOf = (ref: SecretRef) => `v1|${scope.endpoint}|${ref.kind === 'name' ? scope.vaultId : ''}|${formatSecretRef(ref)}`;
  const fileIdOf = (identity: string) => createHmac('sha256', nameKey).update(identity, 'utf8').digest('hex');
  const aad = (fileId: string, t: number, n: number) => Buffer.from(`docker-vaultmcp cache v${FORMAT_VERSION}|${fileId}|${t}|${n}`, 'utf8');
  let dirReady: Promise<void> | undefined;
  const ensureDir = () => (dirReady ??= ensurePrivateDir(dir));
  // Entries are only read from a directory nobody else can write: another user who could plant files there could
  // not forge an entry (GCM), but could put back an older genuine one (a revoked secret's value).
  let dirTrusted: Promise<boolean> | undefined;
  const trusted = () => (dirTrusted ??= isPrivateDir(dir));

  /** What an entry file holds encrypted: the entry plus the identity it was stored under (checked on read). */
  type Payload = Omit<CachedSecret, 'ageMs'> & { identity: string };

  const decryptFile = (fileId: string, raw: Buffer): Payload | undefined => {
    try {
      if (raw.length > MAX_ENTRY_BYTES) return undefined;
      const doc = JSON.parse(raw.toString('utf8')) as { v?: unknown; t?: unknown; n?: unknown; iv?: unknown; tag?: unknown; ct?: unknown };
      if (doc.v !== FORMAT_VERSION || typeof doc.t !== 'number' || typeof doc.n !== 'number') return undefined;
      if (typeof doc.iv !== 'string' || typeof doc.tag !== 'string' || typeof doc.ct !== 'string') return undefined;
      const iv = Buffer.from(doc.iv, 'base64');
      const tag = Buffer.from(doc.tag, 'base64');
      if (iv.length !== 12 || tag.length !== 16) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', encKey, iv);
      decipher.setAAD(aad(fileId, doc.t, doc.n));
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(Buffer.from(doc.ct, 'base64')), decipher.final()]);
      const p = JSON.parse(plain.toString('utf8')) as Payload;
      plain.fill(0);
      if (typeof p.identity !== 'string' || typeof p.value !== 'string' || typeof p.secretId !== 'string') return undefined;
      if (p.versionNumber !== doc.n || p.fetchedAt !== doc.t) return undefined;
      const expected = Buffer.from(fileIdOf(p.identity), 'utf8');
      if (expected.length !== fileId.length || !timingSafeEqual(expected, Buffer.from(fileId, 'utf8'))) return undefined;
      return p;
    } catch {
      return undefined;
    }
  };

  const readEntry = async (fileId: string): Promise<Payload | undefined> => {
    if (!(await trusted())) return undefined;
    let raw: Buffer;
    try {
      raw = await readFile(path.join(dir, fileId + ENTRY_SUFFIX));
    } catch {
      return undefined;
    }
    return decryptFile(fileId, raw);
  };

  const listEntryFiles = async (): Promise<string[]> => {
    try {
      return (await readdir(dir)).filter((f) => f.endsWith(ENTRY_SUFFIX) && /^[0-9a-f]{64}\.entry$/.test(f));
    } catch {
      return [];
    }
  };

  const remove = async (file: string): Promise<boolean> => {
    try {
      await unlink(path.join(dir, file));
      return true;
    } catch {
      return false;
    }
  };

  return {
    dir,
    keySource: args.keySource,
    async get(ref) {
      const identity = identityOf(ref);
      const p = await readEntry(fileIdOf(identity));
      if (!p || p.identity !== identity) return undefined;
      return {
        value: p.value,
        secretId: p.secretId,
        versionNumber: p.versionNumber,
        ...(p.stages ? { stages: p.stages } : {}),
        ...(p.name ? { name: p.name } : {}),
        reference: p.reference,
        fetchedAt: p.fetchedAt,
        ageMs: Math.max(0, now() - p.fetchedAt),
      };
    },
    async put(ref, secret) {
      try {
        await ensureDir();
        dirTrusted = Promise.resolve(true); // ensureDir checked (and tightened) it
        const identity = identityOf(ref);
        const fileId = fileIdOf(identity);
        const fetchedAt = now();
        const payload: Payload = {
          identity,
          value: secret.value,
          secretId: secret.secretId,
          versionNumber: secret.versionNumber,
          ...(secret.stages ? { stages: secret.stages } : {}),
          ...(secret.name ? { name: secret.name } : {}),
          reference: formatSecretRef(ref),
          fetchedAt,
        };
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', encKey, iv);
        cipher.setAAD(aad(fileId, fetchedAt, secret.versionNumber));
        const plain = Buffer.from(JSON.stringify(payload), 'utf8');
        const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
        plain.fill(0);
        const doc = { v: FORMAT_VERSION, t: fetchedAt, n: secret.versionNumber, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
        await writeFileAtomic(path.join(dir, fileId + ENTRY_SUFFIX), JSON.stringify(doc));
        return true;
      } catch {
        return false;
      }
    },
    async delete(ref) {
      return remove(fileIdOf(identityOf(ref)) + ENTRY_SUFFIX);
    },
    async purgeSecret(match) {
      if (!match.secretId && !match.name) return 0;
      let removed = 0;
      for (const file of await listEntryFiles()) {
        const p = await readEntry(file.slice(0, -ENTRY_SUFFIX.length));
        if (!p) continue;
        if ((match.secretId && p.secretId === match.secretId) || (match.name && p.name === match.name)) {
          if (await remove(file)) removed++;
        }
      }
      return removed;
    },
    async entries(options = {}) {
      const rows = await inspectCacheDir(dir, now);
      for (const row of rows) {
        let raw: Buffer;
        try {
          raw = await readFile(path.join(dir, row.file));
        } catch {
          row.valid = false;
          continue;
        }
        const p = decryptFile(row.file.slice(0, -ENTRY_SUFFIX.length), raw);
        row.valid = p !== undefined;
        if (p && options.names) row.reference = p.reference;
      }
      return rows;
    },
    async clear(filter) {
      if (!filter?.refs) return clearCacheDir(dir);
      let removed = 0;
      for (const ref of filter.refs) if (await remove(fileIdOf(identityOf(ref)) + ENTRY_SUFFIX)) removed++;
      return removed;
    },
  };
}

/**
 * Lists cache entries from their clear headers (no key needed): version, age, size; `valid` left undefined.
 * Newest first. Never throws (a missing dir is an empty cache).
 */
export async function inspectCacheDir(dir: string, now: () => number = Date.now): Promise<CacheEntryInfo[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /^[0-9a-f]{64}\.entry$/.test(f));
  } catch {
    return [];
  }
  const rows: Array<CacheEntryInfo & { t: number }> = [];
  for (const file of files) {
    try {
      const raw = await readFile(path.join(dir, file));
      let t = 0;
      let n = 0;
      try {
        const doc = JSON.parse(raw.toString('utf8')) as { t?: unknown; n?: unknown };
        if (typeof doc.t === 'number') t = doc.t;
        if (typeof doc.n === 'number') n = doc.n;
      } catch {
        // unreadable header: listed with age unknown (0) and valid false once checked
      }
      rows.push({ file, versionNumber: n, ageMs: t ? Math.max(0, now() - t) : 0, bytes: raw.length, t });
    } catch {
      // vanished between readdir and read (a concurrent clear)
    }
  }
  rows.sort((a, b) => b.t - a.t);
  return rows.map(({ t: _t, ...row }) => row);
}

/**
 * Removes every entry file and leftover temp file (`isAtomicTempName`, older than a minute by `now`) in `dir` (not
 * breaker.json, nothing else); works without the key.
 * @returns the number of entries removed
 */
export async function clearCacheDir(dir: string, now: () => number = Date.now): Promise<number> {
  return clearDirEntries(dir, (f) => /^[0-9a-f]{64}\.entry$/.test(f), now);
}
