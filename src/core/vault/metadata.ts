import { ConfigError } from '../errors.js';
import type { Settings } from '../config/settings/index.js';

/**
 * Secret metadata as OCI Vault describes it (Vault management API 20180608: Secret, SecretSummary, SecretVersion)
 * and the scope (vault, compartment, master key) that management commands work in. Never a value.
 * Wire facts: reference/oci-api.md §2.
 */


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

/** Deletion window of ScheduleSecret(Version)Deletion, days (reference/oci-api.md §7). */
export const DELETION_DAYS_MIN = 1;
export const DELETION_DAYS_MAX = 30;

/** Turns SDK times (strings at runtime, `Date` in the types) into RFC 3339 strings. */
export function isoTime(t: string | Date | undefined | null): string | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
  return String(t);
}

export function toInfo(s: RawSecret): SecretInfo {
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

export function toVersion(v: RawSecretVersion): SecretVersionInfo {
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

