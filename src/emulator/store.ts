/**
 * In-memory model of OCI Vault secrets and their versions, with the stage rules, lifecycle states and
 * validation of reference/oci-api.md §2 ("Stage semantics", lifecycle states) and §7 (limits).
 * Pure state: no HTTP. Methods throw ApiError with the status and code the service would answer.
 *
 * Choices where the reference leaves room (documented for the README):
 * - Secrets are ACTIVE immediately (no CREATING/UPDATING phase).
 * - Bundle reads of a secret PENDING_DELETION or DELETED, or of a version scheduled for deletion, → 404.
 * - Scheduling deletion of a version that is not DEPRECATED → 409 IncorrectState.
 * - A duplicate secret name in a vault → 409 Conflict; a duplicate version name in a secret → 409 Conflict.
 * - On create only stage CURRENT is allowed (PENDING → 400 InvalidParameter).
 * - Several bundle selectors (versionNumber, secretVersionName, stage) must all match the same version.
 * - When timeOfDeletion passes, the secret (or version) becomes DELETED lazily, on next access.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError, incorrectState, invalid, missing, notFound } from './http.js';

/** Version stages (oci-api.md §1). */
export type Stage = 'CURRENT' | 'PENDING' | 'LATEST' | 'PREVIOUS' | 'DEPRECATED';
export const STAGES: readonly Stage[] = ['CURRENT', 'PENDING', 'LATEST', 'PREVIOUS', 'DEPRECATED'];

/** Secret lifecycle states used by the emulator (subset of oci-api.md §2). */
export type LifecycleState = 'ACTIVE' | 'PENDING_DELETION' | 'DELETED';

/** Maximum decoded secret content: 25 KB (oci-api.md §7). */
export const MAX_CONTENT_BYTES = 25 * 1024;
/** Secret name rule (oci-api.md §2, §7); 255 is our cap. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;
const DAY_MS = 24 * 3600 * 1000;
/** Slack on the 1–30 day deletion window for client/server clock and transit differences. */
const WINDOW_SLACK_MS = 5 * 60 * 1000;
const RETRY_TOKEN_TTL_MS = DAY_MS;

export interface SecretVersionRecord {
  versionNumber: number;
  name?: string;
  /** base64 of the decoded bytes */
  content: string;
  stages: Stage[];
  timeCreated: string;
  timeOfDeletion?: string;
  /** true once timeOfDeletion has passed */
  deleted?: boolean;
}

export interface SecretRecord {
  id: string;
  compartmentId: string;
  vaultId: string;
  keyId: string;
  secretName: string;
  description?: string;
  freeformTags?: Record<string, string>;
  definedTags?: Record<string, Record<string, unknown>>;
  metadata?: Record<string, unknown>;
  lifecycleState: LifecycleState;
  timeCreated: string;
  timeOfDeletion?: string;
  etag: string;
  /** creation order, breaks timeCreated ties */
  seq: number;
  versions: SecretVersionRecord[];
}

/** Serialisable store content (state.json with --persist). */
export interface StoreSnapshot {
  secrets: SecretRecord[];
  seq: number;
}

/** Where new secrets get their OCIDs. */
export interface StoreOptions {
  region: string;
  /** clock in ms since the epoch (tests) */
  now?: () => number;
  /** called after every mutation (persistence) */
  onChange?: () => void;
}

/** Input of CreateSecret (CreateSecretDetails, oci-api.md §2). */
export interface CreateSecretInput {
  compartmentId?: unknown;
  vaultId?: unknown;
  keyId?: unknown;
  secretName?: unknown;
  description?: unknown;
  freeformTags?: unknown;
  definedTags?: unknown;
  metadata?: unknown;
  secretContent?: unknown;
}

/** Input of UpdateSecret (UpdateSecretDetails, oci-api.md §2). */
export interface UpdateSecretInput {
  currentVersionNumber?: unknown;
  description?: unknown;
  freeformTags?: unknown;
  definedTags?: unknown;
  metadata?: unknown;
  secretContent?: unknown;
  secretRules?: unknown;
}

/** Bundle selectors (oci-api.md §1): alternatives; none = CURRENT. */
export interface BundleSelector {
  versionNumber?: number;
  secretVersionName?: string;
  stage?: Stage;
}

