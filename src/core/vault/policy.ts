import { AsyncLocalStorage } from 'node:async_hooks';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  noop,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { VaultError } from '../errors.js';

/**
 * The resilience policies around every OCI call the program makes, one per call profile, each composed once from
 * cockatiel policies with `wrap()` (STYLE.md):
 *
 * | profile    | composition                                   | used for                                        |
 * |------------|-----------------------------------------------|-------------------------------------------------|
 * | `read`     | retry( breaker( timeout(timeout_ms) ) )       | secret bundles, metadata and lists              |
 * | `readOnce` | breaker( timeout(timeout_ms) )                | a read with a stale copy at hand; revalidation  |
 * | `write`    | timeout(max(timeout_ms, 10 s))                | create, update, schedule/cancel deletion        |
 * | `probe`    | timeout(probe_timeout_ms)                     | doctor and setup: one look, no retry, no breaker|
 *
 * - timeout: per attempt; the attempt's AbortSignal is handed to the call (which attaches it to the HTTP request
 *   with `withCallSignal`), and the policy gives up at the deadline even if the call ignores it (Aggressive).
 * - circuit breaker (reads only): opens after `breakerThreshold` consecutive transient failures (401/403/404/400
 *   are the vault working and do not count), refuses calls while open, lets one probe through after
 *   `breakerResetMs`. Its state can be seeded from and reported to breaker-state.ts (shared across processes).
 * - retry (`read` only): transient failures (VaultError.transient: 429, 5xx, network, timeout), up to `retries`
 *   more attempts, exponential backoff with equal jitter; a 429's Retry-After is honoured (capped). Never once
 *   the breaker has opened (the next attempt would only be refused after a useless wait).
 * Writes are never retried: a timed-out write's outcome is unknown, and repeating it could add a second version.
 */
export type CallProfile = 'read' | 'readOnce' | 'write' | 'probe';

export interface VaultPolicyOptions {
  /** Per-attempt deadline of reads, ms (resilience.timeout_ms). */
  timeoutMs: number;
  /** Retries after the first attempt of a `read` (so at most `retries + 1` requests). */
  retries: number;
  /** Consecutive failed attempts that open the breaker. */
  breakerThreshold: number;
  /** Time the breaker stays open before one half-open probe, ms. */
  breakerResetMs: number;
  /** Deadline of a write, ms (default max(timeoutMs, 10 000): writes are interactive and must not be cut short). */
  writeTimeoutMs?: number;
  /** Deadline of a probe, ms (default min(timeoutMs, 10 000)). */
  probeTimeoutMs?: number;
  /** First backoff delay, ms (default 150). */
  backoffBaseMs?: number;
  /** Largest backoff delay, ms (default 2000). */
  backoffMaxMs?: number;
  /** Largest Retry-After we wait for, ms (default 5000); a longer one is cut to this. */
  retryAfterCapMs?: number;
  /** Breaker state to start from (`BreakerSnapshot`), e.g. read from the shared state file. */
  initialBreaker?: BreakerSnapshot;
  /** Source of randomness for jitter, [0, 1) (tests pin it). */
  random?: () => number;
  /** Clock, ms since the epoch (tests move it instead of sleeping). */
  now?: () => number;
}

/** Breaker state in a process-independent form (what breaker-state.ts persists). */
export interface BreakerSnapshot {
  state: 'closed' | 'open';
  /** Consecutive failed attempts counted so far (closed state). */
  failures: number;
  /** When the breaker opened, ms since the epoch (open state). */
  openedAt?: number;
}

export type BreakerStateName = 'closed' | 'open' | 'half_open';

/** What happened to the breaker; `failure`/`success` are single attempts (for the shared failure count). */
export type BreakerChange =
  | { type: 'failure' }
  | { type: 'success' }
  | { type: 'open'; openedAt: number }
  | { type: 'half_open' }
  | { type: 'closed' };

