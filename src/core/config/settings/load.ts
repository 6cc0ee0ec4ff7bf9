import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod/mini';
import type { AppContext } from '../../context.js';
import { ConfigError } from '../../errors.js';
import { describeUnknownKeys, displayableKeyPath, safeYamlMessage } from '../../mask.js';
import { defaultCacheDir, defaultStateDir, expandPath, settingsFileCandidates } from '../paths.js';
import { readTrustedConfigFile } from '../trust.js';
import { describeZodIssue } from '../zod-issue.js';
import { assertShallow, assertTextShallow, guardDepth } from '../yaml-depth.js';
import { settingsFileSchema, type Settings, type SettingsFile } from './schema.js';
import { ENV_KEYS } from './env-keys.js';

/** Where a setting came from: a file path, `env NAME`, `--config FILE` or `default`. */
export type SettingSource = string;

export interface LoadedSettings {
  settings: Settings;
  /** Dotted key (`vault.vault_id`) → the source that set it. Keys left at their default say `default`. */
  sources: Record<string, SettingSource>;
  /** Files that were read, highest priority first. */
  files: string[];
  /** Non-fatal notes (ignored legacy keys); the caller prints them on stderr. */
  warnings: string[];
  /** `OCI_VAULT_ENVIRONMENT`, the default for `--env`. */
  environment?: string;
}

const DEFAULTS: Required<Settings> = {
  vault: {},
  auth: {
    method: 'api_key',
    config_file: '~/.oci/config',
    profile: 'DEFAULT',
    // OCI's defaults (oci-common OkeWorkloadIdentityAuthenticationDetailsProvider): where OKE mounts them in a pod
    oke_token_file: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    oke_ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
  },
  cache: { enabled: true, dir: '', ttl: 3600, max_stale: 86400 },
  resilience: { timeout_ms: 5000, retries: 3, breaker_threshold: 5, breaker_reset_ms: 60000, concurrency: 8, deadline_ms: 8000 },
  environments: [],
  leak_guard: 'redact',
  allow_disk_files: false,
  audit: { file: true as unknown as string, syslog: false, max_bytes: 1024 * 1024, keep: 3 },
};

/** Top-level settings that are values, not sections. */
const SCALAR_KEYS = new Set(['leak_guard', 'allow_disk_files']);

/** Keys of the Python prototype's resolver.yaml, accepted and mapped to ours. */
const LEGACY_KEYS: Record<string, string> = {
  'vault.auth_method': 'auth.method',
  'vault.config_file': 'auth.config_file',
  'vault.config_profile': 'auth.profile',
  'cache.directory': 'cache.dir',
  'resilience.max_retries': 'resilience.retries',
  'resilience.circuit_breaker_threshold': 'resilience.breaker_threshold',
};
/** Prototype keys with no meaning here (their behaviour is built in): dropped with a warning. */
const IGNORED_KEYS = new Set([
  'logging', 'secrets', 'services', 'cache.enable_stale_fallback', 'resilience.enable_circuit_breaker',
  'resilience.circuit_breaker_recovery', 'resilience.retry_backoff_base', 'resilience.retry_jitter',
]);

/**
 * Loads resolver.yaml from all its sources and merges them, highest priority first:
 * `--config FILE`, environment variables, `~/.config/oci-vault-mcp/resolver.yaml`,
 * `/etc/oci-vault-mcp/resolver.yaml`. A `resolver.yaml` in the current directory is deliberately NOT read:
 * a cloned repository must not be able to redirect credentials (DESIGN.md); pass it with `--config`.
 *
 * Environment: OCI_VAULT_ID, OCI_VAULT_COMPARTMENT_ID, OCI_VAULT_KEY_ID, OCI_REGION, OCI_VAULT_ENDPOINT,
 * OCI_CONFIG_FILE / OCI_CLI_CONFIG_FILE, OCI_CONFIG_PROFILE / OCI_CLI_PROFILE, OCI_CLI_AUTH,
 * OCI_USE_INSTANCE_PRINCIPALS=true, OCI_VAULT_CACHE_DIR, OCI_VAULT_CACHE_TTL, OCI_VAULT_ENVIRONMENT.
 *
 * @param options.configFile explicit `--config` path (must exist)
 * @throws ConfigError (exit 2) naming the file and key (or line:column) of the first problem
 */
