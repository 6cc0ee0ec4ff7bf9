import { ConfigError, UsageError, VaultError } from '../errors.js';
import { classifyOciError } from './classify.js';
import { withCallSignal } from './transport.js';
import { formatSecretRef, parseSecretRef, type SecretRef, type Stage, type VersionSelector } from './refs.js';
import type { Settings } from '../config/settings/index.js';

/**
 * Typed OCI Vault management operations behind `docker vaultmcp secret …`: create/add versions, promote
 * (rollback), read values, list secrets and versions, schedule and cancel deletions. Wire facts:
 * reference/oci-api.md §1–§2 (Vault management API 20180608, Secrets retrieval API 20190301). Every SDK failure
 * becomes a VaultError with our own message (classifyOciError); rule violations we can see before calling
 * (a CURRENT version to delete, a secret pending deletion to update) are explained before any call.
 */

// ---- the slice of the SDK clients we use (structural, so tests can pass fakes) ----

/** Secret / SecretSummary as the SDK returns them (timestamps are strings at runtime despite the `Date` type). */
export interface RawSecret {
  id: string;
  secretName: string;
  compartmentId: string;
  vaultId: string;
  keyId?: string;
  lifecycleState: string;
  timeCreated?: string | Date;
  currentVersionNumber?: number;
  description?: string;
  freeformTags?: Record<string, string>;
  timeOfDeletion?: string | Date;
  timeOfCurrentVersionExpiry?: string | Date;
}

/** SecretVersion / SecretVersionSummary (never content). */
export interface RawSecretVersion {
  secretId: string;
  versionNumber: number;
  name?: string;
  stages?: string[];
  timeCreated?: string | Date;
  timeOfDeletion?: string | Date;
  timeOfExpiry?: string | Date;
  timeOfCurrentVersionExpiry?: string | Date;
}

/** SecretBundle. */
export interface RawSecretBundle {
  secretId: string;
  versionNumber: number;
  stages?: string[];
  timeCreated?: string | Date;
  secretBundleContent?: { contentType?: string; content?: string };
}

/** The VaultsClient methods we call (oci-vault 2.139.1). */
export interface VaultManagementApi {
  createSecret(req: { createSecretDetails: Record<string, unknown> }): Promise<{ secret: RawSecret }>;
  updateSecret(req: { secretId: string; updateSecretDetails: Record<string, unknown> }): Promise<{ secret: RawSecret }>;
  getSecret(req: { secretId: string }): Promise<{ secret: RawSecret }>;
  listSecrets(req: { compartmentId: string; vaultId?: string; name?: string; page?: string; limit?: number }): Promise<{ items: RawSecret[]; opcNextPage?: string }>;
  listSecretVersions(req: { secretId: string; page?: string; limit?: number }): Promise<{ items: RawSecretVersion[]; opcNextPage?: string }>;
  getSecretVersion(req: { secretId: string; secretVersionNumber: number }): Promise<{ secretVersion: RawSecretVersion }>;
  scheduleSecretDeletion(req: { secretId: string; scheduleSecretDeletionDetails: { timeOfDeletion?: Date } }): Promise<unknown>;
  cancelSecretDeletion(req: { secretId: string }): Promise<unknown>;
  scheduleSecretVersionDeletion(req: {
    secretId: string;
    secretVersionNumber: number;
    scheduleSecretVersionDeletionDetails: { timeOfDeletion?: Date };
  }): Promise<unknown>;
  cancelSecretVersionDeletion(req: { secretId: string; secretVersionNumber: number }): Promise<unknown>;
}

/** The SecretsClient methods we call (oci-secrets 2.139.1). */
export interface SecretRetrievalApi {
  getSecretBundle(req: { secretId: string; versionNumber?: number; stage?: string }): Promise<{ secretBundle: RawSecretBundle }>;
  getSecretBundleByName(req: { secretName: string; vaultId: string; versionNumber?: number; stage?: string }): Promise<{ secretBundle: RawSecretBundle }>;
}

// ---- our shapes ----

/** Where secrets are created and looked up: settings `vault.*`, overridden by flags. */
export interface VaultScope {
  vaultId?: string;
  compartmentId?: string;
  keyId?: string;
}

