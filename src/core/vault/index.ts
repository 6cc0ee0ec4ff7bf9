/**
 * The vault layer: the one way the program reaches OCI (access.ts: clients + call profiles), one pager, one
 * locator (references → secret metadata, never values), one bundle reader (values, one decoding rule), admin
 * writes, and setup's discovery listings. Nothing here knows about the terminal.
 */
export { createVaultAccess, policyOptionsOf, type VaultAccess, type VaultClients } from './access.js';
export { createOciAuth, parseOciConfigProfile, type AuthEnvironment, type OciAuth, type PassphraseLookup } from './auth.js';
export { classifyOciError } from './classify.js';
export { createOciClients, type OciClients } from './clients.js';
export { silenceSdkConsole } from './sdk.js';
export { installFetchHooks, parseRetryAfter, retryAfterFor, withCallSignal } from './transport.js';
export { listAll, pages, type ListPage } from './pager.js';
export { mapBounded } from '../map-bounded.js';
export { createVaultPolicies, type CallHooks, type CallProfile, type VaultPolicies, type VaultPolicyOptions } from './policy.js';
export { describeRef, missingVaultId, pickSecret, SecretLocator } from './locator.js';
export {
  decodeSecretText,
  readSecretBundle,
  readSecretBundleById,
  readSecretText,
  type FetchedSecretBundle,
  type ReadBundleOptions,
  type SecretBundleRead,
} from './bundle-reader.js';
export { SecretAdmin, type SecretAdminOptions } from './admin.js';
export * from './metadata.js';
