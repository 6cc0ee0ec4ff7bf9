import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import { VaultError } from './errors.js';

/**
 * The resilience policy around every vault HTTP call, composed from cockatiel policies (STYLE.md):
 *
 *   retry( circuitBreaker( timeout( call ) ) )
 *
 * - timeout: `timeoutMs` per attempt; the attempt's AbortSignal is handed to the call (which attaches it to the
 *   HTTP request with `withCallSignal`), and the policy gives up at the deadline even if the call ignores it.
 * - circuit breaker: opens after `breakerThreshold` consecutive transient failures (each failed attempt counts;
 *   401/403/404/400 are the vault working and do not count), refuses calls while open, lets one probe through after
 *   `breakerResetMs`. Its state can be seeded from and reported to `breaker-state.ts` (shared across processes).
 * - retry: transient failures only (VaultError.transient: 429, 5xx, network, timeout), up to `retries` more attempts,
 *   exponential backoff with jitter (base `backoffBaseMs`, cap `backoffMaxMs`); a 429's Retry-After is honoured
 *   (capped at `retryAfterCapMs`). Final failures (401/403/404/400, breaker open) are never retried.
 */
export interface ResilienceOptions {
  /** Per-attempt deadline, ms. */
  timeoutMs: number;
  /** Retries after the first attempt (so at most `retries + 1` requests per call). */
  retries: number;
  /** Consecutive failed attempts that open the breaker. */
  breakerThreshold: number;
  /** Time the breaker stays open before one half-open probe, ms. */
  breakerResetMs: number;
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
  /** Called before each attempt; `attempt` counts from 1. */
  onAttempt?: (attempt: number) => void;
  /** Called when a failed attempt will be retried after `delayMs`. */
  onRetry?: (info: { attempt: number; delayMs: number; error: VaultError }) => void;
  /** Overrides `retries` for this call (e.g. 0 for background revalidation). */
  retries?: number;
  /** Description for messages, e.g. "secret 'github-token'". */
  what: string;
}

/** A configured policy; share one per vault endpoint so the breaker sees every call. */
export interface VaultCallPolicy {
  /**
   * Runs `call` under timeout → breaker → retry.
   * @param call one HTTP request; must reject with VaultError (classified) and honour `signal`
   * @returns the call's value
   * @throws VaultError: the last attempt's error, `timeout` for a deadline, `breaker_open` when the breaker refuses
   */
  execute<T>(call: (signal: AbortSignal) => Promise<T>, hooks: CallHooks): Promise<T>;
  /** Current breaker state (an open breaker whose reset time has passed still reads `open` until a call probes). */
  readonly breakerState: BreakerStateName;
  /** True when a call now would be refused without contacting the vault. */
  wouldRefuse(): boolean;
  /** The VaultError (`breaker_open`) a refused call gets; lets callers fail fast before loading the SDK. */
  refusal(what: string): VaultError;
  /** Subscribes to breaker changes; returns an unsubscribe function. */
  onBreakerChange(listener: (change: BreakerChange) => void): () => void;
}

const DEFAULT_BACKOFF_BASE_MS = 150;
const DEFAULT_BACKOFF_MAX_MS = 2000;
const DEFAULT_RETRY_AFTER_CAP_MS = 5000;

/** cockatiel's serialized breaker (CircuitBreakerPolicy.toJSON / `initialState`, cockatiel 4.0.0). */
function toCockatielState(s: BreakerSnapshot | undefined): unknown {
  if (!s) return undefined;
  if (s.state === 'open' && s.openedAt !== undefined) {
    return { ownState: { value: CircuitState.Open, openedAt: s.openedAt, attemptNo: 1 }, breakerState: s.failures };
  }
  return { ownState: { value: CircuitState.Closed }, breakerState: Math.max(0, s.failures) };
}

/**
 * Builds the policy.
 * @param options limits in ms / counts (settings `resilience.*`)
 */
export function createVaultCallPolicy(options: ResilienceOptions): VaultCallPolicy {
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
  const isTransient = (e: unknown) => e instanceof VaultError && e.transient;
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
    openedAt = Date.now();
    emit({ type: 'open', openedAt });
  });
  breaker.onHalfOpen(() => emit({ type: 'half_open' }));
  breaker.onReset(() => {
    openedAt = undefined;
    emit({ type: 'closed' });
  });
  const refusal = (what: string) =>
    new VaultError(`not contacting the vault for ${what}: recent requests failed and the circuit breaker is open`, {
      kind: 'breaker_open',
      hint: `it tries again ${formatMs(options.breakerResetMs)} after it opened; check the vault with \`docker vaultmcp doctor\``,
    });
  const perAttempt = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const random = options.random ?? Math.random;

  return {
    async execute<T>(call: (signal: AbortSignal) => Promise<T>, hooks: CallHooks): Promise<T> {
      const retries = hooks.retries ?? options.retries;
      // no retry once the breaker has opened: the next attempt would only be refused after a useless backoff
      const policy = retry(handleWhen((e) => isTransient(e) && breaker.state !== CircuitState.Open), {
        maxAttempts: retries,
        backoff: new VaultBackoff(options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS, options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, options.retryAfterCapMs ?? DEFAULT_RETRY_AFTER_CAP_MS, random),
      });
      policy.onRetry((r) => {
        if ('error' in r && r.error instanceof VaultError) hooks.onRetry?.({ attempt: r.attempt, delayMs: r.delay, error: r.error });
      });
      let attempt = 0;
      return policy.execute(async ({ signal: outer }) => {
        try {
          return await breaker.execute(async () => {
            attempt++;
            hooks.onAttempt?.(attempt);
            let timedOut = false;
            try {
              return await perAttempt.execute(
                ({ signal }) =>
                  call(signal).catch((err: unknown) => {
                    // the call saw its own abort (fetch rejects at once): that is our deadline, not a network error
                    if (signal.aborted) timedOut = true;
                    throw err;
                  }),
                outer,
              );
            } catch (err) {
              if (err instanceof TaskCancelledError || timedOut) {
                throw new VaultError(`the vault did not answer within ${options.timeoutMs} ms for ${hooks.what}`, {
                  kind: 'timeout',
                  hint: 'check the network, or raise resilience.timeout_ms',
                });
              }
              throw err;
            }
          });
        } catch (err) {
          if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw refusal(hooks.what);
          throw err;
        }
      });
    },
    get breakerState(): BreakerStateName {
      const s = breaker.state;
      return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half_open' : 'open';
    },
    wouldRefuse(): boolean {
      const s = breaker.state;
      if (s === CircuitState.Isolated) return true;
      if (s !== CircuitState.Open) return false;
      return openedAt === undefined || Date.now() - openedAt < options.breakerResetMs;
    },
    refusal,
    onBreakerChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
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

/**
 * Runs `fn` over `items` with at most `limit` in flight; results keep the input order.
 * @param limit ≥ 1 (settings `resilience.concurrency`)
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
