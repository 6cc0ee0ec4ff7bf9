import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { clearDirEntries, writeFileAtomic } from '../atomic-file.js';
import type { AppContext } from '../context.js';
import { ensurePrivateDir } from '../private-dir.js';
import { defaultCacheDir, expandPath, looksLikePath, PATH_ENV_NAMES, serviceFileCandidates, settingsFileCandidates } from './paths.js';
import { SETTINGS_ENV_NAMES, SETTINGS_ENV_PATH_NAMES } from './settings/env-keys.js';
import type { LoadedSettings } from './settings/index.js';
import type { ServiceDefinition } from './services/index.js';
import { directoryChainProblem, MAX_CONFIG_BYTES, ownershipProblem, processIdentity } from './trust.js';

/**
 * The launch snapshot: the settings and service definition of one `run` invocation, as loaded and validated from
 * their files, kept so that the next identical launch skips loading yaml and zod and parsing (~11 ms of a cache
 * hit's start; bench/RESULTS.md "Launch at the floor").
 *
 * A snapshot is used only when all of this holds (otherwise the files are read and validated as usual, and the
 * snapshot is written anew):
 * - it was made for the same inputs: the service argument and `--config` (as absolute paths when they are paths),
 *   the home directory, our uid, the environment variables that set settings or move our directories (path values
 *   made absolute), and the same executable (version, path, size, mtime); these name its file;
 * - every file the configuration could come from (each resolver.yaml, each place the service file is looked up) is
 *   as it was: the same device, inode, size, mtime and ctime (ns) for a file that existed, still absent for one that
 *   did not. A changed byte, a rename, a chmod or chown, a new higher-priority file: any of these invalidates it;
 * - the files are still trusted (config/trust.ts: owner and mode of each file and every directory above it,
 *   re-checked on every launch, since a directory's mode can change without touching the file);
 * - it authenticates: the body is AES-256-GCM-encrypted under a key derived (HKDF-SHA256) from the cache key, with
 *   the inputs' digest and the file identities as additional data. It decides which command gets the secrets, so
 *   nobody without the cache key can forge or alter one; putting back an older genuine snapshot gains nothing, since
 *   its file identities no longer match.
 * It lives in `<default cache dir>/launch/` (0700), one file per inputs' digest; it holds no secret value.
 */

/** Format of a snapshot file (first line: header JSON; second line: base64 of IV | ciphertext | tag). */
const FORMAT = 1;
/** Largest snapshot file read, bytes. */
const MAX_SNAPSHOT_BYTES = 4 * MAX_CONFIG_BYTES;

/** What a snapshot holds: the configuration of a launch. */
export interface LaunchConfig {
  loaded: LoadedSettings;
  service: ServiceDefinition;
}

/** Where the cache key that protects a snapshot comes from (so a launch knows which one to read first). */
export type SnapshotKeySource = 'env' | 'keychain';

/** The inputs of one launch's configuration, and the snapshot file they name. */
export interface SnapshotInputs {
  /** Hex SHA-256 of the inputs (see the module comment): the snapshot's name and part of its additional data. */
  digest: string;
  /** The snapshot file. */
  file: string;
  /** Every file the configuration may come from, in lookup order. */
  sources: string[];
}

/** One source's identity: `dev:ino:size:mtimeNs:ctimeNs`, or null when it did not exist. */
export type SourceIdentity = string | null;

interface Header {
  v: number;
  digest: string;
  keySource: SnapshotKeySource;
  sources: Array<[string, SourceIdentity]>;
}

/**
 * The inputs of a `run` launch and its snapshot's place.
 * @param request.service the service argument (name or path); `configFile` the `--config` path
 * @param executable our executable's path (its version, size and mtime are part of the inputs)
 */
export function snapshotInputs(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  request: { service: string; configFile?: string },
  executable: { path: string; version: string },
): SnapshotInputs {
  const settingsFiles = settingsFileCandidates(ctx, request.configFile).map((c) => c.file);
  const serviceFiles = serviceFileCandidates(request.service, ctx);
  // paths as they resolve here (a relative one names another file in another directory), so the same launch from
  // another working directory uses the same snapshot
  const env = [...SETTINGS_ENV_NAMES, ...PATH_ENV_NAMES, 'OCI_VAULT_ENVIRONMENT'].map((n) => {
    const value = ctx.env[n];
    return [n, value === undefined ? null : SETTINGS_ENV_PATH_NAMES.includes(n) && value !== '' ? expandPath(value, ctx) : value];
  });
  const digest = createHash('sha256')
    .update(JSON.stringify({
      v: FORMAT,
      uid: processIdentity().uid ?? null,
      home: ctx.homeDir,
      service: looksLikePath(request.service) ? expandPath(request.service, ctx) : request.service,
      config: request.configFile ? expandPath(request.configFile, ctx) : null,
      env,
      exe: [executable.version, executable.path, identityOf(executable.path)],
    }))
    .digest('hex');
  return { digest, file: path.join(snapshotDir(ctx), `${digest}.snap`), sources: [...settingsFiles, ...serviceFiles] };
}

/** `<default cache dir>/launch` (the settings' own `cache.dir` is not known before the settings are). */
export function snapshotDir(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  return path.join(defaultCacheDir(ctx), 'launch');
}

/**
 * Checks the snapshot of `inputs` without decrypting it: it exists, is ours in form, and every source file is as it
 * was and still trusted. Cheap (a read and a few stats, no key needed), so a launch knows whether to read the cache
 * key for it.
 * @returns the key source it was written with and its opener, or undefined when there is no usable snapshot
 */
