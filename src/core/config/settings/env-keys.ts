import { ConfigError } from '../../errors.js';

/**
 * The environment variables that set settings (the `env` layer of resolver.yaml's sources, load.ts), each with the
 * dotted setting it sets; several names for one key: the first set one wins.
 */
export const ENV_KEYS: ReadonlyArray<{ key: string; names: string[]; parse?: (v: string, name: string) => unknown }> = [
  { key: 'vault.vault_id', names: ['OCI_VAULT_ID'] },
  { key: 'vault.compartment_id', names: ['OCI_VAULT_COMPARTMENT_ID'] },
  { key: 'vault.key_id', names: ['OCI_VAULT_KEY_ID'] },
  { key: 'vault.region', names: ['OCI_REGION', 'OCI_CLI_REGION'] },
  { key: 'vault.endpoint', names: ['OCI_VAULT_ENDPOINT'] },
  { key: 'auth.config_file', names: ['OCI_CONFIG_FILE', 'OCI_CLI_CONFIG_FILE'] },
  { key: 'auth.profile', names: ['OCI_CONFIG_PROFILE', 'OCI_CLI_PROFILE'] },
  {
    key: 'auth.method',
    names: ['OCI_CLI_AUTH'],
    parse: (v) => ({ security_token: 'session_token' })[v] ?? v,
  },
  { key: 'auth.method', names: ['OCI_USE_INSTANCE_PRINCIPALS'], parse: (v) => (v.toLowerCase() === 'true' ? 'instance_principal' : undefined) },
  { key: 'cache.dir', names: ['OCI_VAULT_CACHE_DIR'] },
  { key: 'cache.ttl', names: ['OCI_VAULT_CACHE_TTL'], parse: parseSeconds },
];

function parseSeconds(v: string, name: string): number {
  if (!/^\d+$/.test(v.trim())) {
    throw new ConfigError(`environment variable ${name} must be a whole number of seconds, got '${v}'`, {
      hint: `set ${name} to e.g. 3600 or unset it`,
    });
  }
  return Number(v);
}

/** The variables of {@link ENV_KEYS} whose value is a path (relative ones are taken from the working directory). */
export const SETTINGS_ENV_PATH_NAMES: readonly string[] = ENV_KEYS.filter((e) => e.key === 'auth.config_file' || e.key === 'cache.dir').flatMap((e) => e.names);

/** Every variable name of {@link ENV_KEYS}. */
export const SETTINGS_ENV_NAMES: readonly string[] = ENV_KEYS.flatMap((e) => e.names);
