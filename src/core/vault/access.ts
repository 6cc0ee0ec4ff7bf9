import type { Settings } from '../config/settings/index.js';
import type { AuthEnvironment, OciAuth, PassphraseLookup } from './auth.js';
import { VaultError } from '../errors.js';
import { describeExpiry, sessionTokenFix } from './session-token.js';
import { classifyOciError } from './classify.js';
import type { OciClients } from './clients.js';
import { listAll, type ListPage } from './pager.js';
import { createVaultPolicies, type CallHooks, type CallProfile, type VaultPolicies, type VaultPolicyOptions } from './policy.js';
import { withCallSignal } from './transport.js';

/**
 * The one way the program reaches OCI: lazily built SDK clients (auth, region, endpoint; clients.ts) plus the
 * call profiles of policy.ts. Every SDK call goes through `call` (one request under a profile's policy, its
 * AbortSignal attached to the HTTP request, failures classified into VaultError with our own message) or `list`
 * (every page through the pager, each page one `call`). Locator, bundle reader, admin writes, discovery and the
 * resolver are written on top of it; none of them builds a client or a retry loop of its own.
 */
export interface VaultAccess {
  /** The SDK clients, built on first use (loads the OCI SDK and reads the auth configuration). */
  clients(): Promise<VaultClients>;
  /** The policies (shared breaker) every call goes through. */
  readonly policies: VaultPolicies;
  /**
   * One OCI request.
   * @param profile `read` (retry + breaker), `readOnce`, `write` (no retry), `probe` (short, no retry)
   * @param what the object of the call for messages, e.g. "secret 'github-token'" (never a value)
   * @param request makes the SDK call with the clients
   * @throws VaultError (classified); ConfigError when the clients cannot be built (auth configuration)
   */
  call<T>(profile: CallProfile, what: string, request: (clients: VaultClients) => Promise<T>, hooks?: Omit<CallHooks, 'what'>): Promise<T>;
  /**
   * Every item of a paged OCI listing (pager.ts), each page one `call` under `profile`.
   * @throws VaultError, including a repeated page token
   */
  list<T>(
    profile: CallProfile,
    what: string,
    requestPage: (clients: VaultClients, page: string | undefined) => Promise<ListPage<T>>,
    hooks?: Omit<CallHooks, 'what'>,
  ): Promise<T[]>;
}

/** The SDK clients as the vault layer sees them (OciClients; tests pass structural fakes of the parts they use). */
export type VaultClients = Pick<OciClients, 'secrets' | 'vaults' | 'kmsVaults' | 'kmsManagement' | 'identity'> & { auth?: OciClients['auth'] };

/** Maps settings `resilience.*` onto the policy options (writes: at least 10 s; probes: at most 10 s). */
export function policyOptionsOf(settings: Settings): VaultPolicyOptions {
  const r = settings.resilience;
  return { timeoutMs: r.timeout_ms, retries: r.retries, breakerThreshold: r.breaker_threshold, breakerResetMs: r.breaker_reset_ms };
}

/**
 * Builds the access for `settings`.
 * @param args.env environment variables and home directory (auth: OCI_CLI_PASSPHRASE, `~/` in key paths)
 * @param args.policies shared policies (default: fresh ones from settings `resilience.*`)
 * @param args.clients SDK clients (default: createOciClients, imported and built on first use)
 * @param args.lookupPassphrase finds an encrypted key's passphrase (default: the OS keychain's `oci-passphrase:<profile>`)
 */
export function createVaultAccess(args: {
  settings: Settings;
  env: AuthEnvironment;
  policies?: VaultPolicies;
  clients?: () => Promise<VaultClients>;
  lookupPassphrase?: PassphraseLookup;
  /** clock for the session token's expiry (ms since the epoch; default Date.now) */
  now?: () => number;
}): VaultAccess {
  const now = args.now ?? Date.now;
  const policies = args.policies ?? createVaultPolicies(policyOptionsOf(args.settings));
  let clients: Promise<VaultClients> | undefined;
  const getClients = (): Promise<VaultClients> =>
    (clients ??= (async () => {
      if (args.clients) return args.clients();
      const { createOciClients } = await import('./clients.js');
      const lookupPassphrase = args.lookupPassphrase ?? (await import('../keychain.js')).lookupPassphraseFromKeychain;
      return createOciClients(args.settings, args.env, { lookupPassphrase });
    })());
  const call: VaultAccess['call'] = async (profile, what, request, hooks = {}) => {
    const c = await getClients();
    return policies.execute(
      profile,
      async (signal) => {
        try {
          return await withCallSignal(signal, () => request(c));
        } catch (err) {
          const failure = withSessionHint(classifyOciError(err, what), c.auth?.session, now());
          // A principal's session token the vault refuses (401) although our clock says it is valid (clock skew,
          // revocation): renew it once and repeat the request, inside this attempt (docs/principals.md).
          if (failure.kind !== 'auth' || failure.status !== 401 || !c.auth?.renew || signal?.aborted) throw failure;
          await c.auth.renew();
          try {
            return await withCallSignal(signal, () => request(c));
          } catch (again) {
            throw classifyOciError(again, what);
          }
        }
      },
      { ...hooks, what },
    );
  };
  return {
    clients: getClients,
    policies,
    call,
    list: (profile, what, requestPage, hooks) => listAll((page) => call(profile, what, (c) => requestPage(c, page), hooks), what),
  };
}

/**
 * A 401 under session_token auth is almost always an expired session token, not a bad API key: says when it
 * expired and names `oci session refresh` / `oci session authenticate` instead of the API-key advice.
 * @param session the auth's session facts (undefined for other methods: the error is returned as it is)
 */
export function withSessionHint(err: VaultError, session: OciAuth['session'], now: number): VaultError {
  if (err.kind !== 'auth' || !session) return err;
  const expiry = session.times ? `; the session token of profile ${session.profile} ${describeExpiry(session.times, now)}` : '';
  return new VaultError(`${err.message}${expiry}`, { kind: 'auth', status: err.status, hint: sessionTokenFix(session.profile, session.times, now), cause: err.cause });
}
