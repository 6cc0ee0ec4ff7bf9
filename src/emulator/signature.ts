/**
 * Verification of OCI request signatures (draft-cavage-http-signatures-08, "Signature version 1",
 * rsa-sha256), exactly as reference/oci-api.md §4 describes what the SDKs send. Also a small signer for tests
 * that need hand-made (e.g. tampered) requests.
 */
import { createHash, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sessionTokenTimes } from '../core/vault/session-token.js';
import { ApiError } from './http.js';


/** Allowed clock difference between client and emulator (oci-api.md §3, §4 rule 3). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** SHA-256 of an empty body, base64 (oci-api.md §4 rule 5). */
export const EMPTY_BODY_SHA256 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/**
 * Trusted public keys by keyId: `<tenancy>/<user>/<fingerprint>` for API keys, `ST$<token>` for session,
 * instance and resource principal tokens (the emulator maps the token to its session public key).
 */
export class KeyRegistry {
  private readonly keys = new Map<string, { key: KeyObject; expiresAt?: number }>();

  /** @param now the clock token expiry is judged by (ms since the epoch; the emulator's, which tests can move) */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Registers (or replaces) a key.
   * @param opts.expiresAt ms since the epoch after which the keyId is rejected as expired (session tokens)
   * @throws Error if the PEM is not a public (or private) key
   */
  register(keyId: string, publicKey: KeyObject | string, opts: { expiresAt?: number } = {}): void {
    this.keys.set(keyId, { key: typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, expiresAt: opts.expiresAt });
    // a long-running emulator issues a token per launch: forget the ones that expired over an hour ago
    if (opts.expiresAt !== undefined && this.keys.size % 1024 === 0) {
      const cutoff = this.now() - 3600_000;
      for (const [id, entry] of this.keys) if (entry.expiresAt !== undefined && entry.expiresAt < cutoff) this.keys.delete(id);
    }
  }

  /** The key of a keyId that has not expired. */
  get(keyId: string): KeyObject | undefined {
    const found = this.lookup(keyId);
    return found === 'expired' ? undefined : found;
  }

  /** The key of a keyId, `'expired'` for a known one past its expiry, undefined for an unknown one. */
  lookup(keyId: string): KeyObject | 'expired' | undefined {
    const entry = this.keys.get(keyId);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && this.now() >= entry.expiresAt) return 'expired';
    return entry.key;
  }

  /** Forgets a keyId (e.g. a revoked token). */
  revoke(keyId: string): void {
    this.keys.delete(keyId);
  }
}

/** The request parts a signature covers. */
export interface SignedRequest {
  method: string;
  /** raw request target as sent: path + query, not re-encoded (Node's req.url) */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Parses the `k="v"` pairs of `Authorization: Signature ...`, in any order (§4 rule 1). */
export function parseAuthorization(header: string): Record<string, string> | undefined {
  const m = /^Signature\s+(.*)$/is.exec(header.trim());
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const pair of m[1].matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) out[pair[1]] = pair[2];
  return out;
}

/** Builds the signing string for a header list (names lower-cased, `\n`-joined, no trailing newline). */
export function signingString(method: string, url: string, names: string[], headers: IncomingHttpHeaders): string {
  return names
    .map((raw) => {
      const name = raw.toLowerCase();
      if (name === '(request-target)') return `(request-target): ${method.toLowerCase()} ${url}`;
      const value = headers[name];
      if (value === undefined) throw unauthenticated(`signed header ${name} is missing`);
      return `${name}: ${Array.isArray(value) ? value.join(', ') : value}`;
    })
    .join('\n');
}

/**
 * Verifies one request (§4). Requires (request-target), host and x-date or date (±5 min of `now`) to be
 * signed; for POST/PUT/PATCH also x-content-sha256 (checked against the body) and content-length.
 * @returns the keyId that signed the request
 * @throws ApiError 401 NotAuthenticated on any failure
 */