export async function loadSettings(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  options: { configFile?: string } = {},
): Promise<LoadedSettings> {
  const warnings: string[] = [];
  const layers: Array<{ source: string; data: SettingsFile }> = [];
  const files: string[] = [];

  // All files are read at once (one ENOENT each for a missing optional one, no stat); they are parsed and checked
  // in priority order, so the first problem reported is the same as when read one by one.
  const candidates = settingsFileCandidates(ctx, options.configFile).map((c) => ({ ...c, text: readSettingsText(c.file, c.required) }));
  for (const c of candidates) c.text.catch(() => {}); // each is awaited below, in order
  for (const [i, c] of candidates.entries()) {
    // the environment sits between --config and the files
    if (i === (options.configFile ? 1 : 0)) layers.push({ source: 'env', data: settingsFromEnv(ctx.env) });
    const text = await c.text;
    const data = text === undefined ? undefined : parseSettingsText(text, c.file, warnings);
    if (data) {
      layers.push({ source: c.file, data });
      files.push(c.file);
    }
  }

  const merged: Record<string, Record<string, unknown>> = structuredClone(DEFAULTS) as never;
  const sources: Record<string, SettingSource> = {};
  for (const section of Object.keys(DEFAULTS) as Array<keyof Settings>) {
    if (section === 'environments') continue;
    if (SCALAR_KEYS.has(section)) sources[section] = 'default';
    else for (const key of Object.keys(DEFAULTS[section])) sources[`${section}.${key}`] = 'default';
  }
  sources.environments = 'default';
  sources['cache.dir'] = 'default';
  // lowest priority first, so higher layers overwrite
  for (const layer of [...layers].reverse()) {
    for (const [section, values] of Object.entries(layer.data)) {
      if (section === 'environments' && Array.isArray(values)) {
        // a list: the highest source that sets it wins, like a scalar
        (merged as Record<string, unknown>).environments = [...values];
        sources.environments = layer.source === 'env' ? 'env' : layer.source;
        continue;
      }
      if (SCALAR_KEYS.has(section) && values !== undefined) {
        (merged as Record<string, unknown>)[section] = values;
        sources[section] = layer.source;
        continue;
      }
      if (section === 'version' || typeof values !== 'object' || values === null) continue;
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        if (value === undefined) continue;
        merged[section] ??= {};
        // A relative path in a file means relative to that file, not to wherever `run` happens to be called.
        merged[section][key] =
          PATH_KEYS.has(`${section}.${key}`) && layer.source !== 'env' && typeof value === 'string'
            ? expandPath(value, { homeDir: ctx.homeDir, cwd: path.dirname(layer.source) })
            : value;
        sources[`${section}.${key}`] = layer.source === 'env' ? envSourceName(section, key, ctx.env) : layer.source;
      }
    }
  }

  const settings = merged as unknown as Settings;
  settings.auth.config_file = expandPath(settings.auth.config_file, ctx);
  if (settings.auth.oke_token_file) settings.auth.oke_token_file = expandPath(settings.auth.oke_token_file, ctx);
  if (settings.auth.oke_ca_file) settings.auth.oke_ca_file = expandPath(settings.auth.oke_ca_file, ctx);
  if (settings.auth.federation_endpoint) {
    settings.auth.federation_endpoint = settings.auth.federation_endpoint.replace(/\/+$/, '');
    if (!isLoopbackHttpOrHttps(settings.auth.federation_endpoint)) {
      warnings.push(`auth.federation_endpoint ${settings.auth.federation_endpoint} is plain http to a host that is not this machine: session tokens would cross the network unencrypted; use https`);
    }
  }
  settings.cache.dir = settings.cache.dir ? expandPath(settings.cache.dir, ctx) : defaultCacheDir(ctx);
  const auditFile = settings.audit!.file as string | boolean;
  settings.audit!.file = auditFile === true ? path.join(defaultStateDir(ctx), 'audit.jsonl') : auditFile === false ? false : expandPath(auditFile, ctx);
  if (settings.vault.endpoint) {
    settings.vault.endpoint = settings.vault.endpoint.replace(/\/+$/, '');
    if (!isLoopbackHttpOrHttps(settings.vault.endpoint)) {
      warnings.push(
        `vault.endpoint ${settings.vault.endpoint} is plain http to a host that is not this machine: ` +
          'signed requests and secret values would cross the network unencrypted; use https',
      );
    }
  }
  return { settings, sources, files, warnings, environment: ctx.env.OCI_VAULT_ENVIRONMENT || undefined };
}

/** Settings that are file paths: relative values in a file are resolved against that file's directory. */
const PATH_KEYS = new Set(['auth.config_file', 'cache.dir', 'auth.oke_token_file', 'auth.oke_ca_file', 'audit.file']);