export async function checkLaunchSnapshot(inputs: SnapshotInputs): Promise<{ keySource: SnapshotKeySource; open(key: Buffer): LaunchConfig | undefined } | undefined> {
  const text = readRegularFile(inputs.file, MAX_SNAPSHOT_BYTES);
  if (text === undefined) return undefined;
  const nl = text.indexOf('\n');
  if (nl < 0) return undefined;
  const headerText = text.slice(0, nl);
  let header: Header;
  try {
    header = JSON.parse(headerText) as Header;
  } catch {
    return undefined;
  }
  if (header.v !== FORMAT || header.digest !== inputs.digest || (header.keySource !== 'env' && header.keySource !== 'keychain')) return undefined;
  if (!Array.isArray(header.sources) || header.sources.length !== inputs.sources.length) return undefined;
  const present: Array<[string, BigIntStats]> = [];
  for (const [i, source] of inputs.sources.entries()) {
    const [p, was] = header.sources[i] ?? [];
    const now = statSource(source);
    if (p !== source || now.identity !== was) return undefined;
    if (now.stats) present.push([source, now.stats]);
  }
  if (!(await sourcesTrusted(present))) return undefined;
  const body = Buffer.from(text.slice(nl + 1).trim(), 'base64');
  return {
    keySource: header.keySource,
    open(key) {
      if (body.length < 12 + 16) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', snapshotKey(key), body.subarray(0, 12));
        decipher.setAAD(Buffer.from(headerText, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - 16));
        const plain = Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as LaunchConfig;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The identities of the sources now: take them before loading the configuration the snapshot will hold, and give
 * them to {@link writeLaunchSnapshot}, which writes only if they have not changed since (so a file edited while it
 * was being read never gets a snapshot of its old content under its new identity).
 */
export function sourceIdentities(inputs: SnapshotInputs): SourceIdentity[] {
  return inputs.sources.map(identityOf);
}

/**
 * Writes the snapshot of `inputs` for `config`. Never throws: a snapshot that cannot be written only costs the next
 * launch some milliseconds.
 * @param before the sources' identities taken before `config` was loaded from them ({@link sourceIdentities})
 * @param key the 32-byte cache key; `keySource` where it came from
 * @returns false when nothing was written (a source changed since `before`, a source could not be looked at, the
 *   directory is not private, a write error)
 */
export async function writeLaunchSnapshot(
  inputs: SnapshotInputs,
  before: readonly SourceIdentity[],
  config: LaunchConfig,
  key: Buffer,
  keySource: SnapshotKeySource,
): Promise<boolean> {
  try {
    const now = sourceIdentities(inputs);
    if (now.some((id, i) => id !== before[i] || id?.startsWith('?'))) return false;
    const header: Header = { v: FORMAT, digest: inputs.digest, keySource, sources: inputs.sources.map((s, i) => [s, now[i]!]) };
    const headerText = JSON.stringify(header);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', snapshotKey(key), iv);
    cipher.setAAD(Buffer.from(headerText, 'utf8'));
    const ct = Buffer.concat([cipher.update(JSON.stringify(config), 'utf8'), cipher.final()]);
    const body = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64');
    await ensurePrivateDir(path.dirname(inputs.file));
    await writeFileAtomic(inputs.file, `${headerText}\n${body}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes every launch snapshot (`cache clear`); the next launch of each service reads its files again.
 * @returns how many were removed
 */
export async function clearLaunchSnapshots(ctx: Pick<AppContext, 'env' | 'homeDir'>): Promise<number> {
  return clearDirEntries(snapshotDir(ctx), (f) => /^[0-9a-f]{64}\.snap$/.test(f));
}

function snapshotKey(cacheKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', cacheKey, Buffer.alloc(0), 'docker-vaultmcp launch snapshot v1', 32));
}

/**
 * The text of a regular file of at most `maxBytes`, or undefined. Opened non-blocking and checked on its descriptor:
 * a FIFO put in its place cannot stall a launch, nor a huge file fill its memory.
 */
function readRegularFile(file: string, maxBytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.toString('utf8', 0, read);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A path's identity (following symlinks, as reading it does), or null when it does not exist; '?' when unknown. */
function identityOf(p: string): SourceIdentity {
  return statSource(p).identity;
}

/** A path's stat (following symlinks) and its identity `dev:ino:size:mtimeNs:ctimeNs`. */
function statSource(p: string): { identity: SourceIdentity; stats?: BigIntStats } {
  try {
    const stats = statSync(p, { bigint: true });
    return { identity: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`, stats };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // a snapshot is never valid over a source that could not be looked at (EACCES…)
    return { identity: code === 'ENOENT' || code === 'ENOTDIR' ? null : `?${code}` };
  }
}

/**
 * True when every existing source (with the stat its identity came from) is a file config/trust.ts trusts: owner
 * and mode, and those of every directory above it.
 */
async function sourcesTrusted(present: ReadonlyArray<[string, BigIntStats]>): Promise<boolean> {
  const me = processIdentity();
  for (const [file, s] of present) {
    if (!s.isFile() || s.size > BigInt(MAX_CONFIG_BYTES)) return false;
    if (ownershipProblem(file, { uid: Number(s.uid), gid: Number(s.gid), mode: Number(s.mode) }, false, me)) return false;
    if (await directoryChainProblem(path.dirname(file), me)) return false;
  }
  return true;
}
