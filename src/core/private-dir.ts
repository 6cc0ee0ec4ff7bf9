import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { directoryChainProblem, processIdentity, type TrustIdentity, type TrustProblem } from './config/trust.js';

/**
 * The problem with using `dir` as a private directory of ours (cache, the servers' working directories), if any:
 * it must be a directory owned by us that neither group nor others can write to (a root-owned sticky `/tmp` is NOT
 * private), and the directories above it must be trusted (config/trust.ts). A missing `dir` has no problem (callers
 * create it 0700). Nothing on Windows, where modes and uids do not apply.
 */
export async function privateDirProblem(dir: string, me: TrustIdentity = processIdentity()): Promise<TrustProblem | undefined> {
  if (me.uid === undefined) return undefined;
  let s;
  try {
    s = statSync(dir); // see directoryChainProblem: one stat(2) of a directory, no thread-pool round trip
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return directoryChainProblem(path.dirname(dir), me);
    return { path: dir, reason: `unreadable (${(err as NodeJS.ErrnoException).code})`, fix: `check the permissions of ${dir}` };
  }
  if (!s.isDirectory()) return { path: dir, reason: 'not a directory', fix: `remove ${dir} or choose another directory` };
  if (s.uid !== me.uid) return { path: dir, reason: `owned by uid ${s.uid}, not by you (uid ${me.uid})`, fix: `choose a directory of your own (we never take over one we did not create)` };
  let writable = s.mode & 0o022;
  if (writable & 0o020 && me.privateGroup && s.gid === me.gid) writable &= ~0o020; // our user private group only
  if (writable) {
    const who = writable === 0o022 ? 'group and others' : writable === 0o020 ? 'group' : 'others';
    return { path: dir, reason: `writable by ${who} (mode 0${(s.mode & 0o7777).toString(8)})`, fix: `chmod 700 ${dir}, or choose a directory only you can write` };
  }
  return directoryChainProblem(path.dirname(dir), me);
}

/** True when `dir` is private in the sense of {@link privateDirProblem} (or missing). */
export async function isPrivateDir(dir: string): Promise<boolean> {
  return (await privateDirProblem(dir)) === undefined;
}

/**
 * Creates `dir` (and missing parents) with mode 0700. An existing directory is used only if it is already private:
 * its mode is never changed (we never re-mode what we did not create: `OCI_VAULT_CACHE_DIR=/tmp` must not turn
 * /tmp into 0700).
 * @throws PrivateDirError naming the directory, why and the fix, when it is not private
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const before = await privateDirProblem(dir);
  if (before) throw new PrivateDirError(before);
  if (isDirectory(dir)) return; // there and private (checked above): nothing to create
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const after = await privateDirProblem(dir);
  if (after) throw new PrivateDirError(after);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A directory we would use as private is not (someone else owns it or can write to it). */
export class PrivateDirError extends Error {
  constructor(readonly problem: TrustProblem) {
    super(`${problem.path} is ${problem.reason}`);
    this.name = 'PrivateDirError';
  }
}
