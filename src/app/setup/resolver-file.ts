import { constants as fsConstants } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { AppContext } from '../../core/context.js';
import { ConfigError } from '../../core/errors.js';
import { userConfigDir } from '../../core/config/paths.js';
import { settingsFileSchema, type AuthMethod, type Settings } from '../../core/config/settings/schema.js';
import { validate } from '../../core/config/settings/load.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { directoryChainProblem, trustError } from '../../core/config/trust.js';

/** Everything setup asks; becomes the `vault` and `auth` sections of resolver.yaml. */
export interface SetupAnswers {
  /** absolute path of the OCI config file (api_key, session_token) */
  configFile: string;
  profile: string;
  authMethod: AuthMethod;
  region?: string;
  compartmentId: string;
  vaultId: string;
  keyId?: string;
  /** emulator or private endpoint (`--endpoint`) */
  endpoint?: string;
}

/** `$XDG_CONFIG_HOME/oci-vault-mcp/resolver.yaml` (or `~/.config/…`): the file setup writes. */
export function resolverFilePath(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  return path.join(userConfigDir(ctx), 'resolver.yaml');
}

/**
 * Settings for SDK clients built from the answers so far (defaults elsewhere), for setup's live lists and test.
 */
export function draftSettings(a: Partial<SetupAnswers> & Pick<SetupAnswers, 'configFile' | 'profile' | 'authMethod'>): Settings {
  return {
    vault: { region: a.region, vault_id: a.vaultId, compartment_id: a.compartmentId, key_id: a.keyId, endpoint: a.endpoint?.replace(/\/+$/, '') },
    auth: { method: a.authMethod, config_file: a.configFile, profile: a.profile },
    cache: { enabled: false, dir: '', ttl: 3600, max_stale: 86400 },
    resilience: { timeout_ms: 10_000, retries: 0, breaker_threshold: 5, breaker_reset_ms: 60_000, concurrency: 4, deadline_ms: 30_000 },
  };
}

/**
 * Renders resolver.yaml. When `existing` (the current file's text) is given and parses, its other sections,
 * keys and comments are kept and only the `vault` and `auth` keys setup manages are replaced (keys it manages but
 * the answers leave out, e.g. an old `vault.endpoint`, are removed).
 * @throws ConfigError when the result would not be valid settings (a bug or a bad flag value)
 */
export function renderResolverYaml(a: SetupAnswers, existing?: string, now = new Date()): string {
  const vault: Record<string, string | undefined> = { region: a.region, vault_id: a.vaultId, compartment_id: a.compartmentId, key_id: a.keyId, endpoint: a.endpoint?.replace(/\/+$/, '') };
  const principal = a.authMethod === 'instance_principal' || a.authMethod === 'resource_principal';
  const auth: Record<string, string | undefined> = { method: a.authMethod, config_file: principal ? undefined : a.configFile, profile: principal ? undefined : a.profile };
  let doc = existing !== undefined ? parseDocument(existing) : undefined;
  if (!doc || doc.errors.length > 0 || (doc.contents !== null && typeof toJSOrUndefined(doc) !== 'object')) {
    doc = parseDocument(`# written by docker vaultmcp setup on ${now.toISOString()}\n`);
    doc.contents = doc.createNode({}) as never;
  }
  for (const [section, values] of [['vault', vault], ['auth', auth]] as const) {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) doc.deleteIn([section, k]);
      else doc.setIn([section, k], v);
    }
  }
  const text = doc.toString();
  validate(settingsFileSchema, parseDocument(text).toJS() ?? {}, 'resolver.yaml (to be written)');
  return text;
}

/** The document's value, or undefined when it cannot be built (an unresolved alias throws in yaml 2). */
function toJSOrUndefined(doc: ReturnType<typeof parseDocument>): unknown {
  try {
    return doc.toJS();
  } catch {
    return undefined;
  }
}

/** Backup name for a file replaced at `now`: `resolver.yaml.bak-20261124T052301Z`. */
export function backupPath(file: string, now = new Date()): string {
  return `${file}.bak-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * Copies `file` to {@link backupPath}, or to `<backup>-2`, `-3`… when that name is taken: an earlier backup (two
 * setups within one second) is never overwritten, and a link planted at the name is never written through
 * (COPYFILE_EXCL creates the target with O_EXCL).
 * @returns the backup's path
 */
async function copyToFreshBackup(file: string, now: Date): Promise<string> {
  const base = backupPath(file, now);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(file, candidate, fsConstants.COPYFILE_EXCL);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw err;
    }
  }
}

/** Reads the current resolver.yaml, or undefined when there is none. */
export async function readExistingResolver(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read (${(err as NodeJS.ErrnoException).code})`, { file, hint: 'fix its permissions or move it away' });
  }
}

/**
 * Writes resolver.yaml atomically with mode 0600 (directory 0700). An existing file is first copied to
 * {@link backupPath}; callers must have asked the user (or have --force) before calling this.
 * @returns the backup path when a file was replaced
 * @throws ConfigError (exit 2) when the directory or file cannot be written
 */
export async function writeResolverYaml(file: string, text: string, now = new Date()): Promise<{ backup?: string }> {
  let backup: string | undefined;
  // A file `run` would then refuse (config/trust.ts) is not written: the fix is the user's (we never re-mode a
  // directory we did not create; the ones we create are 0700).
  const problem = await directoryChainProblem(path.dirname(file));
  if (problem) throw trustError(problem, 'settings file', file);
  try {
    if ((await readExistingResolver(file)) !== undefined) backup = await copyToFreshBackup(file, now);
    await writeFileAtomic(file, text, { mode: 0o600, followSymlink: true });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot write (${(err as NodeJS.ErrnoException).code})`, { file, hint: `check the permissions of ${path.dirname(file)}` });
  }
  return { backup };
}
