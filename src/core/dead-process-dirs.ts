import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Directories named after the process that made them (`run-<pid>-…`, `vaultmcp-gateway-<pid>-…`), and the sweep
 * that removes those a killed process could not clean up: a server's run directory, file secrets, a gateway's FIFO.
 */

/**
 * True when a process with this pid exists (`kill(pid, 0)`; EPERM means it exists but is another user's).
 * @param pid process id
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `root` whose name matches `pattern` (its first group is the pid of the process that made
 * them) when that process is gone. Only a directory that is ours is removed (lstat: a link is not followed; on POSIX
 * owned by our uid); this process's own are never touched. Never throws: an entry that raced away is skipped.
 * @returns the paths removed
 */
export async function sweepDeadProcessDirs(root: string, pattern: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    const full = path.join(root, name);
    try {
      const s = await lstat(full);
      if (!s.isDirectory() || (process.getuid && s.uid !== process.getuid())) continue;
      await rm(full, { recursive: true, force: true });
      removed.push(full);
    } catch {
      // raced with its owner or another sweeper
    }
  }
  return removed;
}