/** The emulator's secret store. */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  private readonly retryTokens = new Map<string, { fingerprint: string; secretId: string; at: number }>();
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Replaces the content with a snapshot (loaded state.json). */
  load(snapshot: StoreSnapshot): void {
    this.secrets.clear();
    for (const s of snapshot.secrets) this.secrets.set(s.id, s);
    this.seq = snapshot.seq;
  }

  /** A deep copy of the content, for persistence. */
  snapshot(): StoreSnapshot {
    return structuredClone({ secrets: [...this.secrets.values()], seq: this.seq });
  }

  /** All secrets, in creation order (lazy deletion applied). */
  all(): SecretRecord[] {
    const list = [...this.secrets.values()];
    list.forEach((s) => this.expire(s));
    return list.sort((a, b) => a.seq - b.seq);
  }

  /** The secret with this OCID, or 404 NotAuthorizedOrNotFound. */
  get(secretId: string): SecretRecord {
    const s = this.secrets.get(secretId);
    if (!s) throw notFound();
    this.expire(s);
    return s;
  }

  /** The secret named `name` in `vaultId` (case-sensitive), or undefined. */
  findByName(vaultId: string, name: string): SecretRecord | undefined {
    for (const s of this.secrets.values()) {
      if (s.vaultId === vaultId && s.secretName === name) {
        this.expire(s);
        return s;
      }
    }
    return undefined;
  }

  /** Removes a secret entirely (admin API: as if revoked). @returns whether it existed */
  remove(secretId: string): boolean {
    const existed = this.secrets.delete(secretId);
    if (existed) this.changed();
    return existed;
  }

  /**
   * CreateSecret: validates the details, creates version 1 [CURRENT, LATEST].
   * With a retry token already used for the same body, returns the original secret (idempotency, §7);
   * the same token with another body → 409 InvalidatedRetryToken.
   * @throws ApiError 400 MissingParameter/InvalidParameter, 409 Conflict (duplicate name)
   */
  create(input: CreateSecretInput, retryToken?: string): SecretRecord {
    const fingerprint = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    if (retryToken) {
      this.pruneRetryTokens();
      const seen = this.retryTokens.get(retryToken);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ApiError(409, 'InvalidatedRetryToken', 'the retry token was already used with different parameters');
        }
        const original = this.secrets.get(seen.secretId);
        if (original) return original;
      }
    }
    for (const field of ['compartmentId', 'vaultId', 'keyId', 'secretName'] as const) {
      if (input[field] === undefined || input[field] === null || input[field] === '') throw missing(field);
      if (typeof input[field] !== 'string') throw invalid(`${field} must be a string`);
    }
    const name = input.secretName as string;
    checkSecretName(name);
    if (this.findByName(input.vaultId as string, name)) {
      throw new ApiError(409, 'Conflict', `a secret named ${name} already exists in this vault`);
    }
    if (input.secretContent === undefined || input.secretContent === null) throw missing('secretContent');
    const content = parseContent(input.secretContent);
    if (content.stage && content.stage !== 'CURRENT') throw invalid('only stage CURRENT applies when creating a secret');
    const time = this.isoNow();
    const secret: SecretRecord = {
      id: `ocid1.vaultsecret.oc1.${this.options.region}.${randomId()}`,
      compartmentId: input.compartmentId as string,
      vaultId: input.vaultId as string,
      keyId: input.keyId as string,
      secretName: name,
      lifecycleState: 'ACTIVE',
      timeCreated: time,
      etag: newEtag(),
      seq: ++this.seq,
      versions: [
        { versionNumber: 1, name: content.name, content: content.content, stages: ['CURRENT', 'LATEST'], timeCreated: time },
      ],
    };
    applyDescriptive(secret, input);
    this.secrets.set(secret.id, secret);
    if (retryToken) this.retryTokens.set(retryToken, { fingerprint, secretId: secret.id, at: this.now() });
    this.changed();
    return secret;
  }

  /**
   * UpdateSecret: new content → a new version with stage transitions; `currentVersionNumber` promotes a version;
   * both together → 400. The secret must be ACTIVE (else 409 IncorrectState). `ifMatch` ≠ etag → 412.
   */
  update(secretId: string, input: UpdateSecretInput, ifMatch?: string): SecretRecord {
    const secret = this.get(secretId);
    checkEtag(secret, ifMatch);
    if (secret.lifecycleState !== 'ACTIVE') throw incorrectState(`secret is ${secret.lifecycleState}, not ACTIVE`);
    const hasContent = input.secretContent !== undefined && input.secretContent !== null;
    const hasPromote = input.currentVersionNumber !== undefined && input.currentVersionNumber !== null;
    if (hasContent && hasPromote) {
      throw invalid('cannot update the current version number and the secret contents at the same time');
    }
    if (hasPromote && input.secretRules !== undefined) {
      throw invalid('cannot update the current version number and the secret rules at the same time');
    }
    // Validate everything before mutating.
    const content = hasContent ? parseContent(input.secretContent) : undefined;
    if (content?.name && secret.versions.some((v) => v.name === content.name)) {
      throw new ApiError(409, 'Conflict', `a version named ${content.name} already exists in this secret`);
    }
    let promote: SecretVersionRecord | undefined;
    if (hasPromote) {
      const n = input.currentVersionNumber;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid('currentVersionNumber must be a positive integer');
      promote = secret.versions.find((v) => v.versionNumber === n);
      if (!promote) throw invalid(`secret has no version ${n}`);
      if (promote.timeOfDeletion) throw incorrectState(`version ${n} is scheduled for deletion`);
    }
    applyDescriptive(secret, input);
    if (content) this.addVersion(secret, content);
    if (promote) promoteVersion(secret, promote);
    secret.etag = newEtag();
    this.changed();
    return secret;
  }

  /**
   * ScheduleSecretDeletion: ACTIVE → PENDING_DELETION at `timeOfDeletion` (default now + 30 days; must be 1–30
   * days ahead, else 400). Not ACTIVE → 409 IncorrectState. Source: oci-api.md §2, §7.
   */
  scheduleDeletion(secretId: string, timeOfDeletion: unknown, ifMatch?: string): SecretRecord {
    const secret = this.get(secretId);
    checkEtag(secret, ifMatch);
    if (secret.lifecycleState !== 'ACTIVE') throw incorrectState(`secret is ${secret.lifecycleState}, not ACTIVE`);
    secret.timeOfDeletion = this.deletionTime(timeOfDeletion);
    secret.lifecycleState = 'PENDING_DELETION';
    secret.etag = newEtag();
    this.changed();
    return secret;
  }

  /** CancelSecretDeletion: PENDING_DELETION → ACTIVE (else 409 IncorrectState). */
  cancelDeletion(secretId: string, ifMatch?: string): SecretRecord {
    const secret = this.get(secretId);
    checkEtag(secret, ifMatch);
    if (secret.lifecycleState !== 'PENDING_DELETION') throw incorrectState(`secret is ${secret.lifecycleState}, not PENDING_DELETION`);
    secret.lifecycleState = 'ACTIVE';
    delete secret.timeOfDeletion;
    secret.etag = newEtag();
    this.changed();
    return secret;
  }

  /**
   * ScheduleSecretVersionDeletion: only DEPRECATED versions (else 409 IncorrectState); window as for secrets.
   * @throws 404 when the secret or version does not exist
   */
  scheduleVersionDeletion(secretId: string, versionNumber: number, timeOfDeletion: unknown, ifMatch?: string): SecretVersionRecord {
    const secret = this.get(secretId);
    checkEtag(secret, ifMatch);
    const version = findVersion(secret, versionNumber);
    if (version.timeOfDeletion) throw incorrectState(`version ${versionNumber} is already scheduled for deletion`);
    if (!version.stages.includes('DEPRECATED')) {
      throw incorrectState(`only DEPRECATED versions can be scheduled for deletion; version ${versionNumber} is ${version.stages.join(',')}`);
    }
    version.timeOfDeletion = this.deletionTime(timeOfDeletion);
    secret.etag = newEtag();
    this.changed();
    return version;
  }

  /** CancelSecretVersionDeletion: a version scheduled for deletion is kept (else 409 IncorrectState). */
  cancelVersionDeletion(secretId: string, versionNumber: number, ifMatch?: string): SecretVersionRecord {
    const secret = this.get(secretId);
    checkEtag(secret, ifMatch);
    const version = findVersion(secret, versionNumber);
    if (!version.timeOfDeletion || version.deleted) throw incorrectState(`version ${versionNumber} is not scheduled for deletion`);
    delete version.timeOfDeletion;
    secret.etag = newEtag();
    this.changed();
    return version;
  }

  /** The version a GetSecretBundle selector picks (oci-api.md §1); unusable secret or no match → 404. */
  selectBundle(secret: SecretRecord, selector: BundleSelector): SecretVersionRecord {
    if (secret.lifecycleState !== 'ACTIVE') throw notFound();
    const none = selector.versionNumber === undefined && selector.secretVersionName === undefined && selector.stage === undefined;
    const stage = none ? 'CURRENT' : selector.stage;
    const matches = secret.versions
      .filter((v) => !v.timeOfDeletion)
      .filter((v) => selector.versionNumber === undefined || v.versionNumber === selector.versionNumber)
      .filter((v) => selector.secretVersionName === undefined || v.name === selector.secretVersionName)
      .filter((v) => stage === undefined || v.stages.includes(stage));
    const version = matches.sort((a, b) => b.versionNumber - a.versionNumber)[0];
    if (!version) throw notFound();
    return version;
  }

  /** Adds a version as an admin/seed convenience: creates the secret or adds a CURRENT version if the value changed. */
  upsert(target: { compartmentId: string; vaultId: string; keyId: string }, name: string, contentBase64: string): SecretRecord {
    const existing = this.findByName(target.vaultId, name);
    if (!existing) {
      return this.create({ ...target, secretName: name, secretContent: { contentType: 'BASE64', content: contentBase64 } });
    }
    const current = existing.versions.find((v) => v.stages.includes('CURRENT'));
    if (current?.content === contentBase64 && existing.lifecycleState === 'ACTIVE') return existing;
    if (existing.lifecycleState !== 'ACTIVE') {
      existing.lifecycleState = 'ACTIVE';
      delete existing.timeOfDeletion;
    }
    return this.update(existing.id, { secretContent: { contentType: 'BASE64', content: contentBase64 } });
  }

  private addVersion(secret: SecretRecord, content: ParsedContent): void {
    const stage = content.stage ?? 'CURRENT';
    const next = Math.max(0, ...secret.versions.map((v) => v.versionNumber)) + 1;
    for (const v of secret.versions) {
      drop(v, 'LATEST');
      if (stage === 'CURRENT') {
        if (v.stages.includes('PREVIOUS')) drop(v, 'PREVIOUS');
        if (v.stages.includes('CURRENT')) {
          drop(v, 'CURRENT');
          add(v, 'PREVIOUS');
        }
      } else {
        drop(v, 'PENDING');
      }
      deprecateIfBare(v);
    }
    secret.versions.push({
      versionNumber: next,
      name: content.name,
      content: content.content,
      stages: [stage, 'LATEST'],
      timeCreated: this.isoNow(),
    });
  }

  private deletionTime(value: unknown): string {
    const now = this.now();
    if (value === undefined || value === null) return new Date(now + 30 * DAY_MS).toISOString();
    const t = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(t)) throw invalid('timeOfDeletion must be an RFC 3339 timestamp');
    if (t < now + DAY_MS - WINDOW_SLACK_MS || t > now + 30 * DAY_MS + WINDOW_SLACK_MS) {
      throw invalid('timeOfDeletion must be between 1 and 30 days from now');
    }
    return new Date(t).toISOString();
  }

  /** Lazy deletion: a schedule whose time has passed takes effect. */
  private expire(secret: SecretRecord): void {
    const now = this.now();
    if (secret.lifecycleState === 'PENDING_DELETION' && secret.timeOfDeletion && Date.parse(secret.timeOfDeletion) <= now) {
      secret.lifecycleState = 'DELETED';
    }
    for (const v of secret.versions) {
      if (v.timeOfDeletion && !v.deleted && Date.parse(v.timeOfDeletion) <= now) v.deleted = true;
    }
  }

  private pruneRetryTokens(): void {
    const cutoff = this.now() - RETRY_TOKEN_TTL_MS;
    for (const [token, entry] of this.retryTokens) if (entry.at < cutoff) this.retryTokens.delete(token);
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  private changed(): void {
    this.options.onChange?.();
  }
}

