import path from 'node:path';
import { openBreakerState, type BreakerStateStore } from '../vault/breaker-state.js';
import { isPrivateDir } from '../private-dir.js';
import { openSecretCacheDetailed, type CachedSecret, type SecretCache } from '../cache/secret-cache.js';
import type { AppContext } from '../context.js';
import { ConfigError, ResolutionError, VaultError, type VaultFailureKind } from '../errors.js';
import type { Keychain } from '../keychain.js';
import type { VaultAccess, VaultClients } from '../vault/access.js';
import type { FetchedSecretBundle } from '../vault/bundle-reader.js';
import { mapBounded } from '../map-bounded.js';
import type { VaultPolicies, VaultPolicyOptions } from '../vault/policy.js';
import type { SecretRef } from '../vault/refs.js';
import type { SecretSpec } from '../config/services/index.js';
import type { Settings } from '../config/settings/index.js';

/**
 * Resolution of a launch's secrets: all specs in parallel (at most `resilience.concurrency` at once), the same
 * reference fetched once, each through cache → vault (timeout → retry → circuit breaker, resilience.ts) → cache.
 *
 * Cache policy (cache.ts for the format):
 * - entry younger than `cache.ttl` s: served, no vault call, and the OCI SDK is not even loaded;
 * - otherwise the vault is asked; on success the entry is rewritten;
 * - the vault failing transiently (429, 5xx, network, timeout) or the breaker open: an entry younger than
 *   `cache.max_stale` s is served, with a warning naming the variable, reference and age; when such a copy exists
 *   the vault gets ONE attempt (no retries), so a hanging vault delays the launch by at most `timeout_ms`;
 * - 401/403/404 from the vault: the entry is purged (revocation sticks) and the secret fails;
 * - `offline`: cache only (any entry up to max_stale); `refresh`: no cache reads, results still written.
 */
export type SecretSource = 'vault' | 'cache' | 'stale';

export interface ResolvedSecret {
  envVar: string;
  reference: string;
  /** The secret text (UTF-8). */
  value: string;
  source: SecretSource;
  secretId?: string;
  versionNumber?: number;
  stages?: string[];
  /** Vault requests made for it (0 when served from cache). */
  attempts: number;
  /** Time to resolve it, ms. */
  ms: number;
  /** Age of the cache entry served, ms (source cache/stale). */
  ageMs?: number;
}

export interface ResolveFailure {
  envVar: string;
  reference: string;
  required: boolean;
  error: VaultError;
  attempts: number;
  ms: number;
}

/** Totals of one `resolve` (the prototype's metrics, reference/prior-python-resolver.md §7, with retries counted). */
export interface ResolveMetrics {
  /** Secrets read from the vault successfully (per distinct reference). */
  secretsFetched: number;
  /** Fresh cache entries served without a vault call. */
  cacheHits: number;
  /** Lookups that found no fresh entry (cache enabled, not --refresh). */
  cacheMisses: number;
  /** Expired entries served because the vault failed (or --offline). */
  staleServed: number;
  /** Vault requests repeated after a transient failure. */
  retries: number;
  /** Times the circuit breaker opened, plus fetches it refused because it was open. */
  breakerOpens: number;
  /** Wall time of the whole resolution, ms. */
  totalMs: number;
}

export interface ResolutionReport {
  /** One per spec that resolved, in spec order. */
  secrets: ResolvedSecret[];
  /** One per spec that did not (required or optional). */
  failures: ResolveFailure[];
  metrics: ResolveMetrics;
  /** Lines for stderr: stale copies served, optional secrets left out, cache unavailable. Never contain values. */
  warnings: string[];
}

export interface ResolveOptions {
  /** Cache only: no vault call; a secret with no cached copy (up to max_stale old) fails (exit 3). */
  offline?: boolean;
  /** Skip cache reads (always ask the vault); results are still written. */
  refresh?: boolean;
  /**
   * Return as soon as the values are known and write their cache entries in the background (`run`: the server need
   * not wait for the disk); `close()` and the next `resolve` wait for those writes. Default: written before returning.
   */
  deferCacheWrites?: boolean;
  /** Progress for `--verbose`: per-secret timing, attempts, retries, breaker changes. Must not throw. */
  onEvent?: (e: ResolverEvent) => void;
}

