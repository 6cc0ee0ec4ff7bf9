import { ConfigError, VaultError } from '../errors.js';
import type { VaultAccess } from './access.js';
import { toInfo, type RawSecret, type SecretInfo } from './metadata.js';
import type { CallProfile } from './policy.js';
import { formatSecretRef, type SecretRef } from './refs.js';

/**
 * Finds secrets from references, with metadata calls only: it never reads a value, so it needs only the
 * "inspect/read secrets" permission, and it sees secrets whose values cannot be read (pending deletion).
 * OCI calls (Vault management API 20180608, KMS 20180608; reference/oci-api.md §2):
 * - `ocid1.vaultsecret…`: GetSecret;
 * - a name in a vault (`name` with `vault.vault_id`, or `oci-vault://<vault>/<name>`): ListSecrets filtered by
 *   vault and name, in the scope's compartment, else (or when not found there) in the vault's own compartment
 *   (GetVault, remembered);
 * - `oci-vault://<compartment>/<name>`: ListSecrets filtered by name across the compartment's vaults.
 * One ambiguity rule everywhere ({@link pickSecret}): DELETED secrets are ignored; two vaults holding a live
 * secret of the name is an error naming them.
 */
export class SecretLocator {
  private readonly vaultCompartments = new Map<string, Promise<string>>();

  /**
   * @param access the vault access every call goes through
   * @param scope `vaultId` for bare names; `compartmentId` where secrets are listed first (both optional)
   * @param profile the call profile (`read`; `probe` for doctor)
   */
  constructor(
    private readonly access: VaultAccess,
    private readonly scope: { vaultId?: string; compartmentId?: string },
    private readonly profile: CallProfile = 'read',
  ) {}

  /**
   * The secret a reference points at (its qualifiers are ignored: metadata is per secret, not per version).
   * @returns its metadata, whatever its lifecycle state (callers decide what PENDING_DELETION means to them)
   * @throws VaultError `not_found` (404) when there is no such live secret, `invalid` when a compartment name is
   *   ambiguous; ConfigError for a bare name without `vault.vault_id`
   */
  async locate(ref: SecretRef): Promise<SecretInfo> {
    let found: SecretInfo | undefined;
    switch (ref.kind) {
      case 'ocid':
        found = await this.get(ref.secretId);
        if (found.state === 'DELETED') found = undefined;
        break;
      case 'name':
        if (!this.scope.vaultId) throw missingVaultId(ref.name);
        found = await this.findInVault(this.scope.vaultId, ref.name);
        break;
      case 'vault':
        found = await this.findInVault(ref.vaultId, ref.name);
        break;
      case 'compartment':
        found = await this.findInCompartment(ref.compartmentId, ref.name);
        break;
    }
    if (!found) throw notFound(ref);
    return found;
  }

  /**
   * The live secret named `name` in vault `vaultId`, or undefined.
   * @throws VaultError from the calls (a missing vault is `not_found` from GetVault)
   */
  async findInVault(vaultId: string, name: string): Promise<SecretInfo | undefined> {
    const inCompartment = async (compartmentId: string) => pickSecret(await this.listSecrets(compartmentId, { vaultId, name }), name, `vault ${vaultId}`);
    const configured = this.scope.compartmentId;
    const found = configured ? await inCompartment(configured) : undefined;
    if (found) return found;
    const own = await this.compartmentOfVault(vaultId);
    return own === configured ? undefined : inCompartment(own);
  }

  /**
   * The live secret named `name` in any vault of a compartment, or undefined.
   * @throws VaultError `invalid` when several vaults hold it
   */
  async findInCompartment(compartmentId: string, name: string): Promise<SecretInfo | undefined> {
    return pickSecret(await this.listSecrets(compartmentId, { name }), name, `compartment ${compartmentId}`);
  }

  /** GetSecret. @throws VaultError (`not_found` for an unknown OCID) */
  async get(secretId: string): Promise<SecretInfo> {
    const r = await this.access.call(this.profile, `secret ${secretId}`, async (c) => (await c.vaults()).getSecret({ secretId }));
    return toInfo(r.secret as unknown as RawSecret);
  }

