import { processEnvironment, type ProcessEnvironment } from './context.js';
import { ExitCode, VaultMcpError } from './errors.js';
import type { PassphraseLookup } from './vault/auth.js';

/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Linux Secret Service via D-Bus), through
 * @napi-rs/keyring 2.1.2, loaded lazily so a missing or broken native addon only affects keychain users.
 * Every item lives under the service `docker-vaultmcp`; accounts in use:
 *   `cache-key`               base64 of the 32-byte cache key (cache.ts)
 *   `oci-passphrase:<profile>` passphrase of an encrypted OCI API key (setup writes it, auth reads it)
 * On Linux entries are pinned to the Secret Service store: the addon would otherwise fall back to the kernel
 * keyutils store, which is memory-only (lost at logout) and fails in the default session keyring
 * (reference/packaging.md "Keychain on headless Linux").
 */
export const KEYCHAIN_SERVICE = 'docker-vaultmcp';
export const CACHE_KEY_ACCOUNT = 'cache-key';

/** Account of the passphrase of an encrypted API key for an OCI config profile. */
export function passphraseAccount(profile: string): string {
  return `oci-passphrase:${profile}`;
}

/** The keychain could not be used; `reason` says which failure mode, `hint` names the fix. Exit 1. */
export class KeychainError extends VaultMcpError {
  readonly reason: KeychainFailure;
  constructor(message: string, reason: KeychainFailure, hint: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.FAILURE, hint, cause });
    this.reason = reason;
  }
}

/** Failure modes of packaging.md's table, plus a missing addon. */
export type KeychainFailure = 'no_dbus' | 'busy' | 'no_secret_service' | 'no_collection' | 'locked' | 'addon' | 'other';

/** Result of `Keychain.status()`. */
export interface KeychainStatus {
  /** True when items can be read and written now. */
  available: boolean;
  /** True when the keychain exists but is locked (or its unlock prompt was dismissed). */
  locked: boolean;
  /** One line, e.g. "Secret Service (D-Bus) is reachable and unlocked". */
  detail: string;
  /** How to fix it when not available. */
  hint?: string;
  reason?: KeychainFailure;
}

/** Keychain access for our service; every method may take ~10–20 ms (a D-Bus round trip on Linux). */
export interface Keychain {
  /**
   * @param options.fresh read the keychain itself, past any copy of the item (and renew the copy)
   * @returns the stored text, or undefined when there is no such item
   * @throws KeychainError when the keychain cannot be used (no D-Bus, locked…)
   */
  get(account: string, options?: { fresh?: boolean }): Promise<string | undefined>;
  /** Stores `value` (replacing any). @throws KeychainError */
  set(account: string, value: string): Promise<void>;
  /** @returns true when an item was deleted, false when there was none. @throws KeychainError */
  delete(account: string): Promise<boolean>;
  /** Probes the keychain (writes and deletes a probe item); never throws. */
  status(): Promise<KeychainStatus>;
}

type AddonEntry = {
  getPassword(): Promise<string | null>;
  setPassword(p: string): Promise<void>;
  deleteCredential(): Promise<boolean>;
};

/** The part of @napi-rs/keyring we use (tests pass a fake). */
export interface KeyringAddon {
  AsyncEntry: new (service: string, account: string, options?: { linux?: { store: 'secret-service' } }) => AddonEntry;
}

/**
 * Delays before retrying a keychain call that met a busy bus (ms; jitter of up to half of each is added). Under
 * 100 concurrent launches the session bus refuses some connections for a moment (EAGAIN); a retry gets through.
 */
export const BUSY_RETRY_DELAYS_MS = [20, 50, 100, 200, 400] as const;
/**
 * No retry starts later than this after the first attempt, ms: a loaded Secret Service answers "Did not receive a
 * reply" only after seconds (measured: 2.5–6 s with 60 launches at once on 2 cores), and a launch must not wait
 * for the keychain much longer than that (the cache is then off for the run, with the bus's error in the notice).
 */
export const BUSY_RETRY_BUDGET_MS = 5000;

/**
 * Opens the keychain. Loading the native addon happens here (first call only); if it fails, every method
 * throws KeychainError `addon` and `status()` reports it. A call that meets a busy D-Bus (connection refused for
 * the moment, no reply in time, limits exceeded) is retried {@link BUSY_RETRY_DELAYS_MS}; only then does it fail,
 * as `busy` with the bus's own error in the message, never as "no D-Bus".
 * @param options.platform defaults to process.platform (tests)
 * @param options.addon the keyring addon (tests); default @napi-rs/keyring, imported here
 * @param options.sleep waits between retries (tests); default setTimeout
 * @param options.now monotonic clock in ms for the retry budget (tests); default performance.now
 * @param options.processEnv the environment the D-Bus fallback reads and sets (tests); default this process's
 */
