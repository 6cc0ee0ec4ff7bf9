/**
 * Session tokens the emulated auth services issue (instance principal federation, resource principal / OKE
 * RPST): RS256 JWTs signed with the emulator's token key, carrying the claims OCI's carry (oci-common reads `exp`
 * to decide when to refresh; RPSTs carry `res_tenant`, `res_compartment`, `res_id`; instance tokens `opc-instance`,
 * `opc-tenant`, `opc-compartment`) and the session public key as `jwk`. The emulator trusts a token by registering
 * `ST$<token>` → session public key in its KeyRegistry, with the token's expiry.
 */
import { createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * The emulator's clock for token lifetimes: real time plus an offset tests can move forward, so expiry is tested
 * without waiting (request-signature dates are still checked against real time).
 */
export class EmulatorClock {
  private offsetMs = 0;
  private readonly listeners: Array<() => void> = [];
  /** Calls `fn` after every advance (the emulated platform renews what it must, e.g. the RPST file). */
  onAdvance(fn: () => void): void {
    this.listeners.push(fn);
  }
  /** now in ms since the epoch */
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** Moves the clock forward by `ms` (≥ 0). */
  advance(ms: number): void {
    this.offsetMs += Math.max(0, ms);
    for (const fn of this.listeners) fn();
  }
  /** The offset from real time, ms. */
  get offset(): number {
    return this.offsetMs;
  }
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** What `TokenIssuer.issue` returns. */
export interface IssuedToken {
  token: string;
  /** ms since the epoch (emulator clock) */
  expiresAt: number;
  claims: Record<string, unknown>;
}

/** Issues RS256 session tokens; one signing key per emulator run. */
export class TokenIssuer {
  private readonly key: KeyObject;
  constructor(
    privateKeyPem: string,
    private readonly clock: EmulatorClock,
  ) {
    this.key = createPrivateKey(privateKeyPem);
  }

  /**
   * Signs a token for a session key.
   * @param sessionPublicKeyPem the session public key (SPKI PEM) the token is bound to (claim `jwk`)
   * @param claims principal claims (`sub`, `ptype`, …)
   * @param ttlMs lifetime from the emulator clock's now, ms
   */
  issue(sessionPublicKeyPem: string, claims: Record<string, unknown>, ttlMs: number): IssuedToken {
    const now = this.clock.now();
    const expiresAt = now + ttlMs;
    const jwk = createPublicKey(sessionPublicKeyPem).export({ format: 'jwk' });
    const payload = {
      iss: 'authService.oracle.com',
      aud: 'oci',
      iat: Math.floor(now / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: randomUUID(),
      ...claims,
      jwk: JSON.stringify({ kid: 'asw', use: 'sig', alg: 'RS256', ...jwk }),
    };
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'asw' }));
    const body = b64url(JSON.stringify(payload));
    const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), this.key);
    return { token: `${head}.${body}.${b64url(signature)}`, expiresAt: payload.exp * 1000, claims: payload };
  }
}

/** The payload of a JWT (no verification), or undefined when it is not one. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
