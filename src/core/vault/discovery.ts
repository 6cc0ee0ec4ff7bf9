import type { OciClients } from './index.js';
import { classifyOciError, withCallSignal } from './index.js';

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
 * `compartmentIdInSubtree=true`, `accessLevel=ACCESSIBLE`, all pages), sorted by path.
 * @throws VaultError (classified) when Identity refuses or is unreachable
 */
export async function listCompartments(clients: OciClients, tenancyId: string, signal?: AbortSignal): Promise<CompartmentChoice[]> {
  return withCallSignal(signal, async () => {
    try {
      const identity = await clients.identity();
      let rootName = 'root';
      try {
        rootName = (await identity.getTenancy({ tenancyId })).tenancy.name ?? rootName;
      } catch {
        // GetTenancy needs "inspect tenancies"; the list still works without it
      }
      const items: Array<{ id: string; name: string; compartmentId: string }> = [];
      let page: string | undefined;
      do {
        const res = await identity.listCompartments({
          compartmentId: tenancyId,
          compartmentIdInSubtree: true,
          accessLevel: 'ACCESSIBLE' as never,
          lifecycleState: 'ACTIVE' as never,
          limit: 1000,
          ...(page ? { page } : {}),
        });
        items.push(...res.items.map((c) => ({ id: c.id, name: c.name, compartmentId: c.compartmentId })));
        page = res.opcNextPage ?? undefined;
      } while (page);
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
    } catch (err) {
      throw classifyOciError(err, 'the compartment list');
    }
  });
}

/**
 * Lists the vaults of a compartment (KMS ListVaults, all pages), ACTIVE first.
 * @throws VaultError (classified)
 */
export async function listVaults(clients: OciClients, compartmentId: string, signal?: AbortSignal): Promise<VaultChoice[]> {
  return withCallSignal(signal, async () => {
    try {
      const kms = await clients.kmsVaults();
      const out: VaultChoice[] = [];
      let page: string | undefined;
      do {
        const res = await kms.listVaults({ compartmentId, limit: 100, ...(page ? { page } : {}) });
        out.push(
          ...res.items.map((v) => ({ id: v.id, displayName: v.displayName, lifecycleState: String(v.lifecycleState), managementEndpoint: v.managementEndpoint, vaultType: String(v.vaultType ?? '') })),
        );
        page = res.opcNextPage ?? undefined;
      } while (page);
      return out.sort((a, b) => Number(b.lifecycleState === 'ACTIVE') - Number(a.lifecycleState === 'ACTIVE') || a.displayName.localeCompare(b.displayName));
    } catch (err) {
      throw classifyOciError(err, 'the vault list');
    }
  });
}

/**
 * Lists the master encryption keys of a vault (KMS ListKeys on the vault's management endpoint), ENABLED first.
 * @throws VaultError (classified)
 */
export async function listKeys(clients: OciClients, managementEndpoint: string, compartmentId: string, signal?: AbortSignal): Promise<KeyChoice[]> {
  return withCallSignal(signal, async () => {
    try {
      const kms = await clients.kmsManagement(managementEndpoint);
      const out: KeyChoice[] = [];
      let page: string | undefined;
      do {
        const res = await kms.listKeys({ compartmentId, limit: 100, ...(page ? { page } : {}) });
        out.push(...res.items.map((k) => ({ id: k.id, displayName: k.displayName, lifecycleState: String(k.lifecycleState), algorithm: k.algorithm ? String(k.algorithm) : undefined })));
        page = res.opcNextPage ?? undefined;
      } while (page);
      return out.sort((a, b) => Number(b.lifecycleState === 'ENABLED') - Number(a.lifecycleState === 'ENABLED') || a.displayName.localeCompare(b.displayName));
    } catch (err) {
      throw classifyOciError(err, 'the key list');
    }
  });
}

/**
 * Proves the credentials work with one signed call: GetSecretBundleByName of a name that does not exist in the
 * vault (404 = signature accepted), then GetVault (the vault exists and is ACTIVE).
 * @returns a one-line description of what worked
 * @throws VaultError (classified; `auth` for a rejected signature, `not_found` for a missing vault)
 */
export async function testSignedCall(clients: OciClients, vaultId: string, signal?: AbortSignal): Promise<string> {
  return withCallSignal(signal, async () => {
    const t0 = performance.now();
    try {
      await (await clients.secrets()).getSecretBundleByName({ secretName: 'vaultmcp-setup-probe', vaultId });
    } catch (err) {
      const e = classifyOciError(err, 'a probe secret');
      if (e.kind !== 'not_found') throw e;
    }
    let vault;
    try {
      vault = (await (await clients.kmsVaults()).getVault({ vaultId })).vault;
    } catch (err) {
      throw classifyOciError(err, `vault ${vaultId}`);
    }
    return `${clients.auth.description}: signed requests accepted; vault '${vault.displayName}' is ${vault.lifecycleState} (${Math.round(performance.now() - t0)} ms)`;
  });
}