/** 400 unless `name` matches `[A-Za-z0-9._-]{1,255}`. */
export function checkSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw invalid('secretName must be 1 to 255 characters from A-Z, a-z, 0-9, ".", "_" and "-"');
  }
}

/** The version with this number, or 404. */
export function findVersion(secret: SecretRecord, versionNumber: number): SecretVersionRecord {
  const v = secret.versions.find((x) => x.versionNumber === versionNumber);
  if (!v) throw notFound();
  return v;
}

/** The CURRENT version number of a secret. */
export function currentVersionNumber(secret: SecretRecord): number | undefined {
  return secret.versions.find((v) => v.stages.includes('CURRENT'))?.versionNumber;
}

/** Version etag: changes whenever the version's stages or deletion schedule change. */
export function versionEtag(secret: SecretRecord, v: SecretVersionRecord): string {
  return createHash('sha256')
    .update(`${secret.id}|${v.versionNumber}|${v.stages.join(',')}|${v.timeOfDeletion ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

interface ParsedContent {
  content: string;
  name?: string;
  stage?: 'CURRENT' | 'PENDING';
}

/** Validates SecretContentDetails: BASE64, decodable, ≤ 25 KB decoded, stage CURRENT|PENDING. */
function parseContent(value: unknown): ParsedContent {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('secretContent must be an object');
  const c = value as Record<string, unknown>;
  if (c.contentType !== 'BASE64') throw invalid('secretContent.contentType must be BASE64');
  if (typeof c.content !== 'string' || c.content === '') throw missing('secretContent.content');
  const text = c.content.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw invalid('secretContent.content is not valid base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length > MAX_CONTENT_BYTES) {
    throw invalid(`secret content is ${bytes.length} bytes; the maximum is ${MAX_CONTENT_BYTES} bytes (25 KB)`);
  }
  if (c.name !== undefined && (typeof c.name !== 'string' || c.name === '')) throw invalid('secretContent.name must be a non-empty string');
  if (c.stage !== undefined && c.stage !== 'CURRENT' && c.stage !== 'PENDING') throw invalid('secretContent.stage must be CURRENT or PENDING');
  return { content: bytes.toString('base64'), name: c.name as string | undefined, stage: c.stage as ParsedContent['stage'] };
}

function applyDescriptive(secret: SecretRecord, input: CreateSecretInput | UpdateSecretInput): void {
  if (input.description !== undefined) {
    if (typeof input.description !== 'string') throw invalid('description must be a string');
    secret.description = input.description;
  }
  for (const field of ['freeformTags', 'definedTags', 'metadata'] as const) {
    const v = input[field];
    if (v === undefined) continue;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${field} must be an object`);
    (secret as unknown as Record<string, unknown>)[field] = structuredClone(v);
  }
}

