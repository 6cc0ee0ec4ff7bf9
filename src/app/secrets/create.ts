import { createOciClients } from '../../core/vault/clients.js';
import type { Settings } from '../../core/config/settings/index.js';
import { SecretAdmin, scopeFrom, type SecretRetrievalApi, type VaultManagementApi } from '../../core/vault/admin.js';

/**
 * A SecretAdmin on real OCI SDK clients for `settings` (createOciClients: SDK retry and breaker off,
 * vault.endpoint applied). Per-call timeout: `resilience.timeout_ms`, at least 10 s (writes are interactive and a
 * timed-out write leaves its outcome unknown); reads retry transient failures `resilience.retries` times.
 * @param flags `--vault-id`, `--compartment-id`, `--key-id` overrides
 * @throws ConfigError / VaultError from createOciClients (auth config, region)
 */
export async function createSecretAdmin(
  settings: Settings,
  flags: { vaultId?: string; compartmentId?: string; keyId?: string } = {},
): Promise<SecretAdmin> {
  const clients = await createOciClients(settings);
  return new SecretAdmin({
    vaults: async () => (await clients.vaults()) as unknown as VaultManagementApi,
    secrets: async () => (await clients.secrets()) as unknown as SecretRetrievalApi,
    scope: scopeFrom(settings, flags),
    timeoutMs: Math.max(settings.resilience.timeout_ms, 10_000),
    readRetries: settings.resilience.retries,
  });
}
