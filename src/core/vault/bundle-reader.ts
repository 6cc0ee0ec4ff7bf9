import { VaultError } from '../errors.js';
import type { VaultAccess } from './access.js';
import { describeRef, missingVaultId, SecretLocator } from './locator.js';
import { isoTime } from './metadata.js';
import type { CallHooks, CallProfile } from './policy.js';
import type { SecretRef, VersionSelector } from './refs.js';

/**
 * Reading secret values: the one place that calls the Secrets retrieval API (20190301) and the one decoding rule
 * for what it returns. Used by the resolver (`run`, doctor, rotate --verify) and `secret get`.
 * Wire facts: reference/oci-api.md §1 (GetSecretBundle, GetSecretBundleByName, base64 content).
 */

/** One secret version as read from the Secrets API. */
export interface SecretBundleRead {
  /** The exact bytes of the value (base64-decoded content). Zero them when done where that matters. */
  bytes: Buffer;
  /** `ocid1.vaultsecret…` of the secret. */
  secretId: string;
  versionNumber: number;
  /** Stages of this version (`CURRENT`, `LATEST`, …) as the API lists them. */
  stages: string[];
  /** When this version was created (RFC 3339), when the API says. */
  created?: string;
  /** The secret name when the reference names it (OCID references do not). */
  name?: string;
}

/** A bundle decoded to text by {@link decodeSecretText}: what goes into an environment variable. */
export interface FetchedSecretBundle extends Omit<SecretBundleRead, 'bytes'> {
  /** The value as UTF-8 text. */
  value: string;
}

export interface ReadBundleOptions {
  /** settings `vault.vault_id`: the vault of bare-name references */
  defaultVaultId?: string;
  /** call profile (default `read`; `readOnce` when a stale copy is at hand, `probe` for doctor) */
  profile?: CallProfile;
  /** attempt/retry hooks for metrics and `--verbose` */
  hooks?: Omit<CallHooks, 'what'>;
  /** a compartment reference's secret OCID from an earlier lookup (the cache): skips the listing */
  knownSecretId?: string;
  /** the locator to use (shares its GetVault answers); default a new one */
  locator?: SecretLocator;
}

/**
 * Reads the version of the secret `ref` points at ({@link readSecretBundleById} for the selector rules):
 * - `name` / `vault`: GetSecretBundleByName (one request);
 * - `compartment`: the locator's ListSecrets (one ambiguity rule), then GetSecretBundle; `knownSecretId` skips the
 *   listing, and if that id is gone (404) the lookup runs once more, since the name may now belong to a new secret;
 * - `ocid`: GetSecretBundle.
 * @throws ConfigError (exit 2) for a bare name without a vault; VaultError (exit 3): classified failures,
 *   `not_found` for a secret scheduled for deletion (named as such), `invalid` for an ambiguous name
 */
export async function readSecretBundle(access: VaultAccess, ref: SecretRef, options: ReadBundleOptions = {}): Promise<SecretBundleRead> {
  const selector: VersionSelector = { versionNumber: ref.versionNumber, stage: ref.stage };
  const what = describeRef(ref);
  switch (ref.kind) {
    case 'name':
    case 'vault': {
      const vaultId = ref.kind === 'vault' ? ref.vaultId : options.defaultVaultId;
      if (!vaultId) throw missingVaultId(ref.name);
      const r = await access.call(
        options.profile ?? 'read',
        what,
        async (c) => (await c.secrets()).getSecretBundleByName({ secretName: ref.name, vaultId, ...selectorParams(selector) } as never),
        options.hooks,
      );
      return { ...toRead(r.secretBundle, what), name: ref.name };
    }
    case 'compartment': {
      if (options.knownSecretId) {
        try {
          return { ...(await readSecretBundleById(access, options.knownSecretId, selector, { ...options, what })), name: ref.name };
        } catch (err) {
          if (!(err instanceof VaultError) || err.kind !== 'not_found') throw err;
        }
      }
      const locator = options.locator ?? new SecretLocator(access, {}, options.profile ?? 'read');
      const secret = await locator.locate(ref);
      if (secret.state === 'PENDING_DELETION') {
        throw new VaultError(`${what} is scheduled for deletion${secret.timeOfDeletion ? ` on ${secret.timeOfDeletion}` : ''}; its values cannot be read`, {
          kind: 'not_found',
          status: 404,
          hint: `\`docker vaultmcp secret restore ${secret.id}\` cancels the deletion`,
        });
      }
      return { ...(await readSecretBundleById(access, secret.id, selector, { ...options, what })), name: ref.name };
    }
    case 'ocid':
      return readSecretBundleById(access, ref.secretId, selector, { ...options, what });
  }
}

