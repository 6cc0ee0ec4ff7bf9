import type { SecretsClient } from 'oci-secrets';
import type { VaultsClient } from 'oci-vault';
import { ConfigError, VaultError } from '../errors.js';
import { formatSecretRef, type SecretRef, type VersionSelector } from './refs.js';
import { classifyOciError } from './classify.js';

/**
 * Reading secret bundles for every reference form (refs.ts). Each exported function makes the SDK calls of one
 * step; `exec` runs every single HTTP call (the resolver passes its cockatiel policy: timeout → retry → breaker)
 * and must turn failures into VaultError (`classifyOciError`). Wire facts: reference/oci-api.md §1–§3.
 */

/** One secret version as read from the Secrets API, content decoded. */
export interface FetchedSecretBundle {
  /** Secret content decoded from base64 to UTF-8 text. */
  value: string;
  /** `ocid1.vaultsecret…` of the secret. */
  secretId: string;
  versionNumber: number;
  /** Stages of this version (`CURRENT`, `LATEST`, …) as the API lists them. */
  stages?: string[];
  /** The secret name when the reference names it (OCID references do not). */
  name?: string;
}

/**
 * Runs one vault HTTP call. `signal` must be attached with `withCallSignal` so a timeout aborts the request.
 * `op` names the SDK operation for events and messages (`getSecretBundleByName`, `listSecrets`).
 */
export type VaultCallExecutor = <T>(op: string, call: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>;

/** Lazily created SDK clients (OciClients satisfies this). */
export interface SecretReadClients {
  secrets(): Promise<SecretsClient>;
  vaults(): Promise<VaultsClient>;
}

/** ListSecrets page size; the API default is small, and large compartments need every page. */
const LIST_PAGE_LIMIT = 100;

/**
 * Reads the secret bundle a reference points at.
 * - `name`: GetSecretBundleByName with `defaultVaultId` (settings `vault.vault_id`)
 * - `vault`: GetSecretBundleByName with the reference's vault
 * - `compartment`: ListSecrets(compartmentId, name, ACTIVE) over all pages, then GetSecretBundle by the id found;
 *   `knownSecretId` (a cached lookup) skips the listing; if that id is gone (404) the lookup runs once more,
 *   since the name may now belong to a recreated secret
 * - `ocid`: GetSecretBundle
 * The version selector (`versionNumber` or `stage`) is passed as query parameter; none means CURRENT.
 * @param options.defaultVaultId required for `name` references
 * @param options.exec runs each HTTP call (timeouts, retries, breaker); defaults to a plain call
 * @param options.listPageLimit ListSecrets page size (default 100; tests use 1 to exercise paging)
 * @returns the decoded bundle
 * @throws ConfigError (exit 2) for a `name` reference without a vault id; VaultError (exit 3): `not_found` when the
 *   compartment holds no ACTIVE secret of that name, `invalid` when the bundle has no UTF-8 text content, and
 *   whatever `exec` throws
 */
export async function readSecretBundle(
  clients: SecretReadClients,
  ref: SecretRef,
  options: { defaultVaultId?: string; exec?: VaultCallExecutor; knownSecretId?: string; listPageLimit?: number } = {},
): Promise<FetchedSecretBundle> {
  const exec = options.exec ?? plainExec(describeRef(ref));
  const selector: VersionSelector = { versionNumber: ref.versionNumber, stage: ref.stage };
  switch (ref.kind) {
    case 'name': {
      if (!options.defaultVaultId) throw missingVaultId(ref.name);
      return getBundleByName(clients, options.defaultVaultId, ref.name, selector, exec);
    }
    case 'vault':
      return getBundleByName(clients, ref.vaultId, ref.name, selector, exec);
    case 'compartment': {
      if (options.knownSecretId) {
        try {
          return { ...(await getBundleById(clients, options.knownSecretId, selector, exec)), name: ref.name };
        } catch (err) {
          if (!(err instanceof VaultError) || err.kind !== 'not_found') throw err;
        }
      }
      const secretId = await findSecretId(clients, ref.compartmentId, ref.name, exec, options.listPageLimit);
      return { ...(await getBundleById(clients, secretId, selector, exec)), name: ref.name };
    }
    case 'ocid':
      return getBundleById(clients, ref.secretId, selector, exec);
  }
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

/** GetSecretBundleByName (POST /20190301/secretbundles/actions/getByName). */
async function getBundleByName(
  clients: SecretReadClients,
  vaultId: string,
  name: string,
  selector: VersionSelector,
  exec: VaultCallExecutor,
): Promise<FetchedSecretBundle> {
  const client = await clients.secrets();
  const response = await exec('getSecretBundleByName', () =>
    client.getSecretBundleByName({ secretName: name, vaultId, ...selectorParams(selector) } as never),
  );
  return { ...decodeBundle(response.secretBundle, `secret '${name}'`), name };
}

/** GetSecretBundle (GET /20190301/secretbundles/{secretId}). */
async function getBundleById(
  clients: SecretReadClients,
  secretId: string,
  selector: VersionSelector,
  exec: VaultCallExecutor,
): Promise<FetchedSecretBundle> {
  const client = await clients.secrets();
  const response = await exec('getSecretBundle', () => client.getSecretBundle({ secretId, ...selectorParams(selector) } as never));
  return decodeBundle(response.secretBundle, `secret ${secretId}`);
}

/**
 * Finds the OCID of the ACTIVE secret named `name` in a compartment: ListSecrets with the `name` and ACTIVE filters,
 * following `opc-next-page` through EVERY page (names are unique per vault, not per compartment, so two vaults in one
 * compartment may both hold the name: that is an error, not a silent pick). Names are matched exactly again
 * client-side in case a service or emulator ignores the filter.
 * @param pageLimit ListSecrets `limit` (default 100)
 * @throws VaultError `not_found` when no ACTIVE secret has that name, `invalid` when several do; what `exec` throws
 */
export async function findSecretId(
  clients: SecretReadClients,
  compartmentId: string,
  name: string,
  exec: VaultCallExecutor,
  pageLimit = LIST_PAGE_LIMIT,
): Promise<string> {
  const client = await clients.vaults();
  const matches: Array<{ id: string; vaultId: string }> = [];
  let page: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const response = await exec('listSecrets', () =>
      client.listSecrets({ compartmentId, name, lifecycleState: 'ACTIVE', limit: pageLimit, ...(page ? { page } : {}) } as never),
    );
    for (const s of response.items ?? []) {
      if (s.secretName === name && String(s.lifecycleState).toUpperCase() === 'ACTIVE') matches.push({ id: s.id, vaultId: s.vaultId });
    }
    page = response.opcNextPage || undefined;
    if (!page) break;
  }
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) {
    throw new VaultError(`secret name '${name}' is ambiguous in compartment ${compartmentId}: ${matches.length} vaults hold an active secret of that name`, {
      kind: 'invalid',
      hint: `name the vault: oci-vault://<vault-ocid>/${name} (vaults: ${[...new Set(matches.map((m) => m.vaultId))].join(', ')})`,
    });
  }
  throw new VaultError(`secret '${name}' not found in compartment ${compartmentId}`, {
    kind: 'not_found',
    status: 404,
    hint: 'check the secret name (names are case-sensitive) and the compartment, or upload it with `docker vaultmcp secret upload`',
  });
}

