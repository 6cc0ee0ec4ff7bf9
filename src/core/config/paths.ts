import path from 'node:path';
import type { AppContext } from '../context.js';

/**
 * Where our files live, following the XDG base-directory spec on every platform (the prototype's locations):
 * settings `~/.config/oci-vault-mcp/resolver.yaml`, services `~/.config/oci-vault-mcp/services/`,
 * cache `~/.cache/oci-vault-mcp`, system-wide `/etc/oci-vault-mcp/`.
 */
export const APP_DIR_NAME = 'oci-vault-mcp';

/** `$XDG_CONFIG_HOME/oci-vault-mcp` or `~/.config/oci-vault-mcp`. */
export function userConfigDir(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  const base = ctx.env.XDG_CONFIG_HOME || path.join(ctx.homeDir, '.config');
  return path.join(base, APP_DIR_NAME);
}

/** `/etc/oci-vault-mcp` (overridable with VAULTMCP_SYSTEM_CONFIG_DIR, for tests and packagers). */
export function systemConfigDir(ctx: Pick<AppContext, 'env'>): string {
  return ctx.env.VAULTMCP_SYSTEM_CONFIG_DIR || path.join('/etc', APP_DIR_NAME);
}

/** `$XDG_CACHE_HOME/oci-vault-mcp` or `~/.cache/oci-vault-mcp`. */
export function defaultCacheDir(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  const base = ctx.env.XDG_CACHE_HOME || path.join(ctx.homeDir, '.cache');
  return path.join(base, APP_DIR_NAME);
}

/** Expands a leading `~` and makes a path absolute against `cwd`. */
export function expandPath(p: string, ctx: Pick<AppContext, 'homeDir' | 'cwd'>): string {
  const expanded = p === '~' ? ctx.homeDir : p.startsWith('~/') ? path.join(ctx.homeDir, p.slice(2)) : p;
  return path.resolve(ctx.cwd, expanded);
}

/** `$XDG_STATE_HOME/oci-vault-mcp` or `~/.local/state/oci-vault-mcp` (the audit trail). */
export function defaultStateDir(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  const base = ctx.env.XDG_STATE_HOME || path.join(ctx.homeDir, '.local', 'state');
  return path.join(base, APP_DIR_NAME);
}
