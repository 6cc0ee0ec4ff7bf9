import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` to `target` atomically: a new temp file (exclusive create, `mode`) in the same directory, then a
 * rename over the target, so readers (e.g. 30 parallel launches reading the cache) see the old or the new
 * content, never a torn one. The directory is created 0700 when missing. No fsync: a crash leaves the old file.
 * @param options.mode file mode (default 0600; applied explicitly, whatever the umask)
 * @param options.followSymlink when the target is a symlink, update the file it points to and keep the link
 *   (dotfile managers link ~/.oci/config and the like); otherwise the link itself is replaced
 * @throws the underlying fs error; the temp file is removed first
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: { mode?: number; followSymlink?: boolean } = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const file = options.followSymlink ? await realpath(target).catch(() => target) : target;
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, atomicTempName(path.basename(file)));
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.close();
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * The name of `writeFileAtomic`'s temp file for a target named `base`: `.<base>.<pid>.<12 hex>.tmp`.
 * {@link isAtomicTempName} recognises it, so cleaners (`cache clear`) and writers cannot drift apart.
 */
export function atomicTempName(base: string, pid = process.pid): string {
  return `.${base}.${pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** True for a file name `atomicTempName` makes (a leftover when its writer died between create and rename). */
export function isAtomicTempName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}

/**
 * Whether anything (a file, directory, or even a dangling symlink) is at `p`: lstat, so a link is not followed.
 * @returns false for ENOENT and any other lstat failure
 */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** How old a temp file of {@link writeFileAtomic} must be to count as a crashed writer's leftover, ms. */
export const STALE_TEMP_MS = 60_000;

/**
 * Removes the files of `dir` that `isEntry` accepts, and the leftover temp files of {@link writeFileAtomic} older
 * than {@link STALE_TEMP_MS} by `now` (a younger one may belong to a writer that is running); nothing else.
 * @returns how many entries were removed (temp files are not counted); 0 when `dir` cannot be read
 */
export async function clearDirEntries(dir: string, isEntry: (name: string) => boolean, now: () => number = Date.now): Promise<number> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const f of files) {
    const entry = isEntry(f);
    if (!entry && !isAtomicTempName(f)) continue;
    try {
      if (!entry && now() - (await stat(path.join(dir, f))).mtimeMs < STALE_TEMP_MS) continue;
      await unlink(path.join(dir, f));
      if (entry) removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
