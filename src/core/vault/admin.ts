import { UsageError, VaultError } from '../errors.js';
import type { VaultAccess, VaultClients } from './access.js';
import { readSecretBundleById } from './bundle-reader.js';
import { SecretLocator, vaultNotAccessible } from './locator.js';
import { mapBounded } from '../map-bounded.js';
import {
  DELETION_DAYS_MAX,
  DELETION_DAYS_MIN,
  requireScope,
  toInfo,
  toVersion,
  type RawSecret,
  type RawSecretVersion,
  type SecretInfo,
  type SecretValueRead,
  type SecretVersionInfo,
  type VaultScope,
  type WriteResult,
} from './metadata.js';
import { parseSecretRef, type SecretRef, type Stage, type VersionSelector } from './refs.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Typed OCI Vault management operations behind `docker vaultmcp secret …`: create/add versions, promote
 * (rollback), read values, list secrets and versions, schedule and cancel deletions. Wire facts:
 * reference/oci-api.md §1–§2 (Vault management API 20180608, Secrets retrieval API 20190301). Every SDK failure
 * becomes a VaultError with our own message (classifyOciError); rule violations we can see before calling
 * (a CURRENT version to delete, a secret pending deletion to update) are explained before any call.
 */

/** Options of a SecretAdmin. */
export interface SecretAdminOptions {
  /** the vault access every call goes through (reads: `read` profile; writes: `write`, never retried) */
  access: VaultAccess;
  scope: VaultScope;
  /** clock, ms since the epoch */
  now?: () => number;
  /** waits `ms` (injectable so tests of state polling do not sleep) */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Vault management for one scope. Lookups go through the locator (metadata only: managing a secret never reads
 * its value); values are read only by `readValue`. Methods throw VaultError (exit 3) for vault/auth failures with
 * our own messages, ConfigError (exit 2) when a needed setting is missing, UsageError (exit 2) for requests the
 * vault's rules forbid (deleting a non-DEPRECATED version, …).
 */
export class SecretAdmin {
  readonly scope: VaultScope;
  readonly locator: SecretLocator;
  private readonly access: VaultAccess;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(o: SecretAdminOptions) {
    this.scope = o.scope;
    this.access = o.access;
    this.locator = new SecretLocator(o.access, o.scope);
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** One read (retried when transient) or write (never retried) under the vault policies. */
  private call<T>(kind: 'read' | 'write', what: string, request: (c: VaultClients) => Promise<T>): Promise<T> {
    return this.access.call(kind, what, request);
  }

  /**
   * The live secret named `name` in the scope's vault (metadata only), or undefined.
   * @throws ConfigError without `vault.vault_id`; VaultError
   */
  async findByName(name: string): Promise<SecretInfo | undefined> {
    const vaultId = requireScope(this.scope, 'vaultId', `finding secret '${name}'`);
    return this.locator.findInVault(vaultId, name);
  }

  /**
   * Finds a secret from what a user typed: a name (scope vault), an `ocid1.vaultsecret…` OCID or an
   * `oci-vault://…` reference (refs.ts), with metadata calls only (a secret pending deletion is found too).
   * The reference's version qualifier is returned alongside.
   * @throws VaultError kind not_found (exit 3) when it does not exist; ConfigError for a malformed reference or a
   *   name without a vault
   */
  async locate(text: string): Promise<{ secret: SecretInfo; selector: VersionSelector; ref: SecretRef }> {
    const ref = parseSecretRef(text);
    if (ref.kind === 'name') requireScope(this.scope, 'vaultId', `finding secret '${ref.name}'`);
    const secret = await this.locator.locate(ref);
    return { secret, selector: { versionNumber: ref.versionNumber, stage: ref.stage }, ref };
  }

  /** GetSecret. */
  get(secretId: string): Promise<SecretInfo> {
    return this.locator.get(secretId);
  }

  /** The compartment secrets are listed and created in: the scope's, else the vault's own (GetVault). */
  private async compartmentId(vaultId: string): Promise<string> {
    return this.scope.compartmentId ?? (await this.locator.compartmentOfVault(vaultId));
  }

  /**
   * All secrets of the scope vault (all pages), sorted by name, each with its current version number
   * (SecretSummary lacks it: one GetSecret per non-deleted secret, at most `concurrency` at a time).
   */
  async list(options: { concurrency?: number } = {}): Promise<SecretInfo[]> {
    const vaultId = requireScope(this.scope, 'vaultId', 'listing secrets');
    const raw = await this.locator.listSecrets(await this.compartmentId(vaultId), { vaultId });
    // ListSecrets filtered by a vault that does not exist answers an empty list: only GetVault tells them apart
    if (raw.length === 0 && this.scope.compartmentId) await this.locator.compartmentOfVault(vaultId);
    const infos = raw.map(toInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const todo = infos.filter((s) => s.currentVersionNumber === undefined && s.state !== 'DELETED');
    await mapBounded(todo, options.concurrency ?? 8, async (s) => {
      try {
        s.currentVersionNumber = (await this.get(s.id)).currentVersionNumber;
      } catch (err) {
        if (!(err instanceof VaultError && err.kind === 'not_found')) throw err;
      }
    });
    return infos;
  }

  /** ListSecretVersions through all pages (metadata only), ascending by version number. */
  async versions(secretId: string): Promise<SecretVersionInfo[]> {
    const items = await this.access.list<RawSecretVersion>('read', `versions of secret ${secretId}`, async (c, page) => {
      const r = await (await c.vaults()).listSecretVersions({ secretId, limit: 100, ...(page ? { page } : {}) });
      return { items: r.items as unknown as RawSecretVersion[], opcNextPage: r.opcNextPage };
    });
    return items.map(toVersion).sort((a, b) => a.versionNumber - b.versionNumber);
  }

  /** GetSecretVersion. @throws VaultError not_found when the version does not exist */
  async version(secretId: string, versionNumber: number): Promise<SecretVersionInfo> {
    const r = await this.call('read', `version ${versionNumber} of secret ${secretId}`, async (c) =>
      (await c.vaults()).getSecretVersion({ secretId, secretVersionNumber: versionNumber }),
    );
    return toVersion(r.secretVersion as unknown as RawSecretVersion);
  }

  /**
   * Reads a value: GetSecretBundle of `secretId` with the selector (none = CURRENT), through the bundle reader.
   * Returns the exact bytes (`decodeSecretText` is the rule for using them as text).
   * @throws VaultError (not_found also for versions scheduled for deletion and secrets pending deletion)
   */
  async readValue(secretId: string, selector: VersionSelector = {}, label = `secret ${secretId}`): Promise<SecretValueRead> {
    const what = `${label}${selector.versionNumber !== undefined ? ` version ${selector.versionNumber}` : selector.stage ? ` stage ${selector.stage}` : ''}`;
    const read = await readSecretBundleById(this.access, secretId, selector, { what });
    return { secretId: read.secretId, versionNumber: read.versionNumber, stages: read.stages, created: read.created, bytes: read.bytes };
  }

  /**
   * Writes a value under `name`: CreateSecret when no secret has that name in the vault (vault and master key
   * from the scope; the compartment from the scope, else the vault's own, read with GetVault), else UpdateSecret with the content, which adds a version that becomes CURRENT
   * (the old CURRENT becomes PREVIOUS, nothing is lost). `tags` are merged into the existing tags, and
   * `description` replaces the old one only when given.
   * @param bytes exact value (validated by the caller: not empty, ≤ 25 KB)
   * @throws ConfigError when vault/key settings are missing; VaultError; UsageError when the secret
   *   is pending deletion (restore it first)
   */
  async upload(
    name: string,
    bytes: Buffer,
    options: { description?: string; tags?: Record<string, string>; mustExist?: boolean; existing?: SecretInfo | null } = {},
  ): Promise<WriteResult> {
    const vaultId = requireScope(this.scope, 'vaultId', `uploading secret '${name}'`);
    const existing = options.existing === undefined ? await this.findByName(name) : (options.existing ?? undefined);
    if (existing) {
      const details: Record<string, unknown> = {};
      if (options.description !== undefined) details.description = options.description;
      if (options.tags && Object.keys(options.tags).length > 0) details.freeformTags = { ...(existing.tags ?? {}), ...options.tags };
      return this.addVersion(existing, bytes, details);
    }
    if (options.mustExist) {
      throw new VaultError(`secret '${name}' not found in the vault`, {
        kind: 'not_found',
        status: 404,
        hint: `create it first with \`docker vaultmcp secret upload ${name}\``,
      });
    }
    const keyId = requireScope(this.scope, 'keyId', `creating secret '${name}' (the master encryption key)`);
    const compartmentId = await this.compartmentId(vaultId);
    const r = await this.call('write', `creating secret '${name}'`, async (c) =>
      (await c.vaults()).createSecret({
        createSecretDetails: {
          compartmentId,
          vaultId,
          keyId,
          secretName: name,
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.tags && Object.keys(options.tags).length > 0 ? { freeformTags: options.tags } : {}),
          secretContent: { contentType: 'BASE64', content: bytes.toString('base64'), stage: 'CURRENT' },
        } as never,
      }),
    ).catch((err: unknown) => {
      throw err instanceof VaultError && err.kind === 'not_found' ? vaultNotAccessible(vaultId, err.status, `, or its master key ${keyId} does not`) : err;
    });
    const secret = toInfo(r.secret as unknown as RawSecret);
    return { created: true, secret, versionNumber: secret.currentVersionNumber ?? 1 };
  }

  /**
   * Everything `upload` checks before it needs the value, so a user is not asked for a value that cannot be
   * stored: the secret with that name (null when new), a pending deletion, and for a new secret the master key
   * setting and the compartment (the vault's own when not set).
   * @returns the existing secret, or null when `upload` will create one (pass it as `options.existing`)
   * @throws ConfigError for missing settings; UsageError when the secret is pending deletion; VaultError
   */
  async prepareUpload(name: string): Promise<SecretInfo | null> {
    requireScope(this.scope, 'vaultId', `uploading secret '${name}'`);
    const existing = await this.findByName(name);
    if (existing) {
      if (existing.state === 'PENDING_DELETION') throw pendingDeletionError(existing);
      return existing;
    }
    requireScope(this.scope, 'keyId', `creating secret '${name}' (the master encryption key)`);
    await this.compartmentId(this.scope.vaultId!);
    return null;
  }

  /** @throws UsageError (exit 2) when `secret` cannot take a new version (pending deletion: restore it first) */
  assertWritable(secret: SecretInfo): void {
    if (secret.state === 'PENDING_DELETION') throw pendingDeletionError(secret);
  }

  /**
   * Adds a CURRENT version to an existing secret (UpdateSecret with secretContent). Refuses a secret that is not
   * ACTIVE before calling (UpdateSecret requires ACTIVE, reference/oci-api.md §2).
   * @returns the new and the previous CURRENT version numbers
   */
  async addVersion(secret: SecretInfo, bytes: Buffer, extra: Record<string, unknown> = {}): Promise<WriteResult> {
    if (secret.state === 'PENDING_DELETION') throw pendingDeletionError(secret);
    const fresh = secret.currentVersionNumber === undefined || secret.state !== 'ACTIVE' ? await this.waitActive(secret.id) : secret;
    const previous = fresh.currentVersionNumber;
    const r = await this.call('write', `adding a version to secret '${secret.name}'`, async (c) =>
      (await c.vaults()).updateSecret({
        secretId: secret.id,
        updateSecretDetails: { ...extra, secretContent: { contentType: 'BASE64', content: bytes.toString('base64'), stage: 'CURRENT' } } as never,
      }),
    );
    const updated = toInfo(r.secret as unknown as RawSecret);
    let versionNumber = updated.currentVersionNumber;
    if (versionNumber === undefined || (previous !== undefined && versionNumber <= previous)) {
      // The real service may answer while UPDATING with the old number: the newest version is the one we made.
      const all = await this.versions(secret.id);
      versionNumber = all.find((v) => v.stages.includes('LATEST'))?.versionNumber ?? all.at(-1)?.versionNumber ?? (previous ?? 0) + 1;
      updated.currentVersionNumber = versionNumber;
    }
    return { created: false, secret: updated, versionNumber, previousVersionNumber: previous };
  }

  /**
   * Makes `versionNumber` CURRENT again (UpdateSecret currentVersionNumber); the CURRENT one becomes PREVIOUS.
   * Waits (up to `waitMs`) for the secret to be ACTIVE first, since the service refuses updates while UPDATING.
   */
  async promote(secretId: string, versionNumber: number, waitMs = 30_000): Promise<SecretInfo> {
    await this.waitActive(secretId, waitMs);
    const r = await this.call('write', `making version ${versionNumber} current`, async (c) =>
      (await c.vaults()).updateSecret({ secretId, updateSecretDetails: { currentVersionNumber: versionNumber } }),
    );
    return toInfo(r.secret as unknown as RawSecret);
  }

  /** Polls GetSecret until the secret is ACTIVE (the real service passes through CREATING/UPDATING). */
  async waitActive(secretId: string, waitMs = 30_000): Promise<SecretInfo> {
    const deadline = this.now() + waitMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
      const s = await this.get(secretId);
      if (s.state === 'ACTIVE' || !['CREATING', 'UPDATING'].includes(s.state) || this.now() >= deadline) return s;
      await this.sleep(delay);
    }
  }

