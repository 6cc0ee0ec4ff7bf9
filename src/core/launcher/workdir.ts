import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import { APP_DIR_NAME, expandPath } from '../config/paths.js';
import { ensurePrivateDir, PrivateDirError } from '../private-dir.js';
import { sweepDeadProcessDirs } from '../dead-process-dirs.js';

/** `cwd` value that runs the MCP server in the caller's working directory. */
export const INHERIT_CWD = 'inherit';

/** Prefix of the per-run directories inside the private base; the launching process's pid follows. */
const RUN_DIR_PREFIX = 'run-';

/** Where a server will run: an explicit directory, or a fresh private one made per launch. */
export interface ServerWorkdir {
  /**
   * The explicit directory (`--cwd`, the service's `cwd`, `inherit`), or, when `fresh`, the private base directory
   * (`$XDG_STATE_HOME/oci-vault-mcp/servers`, else `~/.local/state/oci-vault-mcp/servers`, 0700, ours) in which
   * {@link createRunDirectory} makes each launch's own directory.
   */
  dir: string;
  /** True when the server gets a new, empty, private directory per launch (the default). */
  fresh: boolean;
}

/**
 * The working directory an MCP server gets. By default a new, empty directory of ours per launch, removed after it
 * (see {@link createRunDirectory}), NOT the caller's working directory: MCP clients start servers inside whatever
 * project is open, and in a cloned repository `npx -y <pkg>` would run that repository's `node_modules/<pkg>` (and
 * honour its `.npmrc`), handing it the secrets (DESIGN.md: nothing found implicitly in the current directory may
 * change which code runs). Nor one directory shared by all servers: a server could plant a `package.json` and
 * `node_modules/.bin` there for the next service's `npx` to run with that service's token.
 * `requested` (from `run --cwd` or the service's `cwd`) is an explicit choice: a path (`~` and relative paths
 * resolved against the caller's directory) or `inherit` for the caller's directory itself.
 * @throws UsageError (exit 2) when a requested directory does not exist or is not a directory, or the private base
 *   cannot be made private (another owner, group/world-writable)
 */
export async function serverWorkdir(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>, requested?: string): Promise<ServerWorkdir> {
  if (requested === INHERIT_CWD) return { dir: ctx.cwd, fresh: false };
  if (requested !== undefined) {
    const dir = expandPath(requested, ctx);
    const s = await stat(dir).catch(() => undefined);
    if (!s?.isDirectory()) {
      throw new UsageError(`working directory for the server does not exist: ${dir}`, 'pass an existing directory to --cwd (or fix "cwd" in the service definition)');
    }
    return { dir, fresh: false };
  }
  const base = ctx.env.XDG_STATE_HOME || path.join(ctx.homeDir, '.local', 'state');
  const dir = path.join(base, APP_DIR_NAME, 'servers');
  try {
    await ensurePrivateDir(dir);
    return { dir, fresh: true };
  } catch (err) {
    if (err instanceof PrivateDirError) {
      throw new UsageError(`refusing the servers' private working directory ${dir}: ${err.message}`, `${err.problem.fix}; or pass --cwd DIR`);
    }
    throw new UsageError(`cannot prepare the servers' private working directory ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'make it a directory only you can write to, or pass --cwd DIR');
  }
}

/**
 * Where relative executables are looked up for `workdir` before the launch: the directory itself, or for a fresh one
 * a path inside the base that does not exist (a new directory is empty, so `./server.js` is found nowhere there).
 */
export function lookupDirectory(workdir: ServerWorkdir): string {
  return workdir.fresh ? path.join(workdir.dir, `${RUN_DIR_PREFIX}(new)`) : workdir.dir;
}

/** A directory for one launch, and how to give it back. */
export interface RunDirectory {
  path: string;
  /** Removes the directory and whatever the server left in it (never throws). Idempotent. */
  remove(): Promise<void>;
}

/**
 * The directory one launch runs in: for a fresh workdir a new empty directory `<base>/run-<pid>-XXXXXX` (mode 0700,
 * created by us with mkdtemp, so nothing can be in it yet), else the explicit directory itself (never removed).
 * Directories left by launches whose process is gone (it was SIGKILLed) are swept in the background.
 * @param pid our process id (default), part of the name so the sweep can tell live launches from dead ones
 * @throws Error from mkdtemp when the base directory cannot be written
 */
export async function createRunDirectory(workdir: ServerWorkdir, pid: number = process.pid): Promise<RunDirectory> {
  if (!workdir.fresh) return { path: workdir.dir, remove: async () => {} };
  const dir = await mkdtemp(path.join(workdir.dir, `${RUN_DIR_PREFIX}${pid}-`));
  let removed: Promise<void> | undefined;
  // `run-<pid>-*` directories whose process no longer exists (killed runs)
  void sweepDeadProcessDirs(workdir.dir, /^run-(\d+)-/);
  return {
    path: dir,
    remove: () => (removed ??= rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch(() => {})),
  };
}