/** A secret's metadata (no value). Times are RFC 3339 strings. */
export interface SecretInfo {
  id: string;
  name: string;
  vaultId: string;
  compartmentId: string;
  /** ACTIVE, PENDING_DELETION, DELETED, CREATING, UPDATING, … */
  state: string;
  /** Absent in list results of the real API (SecretSummary); filled by `list()` with a GetSecret per secret. */
  currentVersionNumber?: number;
  created?: string;
  /** When a scheduled deletion takes effect. */
  timeOfDeletion?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** One version's metadata (never content). */
export interface SecretVersionInfo {
  versionNumber: number;
  /** CURRENT, PENDING, PREVIOUS, LATEST, DEPRECATED */
  stages: string[];
  name?: string;
  created?: string;
  expires?: string;
  /** When a scheduled deletion of this version takes effect. */
  timeOfDeletion?: string;
}

/** A value read from the vault: exact bytes plus which version they are. */
export interface SecretValueRead {
  secretId: string;
  versionNumber: number;
  stages: string[];
  created?: string;
  bytes: Buffer;
}

/** Result of writing a value (`upload` or `rotate`). */
export interface WriteResult {
  /** true: CreateSecret made a new secret; false: UpdateSecret added a version to an existing one */
  created: boolean;
  secret: SecretInfo;
  /** the new CURRENT version */
  versionNumber: number;
  /** the version that was CURRENT before (now PREVIOUS); undefined for a new secret */
  previousVersionNumber?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Deletion window of ScheduleSecret(Version)Deletion, days (reference/oci-api.md §7). */
export const DELETION_DAYS_MIN = 1;
export const DELETION_DAYS_MAX = 30;

/** Turns SDK times (strings at runtime, `Date` in the types) into RFC 3339 strings. */
export function isoTime(t: string | Date | undefined | null): string | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
  return String(t);
}

function toInfo(s: RawSecret): SecretInfo {
  return {
    id: s.id,
    name: s.secretName,
    vaultId: s.vaultId,
    compartmentId: s.compartmentId,
    state: s.lifecycleState,
    currentVersionNumber: s.currentVersionNumber ?? undefined,
    created: isoTime(s.timeCreated),
    timeOfDeletion: isoTime(s.timeOfDeletion),
    description: s.description ?? undefined,
    tags: s.freeformTags && Object.keys(s.freeformTags).length > 0 ? s.freeformTags : undefined,
  };
}

function toVersion(v: RawSecretVersion): SecretVersionInfo {
  return {
    versionNumber: v.versionNumber,
    stages: [...(v.stages ?? [])],
    name: v.name ?? undefined,
    created: isoTime(v.timeCreated),
    expires: isoTime(v.timeOfExpiry ?? v.timeOfCurrentVersionExpiry),
    timeOfDeletion: isoTime(v.timeOfDeletion),
  };
}

/**
 * The scope of management commands: `vault.vault_id`, `vault.compartment_id`, `vault.key_id` from settings,
 * each overridden by its flag.
 */
export function scopeFrom(settings: Settings, flags: { vaultId?: string; compartmentId?: string; keyId?: string } = {}): VaultScope {
  return {
    vaultId: flags.vaultId ?? settings.vault.vault_id,
    compartmentId: flags.compartmentId ?? settings.vault.compartment_id,
    keyId: flags.keyId ?? settings.vault.key_id,
  };
}

const SETTING_OF = {
  vaultId: { key: 'vault.vault_id', flag: '--vault-id', env: 'OCI_VAULT_ID' },
  compartmentId: { key: 'vault.compartment_id', flag: '--compartment-id', env: 'OCI_VAULT_COMPARTMENT_ID' },
  keyId: { key: 'vault.key_id', flag: '--key-id', env: 'OCI_VAULT_KEY_ID' },
} as const;

/**
 * Returns `scope[field]` or throws a ConfigError (exit 2) naming the setting, flag and variable that set it.
 * @param why what needs it, e.g. "creating a secret"
 */
export function requireScope(scope: VaultScope, field: keyof VaultScope, why: string): string {
  const value = scope[field];
  if (value) return value;
  const s = SETTING_OF[field];
  throw new ConfigError(`${s.key} is not set (needed for ${why})`, {
    hint: `set ${s.key} in resolver.yaml, pass ${s.flag}, or set ${s.env}; \`docker vaultmcp setup\` can find it`,
  });
}

/** Options of a SecretAdmin. */
export interface SecretAdminOptions {
  vaults: () => Promise<VaultManagementApi>;
  secrets: () => Promise<SecretRetrievalApi>;
  scope: VaultScope;
  /** per-call timeout, ms (the HTTP request is aborted when it elapses) */
  timeoutMs: number;
  /** extra attempts for transient failures of reads (writes are never retried) */
  readRetries?: number;
  /** clock, ms since the epoch */
  now?: () => number;
  /** waits `ms` (injectable so tests of state polling do not sleep) */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Vault management for one scope. Methods throw VaultError (exit 3) for vault/auth failures with our own
 * messages, ConfigError (exit 2) when a needed setting is missing, UsageError (exit 2) for requests the vault's
 * rules forbid (deleting a non-DEPRECATED version, …).
 */
export class SecretAdmin {
  readonly scope: VaultScope;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: SecretAdminOptions) {
    this.scope = o.scope;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** One SDK call with the timeout; failures classified. `retry` only for idempotent reads. */
  private async call<T>(what: string, fn: () => Promise<T>, retry = false): Promise<T> {
    const attempts = retry ? 1 + Math.max(0, this.o.readRetries ?? 2) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await withCallSignal(AbortSignal.timeout(this.o.timeoutMs), fn);
      } catch (err) {
        const e = classifyOciError(err, what);
        if (attempt >= attempts || !e.transient) throw e;
        await this.sleep(e.retryAfterMs ?? Math.min(4000, 250 * 2 ** (attempt - 1)) + Math.floor(Math.random() * 100));
      }
    }
  }