  /** The deletion time for `days` from now; kept a minute inside the 1–30 day window against clock skew. */
  deletionTime(days: number): Date {
    if (!Number.isInteger(days) || days < DELETION_DAYS_MIN || days > DELETION_DAYS_MAX) {
      throw new UsageError(`--days must be a whole number from ${DELETION_DAYS_MIN} to ${DELETION_DAYS_MAX}`, 'OCI keeps a deleted secret for 1 to 30 days (default 30)');
    }
    const margin = days === DELETION_DAYS_MIN ? 60_000 : days === DELETION_DAYS_MAX ? -60_000 : 0;
    return new Date(this.now() + days * DAY_MS + margin);
  }

  /**
   * Schedules deletion of a whole secret (ScheduleSecretDeletion) `days` from now; the secret stops serving
   * values at once and can be restored until then.
   * @throws UsageError when it is already pending deletion; VaultError
   */
  async scheduleDeletion(secret: SecretInfo, days: number): Promise<SecretInfo> {
    const when = this.deletionTime(days);
    if (secret.state === 'PENDING_DELETION') {
      throw new UsageError(
        `secret '${secret.name}' is already scheduled for deletion${secret.timeOfDeletion ? ` on ${secret.timeOfDeletion}` : ''}`,
        `\`docker vaultmcp secret restore ${secret.name}\` cancels it`,
      );
    }
    await this.call('write', `scheduling deletion of secret '${secret.name}'`, async (c) =>
      (await c.vaults()).scheduleSecretDeletion({ secretId: secret.id, scheduleSecretDeletionDetails: { timeOfDeletion: when } }),
    );
    return this.get(secret.id);
  }

