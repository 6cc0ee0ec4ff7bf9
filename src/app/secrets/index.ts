/**
 * Secret management for `docker vaultmcp secret …`: typed Vault operations (vault-ops.ts), verified rotation with
 * rollback (verify.ts) and the lazy bridges to the cache and resolver (peers.ts). No terminal I/O here.
 */
export { SecretAdmin, type SecretAdminOptions } from '../../core/vault/admin.js';
export {
  DELETION_DAYS_MAX,
  DELETION_DAYS_MIN,
  isoTime,
  requireScope,
  scopeFrom,
  type RawSecret,
  type RawSecretVersion,
  type SecretInfo,
  type SecretValueRead,
  type SecretVersionInfo,
  type VaultScope,
  type WriteResult,
} from '../../core/vault/metadata.js';
export {
  DEFAULT_VERIFY_TIMEOUT_MS,
  RolledBackError,
  VerificationError,
  rotateVerified,
  splitSpecsForSecret,
  verifyMcpServer,
  type RotateEvent,
  type VerifiedRotation,
  type VerifyReport,
} from './verify.js';
export { purgeCachedSecret, resolveSpecs } from './peers.js';
export { createSecretAdmin } from './create.js';