/** Events of a resolution (no values in any of them). */
export type ResolverEvent =
  | { type: 'cache'; reference: string; outcome: 'fresh' | 'stale' | 'expired' | 'miss'; ageMs?: number }
  | { type: 'sdk_loaded'; ms: number }
  | { type: 'attempt'; reference: string; op: string; attempt: number }
  | { type: 'retry'; reference: string; attempt: number; delayMs: number; kind: VaultFailureKind; status?: number }
  | { type: 'breaker'; state: 'open' | 'half_open' | 'closed' }
  | { type: 'purged'; reference: string; kind: VaultFailureKind }
  | { type: 'resolved'; envVar: string; reference: string; source: SecretSource; versionNumber?: number; attempts: number; ms: number; ageMs?: number }
  | { type: 'failed'; envVar: string; reference: string; kind: VaultFailureKind; required: boolean; attempts: number; ms: number };

export interface Resolver {
  /**
   * Resolves `specs`. Per-secret problems are reported in `failures`, never thrown.
   * @throws ConfigError (exit 2) when a bare secret name is used without vault.vault_id, or the OCI client cannot
   *   be configured (config file, profile, key)
   */
  resolve(specs: SecretSpec[], options?: ResolveOptions): Promise<ResolutionReport>;
  /**
   * Background check of the secrets `report` served from cache (fresh or stale): one request each (bounded by
   * the timeout, no retries), the entry rewritten (age reset; new version if it changed), purged on 401/403/404.
   * `onNote` gets one line per change worth telling ("X changed to version 4 in the vault; the running server keeps
   * version 3 until restarted"). Never throws.
   */
  revalidate(report: ResolutionReport, onNote: (msg: string) => void): Promise<void>;
  /**
   * Which secrets of `report` that follow their secret's CURRENT version (no pinned version number, no other
   * stage in `specs`) have a different CURRENT version number in the vault now: one GetSecret (metadata, never a
   * value) per secret, under the `readOnce` profile (timeout and breaker, no retries; `run --watch` polls).
   * @returns the changes (empty when nothing changed) and how many checks failed (vault unreachable, breaker
   *   open, …); never throws
   */
  currentVersions(report: ResolutionReport, specs: readonly SecretSpec[]): Promise<{ changed: VersionChange[]; failed: number }>;
  /** Waits for pending writes (cache entries of the last resolve, the shared breaker file). Never throws. */
  close(): Promise<void>;
}

/** One secret whose CURRENT version moved on since it was resolved. */
export interface VersionChange {
  envVar: string;
  reference: string;
  secretId: string;
  from: number;
  to: number;
}

/** Test and embedding seams of createResolver; production callers pass only settings and ctx. */
export interface ResolverOverrides {
  /** Cache to use; null = none (default: openSecretCache from settings). */
  cache?: SecretCache | null;
  /** Keychain for the cache key (default: the OS keychain). */
  keychain?: Keychain;
  /** SDK clients (default: createOciClients, loaded on first vault call). */
  clients?: () => Promise<VaultClients>;
  /** Overrides of the resilience policy (backoff in tests). */
  resilience?: Partial<VaultPolicyOptions>;
}

/**
 * Creates a resolver for `settings`. Opens the cache (keychain lookup; a missing keychain becomes one warning in the
 * first report); the resilience policy, the shared breaker state and the OCI SDK are set up on the first vault
 * call, so a resolution served from the cache loads none of them.
 * @throws ConfigError (exit 2) for a malformed VAULTMCP_CACHE_KEY
 */