export async function openKeychain(
  options: { platform?: NodeJS.Platform; addon?: KeyringAddon; sleep?: (ms: number) => Promise<void>; now?: () => number; processEnv?: ProcessEnvironment } = {},
): Promise<Keychain> {
  const platform = options.platform ?? process.platform;
  // Started by an MCP client, we get no DBUS_SESSION_BUS_ADDRESS: find the user bus first (core/session-bus.ts).
  if (platform === 'linux' && process.platform === 'linux') await useUserSessionBus(options.processEnv ?? processEnvironment());
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let addon: KeyringAddon | undefined = options.addon;
  let loadError: unknown;
  if (!addon) {
    try {
      addon = (await import('@napi-rs/keyring')) as unknown as KeyringAddon;
    } catch (err) {
      loadError = err;
    }
  }
  const entry = (account: string): AddonEntry => {
    if (!addon) throw classifyKeychainError(loadError, true);
    try {
      const opts = platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
      return new addon.AsyncEntry(KEYCHAIN_SERVICE, account, opts);
    } catch (err) {
      throw classifyKeychainError(err);
    }
  };
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
    const started = now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = err instanceof KeychainError ? err : classifyKeychainError(err);
        const delay = BUSY_RETRY_DELAYS_MS[attempt];
        if (e.reason !== 'busy' || delay === undefined || now() - started + delay > BUSY_RETRY_BUDGET_MS) throw e;
        await sleep(delay + Math.random() * (delay / 2));
      }
    }
  };
  const keychain: Keychain = {
    get: (account) => guarded(async () => (await entry(account).getPassword()) ?? undefined),
    set: (account, value) => guarded(() => entry(account).setPassword(value)),
    delete: (account) => guarded(() => entry(account).deleteCredential()),
    async status() {
      const name = platform === 'linux' ? 'Secret Service (D-Bus)' : platform === 'darwin' ? 'macOS Keychain' : 'Windows Credential Manager';
      try {
        // a read alone succeeds on a bus whose keyring has no default collection; a write proves it works
        await keychain.set('status-probe', 'ok');
        await keychain.delete('status-probe');
        return { available: true, locked: false, detail: `${name} is reachable and unlocked` };
      } catch (err) {
        const e = err instanceof KeychainError ? err : classifyKeychainError(err);
        return { available: false, locked: e.reason === 'locked', detail: e.message, hint: e.hint, reason: e.reason };
      }
    },
  };
  return keychain;
}

const CACHE_KEY_FALLBACK = 'or set VAULTMCP_CACHE_KEY to a base64 32-byte key (e.g. `openssl rand -base64 32`)';

/**
 * Maps what @napi-rs/keyring throws to a KeychainError with a one-line message and a fix. Messages seen
 * (reference/packaging.md table, re-checked with 2.1.2 pinned to secret-service):
 * - no session bus: "Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled…" or
 *   "…Failed to connect to socket …"
 * - bus without a Secret Service: "…org.freedesktop.secrets was not provided by any .service files"
 * - gnome-keyring without a login collection: "Couldn't access platform storage: Secret Service: no result found"
 * - locked, prompt impossible: "Secret Service: unlock prompt was dismissed"
 * - a busy bus (100 launches at once): "…Failed to connect to socket …: Resource temporarily unavailable",
 *   "…Did not receive a reply…", "…LimitsExceeded…": `busy` (retried by openKeychain), never "no D-Bus".
 * For `busy`, `no_dbus` and `other` the bus's own error (one line, at most 160 characters; it names sockets and
 * D-Bus errors, never an item's value) is kept in the message, so a notice says what really happened.
 */