  /**
   * Finds a secret by name in the scope's vault: ListSecrets (all pages) in the compartment filtered by vault
   * and name; a DELETED secret is ignored. Without a compartment, GetSecretBundleByName finds ACTIVE secrets.
   * @returns undefined when there is none
   */
  async findByName(name: string): Promise<SecretInfo | undefined> {
    const vaultId = requireScope(this.scope, 'vaultId', `finding secret '${name}'`);
    if (!this.scope.compartmentId) return this.findByBundleName(name, vaultId);
    const matches = (await this.listRaw({ name })).filter((s) => s.secretName === name && s.vaultId === vaultId);
    const live = matches.find((s) => s.lifecycleState !== 'DELETED');
    if (live) return toInfo(live);
    // A secret may live in another compartment than the vault's: the vault still finds it by name.
    return this.findByBundleName(name, vaultId);
  }

  private async findByBundleName(name: string, vaultId: string): Promise<SecretInfo | undefined> {
    const secrets = await this.o.secrets();
    try {
      const r = await this.call(`secret '${name}'`, () => secrets.getSecretBundleByName({ secretName: name, vaultId }), true);
      return await this.get(r.secretBundle.secretId);
    } catch (err) {
      if (err instanceof VaultError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  /**
   * Finds a secret from what a user typed: a name (scope vault), an `ocid1.vaultsecret…` OCID or an
   * `oci-vault://…` reference (reference/refs.ts). The reference's version qualifier is returned alongside.
   * @throws VaultError kind not_found (exit 3) when it does not exist; ConfigError for a malformed reference
   */
  async locate(text: string): Promise<{ secret: SecretInfo; selector: VersionSelector; ref: SecretRef }> {
    const ref = parseSecretRef(text);
    const selector: VersionSelector = { versionNumber: ref.versionNumber, stage: ref.stage };
    let secret: SecretInfo | undefined;
    switch (ref.kind) {
      case 'ocid':
        secret = await this.get(ref.secretId);
        break;
      case 'name':
        secret = await this.findByName(ref.name);
        break;
      case 'vault':
        secret = await new SecretAdmin({ ...this.o, scope: { ...this.scope, vaultId: ref.vaultId, compartmentId: this.scope.compartmentId } }).findByName(ref.name);
        if (secret && secret.vaultId !== ref.vaultId) secret = undefined;
        break;
      case 'compartment': {
        const found = (await this.listRaw({ name: ref.name, compartmentId: ref.compartmentId, anyVault: true })).filter(
          (s) => s.secretName === ref.name && s.lifecycleState !== 'DELETED',
        );
        if (found.length > 1) {
          throw new UsageError(`${found.length} secrets named '${ref.name}' exist in that compartment (different vaults)`, 'use oci-vault://<vault-ocid>/<name> or the secret OCID');
        }
        secret = found[0] ? toInfo(found[0]) : undefined;
        break;
      }
    }
    if (!secret) {
      throw new VaultError(`secret '${formatSecretRef({ ...ref, versionNumber: undefined, stage: undefined })}' not found in the vault`, {
        kind: 'not_found',
        status: 404,
        hint: 'check the name with `docker vaultmcp secret list`, or create it with `docker vaultmcp secret upload NAME`',
      });
    }
    return { secret, selector, ref };
  }

  /** GetSecret. */
  async get(secretId: string): Promise<SecretInfo> {
    const vaults = await this.o.vaults();
    const r = await this.call(`secret ${secretId}`, () => vaults.getSecret({ secretId }), true);
    return toInfo(r.secret);
  }

  /** ListSecrets through all pages (compartment from scope unless given; filtered by the scope vault unless anyVault). */
  private async listRaw(filter: { name?: string; compartmentId?: string; anyVault?: boolean } = {}): Promise<RawSecret[]> {
    const compartmentId = filter.compartmentId ?? requireScope(this.scope, 'compartmentId', 'listing secrets');
    const vaultId = filter.anyVault ? undefined : requireScope(this.scope, 'vaultId', 'listing secrets');
    const vaults = await this.o.vaults();
    const out: RawSecret[] = [];
    let page: string | undefined;
    const seen = new Set<string>();
    do {
      const r = await this.call('listing secrets', () =>
        vaults.listSecrets({ compartmentId, ...(vaultId ? { vaultId } : {}), ...(filter.name ? { name: filter.name } : {}), limit: 100, ...(page ? { page } : {}) }),
      true);
      out.push(...(r.items ?? []));
      page = r.opcNextPage || undefined;
      if (page && seen.has(page)) break; // a broken server repeating a page token must not loop forever
      if (page) seen.add(page);
    } while (page);
    return out;
  }

  /**
   * All secrets of the scope vault (all pages), sorted by name, each with its current version number
   * (SecretSummary lacks it: one GetSecret per non-deleted secret, at most `concurrency` at a time).
   */
  async list(options: { concurrency?: number } = {}): Promise<SecretInfo[]> {
    const raw = await this.listRaw();
    const infos = raw.map(toInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const todo = infos.filter((s) => s.currentVersionNumber === undefined && s.state !== 'DELETED');
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const s = todo[next++]!;
        try {
          s.currentVersionNumber = (await this.get(s.id)).currentVersionNumber;
        } catch (err) {
          if (!(err instanceof VaultError && err.kind === 'not_found')) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, todo.length) }, worker));
    return infos;
  }

  /** ListSecretVersions through all pages, ascending by version number. */
  async versions(secretId: string): Promise<SecretVersionInfo[]> {
    const vaults = await this.o.vaults();
    const out: SecretVersionInfo[] = [];
    let page: string | undefined;
    const seen = new Set<string>();
    do {
      const r = await this.call(`versions of secret ${secretId}`, () => vaults.listSecretVersions({ secretId, limit: 100, ...(page ? { page } : {}) }), true);
      out.push(...(r.items ?? []).map(toVersion));
      page = r.opcNextPage || undefined;
      if (page && seen.has(page)) break;
      if (page) seen.add(page);
    } while (page);
    return out.sort((a, b) => a.versionNumber - b.versionNumber);
  }

  /** GetSecretVersion. @throws VaultError not_found when the version does not exist */
  async version(secretId: string, versionNumber: number): Promise<SecretVersionInfo> {
    const vaults = await this.o.vaults();
    const r = await this.call(`version ${versionNumber} of secret ${secretId}`, () => vaults.getSecretVersion({ secretId, secretVersionNumber: versionNumber }), true);
    return toVersion(r.secretVersion);
  }

  /**
   * Reads a value: GetSecretBundle of `secretId` with the selector (none = CURRENT). Returns the exact bytes.
   * @throws VaultError (not_found also for versions scheduled for deletion and secrets pending deletion)
   */
  async readValue(secretId: string, selector: VersionSelector = {}, label = `secret ${secretId}`): Promise<SecretValueRead> {
    const secrets = await this.o.secrets();
    const what = `${label}${selector.versionNumber !== undefined ? ` version ${selector.versionNumber}` : selector.stage ? ` stage ${selector.stage}` : ''}`;
    const r = await this.call(what, () =>
      secrets.getSecretBundle({
        secretId,
        ...(selector.versionNumber !== undefined ? { versionNumber: selector.versionNumber } : {}),
        ...(selector.stage ? { stage: selector.stage } : {}),
      }),
    true);
    const b = r.secretBundle;
    const content = b.secretBundleContent?.content ?? '';
    return {
      secretId: b.secretId ?? secretId,
      versionNumber: b.versionNumber,
      stages: [...(b.stages ?? [])],
      created: isoTime(b.timeCreated),
      bytes: Buffer.from(content, 'base64'),
    };
  }

  /**
   * Writes a value under `name`: CreateSecret when no secret has that name in the vault (vault, compartment and
   * master key from the scope), else UpdateSecret with the content, which adds a version that becomes CURRENT
   * (the old CURRENT becomes PREVIOUS, nothing is lost). `tags` are merged into the existing tags, and
   * `description` replaces the old one only when given.
   * @param bytes exact value (validated by the caller: not empty, ≤ 25 KB)
   * @throws ConfigError when vault/compartment/key settings are missing; VaultError; UsageError when the secret
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
    const compartmentId = requireScope(this.scope, 'compartmentId', `creating secret '${name}'`);
    const keyId = requireScope(this.scope, 'keyId', `creating secret '${name}' (the master encryption key)`);
    const vaults = await this.o.vaults();
    const r = await this.call(`creating secret '${name}'`, () =>
      vaults.createSecret({
        createSecretDetails: {
          compartmentId,
          vaultId,
          keyId,
          secretName: name,
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.tags && Object.keys(options.tags).length > 0 ? { freeformTags: options.tags } : {}),
          secretContent: { contentType: 'BASE64', content: bytes.toString('base64'), stage: 'CURRENT' },
        },
      }),
    );
    const secret = toInfo(r.secret);
    return { created: true, secret, versionNumber: secret.currentVersionNumber ?? 1 };
  }

  /**
   * Everything `upload` checks before it needs the value, so a user is not asked for a value that cannot be
   * stored: the secret with that name (null when new), a pending deletion, and for a new secret the compartment
   * and master key settings.
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
    requireScope(this.scope, 'compartmentId', `creating secret '${name}'`);
    requireScope(this.scope, 'keyId', `creating secret '${name}' (the master encryption key)`);
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
    const vaults = await this.o.vaults();
    const r = await this.call(`adding a version to secret '${secret.name}'`, () =>
      vaults.updateSecret({
        secretId: secret.id,
        updateSecretDetails: { ...extra, secretContent: { contentType: 'BASE64', content: bytes.toString('base64'), stage: 'CURRENT' } },
      }),
    );
    const updated = toInfo(r.secret);
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
    const vaults = await this.o.vaults();
    const r = await this.call(`making version ${versionNumber} current`, () =>
      vaults.updateSecret({ secretId, updateSecretDetails: { currentVersionNumber: versionNumber } }),
    );
    return toInfo(r.secret);
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
    const vaults = await this.o.vaults();
    await this.call(`scheduling deletion of secret '${secret.name}'`, () =>
      vaults.scheduleSecretDeletion({ secretId: secret.id, scheduleSecretDeletionDetails: { timeOfDeletion: when } }),
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
    const vaults = await this.o.vaults();
    try {
      await this.call(`scheduling deletion of version ${versionNumber} of '${secret.name}'`, () =>
        vaults.scheduleSecretVersionDeletion({ secretId: secret.id, secretVersionNumber: versionNumber, scheduleSecretVersionDeletionDetails: { timeOfDeletion: when } }),
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
    const vaults = await this.o.vaults();
    await this.call(`cancelling deletion of secret '${secret.name}'`, () => vaults.cancelSecretDeletion({ secretId: secret.id }));
    return this.get(secret.id);
  }

  /** Cancels a version's scheduled deletion (CancelSecretVersionDeletion). */
  async cancelVersionDeletion(secret: SecretInfo, versionNumber: number): Promise<SecretVersionInfo> {
    const v = await this.version(secret.id, versionNumber);
    if (!v.timeOfDeletion) {
      throw new UsageError(`version ${versionNumber} of '${secret.name}' is not scheduled for deletion`, 'nothing to restore');
    }
    const vaults = await this.o.vaults();
    await this.call(`cancelling deletion of version ${versionNumber} of '${secret.name}'`, () =>
      vaults.cancelSecretVersionDeletion({ secretId: secret.id, secretVersionNumber: versionNumber }),
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
