/**
 * Carries our own errors through the OCI SDK. The SDK signs requests inside its retrier, which replaces anything
 * thrown there (e.g. by a principal's token refresh in `getKeyId`) with a plain `{code, message}` object; the
 * VaultError we threw, with its kind and hint, would be lost and the failure misreported as "unreachable". So a
 * thrown error gets a unique `code`, and `classifyOciError` takes the original back by that code.
 */
import type { VaultError } from '../errors.js';

const PREFIX = 'VAULTMCP_CARRIED_';
const carried = new Map<string, VaultError>();
let counter = 0;

/** Marks `err` so it can be recovered from the SDK's copy of its `code`; returns it (throw the result). */
export function carry(err: VaultError): VaultError {
  const code = `${PREFIX}${++counter}`;
  Object.defineProperty(err, 'code', { value: code, enumerable: false, configurable: true });
  // the SDK retrier would otherwise consider it retryable
  Object.defineProperty(err, 'shouldBeRetried', { value: false, enumerable: false, configurable: true });
  carried.set(code, err);
  if (carried.size > 64) carried.delete(carried.keys().next().value!);
  return err;
}

/** The error carried under an SDK error's `code`, if any (removed from the registry). */
export function takeCarried(code: unknown): VaultError | undefined {
  if (typeof code !== 'string' || !code.startsWith(PREFIX)) return undefined;
  const err = carried.get(code);
  carried.delete(code);
  return err;
}