  /**
   * Schedules deletion of one version. Only DEPRECATED versions can be deleted (reference/oci-api.md §2); any
   * other stage is explained (what the stage means and how a version becomes DEPRECATED) before any write.
   * @throws UsageError (exit 2) for a non-DEPRECATED or already scheduled version; VaultError
   */
  async scheduleVersionDeletion(secret: SecretInfo, versionNumber: number, days: number): Promise<SecretVersionInfo> {
    const when = this.deletionTime(days);
    await this.checkVersionDeletable(secret, versionNumber);
    try {
      await this.call('write', `scheduling deletion of version ${versionNumber} of '${secret.name}'`, async (c) =>
        (await c.vaults()).scheduleSecretVersionDeletion({ secretId: secret.id, secretVersionNumber: versionNumber, scheduleSecretVersionDeletionDetails: { timeOfDeletion: when } }),
      );
    } catch (err) {
      // the stages changed between our check and the call
      if (err instanceof VaultError && err.status === 409) throw notDeprecatedError(secret.name, await this.version(secret.id, versionNumber));
      throw err;
    }
    return this.version(secret.id, versionNumber);
  }

  /**
   * Checks, without writing, that a version may be scheduled for deletion: it exists, is DEPRECATED and is not
   * already scheduled.
   * @throws UsageError (exit 2) explaining the stage rule; VaultError not_found for a missing version
   */
  async checkVersionDeletable(secret: SecretInfo, versionNumber: number): Promise<SecretVersionInfo> {
    const v = await this.version(secret.id, versionNumber);
    if (v.timeOfDeletion) {
      throw new UsageError(
        `version ${versionNumber} of '${secret.name}' is already scheduled for deletion on ${v.timeOfDeletion}`,
        `\`docker vaultmcp secret restore ${secret.name} --version ${versionNumber}\` cancels it`,
      );
    }
    if (!v.stages.includes('DEPRECATED')) throw notDeprecatedError(secret.name, v);
    return v;
  }

