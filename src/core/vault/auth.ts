import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { AuthenticationDetailsProvider } from 'oci-common';
import { ConfigError } from '../errors.js';
import type { Settings } from '../config/settings/index.js';
import { parseOciConfigSections, withDefaults } from './oci-config-file.js';
import type { PrincipalIdentity } from './principals.js';
import { loadOciCommon } from './sdk.js';
import { sessionTokenTimes, type SessionTokenTimes } from './session-token.js';

/** What an auth method yields: a request signer plus what it knows about region and tenancy. */
export interface OciAuth {
  provider: AuthenticationDetailsProvider;
  /** Region from settings, else from the OCI config profile / environment (e.g. `us-ashburn-1`). */
  region?: string;
  /** Tenancy OCID when the method knows it (api_key, session_token). */
  tenancyId?: string;
  /** `api_key`, `session_token`, … and the profile, for messages. */
  description: string;
  /** Principals only: who the current session token names, and until when (fetches a token if needed; never the token). */
  identity?: () => Promise<PrincipalIdentity>;
  /** Principals only: replaces the session token now (after a 401 for one our clock still thought valid). */
  renew?: () => Promise<void>;
  /** session_token only: the profile and the token's expiry claims (when it is a JWT), for the 401 hint. */
  session?: { profile: string; times?: SessionTokenTimes };
}

/** What auth reads from the outside world: OCI_CLI_PASSPHRASE, and the home directory for `~/` in key paths. */
export interface AuthEnvironment {
  env: Record<string, string | undefined>;
  homeDir: string;
  /** Principals: the clock session-token expiry is judged by (ms since the epoch; default Date.now; tests move it). */
  now?: () => number;
}

/** Looks up an encrypted key's passphrase (e.g. in the OS keychain) when the config profile has none. */
export type PassphraseLookup = (profile: string, keyFile: string) => Promise<string | undefined>;

/**
 * Builds the request signer for `settings.auth.method`:
 * - `api_key`: OCI config file + profile (tenancy, user, fingerprint, key_file, optional pass_phrase; missing
 *   keys fall back to [DEFAULT] as in the SDK); the passphrase of an encrypted key comes from the profile, else
 *   from `lookupPassphrase` (the keychain), else OCI_CLI_PASSPHRASE.
 * - `session_token`: the same profile's `security_token_file` (from `oci session authenticate`), signed as
 *   keyId `ST$<token>`; the token is trimmed (the SDK reads it verbatim and a trailing newline breaks requests).
 * - `instance_principal`: the instance metadata service (OCI VMs), `auth.federation_endpoint` when set.
 * - `resource_principal`: OCI_RESOURCE_PRINCIPAL_* variables v2.2 (Functions, Data Flow, Container Instances).
 * - `oke_workload_identity`: the pod's service-account token exchanged at OKE's proxymux (principals.ts).
 * Principals refresh their session token when it expires (principals.ts `SessionTokenSigner`).
 * Source: reference/oci-api.md §4 "Auth providers exported by oci-common".
 * @param env the environment variables and home directory of this invocation (never read from `process`)
 * @throws ConfigError (exit 2) for an unreadable config file, unknown profile, missing key file or passphrase;
 *   VaultError kind `auth` (exit 3) when a principal cannot be obtained
 */