/** Per-call hooks: attempt numbers and retry delays, for metrics and `--verbose`. */
export interface CallHooks {
  /** Description for messages, e.g. "secret 'github-token'". */
  what: string;
  /** Called before each attempt; `attempt` counts from 1. */
  onAttempt?: (attempt: number) => void;
  /** Called when a failed attempt will be retried after `delayMs`. */
  onRetry?: (info: { attempt: number; delayMs: number; error: VaultError }) => void;
  /** Cancels the call (e.g. Ctrl-C, or a doctor check's own deadline). */
  signal?: AbortSignal;
}

/** The configured policies; share one per vault endpoint so the breaker sees every call. */
export interface VaultPolicies {
  /**
   * Runs `call` under the profile's policy.
   * @param call one HTTP request; must reject with VaultError (classified) and honour `signal`
   * @returns the call's value
   * @throws VaultError: the last attempt's error, kind `timeout` for a deadline, `breaker_open` when refused
   */
  execute<T>(profile: CallProfile, call: (signal: AbortSignal) => Promise<T>, hooks: CallHooks): Promise<T>;
  /** Current breaker state (an open breaker whose reset time has passed still reads `open` until a call probes). */
  readonly breakerState: BreakerStateName;
  /** True when a read now would be refused without contacting the vault. */
  wouldRefuse(): boolean;
  /** The VaultError (`breaker_open`) a refused call gets; lets callers fail fast before loading the SDK. */
  refusal(what: string): VaultError;
  /** Subscribes to breaker changes; returns an unsubscribe function. */
  onBreakerChange(listener: (change: BreakerChange) => void): () => void;
}

const DEFAULT_BACKOFF_BASE_MS = 150;
const DEFAULT_BACKOFF_MAX_MS = 2000;
const DEFAULT_RETRY_AFTER_CAP_MS = 5000;
const MIN_WRITE_TIMEOUT_MS = 10_000;
const MAX_PROBE_TIMEOUT_MS = 10_000;

/** cockatiel's serialized breaker (CircuitBreakerPolicy.toJSON / `initialState`, cockatiel 4.0.0). */
function toCockatielState(s: BreakerSnapshot | undefined): unknown {
  if (!s) return undefined;
  if (s.state === 'open' && s.openedAt !== undefined) {
    return { ownState: { value: CircuitState.Open, openedAt: s.openedAt, attemptNo: 1 }, breakerState: s.failures };
  }
  return { ownState: { value: CircuitState.Closed }, breakerState: Math.max(0, s.failures) };
}

const isTransient = (e: unknown) => (e instanceof VaultError && e.transient) || e instanceof TaskCancelledError;

/**
 * Builds the four profiles over one shared circuit breaker.
 * @param options limits in ms / counts (settings `resilience.*`)
 */
