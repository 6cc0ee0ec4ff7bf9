import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import { APP_DIR_NAME, expandPath } from '../config/paths.js';
import { ensurePrivateDir } from '../private-dir.js';

/** `cwd` value that runs the MCP server in the caller's working directory. */
export const INHERIT_CWD = 'inherit';

/**
 * The working directory an MCP server gets. By default a private, empty directory of ours
 * (`$XDG_STATE_HOME/oci-vault-mcp/servers`, else `~/.local/state/oci-vault-mcp/servers`, mode 0700), NOT the
 * caller's working directory: MCP clients start servers inside whatever project is open, and in a cloned
 * repository `npx -y <pkg>` would run that repository's `node_modules/<pkg>` (and honour its `.npmrc`), handing
 * it the secrets (DESIGN.md: nothing found implicitly in the current directory may change which code runs).
 * `requested` (from `run --cwd` or the service's `cwd`) is an explicit choice: a path (`~` and relative paths
 * resolved against the caller's directory) or `inherit` for the caller's directory itself.
 * @returns an absolute directory path
 * @throws UsageError (exit 2) when a requested directory does not exist or is not a directory
 */
export async function serverWorkingDirectory(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>, requested?: string): Promise<string> {
  if (requested === INHERIT_CWD) return ctx.cwd;
  if (requested !== undefined) {
    const dir = expandPath(requested, ctx);
    const s = await stat(dir).catch(() => undefined);
    if (!s?.isDirectory()) {
      throw new UsageError(`working directory for the server does not exist: ${dir}`, 'pass an existing directory to --cwd (or fix "cwd" in the service definition)');
    }
    return dir;
  }
  const base = ctx.env.XDG_STATE_HOME || path.join(ctx.homeDir, '.local', 'state');
  const dir = path.join(base, APP_DIR_NAME, 'servers');
  try {
    await ensurePrivateDir(dir);
    return dir;
  } catch {
    throw new UsageError(`cannot prepare the servers' private working directory ${dir}`, 'make it a directory only you can write to, or pass --cwd DIR');
  }
}
