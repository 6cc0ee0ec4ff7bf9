import { chmod, copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathExists, writeFileAtomic } from '../../core/atomic-file.js';
import type { ClientId, ClientPlace, ClientScope, ClientSpec } from '../../core/clients/catalog.js';
import { CLIENTS, isClientId, isSecretVariable } from '../../core/clients/catalog.js';
import type { AppContext } from '../../core/context.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import { maskSecret } from '../../core/mask.js';
import { expandPath, userConfigDir } from '../../core/config/paths.js';

/**
 * Files of MCP clients as the client use-cases touch them: which file, its current text, a backup before a change,
 * an atomic write that keeps the file's mode (we never re-mode a file we did not create), and a diff in which
 * credential values are masked.
 */

/** The client, scope and file a command works on. */
export interface ClientTarget {
  client: ClientSpec;
  scope: ClientScope;
  file: string;
}

/** The place clients are looked for from this process: OS, home, environment, current directory. */
export function clientPlace(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>, os: NodeJS.Platform = process.platform): ClientPlace {
  return { os: os === 'darwin' || os === 'win32' ? os : 'linux', homeDir: ctx.homeDir, env: ctx.env, projectDir: ctx.cwd };
}

/**
 * Resolves `CLIENT [--scope] [--config-file]`.
 * @throws UsageError (2) for an unknown client or a scope it does not have
 */
export function resolveTarget(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  clientId: string,
  options: { scope?: string; configFile?: string; place?: ClientPlace },
): ClientTarget {
  if (!isClientId(clientId)) {
    throw new UsageError(`unknown client '${clientId}'`, `one of: ${Object.keys(CLIENTS).join(', ')}`);
  }
  const client = CLIENTS[clientId as ClientId];
  const scope = (options.scope ?? 'user') as ClientScope;
  if (!client.scopes.includes(scope)) {
    throw new UsageError(`${client.label} has no ${options.scope} scope`, `use --scope ${client.scopes.join(' or --scope ')}`);
  }
  const file = options.configFile ? expandPath(options.configFile, ctx) : client.configFile(scope, options.place ?? clientPlace(ctx));
  return { client, scope, file };
}

/**
 * Reads a client config file.
 * @returns the text, or undefined when the file does not exist
 * @throws ConfigError (2) when it exists but cannot be read or is not a regular file
 */
export async function readClientFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the client's config (${code})`, { file, hint: 'check the path and its permissions' });
  }
}

/** Directory of backups: `~/.config/oci-vault-mcp/backups` (0700), never inside a project where it could be committed. */
export function backupDir(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  return path.join(userConfigDir(ctx), 'backups');
}

/**
 * Copies `file` to the backup directory as `<client>-<file name>-<UTC time>` with mode 0600 (it may hold the
 * credentials that are about to be moved to the vault).
 * @returns the backup's path
 */
export async function backupClientFile(ctx: Pick<AppContext, 'env' | 'homeDir' | 'now'>, client: ClientId, file: string): Promise<string> {
  const dir = backupDir(ctx);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(ctx.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let target = path.join(dir, `${client}-${path.basename(file)}-${stamp}`);
  for (let i = 2; await pathExists(target); i++) target = path.join(dir, `${client}-${path.basename(file)}-${stamp}-${i}`);
  await copyFile(file, target);
  await chmod(target, 0o600); // our own new file
  return target;
}

/**
 * Writes the new text atomically. An existing file keeps its mode (a symlinked config, e.g. from a dotfile manager,
 * is updated where it points); a new one is created 0600 in a directory created 0700 if missing.
 */
export async function writeClientFile(file: string, text: string): Promise<void> {
  let mode = 0o600;
  try {
    const st = await stat(file);
    mode = st.mode & 0o7777;
  } catch {
    // a new file
  }
  await writeFileAtomic(file, text, { mode, followSymlink: true });
}

/**
 * A unified diff of the change with credential values masked (`"GITHUB_TOKEN": "ghp_****(40)"`): the context lines
 * around the edit may show other entries' plaintext tokens, which must not reach the terminal.
 * @returns '' when nothing changes
 */
export async function maskedDiff(file: string, before: string | undefined, after: string, knownSecretVars?: ReadonlySet<string>): Promise<string> {
  if ((before ?? '') === after) return '';
  const { createTwoFilesPatch } = await import('diff');
  const patch = createTwoFilesPatch(file, file, maskCredentials(before ?? '', knownSecretVars), maskCredentials(after, knownSecretVars), before === undefined ? '(new file)' : '', '', {
    context: 3,
  });
  return patch.replace(/^=+\n/m, '');
}

/**
 * Masks the string value of every `"NAME": "value"` / `NAME = "value"` whose NAME looks like a credential
 * (catalog.ts `isSecretVariable`); everything else is unchanged.
 */
export function maskCredentials(text: string, knownSecretVars?: ReadonlySet<string>): string {
  return text.replace(/(["']?)([A-Za-z_][A-Za-z0-9_]*)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\n])*)\4/g, (all, q, name, sep, vq, value) =>
    isSecretVariable(name, knownSecretVars) && value !== '' && !/^\$\{/.test(value) ? `${q}${name}${q}${sep}${vq}${maskSecret(value)}${vq}` : all,
  );
}

