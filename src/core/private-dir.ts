import { chmod, mkdir, stat } from 'node:fs/promises';

/**
 * True when `dir` is a directory owned by us that neither group nor others can write to (always true on Windows,
 * where modes and uids do not apply). A missing directory counts as private (callers create it 0700).
 */
export async function isPrivateDir(dir: string): Promise<boolean> {
  if (typeof process.getuid !== 'function') return true;
  try {
    const s = await stat(dir);
    return s.isDirectory() && s.uid === process.getuid() && (s.mode & 0o022) === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Creates `dir` (and parents) with mode 0700, tightening an existing one we own.
 * @throws Error when the directory belongs to another user or others can write to it: nothing may be trusted
 *   from (or written into) a directory someone else controls
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const s = await stat(dir);
    if ((s.mode & 0o077) !== 0 && (typeof process.getuid !== 'function' || s.uid === process.getuid())) await chmod(dir, 0o700);
  } catch {
    // best effort: the check below decides
  }
  if (!(await isPrivateDir(dir))) throw new Error(`${dir} is not a private directory`);
}
