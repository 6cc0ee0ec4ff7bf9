import type { AppContext } from '../../core/context.js';
import type { Settings } from '../../core/config/settings/index.js';
import { createVaultAccess } from '../../core/vault/access.js';
import { SecretAdmin } from '../../core/vault/admin.js';
import { scopeFrom } from '../../core/vault/metadata.js';

/**
 * A SecretAdmin for `settings`: the vault access (clients built on first call: SDK retry and breaker off,
 * vault.endpoint applied) with the settings' call profiles: reads retry transient failures
 * `resilience.retries` times within `resilience.timeout_ms` per attempt; writes get at least 10 s and are never
 * retried (a timed-out write's outcome is unknown).
 * @param flags `--vault-id`, `--compartment-id`, `--key-id` overrides
 * @throws nothing itself; the first call throws ConfigError / VaultError from building the clients (auth, region)
 */
export async function createSecretAdmin(
  settings: Settings,
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'now'>,
  flags: { vaultId?: string; compartmentId?: string; keyId?: string } = {},
): Promise<SecretAdmin> {
  const access = createVaultAccess({ settings, env: ctx });
  return new SecretAdmin({ access, scope: scopeFrom(settings, flags), now: ctx.now });
}
