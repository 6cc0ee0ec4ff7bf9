/**
 * What the `secret` commands share: scope flags, opening the admin for them, the refusal of values in argv. Kept light: heavy modules (OCI SDK, MCP SDK) are imported by the
 * commands inside run().
 */
import { Flags } from '@oclif/core';
import type { AppContext } from '../../../core/context.js';
import { ConfigError, UsageError } from '../../../core/errors.js';
import { COMPARTMENT_OCID, VAULT_OCID } from '../../../core/vault/refs.js';
import type { Settings } from '../../../core/config/settings/index.js';
import { createFactory } from '../../factory.js';

/** `--vault-id`, `--compartment-id`, `--key-id`: override settings vault.vault_id / compartment_id / key_id. */
export const scopeFlags = {
  'vault-id': Flags.string({ description: 'vault OCID (default: settings vault.vault_id)', helpValue: 'OCID' }),
  'compartment-id': Flags.string({ description: 'compartment OCID (default: settings vault.compartment_id)', helpValue: 'OCID' }),
};


/**
 * Settings plus the Vault management client for the scope flags (`--vault-id`, `--compartment-id`, checked as
 * OCIDs first). The secret-admin module (and with it the OCI SDK) is imported only here, inside run().
 */
export async function openSecretAdmin(
  ctx: AppContext,
  flags: { config?: string; 'vault-id'?: string; 'compartment-id'?: string },
  extraScope: { keyId?: string } = {},
  target?: string,
): Promise<{ settings: Settings; admin: SecretAdmin; module: typeof import('../../../app/secrets/index.js') }> {
  const scope = {
    vaultId: checkOcidFlag('vault-id', flags['vault-id'], VAULT_OCID),
    compartmentId: checkOcidFlag('compartment-id', flags['compartment-id'], COMPARTMENT_OCID),
    ...extraScope,
  };
  const settings = await createFactory(ctx).settings(flags.config);
  requireConfiguredVault(settings, scope, target);
  const module = await import('../../../app/secrets/index.js');
  return { settings, admin: await module.createSecretAdmin(settings, ctx, scope), module };
}

/**
 * Fails early, before any OCI client is built, when no vault is configured at all (no vault.vault_id and no
 * vault.compartment_id from any source) and the command needs one: a first run without `setup` must say that,
 * not complain about the OCI config file.
 * @param target the secret argument; an OCID or oci-vault:// reference names its vault itself
 * @throws ConfigError (exit 2)
 */
function requireConfiguredVault(
  settings: Settings,
  scope: { vaultId?: string; compartmentId?: string },
  target?: string,
): void {
  if (scope.vaultId || scope.compartmentId || settings.vault.vault_id || settings.vault.compartment_id) return;
  if (target !== undefined && /^(ocid1\.|oci-vault:\/\/)/i.test(target)) return;
  throw new ConfigError('no vault is configured: vault.vault_id and vault.compartment_id are not set', {
    hint: 'run `docker vaultmcp setup`, pass --config FILE or --vault-id OCID --compartment-id OCID, or set OCI_VAULT_ID and OCI_VAULT_COMPARTMENT_ID',
  });
}
type SecretAdmin = Awaited<ReturnType<typeof import('../../../app/secrets/index.js').createSecretAdmin>>;

/** OCID flag values are checked before use (a typo must not become a confusing 404). */
export function checkOcidFlag(flag: string, value: string | undefined, kind: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (!kind.test(value)) {
    const type = /ocid1\\\.\(?([a-z]+)/.exec(kind.source)?.[1] ?? 'resource';
    throw new UsageError(`--${flag} is not a valid ${type} OCID`, `expected ocid1.${type}.oc1.…, as shown in the OCI console`);
  }
  return value;
}

/**
 * Refuses anything after NAME on the command line without repeating it: it may be a secret value, which must
 * never be passed in argv (visible in process lists and kept in shell history).
 * @param extra the positional arguments after NAME
 * @throws UsageError (exit 2); the message never contains the argument
 */
export function refuseValueInArgv(extra: readonly string[], command: string): void {
  if (extra.length === 0) return;
  const flagLike = extra.filter((a) => /^--?[A-Za-z][A-Za-z0-9-]*(=|$)/.test(a)).map((a) => a.split('=')[0]!);
  if (flagLike.length === extra.length) {
    throw new UsageError(`unknown flag${flagLike.length > 1 ? 's' : ''} ${flagLike.join(', ')}`, `see docker vaultmcp ${command} --help`);
  }
  throw new UsageError(
    `unexpected argument after the secret name (not shown): secret values are never accepted on the command line, ` +
      `where process lists and shell history would expose them`,
    `pipe the value on stdin (e.g. \`pbpaste | docker vaultmcp ${command} NAME\`), pass --from-file FILE, or run without it ` +
      `in a terminal to be prompted; if that was a real secret, it may be in your shell history now: consider rotating it`,
  );
}
