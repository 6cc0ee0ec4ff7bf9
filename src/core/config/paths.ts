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

/** The extensions a service file may have, in lookup order. */
export const SERVICE_FILE_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

/**
 * The resolver.yaml files settings are read from, highest priority first: `--config FILE` (required), the user's,
 * the system's (both optional). A `resolver.yaml` in the current directory is deliberately not among them.
 */
export function settingsFileCandidates(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>, configFile?: string): Array<{ file: string; required: boolean }> {
  return [
    ...(configFile ? [{ file: expandPath(configFile, ctx), required: true }] : []),
    { file: path.join(userConfigDir(ctx), 'resolver.yaml'), required: false },
    { file: path.join(systemConfigDir(ctx), 'resolver.yaml'), required: false },
  ];
}

/** Directories searched for `<name>.json|yaml|yml`, in order: user, then system. */
export function serviceDirs(ctx: Pick<AppContext, 'env' | 'homeDir'>): Array<{ dir: string; source: 'user' | 'system' }> {
  return [
    { dir: path.join(userConfigDir(ctx), 'services'), source: 'user' },
    { dir: path.join(systemConfigDir(ctx), 'services'), source: 'system' },
  ];
}

/** True when the argument is a path to a service file rather than a service name. */
export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || SERVICE_FILE_EXTENSIONS.some((e) => arg.endsWith(e));
}

/**
 * The files a service argument may be read from, in lookup order: the file itself for a path, else
 * `<dir>/<name><ext>` for each of {@link serviceDirs} and {@link SERVICE_FILE_EXTENSIONS} (a built-in template is
 * used when none exists).
 */
export function serviceFileCandidates(nameOrPath: string, ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>): string[] {
  if (looksLikePath(nameOrPath)) return [expandPath(nameOrPath, ctx)];
  return serviceDirs(ctx).flatMap(({ dir }) => SERVICE_FILE_EXTENSIONS.map((ext) => path.join(dir, nameOrPath + ext)));
}

/** Environment variables that change where the files above are (besides HOME), for the launch snapshot's key. */
export const PATH_ENV_NAMES = ['XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'VAULTMCP_SYSTEM_CONFIG_DIR'] as const;
