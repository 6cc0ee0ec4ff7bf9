import { randomBytes } from 'node:crypto';
import { rmSync, statfsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, VaultMcpError } from '../errors.js';
import { ensurePrivateDir } from '../private-dir.js';
import { sweepDeadProcessDirs } from '../dead-process-dirs.js';

/**
 * Secrets as private in-memory files (`"file": true` on a secret, `run --secret-file VAR=REF`): each value is
 * written to a 0600 file (or the declared owner-only `file_mode`) in a private 0700 directory of this run on a
 * memory-backed filesystem, and the variable gets the file's path. For servers that want a key file or a
 * credentials JSON (Google service accounts, kubeconfigs, TLS keys).
 *
 * Where: `$XDG_RUNTIME_DIR/vaultmcp/` (systemd's per-user tmpfs), else `/dev/shm/vaultmcp-<uid>/`; each run gets
 * `run-<pid>-<random>/` inside. A disk-backed directory (`<tmpdir>/vaultmcp-<uid>/`) is used only with
 * `allow_disk_files: true`. The caller removes the run's directory on every exit path ({@link SecretFiles.remove},
 * and {@link SecretFiles.removeSync} from a process 'exit' hook); a directory left by a run that was SIGKILLed
 * (its pid is gone) is swept by {@link materialiseSecretFiles} at the next start.
 */

/** One value to write. */
export interface SecretFileInput {
  envVar: string;
  value: string;
  /** Owner-only mode, e.g. 0o600. */
  mode: number;
  /** Plain file name. */
  name: string;
}

/** The files of one run. */
export interface SecretFiles {
  /** The run's private directory. */
  dir: string;
  /** Variable → absolute path of its file. */
  paths: Record<string, string>;
  /** True when the directory is on a disk-backed filesystem (allow_disk_files). */
  diskBacked: boolean;
  /** Leftover directories of dead runs removed before these were written. */
  swept: number;
  /** Removes the directory and files (idempotent; never throws). */
  remove(): Promise<void>;
  /** The same, synchronously (for a process 'exit' hook). */
  removeSync(): void;
}

/** statfs magic numbers of memory-backed filesystems (linux/magic.h). */
const MEMORY_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** True when `dir` is on tmpfs/ramfs (false when it cannot be told, e.g. not Linux or missing). */
export function isMemoryBacked(dir: string): boolean {
  try {
    return MEMORY_FS.has(Number(statfsSync(dir).type));
  } catch {
    return false;
  }
}

/**
 * Where the per-run directories live, in order of preference (memory-backed candidates first).
 * @param env for XDG_RUNTIME_DIR
 * @returns root directories (not yet created) and whether each is memory-backed
 */
export function secretFileRoots(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.()): Array<{ root: string; parent: string }> {
  const roots: Array<{ root: string; parent: string }> = [];
  if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR)) roots.push({ root: path.join(env.XDG_RUNTIME_DIR, 'vaultmcp'), parent: env.XDG_RUNTIME_DIR });
  roots.push({ root: path.join('/dev/shm', `vaultmcp-${uid ?? 'user'}`), parent: '/dev/shm' });
  return roots;
}

/**
 * Writes the files of one run.
 * @param files the values (names must be distinct)
 * @param options.env for XDG_RUNTIME_DIR; options.allowDisk the `allow_disk_files` setting
 * @param options.roots override of the candidate roots (tests); options.diskRoot the disk fallback root
 *   (default `<os.tmpdir()>/vaultmcp-<uid>`); options.memoryBacked override of the filesystem check (tests)
 * @returns the files; call `remove()` when the server has exited
 * @throws ConfigError (exit 2) when no memory-backed filesystem is available and disk files are not allowed, or
 *   two secrets want the same file name; VaultMcpError (exit 1) when the directory cannot be made private
 */
export async function materialiseSecretFiles(
  files: readonly SecretFileInput[],
  options: {
    env: NodeJS.ProcessEnv;
    allowDisk: boolean;
    roots?: Array<{ root: string; parent: string }>;
    diskRoot?: string;
    memoryBacked?: (dir: string) => boolean;
  },
): Promise<SecretFiles> {
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new ConfigError(`two file secrets use the file name '${f.name}'`, { hint: 'give one of them another file_name' });
    names.add(f.name);
  }
  const memoryBacked = options.memoryBacked ?? isMemoryBacked;
  const candidates = options.roots ?? secretFileRoots(options.env);
  let chosen = candidates.find((c) => memoryBacked(c.parent));
  let diskBacked = false;
  if (!chosen) {
    if (!options.allowDisk) {
      throw new ConfigError(
        `no memory-backed directory for file secrets (${candidates.map((c) => c.parent).join(', ')} ${candidates.length === 1 ? 'is' : 'are'} not tmpfs)`,
        { hint: 'set XDG_RUNTIME_DIR to a tmpfs directory, or allow disk-backed files with `allow_disk_files: true` in resolver.yaml' },
      );
    }
    const root = options.diskRoot ?? path.join(os.tmpdir(), `vaultmcp-${process.getuid?.() ?? 'user'}`);
    chosen = { root, parent: path.dirname(root) };
    diskBacked = true;
  }
  try {
    await ensurePrivateDir(chosen.root);
  } catch (err) {
    throw new VaultMcpError(`cannot use ${chosen.root} for file secrets: ${(err as Error).message}`, {
      exitCode: 1,
      hint: 'remove that directory or make it yours with mode 0700',
    });
  }
  const swept = await sweepLeftovers(chosen.root);
  const dir = path.join(chosen.root, `run-${process.pid}-${randomBytes(6).toString('hex')}`);
  await ensurePrivateDir(dir);
  let removed = false;
  const result: SecretFiles = {
    dir,
    paths: {},
    diskBacked,
    swept,
    async remove() {
      if (removed) return;
      removed = true;
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
    removeSync() {
      if (removed) return;
      removed = true;
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort on the way out
      }
    },
  };
  try {
    for (const f of files) {
      const file = path.join(dir, f.name);
      const handle = await open(file, 'wx', f.mode & 0o700);
      try {
        await handle.writeFile(f.value, 'utf8');
        await handle.chmod(f.mode & 0o700); // the umask may have removed bits of the declared mode
      } finally {
        await handle.close();
      }
      result.paths[f.envVar] = file;
    }
  } catch (err) {
    await result.remove();
    throw new VaultMcpError(`cannot write a file secret in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { exitCode: 1 });
  }
  return result;
}

/**
 * Removes `run-<pid>-*` directories under `root` whose process is gone (a run that was SIGKILLed could not clean
 * up). Directories of live processes are left alone.
 * @returns how many were removed
 */
export async function sweepLeftovers(root: string): Promise<number> {
  return (await sweepDeadProcessDirs(root, /^run-(\d+)-[0-9a-f]+$/)).length;
}