/**
 * GetSecretBundle of one secret: the version `selector` names (`versionNumber` or `stage`; none = CURRENT).
 * @param options.what the secret for messages (default "secret <ocid>")
 * @throws VaultError (`not_found` also for a version scheduled for deletion)
 */
export async function readSecretBundleById(
  access: VaultAccess,
  secretId: string,
  selector: VersionSelector,
  options: Pick<ReadBundleOptions, 'profile' | 'hooks'> & { what?: string } = {},
): Promise<SecretBundleRead> {
  const what = options.what ?? `secret ${secretId}`;
  const r = await access.call(
    options.profile ?? 'read',
    what,
    async (c) => (await c.secrets()).getSecretBundle({ secretId, ...selectorParams(selector) } as never),
    options.hooks,
  );
  return toRead(r.secretBundle, what);
}

/**
 * Reads and decodes ({@link readSecretBundle} then {@link decodeSecretText}): the value an MCP server gets.
 * @throws what both throw
 */
export async function readSecretText(access: VaultAccess, ref: SecretRef, options: ReadBundleOptions = {}): Promise<FetchedSecretBundle> {
  const read = await readSecretBundle(access, ref, options);
  return decodeSecretText(read, describeRef(ref));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The one decoding rule for secret values used as text: the bytes must be non-empty, valid UTF-8 (fatal decoding:
 * a replacement character would silently corrupt a credential). The read's bytes are zeroed afterwards.
 * @param what the secret for messages
 * @throws VaultError kind `invalid` (not transient) for empty content or bytes that are not UTF-8
 */
export function decodeSecretText(read: SecretBundleRead, what: string): FetchedSecretBundle {
  const { bytes, ...meta } = read;
  try {
    if (bytes.length === 0) {
      throw new VaultError(`${what} version ${read.versionNumber} has no content`, {
        kind: 'invalid',
        hint: 'upload a value with `docker vaultmcp secret upload` or `secret rotate`',
      });
    }
    let value: string;
    try {
      value = utf8.decode(bytes);
    } catch {
      throw new VaultError(`${what} version ${read.versionNumber} is not UTF-8 text`, {
        kind: 'invalid',
        hint: 'environment variables hold text: store the value base64-encoded as text instead of raw bytes',
      });
    }
    return { ...meta, value };
  } finally {
    bytes.fill(0);
  }
}

function selectorParams(selector: VersionSelector): { versionNumber?: number; stage?: string } {
  if (selector.versionNumber !== undefined) return { versionNumber: selector.versionNumber };
  if (selector.stage !== undefined) return { stage: selector.stage };
  return {};
}

/** SDK SecretBundle → SecretBundleRead; content is base64 (contentType BASE64, reference/oci-api.md §1). */
function toRead(
  bundle: { secretId: string; versionNumber: number; stages?: unknown[]; timeCreated?: unknown; secretBundleContent?: unknown } | undefined,
  what: string,
): SecretBundleRead {
  if (!bundle || typeof bundle.secretId !== 'string' || typeof bundle.versionNumber !== 'number') {
    throw new VaultError(`the vault sent an incomplete secret bundle for ${what}`, { kind: 'network', hint: 'check vault.endpoint and any proxy in between' });
  }
  const content = (bundle.secretBundleContent as { content?: unknown } | undefined)?.content;
  return {
    bytes: Buffer.from(typeof content === 'string' ? content : '', 'base64'),
    secretId: bundle.secretId,
    versionNumber: bundle.versionNumber,
    stages: Array.isArray(bundle.stages) ? bundle.stages.map(String) : [],
    ...(isoTime(bundle.timeCreated as string | undefined) ? { created: isoTime(bundle.timeCreated as string | undefined) } : {}),
  };
}
