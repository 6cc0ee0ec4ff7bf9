/**
 * Principals: credentials the platform gives a workload, signed as keyId `ST$<session token>` with a session key
 * (reference/oci-api.md §4 rule 6).
 *  - instance_principal: oci-common's InstancePrincipalsAuthenticationDetailsProviderBuilder (instance metadata
 *    service v2 at 169.254.169.254 for the identity certificate, X.509 federation for the token), with
 *    `auth.federation_endpoint` when set.
 *  - resource_principal: oci-common's v2.2 provider (OCI_RESOURCE_PRINCIPAL_* variables; a file RPST is re-read
 *    when it expires).
 *  - oke_workload_identity: our own provider (OkeWorkloadIdentity below). oci-common's does not work on our
 *    runtimes: it passes its custom-CA `https.Agent` to fetch, which Node ≥ 18's native fetch and Bun's fetch
 *    ignore (oracle/oci-typescript-sdk#416), and it reads the service-account token once at build time (#337),
 *    so it fails after Kubernetes rotates it. Ours requests the token with node:https and the CA in `ca` (works in
 *    Node and Bun; verification stays on), and re-reads the token file on every refresh.
 * All three go through `SessionTokenSigner`, which refreshes the token once it has expired on *our* clock (an
 * injectable `now`), so a long-running process never sends an expired token and tests need not wait.
 */
