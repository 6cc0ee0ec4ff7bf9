import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ConfigError } from '../../core/errors.js';
import { parseOciConfigSections, withDefaults } from '../../core/vault/oci-config-file.js';
import { expandPath } from '../../core/config/paths.js';
import { writeFileAtomic } from '../../core/atomic-file.js';

/** One profile of an OCI config file, as far as setup and doctor need it (never the passphrase itself). */
export interface OciProfileInfo {
  name: string;
  tenancy?: string;
  user?: string;
  fingerprint?: string;
  /** absolute path (`~` expanded) */
  keyFile?: string;
  region?: string;
  /** true when `pass_phrase` is present in the profile */
  hasPassphrase: boolean;
  /** true when the profile names a `security_token_file` (session token auth) */
  hasSessionToken: boolean;
}

export interface OciConfigFileInfo {
  file: string;
  /** where the path came from: `~/.oci/config`, `OCI_CONFIG_FILE`, `~/.oraclebmc/config` or `--config-file` */
  origin: string;
  exists: boolean;
  profiles: OciProfileInfo[];
  /** set when the file exists but cannot be read */
  error?: string;
}

/**
 * Parses every profile of an OCI config file (INI; keys missing from a profile fall back to [DEFAULT], as in the
 * SDK). `~/` in key_file / security_token_file is expanded against `homeDir`.
 */
export function parseOciConfig(text: string, homeDir: string): OciProfileInfo[] {
  const sections = parseOciConfigSections(text);
  const expand = (p: string | undefined) => (p === undefined ? undefined : p.startsWith('~/') ? path.join(homeDir, p.slice(2)) : p);
  return [...sections.keys()].map((name) => {
    const v = withDefaults(sections, name)!;
    return {
      name,
      tenancy: v.tenancy,
      user: v.user,
      fingerprint: v.fingerprint,
      keyFile: expand(v.key_file),
      region: v.region,
      hasPassphrase: !!v.pass_phrase,
      hasSessionToken: !!v.security_token_file,
    };
  });
}

/**
 * Finds the OCI config files setup offers, in the SDK's lookup order (reference/oci-api.md §5): `~/.oci/config`,
 * `$OCI_CONFIG_FILE` (and `$OCI_CLI_CONFIG_FILE`), `~/.oraclebmc/config`, plus an explicit file first.
 * Files that do not exist are listed with `exists: false` (setup can create one).
 */
export async function discoverOciConfigs(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  explicit?: string,
): Promise<OciConfigFileInfo[]> {
  const candidates: Array<{ file: string; origin: string }> = [];
  if (explicit) candidates.push({ file: expandPath(explicit, ctx), origin: '--config-file' });
  if (ctx.env.OCI_CONFIG_FILE) candidates.push({ file: expandPath(ctx.env.OCI_CONFIG_FILE, ctx), origin: 'OCI_CONFIG_FILE' });
  if (ctx.env.OCI_CLI_CONFIG_FILE) candidates.push({ file: expandPath(ctx.env.OCI_CLI_CONFIG_FILE, ctx), origin: 'OCI_CLI_CONFIG_FILE' });
  candidates.push({ file: path.join(ctx.homeDir, '.oci', 'config'), origin: '~/.oci/config' });
  candidates.push({ file: path.join(ctx.homeDir, '.oraclebmc', 'config'), origin: '~/.oraclebmc/config' });
  const seen = new Set<string>();
  const out: OciConfigFileInfo[] = [];
  for (const c of candidates) {
    if (seen.has(c.file)) continue;
    seen.add(c.file);
    try {
      const text = await readFile(c.file, 'utf8');
      out.push({ ...c, exists: true, profiles: parseOciConfig(text, ctx.homeDir) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ ...c, exists: code !== 'ENOENT', profiles: [], ...(code === 'ENOENT' ? {} : { error: `cannot read (${code})` }) });
    }
  }
  return out;
}

/** Values of a new API-key profile (`key_file` absolute). */
export interface NewOciProfile {
  tenancy: string;
  user: string;
  fingerprint: string;
  keyFile: string;
  region: string;
}

/** Renders one `[name]` section of an OCI config file. */
export function renderOciProfile(name: string, p: NewOciProfile): string {
  return `[${name}]\nuser=${p.user}\nfingerprint=${p.fingerprint}\nkey_file=${p.keyFile}\ntenancy=${p.tenancy}\nregion=${p.region}\n`;
}

/**
 * Appends a profile to an OCI config file (creating the file 0600 and its directory 0700 when missing), written
 * atomically (temp file + rename) so the file is never half-written. Never replaces an existing profile.
 * @throws ConfigError (exit 2) when a profile of that name already exists, or the file cannot be read/written
 */
export async function appendOciProfile(file: string, name: string, profile: NewOciProfile, homeDir: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read (${(err as NodeJS.ErrnoException).code})`, { file });
  }
  if (parseOciConfig(text, homeDir).some((p) => p.name === name)) {
    throw new ConfigError(`profile [${name}] already exists`, { file, hint: 'choose another profile name, or select the existing profile' });
  }
  const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  await writeFileAtomic(file, text + sep + renderOciProfile(name, profile), { mode: 0o600, followSymlink: true });
}