export function createVaultPolicies(options: VaultPolicyOptions): VaultPolicies {
  const now = options.now ?? Date.now;
  const listeners = new Set<(c: BreakerChange) => void>();
  const emit = (c: BreakerChange) => {
    for (const l of listeners) {
      try {
        l(c);
      } catch {
        // a listener's failure must not break a vault call
      }
    }
  };
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: options.breakerResetMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
    initialState: toCockatielState(options.initialBreaker),
  });
  let openedAt = options.initialBreaker?.state === 'open' ? options.initialBreaker.openedAt : undefined;
  breaker.onFailure(({ handled }) => {
    if (handled) emit({ type: 'failure' });
  });
  breaker.onSuccess(() => emit({ type: 'success' }));
  breaker.onBreak(() => {
    openedAt = now();
    emit({ type: 'open', openedAt });
  });
  breaker.onHalfOpen(() => emit({ type: 'half_open' }));
  breaker.onReset(() => {
    openedAt = undefined;
    emit({ type: 'closed' });
  });

  const timeouts: Record<CallProfile, number> = {
    read: options.timeoutMs,
    readOnce: options.timeoutMs,
    write: options.writeTimeoutMs ?? Math.max(options.timeoutMs, MIN_WRITE_TIMEOUT_MS),
    probe: options.probeTimeoutMs ?? Math.min(options.timeoutMs, MAX_PROBE_TIMEOUT_MS),
  };
  const hooksOfCall = new AsyncLocalStorage<CallHooks>();
  const retryPolicy = retry(handleWhen((e) => isTransient(e) && breaker.state !== CircuitState.Open), {
    maxAttempts: options.retries,
    backoff: new VaultBackoff(
      options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
      options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      options.retryAfterCapMs ?? DEFAULT_RETRY_AFTER_CAP_MS,
      options.random ?? Math.random,
    ),
  });
  retryPolicy.onRetry((r) => {
    const hooks = hooksOfCall.getStore();
    if (!hooks || !('error' in r)) return;
    hooks.onRetry?.({ attempt: r.attempt, delayMs: r.delay, error: asVaultError(r.error, hooks.what, timeouts.read) });
  });
  const attemptTimeout = (ms: number) => timeout(ms, TimeoutStrategy.Aggressive);
  const policies: Record<CallProfile, IPolicy> = {
    read: wrap(retryPolicy, breaker, attemptTimeout(timeouts.read)),
    readOnce: wrap(noop, breaker, attemptTimeout(timeouts.readOnce)),
    write: wrap(noop, attemptTimeout(timeouts.write)),
    probe: wrap(noop, attemptTimeout(timeouts.probe)),
  };

  const refusal = (what: string) =>
    new VaultError(`not contacting the vault for ${what}: recent requests failed and the circuit breaker is open`, {
      kind: 'breaker_open',
      hint: `it tries again ${formatMs(options.breakerResetMs)} after it opened; check the vault with \`docker vaultmcp doctor\``,
    });

  return {
    async execute<T>(profile: CallProfile, call: (signal: AbortSignal) => Promise<T>, hooks: CallHooks): Promise<T> {
      let attempt = 0;
      try {
        return await hooksOfCall.run(hooks, () =>
          policies[profile].execute(async ({ signal }) => {
            attempt++;
            hooks.onAttempt?.(attempt);
            try {
              return await call(signal);
            } catch (err) {
              // the call saw its deadline (or the cancel) through its signal: that is a timeout, whatever it threw
              if (signal.aborted) throw new TaskCancelledError();
              throw err;
            }
          }, hooks.signal),
        );
      } catch (err) {
        if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw refusal(hooks.what);
        if (hooks.signal?.aborted && err instanceof TaskCancelledError) {
          throw new VaultError(`cancelled while waiting for the vault (${hooks.what})`, { kind: 'timeout', cause: err });
        }
        throw asVaultError(err, hooks.what, timeouts[profile]);
      }
    },
    get breakerState(): BreakerStateName {
      const s = breaker.state;
      return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half_open' : 'open';
    },
    wouldRefuse(): boolean {
      const s = breaker.state;
      if (s === CircuitState.Isolated) return true;
      if (s !== CircuitState.Open) return false;
      return openedAt === undefined || now() - openedAt < options.breakerResetMs;
    },
    refusal,
    onBreakerChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * What a call's failure is as a VaultError: a deadline (cockatiel's TaskCancelledError, thrown by the timeout
 * policy or by the attempt wrapper when the call saw its signal abort) becomes one uniform "timed out after
 * N ms"; everything else is already classified.
 */
function asVaultError(err: unknown, what: string, timeoutMs: number): VaultError {
  if (err instanceof TaskCancelledError) {
    return new VaultError(`the vault timed out after ${timeoutMs} ms (no answer) for ${what}`, {
      kind: 'timeout',
      hint: 'check the network, or raise resilience.timeout_ms',
    });
  }
  if (err instanceof VaultError) return err;
  return new VaultError(`the vault call failed for ${what}`, { kind: 'network', cause: err });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random: never a near-zero delay that would hammer a
 * struggling vault), capped; a 429's Retry-After replaces it (capped at `retryAfterCap`).
 */
class VaultBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly base: number,
    private readonly max: number,
    private readonly retryAfterCap: number,
    private readonly random: () => number,
    private readonly n = 0,
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfter = error instanceof VaultError ? error.retryAfterMs : undefined;
    const exp = Math.min(this.max, this.base * 2 ** this.n);
    const duration = retryAfter !== undefined ? Math.min(retryAfter, this.retryAfterCap) : Math.round(exp / 2 + (this.random() * exp) / 2);
    const following = new VaultBackoff(this.base, this.max, this.retryAfterCap, this.random, this.n + 1);
    return { duration, next: (c) => following.next(c) };
  }
}
