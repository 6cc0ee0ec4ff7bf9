import type { OciClients } from '../../core/vault/index.js';
import { classifyOciError, withCallSignal } from '../../core/vault/index.js';
import type { SecretRef } from '../../core/vault/refs.js';
import type { Settings } from '../../core/config/settings/index.js';
import { VaultError } from '../../core/errors.js';

/** What doctor learns about a secret: where it is and which version, never the value (kept only in memory). */
export interface ProbedSecret {
  secretId: string;
  versionNumber?: number;
  /** the decoded value, for the MCP handshake; never printed */
  value: string;
}

/**
 * Reads one secret bundle for a reference (name in the configured vault, name in a given vault, name in a
 * compartment via ListSecrets, or a secret OCID), honouring its version/stage.
 * @throws VaultError (classified; never a raw SDK message); ConfigError when a name needs vault.vault_id
 */
export async function fetchSecretBundle(clients: OciClients, settings: Settings, ref: SecretRef, signal?: AbortSignal): Promise<ProbedSecret> {
  const what = ref.kind === 'ocid' ? `secret ${ref.secretId}` : `secret '${ref.name}'`;
  const selector = { ...(ref.versionNumber !== undefined ? { versionNumber: ref.versionNumber } : {}), ...(ref.stage ? { stage: ref.stage as never } : {}) };
  return withCallSignal(signal, async () => {
    try {
      const secrets = await clients.secrets();
      let response;
      if (ref.kind === 'name' || ref.kind === 'vault') {
        const vaultId = ref.kind === 'vault' ? ref.vaultId : settings.vault.vault_id;
        if (!vaultId) {
          throw new VaultError(`${what} needs vault.vault_id`, { kind: 'config', hint: 'run `docker vaultmcp setup` or set vault.vault_id / OCI_VAULT_ID' });
        }
        response = await secrets.getSecretBundleByName({ secretName: ref.name, vaultId, ...selector });
      } else {
        let secretId: string;
        if (ref.kind === 'compartment') {
          const vaults = await clients.vaults();
          const list = await vaults.listSecrets({ compartmentId: ref.compartmentId, name: ref.name, lifecycleState: 'ACTIVE' as never });
          const found = list.items.find((s) => s.secretName === ref.name);
          if (!found) throw new VaultError(`${what} not found in compartment ${ref.compartmentId}`, { kind: 'not_found', status: 404, hint: 'check the name, or upload it with `docker vaultmcp secret upload`' });
          secretId = found.id;
        } else {
          secretId = ref.secretId;
        }
        response = await secrets.getSecretBundle({ secretId, ...selector });
      }
      const bundle = response.secretBundle;
      const content = (bundle.secretBundleContent as { content?: string } | undefined)?.content ?? '';
      return { secretId: bundle.secretId, versionNumber: bundle.versionNumber, value: Buffer.from(content, 'base64').toString('utf8') };
    } catch (err) {
      throw classifyOciError(err, what);
    }
  });
}