export function verifyRequest(request: SignedRequest, registry: KeyRegistry, now: number = Date.now()): string {
  const auth = request.headers.authorization;
  if (!auth) throw unauthenticated('the request is not signed (no Authorization header)');
  const params = parseAuthorization(auth);
  if (!params) throw unauthenticated('the Authorization header is not an OCI request signature');
  if (params.version !== undefined && params.version !== '1') throw unauthenticated('unsupported signature version');
  if ((params.algorithm ?? '').toLowerCase() !== 'rsa-sha256') throw unauthenticated('signature algorithm must be rsa-sha256');
  if (!params.keyId || !params.signature) throw unauthenticated('keyId and signature are required');
  const names = (params.headers ?? 'date').split(/\s+/).filter(Boolean).map((n) => n.toLowerCase());
  const has = (n: string): boolean => names.includes(n);
  if (!has('(request-target)') || !has('host')) throw unauthenticated('(request-target) and host must be signed');
  const dateHeader = has('x-date') ? 'x-date' : has('date') ? 'date' : undefined;
  if (!dateHeader) throw unauthenticated('x-date or date must be signed');
  const dateValue = request.headers[dateHeader];
  const date = typeof dateValue === 'string' ? Date.parse(dateValue) : NaN;
  if (Number.isNaN(date)) throw unauthenticated(`${dateHeader} is missing or not a date`);
  if (Math.abs(now - date) > MAX_CLOCK_SKEW_MS) {
    throw unauthenticated(`the request date is more than 5 minutes from the server time (${dateHeader}: ${dateValue})`);
  }
  const method = request.method.toUpperCase();
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    if (!has('x-content-sha256') || !has('content-length')) {
      throw unauthenticated('x-content-sha256 and content-length must be signed for requests with a body');
    }
    const digest = createHash('sha256').update(request.body).digest('base64');
    if (request.headers['x-content-sha256'] !== digest) throw unauthenticated('x-content-sha256 does not match the body');
  }
  // A session token past its `exp` is refused as OCI does (401 NotAuthenticated), whatever key it maps to.
  if (params.keyId.startsWith('ST$')) {
    const times = sessionTokenTimes(params.keyId.slice(3));
    if (times && times.expiresAt <= now) throw unauthenticated('the session token has expired');
  }
  // API keys and ST$<token> keyIds are both looked up verbatim: a session token maps to its session key.
  const key = registry.lookup(params.keyId);
  if (key === 'expired') throw unauthenticated('the session token has expired');
  if (!key) throw unauthenticated('the keyId is not registered (unknown tenancy, user or key fingerprint)');
  const text = signingString(method, request.url, names, request.headers);
  const ok = createVerify('RSA-SHA256').update(text).verify(key, params.signature, 'base64');
  if (!ok) throw unauthenticated('the signature does not verify');
  return params.keyId;
}

function unauthenticated(detail: string): ApiError {
  return new ApiError(401, 'NotAuthenticated', `The required information to complete authentication was not provided or was incorrect: ${detail}`);
}

/**
 * Signs a request as the TypeScript SDK does (§4): returns the headers to send (host, x-date, authorization,
 * and for POST/PUT content-type, content-length, x-content-sha256). For tests and tools.
 * @param opts.date override of x-date (e.g. a stale one); opts.body the exact bytes signed
 */
export function signRequest(opts: {
  method: string;
  url: URL;
  keyId: string;
  privateKeyPem: string;
  body?: string | Buffer;
  date?: Date;
}): Record<string, string> {
  const method = opts.method.toUpperCase();
  const body = Buffer.from(opts.body ?? '');
  const headers: Record<string, string> = {
    'x-date': (opts.date ?? new Date()).toUTCString(),
    host: opts.url.host,
  };
  const names = ['x-date', '(request-target)', 'host'];
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    headers['x-content-sha256'] = createHash('sha256').update(body).digest('base64');
    names.push('content-type', 'content-length', 'x-content-sha256');
  }
  const text = signingString(method, opts.url.pathname + opts.url.search, names, headers);
  const signature = createSign('RSA-SHA256').update(text).sign(opts.privateKeyPem, 'base64');
  headers.authorization =
    `Signature version="1",keyId="${opts.keyId}",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${signature}"`;
  return headers;
}