/** True for https endpoints and for http ones on a loopback host (the emulator). */
function isLoopbackHttpOrHttps(endpoint: string): boolean {
  const url = new URL(endpoint);
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * Reads one resolver.yaml (only a regular file of at most 1 MiB that nobody but us or root could have written:
 * config/trust.ts); returns undefined when an optional file does not exist.
 */
async function readSettingsText(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readTrustedConfigFile(file, { what: 'settings file', optional: !required });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, {
      file,
      hint: required ? 'check the --config path' : 'fix the file permissions or remove the file',
    });
  }
}

/** Parses and validates the text of one resolver.yaml. */
function parseSettingsText(text: string, file: string, warnings: string[]): SettingsFile {
  const lineCounter = new LineCounter();
  assertTextShallow(text, file);
  const doc = guardDepth(() => parseDocument(text, { lineCounter, prettyErrors: false }), file);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]) : undefined);
    throw new ConfigError(`invalid YAML: ${safeYamlMessage(e.message)}`, {
      file,
      location: pos ? `${pos.line}:${pos.col}` : undefined,
      hint: 'fix the YAML syntax at that position',
    });
  }
  let raw: unknown;
  try {
    raw = guardDepth(() => doc.toJS(), file) ?? {};
    assertShallow(raw, file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // e.g. an unresolved alias; yaml's message quotes the source text, so only our filtered version is shown
    throw new ConfigError(`invalid YAML: ${safeYamlMessage(String((err as Error)?.message ?? ''))}`, { file, hint: 'fix the YAML syntax' });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('must be a mapping with sections vault, auth, cache, resilience', { file });
  }
  const data = normalizeLegacyKeys(raw as Record<string, unknown>, file, warnings);
  return validate(settingsFileSchema, data, file);
}

function normalizeLegacyKeys(raw: Record<string, unknown>, file: string, warnings: string[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown> | unknown> = {};
  for (const [section, values] of Object.entries(raw)) {
    if (section === 'environments' && typeof values === 'object' && values !== null && !Array.isArray(values)) {
      // the prototype's `environments: {production: {…}}`: its names are kept, its per-environment contents are not
      warnings.push(`${file}: only the names of 'environments' are used (${Object.keys(values).join(', ')}); their contents were ignored`);
      out[section] = Object.keys(values);
      continue;
    }
    if (IGNORED_KEYS.has(section)) {
      warnings.push(`${file}: key '${section}' is not used by docker vaultmcp and was ignored`);
      continue;
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      out[section] = values;
      continue;
    }
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      const dotted = `${section}.${key}`;
      if (IGNORED_KEYS.has(dotted)) {
        warnings.push(`${file}: key '${dotted}' is not used by docker vaultmcp and was ignored`);
        continue;
      }
      const target = LEGACY_KEYS[dotted] ?? dotted;
      const [s, k] = target.split('.') as [string, string];
      const sectionObj = ((out[s] as Record<string, unknown> | undefined) ??= {});
      sectionObj[k] = s === 'auth' && k === 'method' && value === 'config_file' ? 'api_key' : value;
    }
  }
  return out;
}

/**
 * Validates `data` with a zod schema; the first issue becomes a ConfigError naming file and dotted key.
 * @throws ConfigError
 */
export function validate<T extends z.ZodMiniType>(schema: T, data: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const described = describeZodIssue(issue as never);
  // keys are the user's text and may be a pasted secret: only key-like ones are quoted (mask.ts displayableKey)
  const key = displayableKeyPath(described.path);
  let message = described.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    message = describeUnknownKeys(key, keys);
    return throwConfig(message, file, key || undefined, 'remove it or check the spelling against README "Settings"');
  }
  return throwConfig(key ? `'${key}' ${message}` : message, file, key || undefined, undefined);
}

function throwConfig(message: string, file: string, location: string | undefined, hint?: string): never {
  throw new ConfigError(message, { file, location: undefined, hint: hint ?? (location ? `fix '${location}' in ${file}` : undefined) });
}

function settingsFromEnv(env: NodeJS.ProcessEnv): SettingsFile {
  const out: Record<string, Record<string, unknown>> = {};
  for (const { key, names, parse } of ENV_KEYS) {
    const name = names.find((n) => env[n]);
    if (!name) continue;
    const value = parse ? parse(env[name]!, name) : env[name];
    if (value === undefined) continue;
    const [section, k] = key.split('.') as [string, string];
    (out[section] ??= {})[k] = value;
  }
  // nothing set (the usual case): {} is valid, no need to run the schema
  if (Object.keys(out).length === 0) return {};
  return validate(settingsFileSchema, out, 'environment');
}

function envSourceName(section: string, key: string, env: NodeJS.ProcessEnv): string {
  const entry = ENV_KEYS.filter((e) => e.key === `${section}.${key}`).flatMap((e) => e.names).find((n) => env[n]);
  return entry ? `env ${entry}` : 'env';
}
