import { VaultError } from '../errors.js';
import type { VaultAccess } from './access.js';

// Setup's live lists and test call, written on the vault layer (access.ts): every request one `probe` call
// (short deadline, no retry, no breaker), every listing through the pager (it refuses a repeated page token).

/** A compartment setup can offer; `path` shows its place under the tenancy (`acme / dev / mcp`). */
export interface CompartmentChoice {
  id: string;
  name: string;
  path: string;
  /** true for the tenancy (root compartment) itself */
  isRoot: boolean;
}

export interface VaultChoice {
  id: string;
  displayName: string;
  lifecycleState: string;
  managementEndpoint: string;
  vaultType?: string;
}

export interface KeyChoice {
  id: string;
  displayName: string;
  lifecycleState: string;
  algorithm?: string;
}

/**
 * Lists the tenancy (root) and every ACTIVE compartment below it the user can access (Identity ListCompartments,
 * `compartmentIdInSubtree=true`, `accessLevel=ACCESSIBLE`, all pages), sorted by path. The root's name comes from
 * GetTenancy when allowed ("root" otherwise).
 * @param access the vault access (its clients sign the requests)
 * @param tenancyId the tenancy OCID (root compartment)
 * @param signal cancels the requests (e.g. the user went back a step)
 * @returns the root first, then the compartments by path
 * @throws VaultError (classified) when Identity refuses or is unreachable, or repeats a page token;
 *   ConfigError when the clients cannot be built
 */
export async function listCompartments(access: VaultAccess, tenancyId: string, signal?: AbortSignal): Promise<CompartmentChoice[]> {
  const hooks = { signal };
  let rootName = 'root';
  try {
    rootName = (await access.call('probe', 'the tenancy', async (c) => (await c.identity()).getTenancy({ tenancyId }), hooks)).tenancy.name ?? rootName;
  } catch (err) {
    // GetTenancy needs "inspect tenancies"; the list still works without it (but not without the clients)
    if (!(err instanceof VaultError)) throw err;
  }
  const listed = await access.list(
    'probe',
    'the compartment list',
    async (c, page) =>
      (await c.identity()).listCompartments({
        compartmentId: tenancyId,
        compartmentIdInSubtree: true,
        accessLevel: 'ACCESSIBLE' as never,
        lifecycleState: 'ACTIVE' as never,
        limit: 1000,
        ...(page ? { page } : {}),
      }),
    hooks,
  );
  const items = listed.map((c) => ({ id: c.id, name: c.name, compartmentId: c.compartmentId }));
  const byId = new Map(items.map((c) => [c.id, c]));
  const pathOf = (c: { id: string; name: string; compartmentId: string }): string => {
    const parts = [c.name];
    let parent = byId.get(c.compartmentId);
    for (let depth = 0; parent && depth < 10; depth++) {
      parts.unshift(parent.name);
      parent = byId.get(parent.compartmentId);
    }
    return [rootName, ...parts].join(' / ');
  };
  const rows = items.map((c) => ({ id: c.id, name: c.name, path: pathOf(c), isRoot: false })).sort((a, b) => a.path.localeCompare(b.path));
  return [{ id: tenancyId, name: rootName, path: `${rootName} (root)`, isRoot: true }, ...rows];
}

/**
 * Lists the vaults of a compartment (KMS ListVaults, all pages), ACTIVE first, then by name.
 * @param access the vault access
 * @param compartmentId the compartment OCID
 * @param signal cancels the requests
 * @throws VaultError (classified, or a repeated page token); ConfigError when the clients cannot be built
 */
export async function listVaults(access: VaultAccess, compartmentId: string, signal?: AbortSignal): Promise<VaultChoice[]> {
  const listed = await access.list('probe', 'the vault list', async (c, page) => (await c.kmsVaults()).listVaults({ compartmentId, limit: 100, ...(page ? { page } : {}) }), { signal });
  const out: VaultChoice[] = listed.map((v) => ({
    id: v.id,
    displayName: v.displayName,
    lifecycleState: String(v.lifecycleState),
    managementEndpoint: v.managementEndpoint,
    vaultType: String(v.vaultType ?? ''),
  }));
  return out.sort((a, b) => Number(b.lifecycleState === 'ACTIVE') - Number(a.lifecycleState === 'ACTIVE') || a.displayName.localeCompare(b.displayName));
}

/**
 * Lists the master encryption keys of a vault (KMS ListKeys on the vault's management endpoint, all pages),
 * ENABLED first, then by name.
 * @param access the vault access
 * @param managementEndpoint the vault's management endpoint (VaultChoice.managementEndpoint)
 * @param compartmentId the compartment OCID the keys live in
 * @param signal cancels the requests
 * @throws VaultError (classified, or a repeated page token); ConfigError when the clients cannot be built
 */
export async function listKeys(access: VaultAccess, managementEndpoint: string, compartmentId: string, signal?: AbortSignal): Promise<KeyChoice[]> {
  const listed = await access.list(
    'probe',
    'the key list',
    async (c, page) => (await c.kmsManagement(managementEndpoint)).listKeys({ compartmentId, limit: 100, ...(page ? { page } : {}) }),
    { signal },
  );
  const out: KeyChoice[] = listed.map((k) => ({ id: k.id, displayName: k.displayName, lifecycleState: String(k.lifecycleState), algorithm: k.algorithm ? String(k.algorithm) : undefined }));
  return out.sort((a, b) => Number(b.lifecycleState === 'ENABLED') - Number(a.lifecycleState === 'ENABLED') || a.displayName.localeCompare(b.displayName));
}

/**
 * Proves the credentials work with signed calls: GetSecretBundleByName of a name that does not exist in the
 * vault (404 = signature accepted), then GetVault (the vault exists and is ACTIVE). Reads no secret value.
 * @param access the vault access
 * @param vaultId the vault OCID
 * @param signal cancels the requests
 * @returns a one-line description of what worked, e.g. "api_key (profile DEFAULT): signed requests accepted; …"
 * @throws VaultError (classified; `auth` for a rejected signature, `not_found` for a missing vault);
 *   ConfigError when the clients cannot be built
 */
export async function testSignedCall(access: VaultAccess, vaultId: string, signal?: AbortSignal): Promise<string> {
  const hooks = { signal };
  const t0 = performance.now();
  try {
    await access.call('probe', 'a probe secret', async (c) => (await c.secrets()).getSecretBundleByName({ secretName: 'vaultmcp-setup-probe', vaultId }), hooks);
  } catch (err) {
    if (!(err instanceof VaultError) || err.kind !== 'not_found') throw err;
  }
  const { vault } = await access.call('probe', `vault ${vaultId}`, async (c) => (await c.kmsVaults()).getVault({ vaultId }), hooks);
  const auth = (await access.clients()).auth?.description ?? 'the credentials';
  return `${auth}: signed requests accepted; vault '${vault.displayName}' is ${vault.lifecycleState} (${Math.round(performance.now() - t0)} ms)`;
}

/**
 * The management endpoint of a vault (where its keys are listed and managed): KMS GetVault, one `probe` call.
 * @throws VaultError (e.g. not_found for a vault OCID that does not exist)
 */
export async function vaultManagementEndpoint(access: VaultAccess, vaultId: string, signal?: AbortSignal): Promise<string> {
  const { vault } = await access.call('probe', `vault ${vaultId}`, async (c) => (await c.kmsVaults()).getVault({ vaultId }), { signal });
  return vault.managementEndpoint;
}
