import { jwtDecode } from 'jwt-decode';

/**
 * What an OCI session token (the JWT `oci session authenticate` writes to `security_token_file`) says about its own
 * life: `exp` (the token's expiry) and `sess_exp` (the end of the session, until which `oci session refresh` can
 * issue a new token). Claims as the OCI CLI reads them (oci-cli `session` commands; reference/oci-api.md §4).
 */
export interface SessionTokenTimes {
  /** when the token stops being accepted (ms since the epoch) */
  expiresAt: number;
  /** until when the session can be refreshed (ms since the epoch), when the token says */
  refreshableUntil?: number;
}

/**
 * Reads the expiry claims of a session token (its payload only; the signature is the vault's to check).
 * @param token the token text (surrounding whitespace ignored)
 * @returns undefined when it is not a JWT with a numeric `exp`
 */
export function sessionTokenTimes(token: string): SessionTokenTimes | undefined {
  try {
    const claims = jwtDecode<{ exp?: unknown; sess_exp?: unknown }>(token.trim());
    if (typeof claims.exp !== 'number') return undefined;
    return { expiresAt: claims.exp * 1000, ...(typeof claims.sess_exp === 'number' ? { refreshableUntil: claims.sess_exp * 1000 } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * The fix for a session token that is expired or refused: `oci session refresh` while the session can still be
 * refreshed, else `oci session authenticate` (a new login).
 * @param profile the OCI config profile
 * @param times the token's claims, when readable; `now` in ms since the epoch
 */
export function sessionTokenFix(profile: string, times: SessionTokenTimes | undefined, now: number): string {
  const refreshable = times !== undefined && (times.refreshableUntil === undefined ? times.expiresAt > now : times.refreshableUntil > now);
  return refreshable
    ? `run \`oci session refresh --profile ${profile}\` (or \`oci session authenticate --profile-name ${profile}\` if it cannot be refreshed)`
    : `run \`oci session authenticate --profile-name ${profile}\` (the session can no longer be refreshed)`;
}

/** "expired at 2026-11-30 01:02:03Z" / "expires at …", for messages. */
export function describeExpiry(times: SessionTokenTimes, now: number): string {
  const at = new Date(times.expiresAt).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
  return times.expiresAt <= now ? `expired at ${at}` : `expires at ${at}`;
}