export async function createOciAuth(settings: Settings, env: AuthEnvironment, lookupPassphrase?: PassphraseLookup): Promise<OciAuth> {
  const common = await loadOciCommon();
  const { method, config_file: configFile, profile } = settings.auth;
  const regionFromSettings = settings.vault.region;

  if (method === 'instance_principal' || method === 'resource_principal' || method === 'oke_workload_identity') {
    const { createPrincipalAuth } = await import('./principals.js');
    return createPrincipalAuth(common, settings, env);
  }

  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the OCI config file (${(err as NodeJS.ErrnoException).code})`, {
      file: configFile,
      hint: 'run `oci setup config` or `docker vaultmcp setup`, or set auth.config_file / OCI_CONFIG_FILE',
    });
  }
  const values = parseOciConfigProfile(text, profile, configFile);
  const need = (key: string): string => {
    const v = values[key];
    if (!v) throw new ConfigError(`profile [${profile}] has no '${key}'`, { file: configFile, hint: `add ${key}= to [${profile}]` });
    return v;
  };
  const region = regionFromSettings ?? values.region;
  const keyFile = expandHome(need('key_file'), env.homeDir);
  let privateKey: string;
  try {
    privateKey = await readFile(keyFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the API key file ${keyFile} (${(err as NodeJS.ErrnoException).code})`, {
      file: configFile,
      hint: `fix key_file in [${profile}]`,
    });
  }
  let passphrase: string | null = values.pass_phrase ?? null;
  let passphraseSource = `pass_phrase in [${profile}] of ${configFile}`;
  if (!passphrase && /ENCRYPTED/.test(privateKey)) {
    const fromKeychain = await lookupPassphrase?.(profile, keyFile);
    passphrase = fromKeychain ?? env.env.OCI_CLI_PASSPHRASE ?? null;
    passphraseSource = fromKeychain ? `the OS keychain (entry oci-passphrase:${profile})` : 'OCI_CLI_PASSPHRASE';
    if (!passphrase) {
      throw new ConfigError(`the API key ${keyFile} is encrypted and no passphrase is available`, {
        file: configFile,
        hint: 'store it in the OS keychain with `docker vaultmcp setup`, or add pass_phrase to the profile',
      });
    }
  }
  if (passphrase && /ENCRYPTED/.test(privateKey)) assertPassphraseOpensKey(privateKey, passphrase, keyFile, passphraseSource);
  const tenancy = need('tenancy');
  const regionObj = region ? common.Region.fromRegionId(region) : undefined;

  if (method === 'session_token') {
    const tokenFile = expandHome(need('security_token_file'), env.homeDir);
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new ConfigError(`cannot read the session token file ${tokenFile} (${(err as NodeJS.ErrnoException).code})`, {
        file: configFile,
        hint: `run \`oci session authenticate --profile-name ${profile}\``,
      });
    }
    const provider = new common.SimpleAuthenticationDetailsProvider(tenancy, values.user ?? '', values.fingerprint ?? '', privateKey, passphrase, regionObj);
    // Session tokens sign with keyId "ST$<token>" (reference/oci-api.md §4 rule 6).
    provider.getKeyId = async () => `ST$${token}`;
    return { provider, region, tenancyId: tenancy, description: `session_token (profile ${profile})`, session: { profile, times: sessionTokenTimes(token) } };
  }

  const provider = new common.SimpleAuthenticationDetailsProvider(tenancy, need('user'), need('fingerprint'), privateKey, passphrase, regionObj);
  return { provider, region, tenancyId: tenancy, description: `api_key (profile ${profile})` };
}

/**
 * Parses one profile of an OCI config file (INI: `[PROFILE]`, `key=value` split at the first `=`, `#` comments);
 * keys missing from the profile fall back to [DEFAULT], as in the SDK and CLI (reference/oci-api.md §5).
 * @throws ConfigError when the profile does not exist
 */
export function parseOciConfigProfile(text: string, profile: string, file: string): Record<string, string> {
  const sections = parseOciConfigSections(text);
  const values = withDefaults(sections, profile);
  if (!values) {
    const names = [...sections.keys()];
    throw new ConfigError(`no profile named [${profile}] in the OCI config file`, {
      file,
      hint: names.length ? `use one of: ${names.join(', ')} (auth.profile or OCI_CLI_PROFILE)` : 'the file has no profiles',
    });
  }
  return values;
}

/**
 * Decrypts an encrypted PEM key once, here: the SDK would only do it while signing the first request, where a wrong
 * passphrase surfaced as a stack trace, a "vault unreachable" network error, and a stale cached copy served.
 * A wrong passphrase is the user's local configuration: a ConfigError (exit 2), never transient.
 * @param source where the passphrase came from, for the message (never the passphrase)
 * @throws ConfigError naming the key file and the passphrase source
 */
function assertPassphraseOpensKey(pem: string, passphrase: string, keyFile: string, source: string): void {
  try {
    createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new ConfigError(`the passphrase from ${source} does not decrypt the API key ${keyFile}`, {
      hint: source === 'OCI_CLI_PASSPHRASE'
        ? 'set OCI_CLI_PASSPHRASE to the key\'s passphrase, or store it in the OS keychain with `docker vaultmcp setup`'
        : source.startsWith('the OS keychain')
          ? 'store the right passphrase again with `docker vaultmcp setup`'
          : `fix pass_phrase in the profile (or remove it and store the passphrase with \`docker vaultmcp setup\`)`,
    });
  }
}

/** `~/x` → `<homeDir>/x` (the OCI CLI writes key paths that way). */
function expandHome(p: string, homeDir: string): string {
  return p.startsWith('~/') ? path.join(homeDir, p.slice(2)) : p;
}