  /**
   * ListSecrets through every page, optionally filtered by vault and name (the filters are applied again here,
   * in case a server ignores them).
   */
  async listSecrets(compartmentId: string, filter: { vaultId?: string; name?: string } = {}): Promise<RawSecret[]> {
    const items = await this.access.list<RawSecret>(this.profile, filter.name ? `secrets named '${filter.name}'` : 'secrets', async (c, page) => {
      const r = await (await c.vaults()).listSecrets({
        compartmentId,
        ...(filter.vaultId ? { vaultId: filter.vaultId } : {}),
        ...(filter.name ? { name: filter.name } : {}),
        limit: 100,
        ...(page ? { page } : {}),
      });
      return { items: r.items as unknown as RawSecret[], opcNextPage: r.opcNextPage };
    });
    return items.filter((s) => (!filter.vaultId || s.vaultId === filter.vaultId) && (!filter.name || s.secretName === filter.name));
  }

  /**
   * The compartment a vault lives in (KMS GetVault), remembered per vault.
   * @throws VaultError `not_found` when the vault does not exist or is not visible to these credentials
   */
  compartmentOfVault(vaultId: string): Promise<string> {
    let known = this.vaultCompartments.get(vaultId);
    if (!known) {
      known = this.access
        .call(this.profile, `vault ${vaultId}`, async (c) => (await c.kmsVaults()).getVault({ vaultId }))
        .then(
          (r) => r.vault.compartmentId,
          (err: unknown) => {
            throw err instanceof VaultError && err.kind === 'not_found' ? vaultNotAccessible(vaultId, err.status) : err;
          },
        );
      known.catch(() => this.vaultCompartments.delete(vaultId));
      this.vaultCompartments.set(vaultId, known);
    }
    return known;
  }
}

/**
 * The ambiguity rule of every lookup by name: DELETED secrets do not count; one live secret is the answer; none is
 * undefined; live secrets of the name in two or more vaults are an error (names are unique per vault, not per
 * compartment, and picking one silently could hand a server another team's credential).
 * @param where "compartment ocid1…" or "vault ocid1…", for the message
 * @throws VaultError kind `invalid` naming the vaults
 */
export function pickSecret(items: readonly RawSecret[], name: string, where: string): SecretInfo | undefined {
  const live = items.filter((s) => s.secretName === name && String(s.lifecycleState).toUpperCase() !== 'DELETED');
  const vaults = [...new Set(live.map((s) => s.vaultId))];
  if (vaults.length > 1) {
    throw new VaultError(`secret name '${name}' is ambiguous in ${where}: ${vaults.length} vaults hold a secret of that name`, {
      kind: 'invalid',
      hint: `name the vault: oci-vault://<vault-ocid>/${name} (vaults: ${vaults.join(', ')})`,
    });
  }
  const active = live.find((s) => String(s.lifecycleState).toUpperCase() === 'ACTIVE') ?? live[0];
  return active ? toInfo(active) : undefined;
}

/**
 * The ConfigError for a bare secret name when no vault is configured (exit 2).
 * @param name the secret name, for the message
 */
export function missingVaultId(name: string): ConfigError {
  return new ConfigError(`secret '${name}' is referenced by name, but no vault is configured`, {
    location: 'vault.vault_id',
    hint: 'set vault.vault_id in resolver.yaml or OCI_VAULT_ID, or use oci-vault://<vault-ocid>/<name>',
  });
}

function notFound(ref: SecretRef): VaultError {
  const where = ref.kind === 'compartment' ? ` in compartment ${ref.compartmentId}` : ref.kind === 'ocid' ? '' : ' in the vault';
  return new VaultError(`secret '${formatSecretRef({ ...ref, versionNumber: undefined, stage: undefined })}' not found${where}`, {
    kind: 'not_found',
    status: 404,
    hint:
      'check the name with `docker vaultmcp secret list` (names are case-sensitive), or create it with `docker vaultmcp secret upload NAME`; ' +
      'a secret in another compartment than its vault needs vault.compartment_id',
  });
}

/** "secret 'github-token'" or "secret ocid1.vaultsecret…" for messages. */
export function describeRef(ref: SecretRef): string {
  return ref.kind === 'ocid' ? `secret ${formatSecretRef(ref)}` : `secret '${ref.name}'`;
}

/**
 * A vault OCID that GetVault does not find: it does not exist, is in another region, or the caller may not read it
 * (OCI does not tell these apart).
 * @param extra words after "does not exist or is not accessible", e.g. ", or its master key … does not"
 */
export function vaultNotAccessible(vaultId: string, status = 404, extra = ''): VaultError {
  return new VaultError(`vault ${vaultId} does not exist or is not accessible${extra} (${status} NotAuthorizedOrNotFound)`, {
    kind: 'not_found',
    status,
    hint: 'check vault.vault_id (or --vault-id) and vault.region, and that you may read the vault ("read vaults" on its compartment); `docker vaultmcp doctor` checks it',
  });
}