function selectorParams(selector: VersionSelector): { versionNumber?: number; stage?: string } {
  if (selector.versionNumber !== undefined) return { versionNumber: selector.versionNumber };
  if (selector.stage !== undefined) return { stage: selector.stage };
  return {};
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** SecretBundle → FetchedSecretBundle; content is base64 (contentType BASE64, reference/oci-api.md §1). */
function decodeBundle(bundle: { secretId: string; versionNumber: number; stages?: string[]; secretBundleContent?: unknown } | undefined, what: string): FetchedSecretBundle {
  if (!bundle || typeof bundle.secretId !== 'string' || typeof bundle.versionNumber !== 'number') {
    throw new VaultError(`the vault sent an incomplete secret bundle for ${what}`, { kind: 'network', hint: 'check vault.endpoint and any proxy in between' });
  }
  const content = (bundle.secretBundleContent as { contentType?: string; content?: string } | undefined)?.content;
  if (typeof content !== 'string' || content.length === 0) {
    throw new VaultError(`${what} version ${bundle.versionNumber} has no content`, {
      kind: 'invalid',
      hint: 'upload a value with `docker vaultmcp secret upload` or `secret rotate`',
    });
  }
  let value: string;
  try {
    value = utf8.decode(Buffer.from(content, 'base64'));
  } catch {
    throw new VaultError(`${what} version ${bundle.versionNumber} is not UTF-8 text`, {
      kind: 'invalid',
      hint: 'environment variables hold text: store the value base64-encoded as text instead of raw bytes',
    });
  }
  return {
    value,
    secretId: bundle.secretId,
    versionNumber: bundle.versionNumber,
    ...(Array.isArray(bundle.stages) ? { stages: bundle.stages.map(String) } : {}),
  };
}

function plainExec(what: string): VaultCallExecutor {
  return async (_op, call) => {
    try {
      return await call(undefined);
    } catch (err) {
      throw classifyOciError(err, what);
    }
  };
}

/** "secret 'github-token'" or "secret ocid1.vaultsecret…" for messages. */
export function describeRef(ref: SecretRef): string {
  return ref.kind === 'ocid' ? `secret ${formatSecretRef(ref)}` : `secret '${ref.name}'`;
}