export function classifyKeychainError(err: unknown, addonMissing = false): KeychainError {
  if (err instanceof KeychainError) return err;
  const text = String((err as { message?: unknown })?.message ?? err ?? '');
  if (addonMissing || /Cannot find native binding|ERR_DLOPEN|Cannot find module|ERR_MODULE_NOT_FOUND/i.test(text)) {
    return new KeychainError(
      'the keychain module could not be loaded',
      'addon',
      `reinstall docker vaultmcp for this platform; if TMPDIR is mounted noexec, point TMPDIR at an exec-allowed directory; ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  if (/Resource temporarily unavailable|EAGAIN|timed out|Timeout|NoReply|Did not receive a reply|LimitsExceeded|maximum number of|Too many|interrupted/i.test(text)) {
    return new KeychainError(
      `the D-Bus session bus is busy (${busText(text)})`,
      'busy',
      `try again; with many launches at once this passes; ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  if (/autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket|Connection refused|No such file or directory|DBus error: .*(connect|address)/i.test(text)) {
    return new KeychainError(
      `no D-Bus session bus, so the Secret Service keychain is unreachable (${busText(text)})`,
      'no_dbus',
      `run inside a desktop session, or start one with \`dbus-run-session -- sh\` plus \`gnome-keyring-daemon --unlock\`; ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  if (/org\.freedesktop\.secrets|ServiceUnknown|not provided by any|NameHasNoOwner/i.test(text)) {
    return new KeychainError(
      'no Secret Service on the D-Bus session bus',
      'no_secret_service',
      `install and start a keyring (e.g. \`apt-get install gnome-keyring\` or KeePassXC with Secret Service enabled); ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  if (/locked|unlock|prompt|dismissed/i.test(text)) {
    return new KeychainError(
      'the keychain is locked',
      'locked',
      `unlock it (log in to the desktop, or \`echo -n PASSWORD | gnome-keyring-daemon --replace --unlock\`); ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  if (/no result found|Object does not exist|no such object|collection/i.test(text)) {
    return new KeychainError(
      'the Secret Service has no default keyring (login collection)',
      'no_collection',
      `create and unlock one (start \`gnome-keyring-daemon --unlock\` in the session, or open Seahorse); ${CACHE_KEY_FALLBACK}`,
      err,
    );
  }
  return new KeychainError(`the OS keychain failed (${busText(text)})`, 'other', `check the keychain with \`docker vaultmcp doctor\`; ${CACHE_KEY_FALLBACK}`, err);
}

/** The addon's error text for a message: one line, printable, at most 160 characters. */
function busText(text: string): string {
  const line = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'no details';
}

/**
 * Points libdbus at the user's session bus (`$XDG_RUNTIME_DIR/bus`, else `/run/user/UID/bus`) when this process has
 * no DBUS_SESSION_BUS_ADDRESS, before the addon connects. Never throws; without a bus the keychain reports `no_dbus`.
 */
async function useUserSessionBus(proc: ProcessEnvironment): Promise<void> {
  const { sessionBusFallback, setNativeEnv } = await import('./session-bus.js');
  const address = sessionBusFallback({ env: proc.env, uid: proc.uid });
  if (address) await setNativeEnv(proc.env, 'DBUS_SESSION_BUS_ADDRESS', address);
}

let shared: Promise<Keychain> | undefined;

/**
 * One keychain per process (the addon loads once). On Linux, in the executable, the cache key is read from its
 * copy in the kernel keyring when there is one (core/kernel-keyring.ts): a cache hit then neither loads the addon
 * nor talks to D-Bus. The Secret Service stays the source of truth (see {@link withCacheKeyCopy}).
 */
export function sharedKeychain(): Promise<Keychain> {
  return (shared ??= openSharedKeychain());
}

async function openSharedKeychain(): Promise<Keychain> {
  const copy = process.platform === 'linux' ? await cacheKeyCopy(processEnvironment()) : undefined;
  if (!copy) return openKeychain();
  let real: Promise<Keychain> | undefined;
  return withCacheKeyCopy(() => (real ??= openKeychain()), copy);
}

/** Where the cache key's kernel copy for this process's Secret Service is, or undefined when there is none to use. */
async function cacheKeyCopy(proc: ProcessEnvironment): Promise<CacheKeyCopy | undefined> {
  const [{ openKernelKeyring, cacheKeyCopyDescription }, { sessionBusFallback }] = await Promise.all([
    import('./kernel-keyring.js'),
    import('./session-bus.js'),
  ]);
  const ring = await openKernelKeyring();
  const bus = proc.env.DBUS_SESSION_BUS_ADDRESS || sessionBusFallback({ env: proc.env, uid: proc.uid });
  if (!ring || !bus || proc.uid < 0) return undefined;
  const description = cacheKeyCopyDescription(proc.uid, bus);
  return { read: () => ring.read(description), write: (v) => void ring.write(description, v), remove: () => ring.remove(description) };
}

/** The cache key's copy outside the keychain (the kernel keyring); every method is quick and never throws. */
export interface CacheKeyCopy {
  read(): string | undefined;
  write(value: string): void;
  remove(): void;
}

/**
 * A keychain whose {@link CACHE_KEY_ACCOUNT} reads are answered from `copy` when it has the key, and otherwise
 * (or when asked for a `fresh` read) from the keychain `open` gives (opened only then), writing what it read into
 * `copy`. Writing or deleting the cache key removes the copy first (the next read copies the keychain's value
 * again); other accounts go to the keychain untouched. A copy that went stale (the item was changed by something
 * else: the npm package under Node, a keyring tool) is caught by the cache's key check (cache/secret-cache.ts).
 */
export function withCacheKeyCopy(open: () => Promise<Keychain>, copy: CacheKeyCopy): Keychain {
  return {
    async get(account, options) {
      if (account !== CACHE_KEY_ACCOUNT) return (await open()).get(account);
      const copied = options?.fresh ? (copy.remove(), undefined) : copy.read();
      if (copied) return copied;
      const value = await (await open()).get(account);
      if (value) copy.write(value);
      return value;
    },
    async set(account, value) {
      if (account === CACHE_KEY_ACCOUNT) copy.remove();
      await (await open()).set(account, value);
    },
    async delete(account) {
      if (account === CACHE_KEY_ACCOUNT) copy.remove();
      return (await open()).delete(account);
    },
    async status() {
      return (await open()).status();
    },
  };
}

/**
 * PassphraseLookup for `createOciClients`: the `oci-passphrase:<profile>` item, or undefined when there is none
 * or the keychain is unusable (auth then falls back to OCI_CLI_PASSPHRASE or reports a missing passphrase).
 */
export const lookupPassphraseFromKeychain: PassphraseLookup = async (profile) => {
  try {
    return await (await sharedKeychain()).get(passphraseAccount(profile));
  } catch {
    return undefined;
  }
};