function promoteVersion(secret: SecretRecord, target: SecretVersionRecord): void {
  if (target.stages.includes('CURRENT')) return;
  for (const v of secret.versions) {
    if (v === target) continue;
    if (v.stages.includes('PREVIOUS')) drop(v, 'PREVIOUS');
    if (v.stages.includes('CURRENT')) {
      drop(v, 'CURRENT');
      add(v, 'PREVIOUS');
    }
    deprecateIfBare(v);
  }
  for (const s of ['PENDING', 'PREVIOUS', 'DEPRECATED'] as const) drop(target, s);
  target.stages.unshift('CURRENT');
}

function checkEtag(secret: SecretRecord, ifMatch?: string): void {
  if (ifMatch !== undefined && ifMatch !== '' && ifMatch !== '*' && ifMatch !== secret.etag) {
    throw new ApiError(412, 'NoEtagMatch', 'the if-match etag does not match the current etag of the resource');
  }
}

function drop(v: SecretVersionRecord, stage: Stage): void {
  v.stages = v.stages.filter((s) => s !== stage);
}

function add(v: SecretVersionRecord, stage: Stage): void {
  if (!v.stages.includes(stage)) v.stages.push(stage);
  if (stage !== 'DEPRECATED') drop(v, 'DEPRECATED');
}

function deprecateIfBare(v: SecretVersionRecord): void {
  if (v.stages.length === 0) v.stages = ['DEPRECATED'];
}

function newEtag(): string {
  return randomBytes(16).toString('hex');
}

function randomId(): string {
  // OCIDs use lower-case base32-like characters; 60 chars like real ones.
  return randomBytes(38).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'a').slice(0, 60);
}