import { generateKeyPair, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import type { AuthenticationDetailsProvider } from 'oci-common';
import type { Settings } from '../config/settings/index.js';
import { VaultError } from '../errors.js';
import { carry } from './carried-error.js';
import type { AuthEnvironment, OciAuth } from './auth.js';

/** What a principal's session token says about who we are (never the token itself). */
export interface PrincipalIdentity {
  /** `instance`, `resource` (RPST: Functions, OKE workloads…) */
  principalType: string;
  /** the instance / resource OCID (claim `sub`, `res_id` or `opc-instance`) */
  principalId?: string;
  tenancyId?: string;
  compartmentId?: string;
  /** when the current session token expires */
  expiresAt?: Date;
}

/** A source of session tokens (without the `ST$` prefix) and the private key each is bound to. */
export interface SessionTokenSource {
  /** The cached token, fetching one if there is none. */
  current(): Promise<string>;
  /** A new token (new session key), whatever the cached one's state. */
  refresh(): Promise<string>;
  /** PEM of the session key the current token is bound to. */
  privateKey(): string;
}

/** Claims of a JWT (not verified: we only read what the issuer told us), or {} when unreadable. */
export function tokenClaims(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The identity a session token names (OCI claim names: instance tokens `opc-*`, RPSTs `res_*`). */
export function identityOf(token: string): PrincipalIdentity {
  const c = tokenClaims(token);
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
  return {
    principalType: str('ptype') ?? 'unknown',
    principalId: str('res_id') ?? str('opc-instance') ?? str('sub'),
    tenancyId: str('res_tenant') ?? str('opc-tenant') ?? str('tenant'),
    compartmentId: str('res_compartment') ?? str('opc-compartment'),
    expiresAt: typeof c.exp === 'number' ? new Date(c.exp * 1000) : undefined,
  };
}

/**
 * An AuthenticationDetailsProvider over a SessionTokenSource: keyId `ST$<token>`, refreshed when the token has
 * expired (or is within a tenth of its life, at most 60 s, of expiring) on the injected clock. Concurrent
 * requests share one refresh.
 */
export class SessionTokenSigner implements AuthenticationDetailsProvider {
  private refreshing?: Promise<string>;
  private fetching?: Promise<string>;

  constructor(
    private readonly source: SessionTokenSource,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `ST$<token>`, refreshing an expired token first.
   * @throws VaultError (carried through the SDK, carried-error.ts): the source's, or kind `auth` for an SDK
   *   provider's failure to renew
   */
  async getKeyId(): Promise<string> {
    try {
      // concurrent first requests share one token request (oci-common's X509FederationClient would make one each)
      let token = await (this.fetching ??= this.source.current().finally(() => (this.fetching = undefined)));
      if (this.expired(token)) {
        this.refreshing ??= this.source.refresh().finally(() => (this.refreshing = undefined));
        token = await this.refreshing;
      }
      return `ST$${token}`;
    } catch (err) {
      throw carry(
        err instanceof VaultError
          ? err
          : new VaultError('could not obtain a session token for the principal', {
              kind: 'auth',
              cause: err,
              hint: 'run `docker vaultmcp doctor`; check the principal\'s token endpoint (auth.federation_endpoint) and network',
            }),
      );
    }
  }

  /**
   * Gets a new token now, whatever our clock says (the vault answered 401: its clock, or a revocation, says the
   * token is no longer good). Concurrent callers share one renewal.
   */
  async renew(): Promise<void> {
    try {
      await (this.refreshing ??= this.source.refresh().finally(() => (this.refreshing = undefined)));
    } catch (err) {
      throw carry(err instanceof VaultError ? err : new VaultError('could not renew the principal\'s session token', { kind: 'auth', cause: err }));
    }
  }

  /**
   * Starts getting a token now, so the token request overlaps with loading the SDK clients; the first signed
   * request waits for it (a failure is reported by that request, not here).
   */
  prefetch(): void {
    this.getKeyId().catch(() => undefined);
  }

  getPrivateKey(): string {
    return this.source.privateKey();
  }

  getPassphrase(): string | null {
    return null;
  }

  /** Who the current token names (fetches one if needed). */
  async identity(): Promise<PrincipalIdentity> {
    return identityOf((await this.getKeyId()).slice(3));
  }

  private expired(token: string): boolean {
    const { exp, iat } = tokenClaims(token);
    if (typeof exp !== 'number') return false;
    const life = typeof iat === 'number' && exp > iat ? (exp - iat) * 1000 : 600_000;
    return this.now() >= exp * 1000 - Math.min(60_000, life / 10);
  }
}

/** A SessionTokenSource over one of oci-common's requesting providers (instance or resource principal). */
export function sdkTokenSource(provider: AuthenticationDetailsProvider & { refresh?: () => Promise<string> }): SessionTokenSource {
  return {
    current: async () => (await provider.getKeyId()).replace(/^ST\$/, ''),
    refresh: async () => (provider.refresh ? (await provider.refresh()).replace(/^ST\$/, '') : (await provider.getKeyId()).replace(/^ST\$/, '')),
    privateKey: () => provider.getPrivateKey(),
  };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A session key supplier for oci-common's X509FederationClient (its SessionKeySupplier shape: `getKeyPair()` →
 * `{getPublic(), getPrivate()}` PEM, `refreshKeys()`). The SDK's own generates an RSA 2048 key in its constructor
 * and another in the `refreshKeys()` that precedes the first token request, each 100–400 ms on a loaded 2-core
 * machine (bench/RESULTS.md). This one generates the first key asynchronously (`ready`) and lets the first
 * `refreshKeys()` keep it, since no token was ever bound to it; later refreshes make a new key as the SDK does.
 */
export class PrefetchedSessionKeys {
  private pair?: { publicKey: string; privateKey: string };
  private unused = true;
  /** resolves when the first key exists; await it before the first token request */
  readonly ready: Promise<void>;

  constructor() {
    this.ready = generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).then((p) => {
      this.pair = { publicKey: p.publicKey as unknown as string, privateKey: p.privateKey as unknown as string };
    });
  }

  getKeyPair(): { getPublic(): string; getPrivate(): string } {
    const pair = this.pair;
    if (!pair) throw new Error('session key not generated yet');
    return { getPublic: () => pair.publicKey, getPrivate: () => pair.privateKey };
  }

  refreshKeys(): void {
    if (this.unused && this.pair) {
      this.unused = false;
      return;
    }
    const p = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    this.pair = { publicKey: p.publicKey, privateKey: p.privateKey };
  }
}

/** A new RSA 2048 session key pair: public SPKI DER, private PKCS#8 PEM (as oci-common's SessionKeySupplierImpl). */
async function newSessionKeyPair(): Promise<{ publicKey: Buffer; privateKey: string }> {
  const pair = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: pair.publicKey as unknown as Buffer, privateKey: pair.privateKey as unknown as string };
}

/** Where OKE workload identity gets its token. */
export interface OkeWorkloadIdentityOptions {
  /** proxymux base URL, e.g. https://10.96.0.1:12250 (`/resourcePrincipalSessionTokens` is appended) */
  endpoint: string;
  /** the pod's service-account token file (re-read on every refresh) */
  tokenFile: string;
  /** the CA certificate (PEM) that signs the proxymux's TLS certificate; trusted besides the system roots */
  caFile: string;
  /** per token request, ms (default 10 000) */
  timeoutMs?: number;
}

/**
 * OKE workload identity's token source (see the module comment for why not oci-common's). One refresh:
 * a new RSA 2048 session key; the service-account token and CA read from their files now; `POST
 * <endpoint>/resourcePrincipalSessionTokens` with `Authorization: Bearer <sa token>` and `{"podKey": <base64 SPKI>}`
 * over HTTPS verified against the system roots plus the CA; the answer is base64 of `{"token": "ST$<RPST>"}`
 * (oci-common X509FederationClientForOkeWorkloadIdentity).
 * @throws VaultError kind `auth` for an unreadable token or CA file, an untrusted TLS certificate, a rejected
 *   service-account token (401/403) or an unusable answer; kind `network` / `timeout` / `server` when the
 *   endpoint cannot be reached, does not answer in time or fails (5xx). Messages never contain a token.
 */
export class OkeWorkloadIdentity implements SessionTokenSource {
  private token?: string;
  private key?: string;
  private inflight?: Promise<string>;

  private constructor(private readonly o: OkeWorkloadIdentityOptions) {}

  /**
   * A source with a first session key ready: the SDK's request signer reads the private key when a client is
   * constructed, before any token exists. The first token request is bound to that key; later ones to new keys.
   */
  static async create(o: OkeWorkloadIdentityOptions): Promise<OkeWorkloadIdentity> {
    const source = new OkeWorkloadIdentity(o);
    source.nextPair = newSessionKeyPair();
    source.key = (await source.nextPair).privateKey;
    return source;
  }

  private nextPair?: Promise<{ publicKey: Buffer; privateKey: string }>;

  async current(): Promise<string> {
    return this.token ?? this.refresh();
  }

  privateKey(): string {
    return this.key!;
  }

  refresh(): Promise<string> {
    return (this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined)));
  }

  private async fetchToken(): Promise<string> {
    const read = async (file: string, what: string, setting: string): Promise<string> => {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        throw new VaultError(`cannot read the ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
          kind: 'auth',
          hint: `run inside an OKE pod with workload identity, or set ${setting}`,
        });
      }
    };
    const pairP = this.nextPair ?? newSessionKeyPair();
    this.nextPair = undefined;
    const [saToken, ca, pair] = await Promise.all([
      read(this.o.tokenFile, 'Kubernetes service-account token', 'auth.oke_token_file'),
      read(this.o.caFile, 'Kubernetes CA certificate', 'auth.oke_ca_file'),
      pairP,
    ]);
    const url = new URL(`${this.o.endpoint.replace(/\/+$/, '')}/resourcePrincipalSessionTokens`);
    const body = JSON.stringify({ podKey: pair.publicKey.toString('base64') });
    const { status, text } = await postJson(url, body, {
      authorization: `Bearer ${saToken.trim()}`,
      'opc-request-id': randomUUID().replace(/-/g, '').toUpperCase(),
    }, [...rootCertificates, ca], this.o.timeoutMs ?? 10_000);
    if (status === 401 || status === 403) {
      throw new VaultError(`the OKE token endpoint rejected the service-account token (${status})`, {
        kind: 'auth',
        status,
        hint: 'check the pod\'s service account and the workload identity policy; auth.oke_token_file must be the projected token',
      });
    }
    if (status !== 200) {
      throw new VaultError(`the OKE token endpoint failed (${status})`, { kind: status >= 500 ? 'server' : 'auth', status, hint: `check ${url.origin}` });
    }
    let token: unknown;
    try {
      token = (JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8')) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !token.startsWith('ST$') || token.length < 4) {
      throw new VaultError('the OKE token endpoint sent an answer that is not a session token', { kind: 'auth', hint: `check ${url.origin}` });
    }
    this.key = pair.privateKey;
    this.token = token.slice(3);
    return this.token;
  }
}

/** TLS error codes that mean "the server's certificate is not trusted for this name". */
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED', 'CERT_REJECTED',
]);

/** One HTTPS POST with certificate verification against `ca` (never disabled). @throws VaultError */
function postJson(url: URL, body: string, headers: Record<string, string>, ca: string[], timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'https:') {
      reject(new VaultError(`the OKE token endpoint must be https, not ${url.protocol}`, { kind: 'config', hint: 'fix auth.federation_endpoint' }));
      return;
    }
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        ca,
        rejectUnauthorized: true,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => reject(new VaultError(`the OKE token endpoint ${url.origin} closed the connection`, { kind: 'network' })));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.name;
      if (code && TLS_TRUST_CODES.has(code)) {
        reject(new VaultError(`the TLS certificate of the OKE token endpoint ${url.origin} is not trusted (${code})`, {
          kind: 'auth',
          hint: 'auth.oke_ca_file must be the cluster CA that signed it (default /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)',
        }));
      } else if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        reject(new VaultError(`the OKE token endpoint ${url.origin} did not answer in time`, { kind: 'timeout' }));
      } else {
        reject(new VaultError(`cannot reach the OKE token endpoint ${url.origin} (${code ?? 'error'})`, {
          kind: 'network',
          hint: 'check KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT_PROXYMUX or auth.federation_endpoint',
        }));
      }
    });
    req.end(body);
  });
}

/** The default proxymux port of OKE (oci-python-sdk's `OkeWorkloadIdentityResourcePrincipalSigner`). */
export const DEFAULT_PROXYMUX_PORT = '12250';

/**
 * Builds the signer of a principal method (`instance_principal`, `resource_principal`, `oke_workload_identity`).
 * Region: `vault.region`, else what the principal knows (the metadata service's, OCI_RESOURCE_PRINCIPAL_REGION).
 * @param common the loaded oci-common module
 * @param env variables (OKE: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT_PROXYMUX, OCI_RESOURCE_PRINCIPAL_REGION)
 *   and the clock token expiry is judged by
 * @throws VaultError kind `auth` when the principal cannot be obtained (not on an OCI instance, no RP variables,
 *   no OKE endpoint), with a hint naming the fix
 */
export async function createPrincipalAuth(
  common: typeof import('oci-common'),
  settings: Settings,
  env: AuthEnvironment,
): Promise<OciAuth> {
  const method = settings.auth.method;
  const vars = env.env;
  let source: SessionTokenSource;
  let region = settings.vault.region;
  try {
    if (method === 'instance_principal') {
      const builder = new common.InstancePrincipalsAuthenticationDetailsProviderBuilder();
      if (settings.auth.federation_endpoint) builder.federationEndpoint = settings.auth.federation_endpoint;
      // the session key is generated off the main thread while the metadata service is asked for the certificates
      const keys = new PrefetchedSessionKeys();
      builder.sessionKeySupplier = keys as never;
      const [provider] = await Promise.all([builder.build(), keys.ready]);
      region ??= (provider as unknown as { getRegion?: () => { regionId?: string } | undefined }).getRegion?.()?.regionId ?? (await metadataRegion(common));
      source = sdkTokenSource(provider as never);
    } else if (method === 'resource_principal') {
      const provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
      region ??= (provider as unknown as { getRegion?: () => { regionId?: string } | undefined }).getRegion?.()?.regionId;
      source = sdkTokenSource(provider as never);
    } else {
      let endpoint = settings.auth.federation_endpoint;
      if (!endpoint) {
        const host = vars.KUBERNETES_SERVICE_HOST;
        if (!host) throw new Error('no KUBERNETES_SERVICE_HOST');
        endpoint = `https://${host.includes(':') ? `[${host}]` : host}:${vars.KUBERNETES_SERVICE_PORT_PROXYMUX || DEFAULT_PROXYMUX_PORT}`;
      }
      region ??= vars.OCI_RESOURCE_PRINCIPAL_REGION ? common.Region.getRegionIdFromShortCode(vars.OCI_RESOURCE_PRINCIPAL_REGION) : undefined;
      source = await OkeWorkloadIdentity.create({
        endpoint,
        tokenFile: settings.auth.oke_token_file ?? '/var/run/secrets/kubernetes.io/serviceaccount/token',
        caFile: settings.auth.oke_ca_file ?? '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      });
    }
  } catch (err) {
    if (err instanceof VaultError) throw err;
    const hints: Record<string, string> = {
      instance_principal: 'run on an OCI instance in a dynamic group with a policy allowing secret-bundle reads (auth.federation_endpoint for private realms), or use auth.method api_key',
      resource_principal: 'set OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and the other OCI_RESOURCE_PRINCIPAL_* variables',
      oke_workload_identity: 'run in an OKE pod (KUBERNETES_SERVICE_HOST is set there) or set auth.federation_endpoint to the proxymux URL',
    };
    throw new VaultError(`could not obtain ${method.replace(/_/g, ' ')} credentials`, { kind: 'auth', cause: err, hint: hints[method] });
  }
  const signer = new SessionTokenSigner(source, env.now);
  signer.prefetch();
  return { provider: signer, region, description: method, identity: () => signer.identity(), renew: () => signer.renew() };
}

/**
 * The instance's region from the metadata service (`/opc/v2/instance/canonicalRegionName`), for when a
 * federation endpoint is configured (then the SDK does not ask). Undefined when it does not answer in 5 s.
 */
async function metadataRegion(common: typeof import('oci-common')): Promise<string | undefined> {
  try {
    const res = await fetch('http://169.254.169.254/opc/v2/instance/canonicalRegionName', {
      headers: { authorization: 'Bearer Oracle' },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return undefined;
    const text = (await res.text()).trim();
    return text ? common.Region.getRegionIdFromShortCode(text) : undefined;
  } catch {
    return undefined;
  }
}
