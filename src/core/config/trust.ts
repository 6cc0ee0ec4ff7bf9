import { constants, readFileSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * Which files we trust, the way ssh trusts `~/.ssh/config` and `authorized_keys`: a file that decides which command
 * runs with the secrets or where credentials go (resolver.yaml, service definitions, the gateway map) is used only
 * when nobody but us (or root) could have written it:
 * - the file and every directory above it are owned by us or by root (uid 0);
 * - none of them is writable by group or others — except a directory that is root-owned and sticky (`/tmp`, 1777),
 *   where others cannot replace what is ours, and group write by our own user private group (a group with no
 *   other members, the umask-002 convention of Fedora/RHEL);
 * - the file is a regular file (not a FIFO, device or directory) of at most `maxBytes`.
 * On Windows (no POSIX owners or modes) only the last rule applies.
 */

/** Default size limit of a configuration file, bytes (1 MiB: far more than any real resolver.yaml or service file). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Why a path is not trusted: the path, the reason and the command that fixes it. */
export interface TrustProblem {
  path: string;
  /** e.g. `writable by group and others (mode 0777)`, `owned by uid 1001, not by you` */
  reason: string;
  /** e.g. `chmod go-w /home/me/.config/oci-vault-mcp` */
  fix: string;
}

/** Our identity for the checks; `undefined` uid on Windows. */
export interface TrustIdentity {
  uid: number | undefined;
  /** our primary group, and whether it is a user private group (no other members): see {@link ownershipProblem} */
  gid?: number;
  privateGroup?: boolean;
}

let identity: TrustIdentity | undefined;

/** The running process's identity (computed once). */
export function processIdentity(): TrustIdentity {
  if (identity) return identity;
  if (typeof process.getuid !== 'function' || typeof process.getgid !== 'function') return (identity = { uid: undefined });
  const uid = process.getuid();
  const gid = process.getgid();
  return (identity = { uid, gid, privateGroup: gid !== 0 && isUserPrivateGroup(gid) });
}

/**
 * True when group `gid` lists no members in /etc/group: a user private group (Fedora, RHEL and others give every
 * user one and a umask of 002, so their directories are group-writable by that group alone). Debian's ssh accepts
 * group-writable files for the same reason. Unknown (no /etc/group entry, NSS-only groups): false.
 */
function isUserPrivateGroup(gid: number): boolean {
  try {
    const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(gid));
    return line !== undefined && (line.split(':')[3] ?? '').trim() === '';
  } catch {
    return false;
  }
}