  /** Cancels a secret's scheduled deletion (CancelSecretDeletion): it is ACTIVE again. */
  async cancelDeletion(secret: SecretInfo): Promise<SecretInfo> {
    if (secret.state !== 'PENDING_DELETION') {
      throw new UsageError(`secret '${secret.name}' is not scheduled for deletion (it is ${secret.state})`, 'nothing to restore');
    }
    await this.call('write', `cancelling deletion of secret '${secret.name}'`, async (c) => (await c.vaults()).cancelSecretDeletion({ secretId: secret.id }));
    return this.get(secret.id);
  }

  /** Cancels a version's scheduled deletion (CancelSecretVersionDeletion). */
  async cancelVersionDeletion(secret: SecretInfo, versionNumber: number): Promise<SecretVersionInfo> {
    const v = await this.version(secret.id, versionNumber);
    if (!v.timeOfDeletion) {
      throw new UsageError(`version ${versionNumber} of '${secret.name}' is not scheduled for deletion`, 'nothing to restore');
    }
    await this.call('write', `cancelling deletion of version ${versionNumber} of '${secret.name}'`, async (c) =>
      (await c.vaults()).cancelSecretVersionDeletion({ secretId: secret.id, secretVersionNumber: versionNumber }),
    );
    return this.version(secret.id, versionNumber);
  }
}

function pendingDeletionError(secret: SecretInfo): UsageError {
  return new UsageError(
    `secret '${secret.name}' is scheduled for deletion${secret.timeOfDeletion ? ` on ${secret.timeOfDeletion}` : ''}; nothing was written`,
    `cancel the deletion first with \`docker vaultmcp secret restore ${secret.name}\``,
  );
}

/** The explanation for a version OCI will not delete, by stage. */
function notDeprecatedError(name: string, v: SecretVersionInfo): UsageError {
  const stages = v.stages.filter((s) => s !== 'LATEST');
  const stage = (stages[0] ?? v.stages[0] ?? 'unknown') as Stage | string;
  const why: Record<string, string> = {
    CURRENT: 'it is the CURRENT version that services read',
    PREVIOUS: 'it is the PREVIOUS version, kept for rollback',
    PENDING: 'it is PENDING (staged to become current)',
    LATEST: 'it is the LATEST version uploaded',
  };
  return new UsageError(
    `version ${v.versionNumber} of '${name}' cannot be deleted: ${why[stage] ?? `its stage is ${v.stages.join(', ')}`}; OCI Vault only deletes DEPRECATED versions`,
    stage === 'CURRENT'
      ? `rotate twice (\`docker vaultmcp secret rotate ${name}\`) so it becomes PREVIOUS then DEPRECATED, or delete the whole secret without --version`
      : `rotate once more so it becomes DEPRECATED, or delete the whole secret without --version`,
  );
}
