import { VaultError, type VaultFailureKind } from '../errors.js';
import { takeCarried } from './carried-error.js';
import { retryAfterFor } from './transport.js';

/**
 * Turns anything the OCI SDK throws into a VaultError with our own one-line message. Raw SDK messages are never
 * kept: they can contain the Authorization header (reference/oci-api.md §3). The original error is kept as
 * `cause` (never printed).
 * Shapes handled (oci-common 2.139.1): OciError `{statusCode, serviceCode, opcRequestId}` for HTTP answers;
 * plain objects `{code, message}` for transport failures (`fetch failed`, EOPENBREAKER); AbortError; SyntaxError
 * from a malformed body.
 * @param err what the SDK threw
 * @param what a description of the call for the message, e.g. "secret 'github-token'"
 */
export function classifyOciError(err: unknown, what: string): VaultError {
  if (err instanceof VaultError) return err;
  const carried = takeCarried((err as { code?: unknown } | undefined)?.code);
  if (carried) return carried;
  const e = err as { statusCode?: unknown; serviceCode?: unknown; opcRequestId?: string | null; name?: string; code?: unknown; message?: unknown };
  if (typeof e?.statusCode === 'number' && e.statusCode > 0) {
    const status = e.statusCode;
    const code = typeof e.serviceCode === 'string' && /^[A-Za-z]+$/.test(e.serviceCode) ? e.serviceCode : undefined;
    const label = `${status}${code && code !== 'None' ? ` ${code}` : ''}`;
    const byStatus: Record<number, [VaultFailureKind, string, string]> = {
      401: ['auth', `the vault rejected our credentials (${label}) for ${what}`, 'check the API key, its fingerprint and the system clock (OCI allows 5 minutes of skew); `docker vaultmcp doctor` checks all three'],
      403: ['forbidden', `not authorized (${label}) for ${what}`, 'grant the user or principal "read secret-bundles" on the vault\'s compartment'],
      404: ['not_found', `${what} not found or not authorized (${label})`, 'check the secret name and vault, or upload it with `docker vaultmcp secret upload`'],
      429: ['throttled', `the vault is throttling requests (${label}) for ${what}`, 'retry later or raise cache.ttl'],
    };
    const [kind, message, hint] =
      byStatus[status] ??
      (status >= 500
        ? (['server', `the vault failed (${label}) for ${what}`, 'OCI Vault is having trouble; retry later (a cached copy is used if present)'] as const)
        : (['invalid', `the vault refused the request (${label}) for ${what}`, 'check the reference and version'] as const));
    return new VaultError(message, {
      kind,
      status,
      retryAfterMs: status === 429 ? retryAfterFor(e.opcRequestId) : undefined,
      hint,
      cause: err,
    });
  }
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') {
    return new VaultError(`the vault timed out (no answer) for ${what}`, { kind: 'timeout', cause: err, hint: 'check the network, or raise resilience.timeout_ms' });
  }
  if (e?.code === 'EOPENBREAKER') {
    return new VaultError(`the vault circuit breaker is open for ${what}`, { kind: 'breaker_open', cause: err });
  }
  if (err instanceof SyntaxError) {
    return new VaultError(`the vault sent a malformed response for ${what}`, { kind: 'network', cause: err, hint: 'check vault.endpoint and any proxy in between' });
  }
  if (typeof e === 'string') {
    // oci-common throws plain strings for some client-construction problems
    return new VaultError(`the OCI SDK could not be set up for ${what}`, { kind: 'config', cause: err });
  }
  const origin = endpointOrigin((e as { requestEndpoint?: unknown })?.requestEndpoint);
  return new VaultError(`the vault${origin ? ` at ${origin}` : ''} is unreachable for ${what}`, {
    kind: 'network',
    cause: err,
    hint: 'check the network and vault.region / vault.endpoint',
  });
}

/**
 * The scheme://host:port of an SDK `requestEndpoint` ("GET https://secrets.vaults…/20190301/…"), for messages:
 * never the path or query (they may name secrets), never anything that does not parse as a URL.
 */
function endpointOrigin(requestEndpoint: unknown): string | undefined {
  if (typeof requestEndpoint !== 'string') return undefined;
  try {
    const url = new URL(requestEndpoint.trim().split(/\s+/).pop() ?? '');
    return /^https?:$/.test(url.protocol) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