export async function createResolver(args: { settings: Settings; ctx: AppContext } & ResolverOverrides): Promise<Resolver> {
  const { settings, ctx } = args;
  let cache: SecretCache | undefined;
  let pendingNotice: string | undefined;
  if (args.cache !== undefined) cache = args.cache ?? undefined;
  else {
    const opened = await openSecretCacheDetailed(settings, ctx, { keychain: args.keychain });
    cache = opened.cache;
    pendingNotice = opened.notice;
  }

  const r = settings.resilience;
  // The resilience policy (cockatiel) and the shared breaker state are set up on the first vault call only: a cache
  // hit needs neither (bench/RESULTS.md "Launch at the floor").
  let breakerStore: BreakerStateStore | undefined;
  let policyPromise: Promise<VaultPolicies> | undefined;
  const breakerListeners = new Set<(state: 'open' | 'half_open' | 'closed') => void>();
  const policies = (): Promise<VaultPolicies> =>
    (policyPromise ??= (async () => {
      const { createVaultPolicies } = await import('../vault/policy.js');
      // the shared breaker state lives in the cache dir: only in one nobody else can write (else this process only)
      const store: BreakerStateStore = (await isPrivateDir(settings.cache.dir))
        ? openBreakerState(path.join(settings.cache.dir, 'breaker.json'), breakerKeyOf(settings), {
            threshold: r.breaker_threshold,
            resetMs: r.breaker_reset_ms,
            probeLeaseMs: Math.min(r.breaker_reset_ms, r.timeout_ms * (r.retries + 1) + 1000),
          })
        : { load: async () => undefined, record: () => {}, flush: () => Promise.resolve() };
      breakerStore = store;
      const policy = createVaultPolicies({
        timeoutMs: r.timeout_ms,
        retries: r.retries,
        breakerThreshold: r.breaker_threshold,
        breakerResetMs: r.breaker_reset_ms,
        initialBreaker: await store.load(),
        now: ctx.now,
        ...args.resilience,
      });
      policy.onBreakerChange((change) => {
        store.record(change);
        if (change.type === 'open' || change.type === 'half_open' || change.type === 'closed') {
          for (const l of breakerListeners) l(change.type);
        }
      });
      return policy;
    })());
  /** Writes the breaker state, if a vault call set it up. Never throws. */
  const flushBreaker = async () => {
    await breakerStore?.flush().catch(() => {});
  };

  // The vault layer (and with it the OCI SDK) is loaded on the first vault call only: a cache hit never loads it.
  let accessPromise: Promise<{ access: VaultAccess; reader: typeof import('../vault/bundle-reader.js'); locator: import('../vault/locator.js').SecretLocator }> | undefined;
  let sdkLoadedEmit: ((ms: number) => void) | undefined;
  const vault = () =>
    (accessPromise ??= (async () => {
      const t0 = performance.now();
      const [{ createVaultAccess }, reader, { SecretLocator }] = await Promise.all([
        import('../vault/access.js'),
        import('../vault/bundle-reader.js'),
        import('../vault/locator.js'),
      ]);
      const access = createVaultAccess({ settings, env: ctx, policies: await policies(), clients: args.clients });
      await access.clients();
      sdkLoadedEmit?.(Math.round(performance.now() - t0));
      return { access, reader, locator: new SecretLocator(access, { vaultId: settings.vault.vault_id, compartmentId: settings.vault.compartment_id }) };
    })());

  /** Cache writes of `resolve` still in flight (SecretCache.put never rejects). */
  const pendingWrites = new Set<Promise<unknown>>();
  const track = (write: Promise<unknown>) => {
    pendingWrites.add(write);
    void write.finally(() => pendingWrites.delete(write));
  };

  const ttlMs = settings.cache.ttl * 1000;
  const maxStaleMs = settings.cache.max_stale * 1000;

  /** Fetches one reference from the vault under the policy (`readOnce` when `retries` is 0); counts attempts and retries. */
  const fetchFromVault = async (
    ref: SecretRef,
    reference: string,
    tally: { attempts: number; retries: number },
    emit: (e: ResolverEvent) => void,
    options: { knownSecretId?: string; retries?: number; signal?: AbortSignal; onVaultReady?: () => void } = {},
  ): Promise<FetchedSecretBundle> => {
    // an open breaker (maybe opened by another process) fails fast: no request, and no SDK load either
    const policy = await policies();
    if (policy.wouldRefuse()) {
      const { describeRef } = await import('../vault/locator.js');
      throw policy.refusal(describeRef(ref));
    }
    const { access, reader, locator } = await vault();
    options.onVaultReady?.();
    const op = ref.kind === 'name' || ref.kind === 'vault' ? 'getSecretBundleByName' : 'getSecretBundle';
    return reader.readSecretText(access, ref, {
      defaultVaultId: settings.vault.vault_id,
      profile: options.retries === 0 ? 'readOnce' : 'read',
      knownSecretId: options.knownSecretId,
      locator,
      hooks: {
        ...(options.signal ? { signal: options.signal } : {}),
        onAttempt: (attempt) => {
          tally.attempts++;
          emit({ type: 'attempt', reference, op, attempt });
        },
        onRetry: ({ attempt, delayMs, error }) => {
          tally.retries++;
          emit({ type: 'retry', reference, attempt, delayMs, kind: error.kind, ...(error.status ? { status: error.status } : {}) });
        },
      },
    });
  };

  type Outcome =
    | { ok: true; secret: { value: string; secretId?: string; versionNumber?: number; stages?: string[] }; source: SecretSource; ageMs?: number; staleReason?: string; attempts: number; ms: number }
    | { ok: false; error: VaultError; attempts: number; ms: number };

  return {
    async resolve(specs, options = {}) {
      await Promise.all(pendingWrites); // what an earlier resolve deferred is read back from the cache
      const t0 = performance.now();
      const emit = (e: ResolverEvent) => {
        try {
          options.onEvent?.(e);
        } catch {
          // progress reporting must not break a launch
        }
      };
      const metrics: ResolveMetrics = { secretsFetched: 0, cacheHits: 0, cacheMisses: 0, staleServed: 0, retries: 0, breakerOpens: 0, totalMs: 0 };
      const warnings: string[] = [];
      if (pendingNotice) {
        warnings.push(pendingNotice);
        pendingNotice = undefined;
      }
      if (!settings.vault.vault_id) {
        const bare = specs.find((s) => s.ref.kind === 'name');
        if (bare) {
          const { missingVaultId } = await import('../vault/locator.js');
          throw missingVaultId((bare.ref as { name: string }).name);
        }
      }
      const onBreaker = (state: 'open' | 'half_open' | 'closed') => {
        if (state === 'open') metrics.breakerOpens++;
        emit({ type: 'breaker', state });
      };
      breakerListeners.add(onBreaker);
      sdkLoadedEmit = (ms) => emit({ type: 'sdk_loaded', ms });

      // The overall deadline (resilience.deadline_ms): timeout × retries with backoff can outlast what an MCP client
      // waits for a server (Codex: 10 s). It runs from the first vault request (loading the SDK on a machine busy
      // with 100 launches is our own time, not the vault's). When it passes, requests in flight are aborted and
      // every reference still waiting gets a timeout failure: a usable stale copy is then served, else it fails.
      const deadlineMs = settings.resilience.deadline_ms ?? 8000;
      const deadline = new AbortController();
      let deadlineTimer: NodeJS.Timeout | undefined;
      let rejectDeadline!: (err: VaultError) => void;
      const deadlinePassed = new Promise<never>((_, reject) => (rejectDeadline = reject));
      deadlinePassed.catch(() => {});
      const armDeadline = () => {
        if (deadlineTimer) return;
        deadlineTimer = setTimeout(() => {
          deadline.abort();
          rejectDeadline(new VaultError(`no answer from the vault within resilience.deadline_ms (${deadlineMs} ms)`, {
            kind: 'timeout',
            hint: 'check the network and the vault; raise resilience.deadline_ms if your MCP client waits longer',
          }));
        }, deadlineMs);
        deadlineTimer.unref?.();
      };

      // one fetch per distinct reference
      const groups = new Map<string, SecretSpec[]>();
      for (const spec of specs) {
        const list = groups.get(spec.reference);
        if (list) list.push(spec);
        else groups.set(spec.reference, [spec]);
      }
      const unique = [...groups.values()].map((g) => g[0]!);

      const resolveOne = async (spec: SecretSpec): Promise<Outcome> => {
        const start = performance.now();
        const elapsed = () => Math.round(performance.now() - start);
        const { ref, reference } = spec;
        let cached: CachedSecret | undefined;
        if (cache && !options.refresh) {
          cached = await cache.get(ref);
          const outcome = !cached ? 'miss' : cached.ageMs <= ttlMs ? 'fresh' : cached.ageMs <= maxStaleMs ? 'stale' : 'expired';
          emit({ type: 'cache', reference, outcome, ...(cached ? { ageMs: cached.ageMs } : {}) });
          if (cached && outcome === 'fresh') {
            metrics.cacheHits++;
            return { ok: true, secret: cached, source: 'cache', ageMs: cached.ageMs, attempts: 0, ms: elapsed() };
          }
          metrics.cacheMisses++;
        }
        const usable = cached && cached.ageMs <= maxStaleMs ? cached : undefined;
        if (options.offline) {
          if (usable) {
            metrics.staleServed++;
            return { ok: true, secret: usable, source: 'stale', ageMs: usable.ageMs, staleReason: 'offline mode (--offline)', attempts: 0, ms: elapsed() };
          }
          const why = !cache
            ? `no cache to read ${reference} from in offline mode`
            : cached
              ? `the cached copy of ${reference} is older than cache.max_stale (${settings.cache.max_stale} s); offline mode does not contact the vault`
              : `no cached copy of ${reference}; offline mode does not contact the vault`;
          return {
            ok: false,
            error: new VaultError(why, {
              kind: 'not_found',
              hint: cache ? 'run once without --offline to fill the cache' : 'enable the cache (cache.enabled, an OS keychain or VAULTMCP_CACHE_KEY) and run once online',
            }),
            attempts: 0,
            ms: elapsed(),
          };
        }
        const tally = { attempts: 0, retries: 0 };
        try {
          // stale-if-error: with a usable copy at hand a failing vault costs one attempt (≤ timeout_ms), not the
          // whole retry budget; the launch gets the copy and `revalidate` refreshes it in the background
          const bundle = await Promise.race([
            fetchFromVault(ref, reference, tally, emit, {
              knownSecretId: ref.kind === 'compartment' ? cached?.secretId : undefined,
              retries: usable ? 0 : undefined,
              signal: deadline.signal,
              onVaultReady: armDeadline,
            }),
            deadlinePassed,
          ]);
          metrics.secretsFetched++;
          metrics.retries += tally.retries;
          if (cache) {
            const write = cache.put(ref, bundle);
            if (options.deferCacheWrites) track(write);
            else await write;
          }
          return { ok: true, secret: bundle, source: 'vault', attempts: tally.attempts, ms: elapsed() };
        } catch (err) {
          metrics.retries += tally.retries;
          if (err instanceof ConfigError) throw err;
          const error = err instanceof VaultError ? err : new VaultError(`could not read ${reference}`, { kind: 'network', cause: err });
          if (error.kind === 'breaker_open') metrics.breakerOpens++;
          // the vault answered 401/403/404: the secret is gone or no longer ours, so is any cached copy
          if (cache && error.revokes && error.status !== undefined) {
            if (await cache.delete(ref)) emit({ type: 'purged', reference, kind: error.kind });
          } else if (usable && (error.transient || error.kind === 'breaker_open')) {
            metrics.staleServed++;
            return { ok: true, secret: usable, source: 'stale', ageMs: usable.ageMs, staleReason: error.message, attempts: tally.attempts, ms: elapsed() };
          }
          return { ok: false, error, attempts: tally.attempts, ms: elapsed() };
        }
      };

      let outcomes: Outcome[];
      try {
        outcomes = await mapBounded(unique, settings.resilience.concurrency, resolveOne);
      } finally {
        clearTimeout(deadlineTimer);
        breakerListeners.delete(onBreaker);
        sdkLoadedEmit = undefined;
        await flushBreaker();
      }
      const byReference = new Map(unique.map((s, i) => [s.reference, outcomes[i]!]));

      const secrets: ResolvedSecret[] = [];
      const failures: ResolveFailure[] = [];
      for (const spec of specs) {
        const o = byReference.get(spec.reference)!;
        if (o.ok) {
          const s = o.secret;
          secrets.push({
            envVar: spec.envVar,
            reference: spec.reference,
            value: s.value,
            source: o.source,
            ...(s.secretId !== undefined ? { secretId: s.secretId } : {}),
            ...(s.versionNumber !== undefined ? { versionNumber: s.versionNumber } : {}),
            ...(s.stages ? { stages: s.stages } : {}),
            attempts: o.attempts,
            ms: o.ms,
            ...(o.ageMs !== undefined ? { ageMs: o.ageMs } : {}),
          });
          emit({ type: 'resolved', envVar: spec.envVar, reference: spec.reference, source: o.source, versionNumber: s.versionNumber, attempts: o.attempts, ms: o.ms, ...(o.ageMs !== undefined ? { ageMs: o.ageMs } : {}) });
        } else {
          failures.push({ envVar: spec.envVar, reference: spec.reference, required: spec.required, error: o.error, attempts: o.attempts, ms: o.ms });
          emit({ type: 'failed', envVar: spec.envVar, reference: spec.reference, kind: o.error.kind, required: spec.required, attempts: o.attempts, ms: o.ms });
        }
      }
      // one warning per stale reference, naming every variable that got it
      for (const [reference, group] of groups) {
        const o = byReference.get(reference)!;
        if (o.ok && o.source === 'stale') {
          const vars = group.map((s) => s.envVar).join(', ');
          warnings.push(`using a cached copy of ${vars} (${reference}) that is ${formatAge(o.ageMs ?? 0)} old: ${o.staleReason}`);
        }
      }
      for (const f of failures) {
        if (!f.required) warnings.push(`optional secret ${f.envVar} (${f.reference}) left out: ${f.error.message}`);
      }
      metrics.totalMs = Math.round(performance.now() - t0);
      return { secrets, failures, metrics, warnings };
    },

    async revalidate(report, onNote) {
      const note = (msg: string) => {
        try {
          onNote(msg);
        } catch {
          // never throws
        }
      };
      try {
        if (!cache) return;
        const served = new Map<string, ResolvedSecret[]>();
        for (const s of report.secrets) {
          if (s.source !== 'cache' && s.source !== 'stale') continue;
          const list = served.get(s.reference);
          if (list) list.push(s);
          else served.set(s.reference, [s]);
        }
        if (served.size === 0 || (await policies()).wouldRefuse()) return;
        const { parseSecretRef } = await import('../vault/refs.js');
        await mapBounded([...served.values()], settings.resilience.concurrency, async (group) => {
          const first = group[0]!;
          const vars = group.map((s) => s.envVar).join(', ');
          let ref: SecretRef;
          try {
            ref = parseSecretRef(first.reference);
          } catch {
            return;
          }
          try {
            const bundle = await fetchFromVault(ref, first.reference, { attempts: 0, retries: 0 }, () => {}, {
              retries: 0,
              knownSecretId: ref.kind === 'compartment' ? first.secretId : undefined,
            });
            await cache!.put(ref, bundle);
            if (first.versionNumber !== undefined && bundle.versionNumber !== first.versionNumber) {
              note(`${vars} (${first.reference}) changed to version ${bundle.versionNumber} in the vault; the running server keeps version ${first.versionNumber} until restarted`);
            }
          } catch (err) {
            if (err instanceof VaultError && err.revokes && err.status !== undefined) {
              await cache!.delete(ref);
              note(`${vars} (${first.reference}) is no longer readable in the vault (${err.kind.replace('_', ' ')}); its cached copy was removed; the running server keeps its copy until restarted`);
            }
          }
        });
      } catch {
        // background work: never disturbs the launch
      } finally {
        await flushBreaker();
      }
    },

    async currentVersions(report, specs) {
      const changed: VersionChange[] = [];
      let failed = 0;
      const followsCurrent = new Set(
        specs.filter((s) => s.ref.versionNumber === undefined && (s.ref.stage === undefined || s.ref.stage === 'CURRENT')).map((s) => s.envVar),
      );
      const watched = report.secrets.filter((s) => followsCurrent.has(s.envVar) && s.secretId && s.versionNumber !== undefined);
      if (watched.length === 0) return { changed, failed };
      if ((await policies()).wouldRefuse()) return { changed, failed: watched.length };
      try {
        const { access } = await vault();
        const { SecretLocator } = await import('../vault/locator.js');
        const poller = new SecretLocator(access, {}, 'readOnce');
        await mapBounded(watched, settings.resilience.concurrency, async (s) => {
          try {
            const info = await poller.get(s.secretId!);
            if (info.currentVersionNumber !== undefined && info.currentVersionNumber !== s.versionNumber) {
              changed.push({ envVar: s.envVar, reference: s.reference, secretId: s.secretId!, from: s.versionNumber!, to: info.currentVersionNumber });
            }
          } catch {
            failed++;
          }
        });
      } catch {
        return { changed: [], failed: watched.length };
      } finally {
        await flushBreaker();
      }
      return { changed, failed };
    },

    async close() {
      await Promise.all(pendingWrites);
      await flushBreaker();
    },
  };
}

/**
 * Throws unless every REQUIRED secret resolved (all-or-nothing, DESIGN.md). Optional failures are left to the
 * caller's warnings.
 * @throws ResolutionError (exit 3) naming each failed required secret (variable, reference, reason); its hint is
 *   the failures' shared hint, or the first one's
 */
export function requireAll(report: ResolutionReport): void {
  const failed = report.failures.filter((f) => f.required);
  if (failed.length === 0) return;
  const hints = [...new Set(failed.map((f) => f.error.hint).filter((h): h is string => !!h))];
  throw new ResolutionError(
    failed.map((f) => ({ envVar: f.envVar, reference: f.reference, reason: f.error.message })),
    hints[0],
  );
}

/** Identity of the vault endpoint for the shared breaker: the endpoint URL, else the region, else the profile. */
export function breakerKeyOf(settings: Settings): string {
  if (settings.vault.endpoint) return settings.vault.endpoint;
  if (settings.vault.region) return `region:${settings.vault.region}`;
  return `profile:${settings.auth.config_file}#${settings.auth.profile}`;
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}
