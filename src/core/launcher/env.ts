import path from 'node:path';

/**
 * The MCP server's environment, built explicitly (DESIGN.md "least privilege"): nothing of ours leaks to a
 * third-party server just because it was in our environment. Layers, lowest priority first:
 *
 *   1. the default allowlist of parent variables ({@link DEFAULT_PASSTHROUGH}): what a program needs to find
 *      executables, its home, locale, temp dir, CA certificates and proxies;
 *   2. the service's `passthrough_env`: extra parent variables by exact name or `PREFIX_*`;
 *   3. the service's `env_overrides` (literal, non-secret values);
 *   4. the resolved secrets, which win over everything (a collision with an override is reported).
 *
 * `PATH` keeps only its absolute entries, whatever layer set it: an empty entry or a relative one (`.`, `bin`,
 * `node_modules/.bin`) means "the current directory", so with `--cwd inherit` `#!/usr/bin/env node` would run a
 * project's own `node_modules/.bin/node` with the secrets (see {@link absolutePathEntries}).
 *
 * Never passed from the parent, whatever the patterns say: `DOCKER_CLI_PLUGIN_*` (docker's plumbing for us),
 * `VAULTMCP_*` (our own switches) and, unless named exactly in `passthrough_env`, `OCI_*` (our vault settings
 * and credentials locations: an MCP server has no business knowing them). Docker's `OTEL_RESOURCE_ATTRIBUTES`
 * is dropped by the allowlist like everything else not named.
 */

/**
 * Parent variables passed to every MCP server. Exact names, or a trailing `*` for a prefix.
 * - program lookup and identity: PATH, HOME, USER, LOGNAME, SHELL
 * - locale and terminal: LANG, LANGUAGE, LC_*, TERM, COLORTERM, NO_COLOR, TZ
 * - temp and XDG dirs: TMPDIR, TMP, TEMP, XDG_*
 * - TLS trust (corporate CAs): SSL_CERT_FILE, SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE
 * - proxies, both spellings: HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ALL_PROXY, http_proxy, https_proxy, no_proxy, all_proxy
 * - npm / npx (most servers start through `npx -y`): npm_config_cache, npm_config_registry, npm_config_userconfig
 *   and their NPM_CONFIG_ spellings. Deliberately not `npm_config_*` as a whole: `npm_config_//host/:_authToken`
 *   style variables carry registry tokens.
 * - Windows essentials (harmless elsewhere): SystemRoot, SystemDrive, windir, ComSpec, PATHEXT, USERPROFILE,
 *   APPDATA, LOCALAPPDATA, ProgramData, ProgramFiles, ProgramFiles(x86), HOMEDRIVE, HOMEPATH, NUMBER_OF_PROCESSORS
 */
export const DEFAULT_PASSTHROUGH: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL',
  'LANG', 'LANGUAGE', 'LC_*', 'TERM', 'COLORTERM', 'NO_COLOR', 'TZ',
  'TMPDIR', 'TMP', 'TEMP', 'XDG_*',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  'npm_config_cache', 'npm_config_registry', 'npm_config_userconfig',
  'NPM_CONFIG_CACHE', 'NPM_CONFIG_REGISTRY', 'NPM_CONFIG_USERCONFIG',
  'SystemRoot', 'SystemDrive', 'windir', 'ComSpec', 'PATHEXT', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA',
  'ProgramData', 'ProgramFiles', 'ProgramFiles(x86)', 'HOMEDRIVE', 'HOMEPATH', 'NUMBER_OF_PROCESSORS',
];

/** Prefixes never taken from the parent environment by any pattern. */
const ALWAYS_BLOCKED = ['DOCKER_CLI_PLUGIN_', 'VAULTMCP_'];
/** Prefixes taken from the parent only when `passthrough_env` names the variable exactly. */
const EXACT_NAME_ONLY = ['OCI_'];

export interface ChildEnvInput {
  /** Our own environment (the parent's), e.g. `process.env`. */
  parent: NodeJS.ProcessEnv;
  /** The service's `passthrough_env`: names or `PREFIX_*`. */
  passthrough?: readonly string[];
  /** The service's `env_overrides`. */
  overrides?: Readonly<Record<string, string>>;
  /** Resolved secrets: variable name → value. */
  secrets?: Readonly<Record<string, string>>;
  /** Replaces {@link DEFAULT_PASSTHROUGH} (tests). */
  defaults?: readonly string[];
}

export interface ChildEnv {
  /** The complete environment for the child (no inherited extras). */
  env: Record<string, string>;
  /** Where each variable came from (for `--verbose`; names only, never values). */
  origin: Record<string, 'default' | 'passthrough' | 'override' | 'secret'>;
  /** Messages for stderr, e.g. an override hidden by a secret of the same name. Never contain values. */
  warnings: string[];
}

/**
 * Builds the child's environment from the four layers described in the module comment.
 * @returns the environment, each variable's origin and warnings (names only)
 */
export function buildChildEnv(input: ChildEnvInput): ChildEnv {
  const env: Record<string, string> = {};
  const origin: ChildEnv['origin'] = {};
  const warnings: string[] = [];
  const defaults = compile(input.defaults ?? DEFAULT_PASSTHROUGH);
  const extra = compile(input.passthrough ?? []);

  for (const [name, value] of Object.entries(input.parent)) {
    if (value === undefined || ALWAYS_BLOCKED.some((p) => name.startsWith(p))) continue;
    const exactOnly = EXACT_NAME_ONLY.some((p) => name.startsWith(p));
    if (!exactOnly && defaults.matches(name)) {
      env[name] = value;
      origin[name] = 'default';
    } else if (exactOnly ? extra.exact.has(name) : extra.matches(name)) {
      env[name] = value;
      origin[name] = 'passthrough';
    }
  }
  for (const [name, value] of Object.entries(input.overrides ?? {})) {
    env[name] = value;
    origin[name] = 'override';
  }
  for (const [name, value] of Object.entries(input.secrets ?? {})) {
    if (input.overrides && Object.hasOwn(input.overrides, name)) {
      warnings.push(`env_overrides.${name} is replaced by the secret of the same name`);
    }
    env[name] = value;
    origin[name] = 'secret';
  }
  for (const name of Object.keys(env)) {
    // Windows spells it Path; environment names are case-insensitive there
    if (name === 'PATH' || (process.platform === 'win32' && name.toUpperCase() === 'PATH')) env[name] = absolutePathEntries(env[name]!);
  }
  return { env, origin, warnings };
}

/**
 * `value` (a PATH) without empty and relative entries, in order; duplicates kept (harmless, and order matters).
 * @param value e.g. `:/usr/bin:node_modules/.bin:.:/bin`
 * @param delimiter `:` (POSIX) or `;` (Windows); default the platform's
 * @returns e.g. `/usr/bin:/bin`
 */
export function absolutePathEntries(value: string, delimiter: string = path.delimiter): string {
  const isAbsolute = delimiter === ';' ? path.win32.isAbsolute : path.posix.isAbsolute;
  return value.split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir)).join(delimiter);
}

interface Patterns {
  exact: Set<string>;
  prefixes: string[];
  matches(name: string): boolean;
}

function compile(patterns: readonly string[]): Patterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return { exact, prefixes, matches: (name) => exact.has(name) || prefixes.some((p) => p !== '' && name.startsWith(p)) };
}