function modeText(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

/**
 * The problem with one path's owner and mode, if any (see the module comment).
 * @param s the path's stat (`uid`, `mode`)
 * @param isDir whether it is a directory (root-owned sticky directories are accepted)
 */
export function ownershipProblem(p: string, s: { uid: number; gid?: number; mode: number }, isDir: boolean, me: TrustIdentity = processIdentity()): TrustProblem | undefined {
  if (me.uid === undefined) return undefined;
  if (s.uid !== me.uid && s.uid !== 0) {
    return { path: p, reason: `owned by uid ${s.uid}, not by you (uid ${me.uid}) or root`, fix: `sudo chown ${me.uid} ${shellQuote(p)} (or remove it)` };
  }
  let writable = s.mode & 0o022;
  // group-writable by our own user private group (no other members) is as private as not group-writable
  if (writable & 0o020 && me.privateGroup && s.gid === me.gid && s.uid === me.uid) writable &= ~0o020;
  if (writable === 0) return undefined;
  if (isDir && s.uid === 0 && (s.mode & 0o1000) !== 0) return undefined;
  const who = writable === 0o022 ? 'group and others' : writable === 0o020 ? 'group' : 'others';
  return { path: p, reason: `writable by ${who} (mode ${modeText(s.mode)})`, fix: `chmod go-w ${shellQuote(p)}` };
}

/**
 * Checks `dir` and every directory above it up to `/`.
 * @returns the first problem, nearest first; undefined when all are trusted or a directory does not exist
 */
export async function directoryChainProblem(dir: string, me: TrustIdentity = processIdentity()): Promise<TrustProblem | undefined> {
  if (me.uid === undefined) return undefined;
  let current = path.resolve(dir);
  for (;;) {
    // a synchronous stat(2) of a directory is quick on a local file system, and saves a thread-pool round trip per
    // level, which adds up on every launch (bench/RESULTS.md "Launch at the floor")
    const s = statIfExists(current);
    if (s) {
      const problem = ownershipProblem(current, s, true, me);
      if (problem) return problem;
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Throws unless `file` is trusted: see the module comment. Use it for every file that decides which command runs
 * with the secrets or where credentials go (the gateway map too).
 * @param what what the file is, for the message (`service definition`, `settings file`)
 * @throws ConfigError (exit 2) naming the file (or directory), why, and the chmod/chown fix
 */
export async function assertTrustedFile(file: string, what: string, me: TrustIdentity = processIdentity()): Promise<void> {
  const s = await stat(file);
  const problem = ownershipProblem(file, s, false, me) ?? (await directoryChainProblem(path.dirname(file), me));
  if (problem) throw trustError(problem, what, file);
}

/** The ConfigError for a trust problem of `file` (or of a directory above it). */
export function trustError(problem: TrustProblem, what: string, file: string): ConfigError {
  const subject = problem.path === file ? 'it is' : `its directory ${problem.path} is`;
  return new ConfigError(`refusing ${what} ${file}: ${subject} ${problem.reason}, so someone else could have written it`, { hint: problem.fix });
}

/**
 * Reads a configuration file we are about to trust: only a regular file (a FIFO would block, `/dev/zero` would
 * never end) of at most `maxBytes`, owned and guarded as {@link assertTrustedFile} requires. The file is opened
 * non-blocking and checked on its descriptor, so it cannot be swapped between the check and the read.
 * @param options.what what the file is, for messages
 * @returns the text (UTF-8), or undefined when `optional` and it does not exist
 * @throws ConfigError (exit 2): not a regular file, too large, untrusted, unreadable; the raw errno code only
 * @throws NodeJS.ErrnoException ENOENT/ENOTDIR when not optional (callers phrase "not found" their way)
 */
export async function readTrustedConfigFile(
  file: string,
  options: { what: string; optional?: boolean; maxBytes?: number; me?: TrustIdentity },
): Promise<string | undefined> {
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (options.optional) return undefined;
      throw err;
    }
    if (code === 'EISDIR') throw new ConfigError(`${options.what} ${file} is a directory, not a file`, { hint: 'name a regular file' });
    throw new ConfigError(`cannot read ${options.what} ${file} (${code ?? 'error'})`, { hint: 'check the file permissions' });
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) {
      throw new ConfigError(`${options.what} ${file} is not a regular file (a FIFO, device or directory)`, { hint: 'name a regular file' });
    }
    if (s.size > maxBytes) {
      throw new ConfigError(`${options.what} ${file} is too large (${s.size} bytes; the limit is ${maxBytes})`, { hint: 'name the right file' });
    }
    const me = options.me ?? processIdentity();
    const problem = ownershipProblem(file, s, false, me) ?? (await directoryChainProblem(path.dirname(file), me));
    if (problem) throw trustError(problem, options.what, file);
    // sized for what stat said, grown if the file grows meanwhile, never beyond maxBytes + 1
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, s.size + 4096));
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        if (buf.length > maxBytes) throw new ConfigError(`${options.what} ${file} is too large (over ${maxBytes} bytes)`, { hint: 'name the right file' });
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) throw new ConfigError(`${options.what} ${file} is too large (over ${maxBytes} bytes)`, { hint: 'name the right file' });
    return buf.subarray(0, total).toString('utf8');
  } finally {
    await handle.close().catch(() => {});
  }
}

function statIfExists(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function shellQuote(p: string): string {
  return /^[A-Za-z0-9_./~+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
