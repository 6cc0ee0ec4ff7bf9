import type { AppContext } from '../../core/context.js';
import { ResolutionError, UsageError } from '../../core/errors.js';
import type { Keychain } from '../../core/keychain.js';
import type { LaunchEvent } from '../../core/launcher/index.js';
import type { Settings } from '../../core/config/settings/index.js';
import type { SecretFileSpec } from '../../core/config/services/select.js';
import type { ResolutionReport, Resolver, ResolverEvent } from '../../core/resolve/resolver.js';
import type { GuardEvent, LeakGuardMode } from '../../core/guard/index.js';
import type { AuditRecord } from '../../core/audit/audit-trail.js';
import { planRun, withSecrets, type RunPlan } from './plan.js';
import type { SnapshotAccess } from './launch-config.js';
import type { RunRequest } from './request.js';

/**
 * The `run` use-case: plan → resolve → launch → revalidate. It knows nothing of the terminal: everything worth
 * telling is an event (ui/run/report.ts renders them on stderr), the result is a value, and failures are typed
 * errors. Behaviour: docs/run.md.
 */

/** Events of one run, in order. None carries a secret value. */
export type RunEvent =
  /** A line for stderr: settings, environment selection, stale copies served, optional secrets left out, … */
  | { type: 'warning'; message: string }
  /** Where the settings and service definition came from: the launch snapshot, or their files (for `--verbose`). */
  | { type: 'config'; fromSnapshot: boolean }
  /** A start-up phase reached; `atMs` is ms since our process started (performance.now()). */
  | { type: 'phase'; name: 'settings' | 'service' | 'secrets' | 'spawned'; atMs: number }
  | { type: 'resolver'; event: ResolverEvent }
  /** Resolution is done (before the server starts); for `--verbose` metrics. */
  | { type: 'resolved'; report: ResolutionReport; plan: RunPlan }
  /** The server's environment is final and it is about to start: from here on signals go to the server. */
  | { type: 'launching'; plan: RunPlan; origins: Record<string, 'default' | 'passthrough' | 'override' | 'secret'> }
  | { type: 'launcher'; event: LaunchEvent }
  /** What the background revalidation found (a new version in the vault, a revoked secret). */
  | { type: 'revalidation'; message: string }
  /** `--watch`: a values-free line about version checks and server switches. */
  | { type: 'watch'; message: string }
  /** A leak guard finding (values-free), or a variable too short to guard. */
  | { type: 'guard'; event: GuardEvent };

/** What a run ended with. */
export type RunOutcome =
  /** `--test`: nothing was started; `ok` when every required secret resolved. */
  | { kind: 'tested'; ok: boolean; plan: RunPlan; report: ResolutionReport }
  /** The server ran and exited; `exitCode` is its code, or 128+N when a signal N ended it. */
  | { kind: 'exited'; exitCode: number };

/** Outside pieces the use-case takes (the fast path passes a keychain whose first read was started early). */
export interface RunDependencies {
  onEvent?: (event: RunEvent) => void;
  /**
   * Starts reading the cache key early; called once settings are known, with the keychain's answer when the launch
   * snapshot already read it. See {@link prefetchCacheKey}.
   */
  keychainFor?: (settings: Settings, keychainAnswer?: Promise<string | undefined>) => CacheKeyPrefetch | undefined;
  /** Enables the launch snapshot (app/run/launch-config.ts): the settings and service without parsing them. */
  snapshot?: SnapshotAccess;
  /** Test seams of `--watch` (timers, signals, grace periods). */
  watch?: Partial<Omit<import('./watch.js').WatchOptions, 'onLine' | 'intervalMs' | 'strict'>>;
  /**
   * Registers a synchronous clean-up to run if the process exits without returning here (process.exit elsewhere);
   * returns its unregistration. The CLI hooks process 'exit'. Used for file secrets.
   */
  onExitCleanup?: (cleanup: () => void) => () => void;
}

/**
 * Runs `request`.
 * @returns the outcome (`tested` for `--test`, else `exited` when the server has exited and its output was written)
 * @throws UsageError/ConfigError (2), ResolutionError/VaultError (3) when a required secret failed (nothing started),
 *   CommandNotFoundError (127), VaultMcpError 126 (not executable)
 */
export async function runService(ctx: AppContext, request: RunRequest, deps: RunDependencies = {}): Promise<RunOutcome> {
  const emit = (e: RunEvent) => {
    try {
      deps.onEvent?.(e);
    } catch {
      // reporting must never break a launch
    }
  };
  const phase = (name: 'settings' | 'service' | 'secrets' | 'spawned') => emit({ type: 'phase', name, atMs: performance.now() });
  if (request.json && !request.test) {
    // without --test, stdout is the MCP server's: there is no JSON of ours to print
    throw new UsageError('--json only applies with --test (stdout belongs to the MCP server)', 'use `run SERVICE --test --json`, or drop --json');
  }
  if (request.offline && request.refresh) throw new UsageError('--offline and --refresh contradict each other', 'pass one of them');
  if (request.leakGuard !== undefined && !['redact', 'block', 'off'].includes(request.leakGuard)) {
    throw new UsageError(`--leak-guard must be redact, block or off`, 'e.g. --leak-guard block');
  }

  let prefetch: CacheKeyPrefetch | undefined;
  const plan = await planRun(ctx, request, {
    ...(deps.snapshot ? { snapshot: deps.snapshot } : {}),
    onSettings: (loaded, known) => {
      for (const w of loaded.warnings) emit({ type: 'warning', message: w });
      phase('settings');
      // The cache key read is a D-Bus round trip: started now, it overlaps loading the service and the launcher.
      prefetch = deps.keychainFor?.(loaded.settings, known?.keychainAnswer);
    },
  });
  // Written once the server has answered (or right away for --watch), off the start-up path; never for --test. The
  // run waits for the write before it ends (a server that answers and exits at once).
  let remembering: Promise<void> | undefined;
  const rememberConfig = () => void (remembering ??= plan.config.remember?.(prefetch?.answer));
  emit({ type: 'config', fromSnapshot: plan.config.fromSnapshot });
  for (const w of plan.warnings) emit({ type: 'warning', message: w });
  // A missing server is found before any vault call (exit 127), on the PATH the child will get.
  if (plan.executable instanceof Error && !request.test) throw plan.executable;
  phase('service');

  const { report, resolver } = await resolvePlanSecrets(ctx, plan, request, await prefetch?.keychain, emit);
  phase('secrets');
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // An environment variable is a C string: a value with a NUL byte cannot be passed (spawn would refuse it).
    // Said before --test reports anything as resolved, and before anything starts.
    const withNul = report.secrets.filter((s) => s.value.includes('\0'));
    if (withNul.length) {
      throw new UsageError(
        `the value of ${withNul.map((s) => `${s.envVar} (${s.reference})`).join(', ')} contains a NUL byte, which an environment variable cannot carry`,
        'store the value without NUL bytes (e.g. base64-encode binary content) with `docker vaultmcp secret upload NAME`',
      );
    }
    if (request.test) {
      return { kind: 'tested', ok: !report.failures.some((f) => f.required), plan, report };
    }
    // report.warnings already name stale copies served and optional secrets left out
    for (const w of report.warnings) emit({ type: 'warning', message: oneLine(w) });
    emit({ type: 'resolved', report, plan });
    if (report.failures.some((f) => f.required)) throw requiredFailures(report);

    const protection = await prepareProtection(ctx, plan, request, report, emit, deps);
    cleanups.push(protection.cleanup);
    const child = withSecrets(plan, protection.variables);
    for (const w of child.warnings) emit({ type: 'warning', message: w });
    emit({ type: 'launching', plan, origins: child.origins });

    // Stale-while-revalidate: what came from the cache is re-checked in the background. Loading the OCI SDK
    // blocks the event loop for a moment, so it waits until the handshake is over: 1 s after the server's
    // first message (normally the initialize response), or 10 s after the start if it says nothing.
    let revalidation: NodeJS.Timeout | undefined;
    let revalidated = false;
    const revalidateSoon = (delayMs: number) => {
      if (revalidated || !resolver || !report.secrets.some((s) => s.source !== 'vault')) return;
      clearTimeout(revalidation);
      revalidation = setTimeout(() => {
        revalidated = true;
        void resolver
          .revalidate(report, (message) => {
            emit({ type: 'revalidation', message });
            protection.audit({ event: 'revalidation', message });
          })
          .catch(() => {});
      }, delayMs);
      revalidation.unref?.();
    };
    const watch = request.watch ?? (plan.service.watch ? {} : undefined);
    if (watch && resolver) {
      rememberConfig();
      const { runWatched, DEFAULT_WATCH_INTERVAL_S } = await import('./watch.js');
      const intervalS = watch.intervalS ?? plan.service.watch?.interval ?? DEFAULT_WATCH_INTERVAL_S;
      emit({ type: 'watch', message: `watching ${report.secrets.length} secret(s) for new versions every ~${intervalS} s` });
      const exitCode = await runWatched(ctx, plan, report, resolver, {
        intervalMs: intervalS * 1000,
        strict: watch.strict ?? plan.service.watch?.strict ?? false,
        onLine: (message) => emit({ type: 'watch', message }),
        ...(request.stopTimeoutMs !== undefined ? { stopTimeoutMs: request.stopTimeoutMs } : {}),
        protection: {
          variables: protection.variables,
          variablesFor: (next) => protection.variablesFor(next),
          guardMode: protection.guardMode,
          onGuardEvent: protection.onGuardEvent,
          started: (pid, next) => protection.started(pid, next),
          exited: (code, signal, exitCode, pid) => protection.exited(code, signal, exitCode, pid),
          note: (message) => protection.audit({ event: 'rotation', message }),
        },
        ...deps.watch,
      });
      return { kind: 'exited', exitCode };
    }
    revalidateSoon(10_000);
    const { createRunDirectory, launch } = await import('../../core/launcher/index.js');
    // A new empty private directory per launch (unless one was named): nothing another server left can run here.
    const runDir = await createRunDirectory({ dir: plan.workdir, fresh: plan.workdirFresh });
    const guard = protection.guard;
    const result = await launch({
      command: plan.command,
      file: plan.executable as string,
      env: child.env,
      cwd: runDir.path,
      // read by the launcher once the server is spawned (see LaunchOptions.stdin); no object spread here, which
      // would call the getters now
      get stdin() {
        return ctx.stdin;
      },
      get stdout() {
        return ctx.stdout;
      },
      get stderr() {
        return guard ? ctx.stderr : ('inherit' as const);
      },
      stderrFilter: guard ? () => guard.stderrRedactor() : undefined,
      filters: guard ? [guard.serverToClient] : [],
      inputFilters: guard ? [guard.clientToServer] : [],
      stopTimeoutMs: request.stopTimeoutMs,
      onEvent: (e) => {
        if (e.type === 'first-output') {
          revalidateSoon(1000);
          rememberConfig();
        }
        if (e.type === 'spawned') {
          // the guard's matchers are compiled while the server starts (on the other core), before anything is relayed
          guard?.prepare();
          phase('spawned');
          protection.started(e.pid);
        }
        if (e.type === 'exit') protection.exited(e.code, e.signal, e.exitCode);
        emit({ type: 'launcher', event: e });
      },
    }).finally(() => {
      clearTimeout(revalidation);
      return runDir.remove();
    });
    return { kind: 'exited', exitCode: result.exitCode };
  } finally {
    for (const c of cleanups) await c().catch(() => {});
    await resolver?.close().catch(() => {});
    await remembering;
  }
}

/** What a launch is protected with: its variables' final values, the leak guard, the audit trail, clean-up. */
interface Protection {
  /** Variable → what the server gets: the value, or the path of its private file. */
  variables: Record<string, string>;
  guard?: import('../../core/guard/index.js').LeakGuard;
  /** The effective leak-guard mode, and what its findings are reported through (for guards built later: --watch). */
  guardMode: LeakGuardMode;
  onGuardEvent: (event: GuardEvent) => void;
  /** What another server of this run gets for `next` (`--watch`): values, and new private files for file secrets. */
  variablesFor(next: ResolutionReport): Promise<{ variables: Record<string, string>; cleanup(): Promise<void> }>;
  /** Appends an audit record (service, environment, time and our pid filled in). */
  audit(record: DistributiveOmit<AuditRecord, 'time' | 'service' | 'environment' | 'run_pid'>): void;
  /** Records a server's start: `next` is the resolution it was started with (default the run's first one). */
  started(pid: number, next?: ResolutionReport): void;
  /** Records a server's exit; `pid` defaults to the last server started. */
  exited(code: number | null, signal: NodeJS.Signals | null, exitCode: number, pid?: number): void;
  /** Removes file secrets and flushes the audit trail; never throws. */
  cleanup(): Promise<void>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Writes the file secrets of `report` (those in `fileSpecs`) as private in-memory files.
 * @returns their paths by variable and their removal (also registered for a process exit elsewhere), or undefined
 *   when the plan has no file secrets
 * @throws ConfigError (exit 2) when there is no memory-backed place and disk files are not allowed
 */
async function materialiseFiles(
  ctx: AppContext,
  plan: RunPlan,
  report: ResolutionReport,
  fileSpecs: ReadonlyMap<string, SecretFileSpec>,
  deps: RunDependencies,
  emit: (e: RunEvent) => void,
): Promise<{ paths: Record<string, string>; cleanup(): Promise<void> } | undefined> {
  if (fileSpecs.size === 0) return undefined;
  const { materialiseSecretFiles } = await import('../../core/launcher/secret-files.js');
  const files = await materialiseSecretFiles(
    report.secrets.flatMap((s) => {
      const f = fileSpecs.get(s.envVar);
      return f ? [{ envVar: s.envVar, value: s.value, mode: f.mode, name: f.name }] : [];
    }),
    { env: ctx.env, allowDisk: plan.settings.allow_disk_files ?? false },
  );
  const unregister = deps.onExitCleanup?.(() => files.removeSync());
  if (files.diskBacked) emit({ type: 'warning', message: `file secrets are on a disk-backed directory (${files.dir}; allow_disk_files: true)` });
  if (files.swept > 0) emit({ type: 'warning', message: `removed ${files.swept} file-secret director${files.swept === 1 ? 'y' : 'ies'} left by runs that were killed` });
  return {
    paths: files.paths,
    cleanup: async () => {
      unregister?.();
      await files.remove();
    },
  };
}

/**
 * Materialises file secrets (`file: true`, `--secret-file`), builds the leak guard for the effective mode
 * (`--leak-guard` > the service's `leak_guard` > the settings' > redact) and opens the audit trail.
 * @throws ConfigError (exit 2) when file secrets have no memory-backed place and disk files are not allowed
 */
async function prepareProtection(
  ctx: AppContext,
  plan: RunPlan,
  request: RunRequest,
  report: ResolutionReport,
  emit: (e: RunEvent) => void,
  deps: RunDependencies,
): Promise<Protection> {
  const variables: Record<string, string> = Object.fromEntries(report.secrets.map((s) => [s.envVar, s.value]));
  const fileSpecs = new Map(plan.selection.specs.flatMap((s) => (s.file ? [[s.envVar, s.file] as const] : [])));
  const cleanups: Array<() => Promise<void>> = [];

  const auditSettings = plan.settings.audit;
  let trail: import('../../core/audit/audit-trail.js').AuditTrail | undefined;
  if (auditSettings && (auditSettings.file !== false || auditSettings.syslog)) {
    const { AuditTrail } = await import('../../core/audit/audit-trail.js');
    trail = new AuditTrail(
      { file: auditSettings.file, syslog: auditSettings.syslog, maxBytes: auditSettings.max_bytes, keep: auditSettings.keep },
      (message) => emit({ type: 'warning', message }),
    );
  }
  const audit: Protection['audit'] = (record) => {
    void trail?.append({
      time: new Date(ctx.now()).toISOString(),
      service: plan.service.name,
      environment: plan.selection.environment,
      run_pid: process.pid,
      ...record,
    } as AuditRecord);
  };

  const files = await materialiseFiles(ctx, plan, report, fileSpecs, deps, emit);
  if (files) {
    cleanups.push(files.cleanup);
    Object.assign(variables, files.paths);
  }

  const mode: LeakGuardMode = (request.leakGuard as LeakGuardMode | undefined) ?? plan.service.leak_guard ?? plan.settings.leak_guard ?? 'redact';
  const { createLeakGuard } = await import('../../core/guard/index.js');
  const onGuardEvent = (event: GuardEvent) => {
    emit({ type: 'guard', event });
    if (event.type === 'leak') {
      audit({ event: 'leak', variable: event.envVar, direction: event.direction, form: event.form, action: event.action, ...(event.method ? { method: event.method } : {}) });
    }
  };
  const guard = createLeakGuard({ secrets: report.secrets.map((s) => ({ envVar: s.envVar, value: s.value })), mode, onEvent: onGuardEvent });

  /** Start time by server pid (a watched run starts several); the last one started is the default for exited(). */
  const startedAt = new Map<number, number>();
  let lastPid = 0;
  return {
    variables,
    ...(guard ? { guard } : {}),
    guardMode: mode,
    onGuardEvent,
    async variablesFor(next) {
      const own: Record<string, string> = Object.fromEntries(next.secrets.map((s) => [s.envVar, s.value]));
      const more = await materialiseFiles(ctx, plan, next, fileSpecs, deps, emit);
      if (more) Object.assign(own, more.paths);
      return { variables: own, cleanup: more?.cleanup ?? (async () => {}) };
    },
    audit,
    started(p, next) {
      const r = next ?? report;
      lastPid = p;
      startedAt.set(p, ctx.now());
      audit({
        event: 'start',
        pid: p,
        resolution_ms: Math.round(r.metrics.totalMs),
        leak_guard: mode,
        variables: r.secrets.map((s) => ({
          name: s.envVar,
          ...(s.secretId !== undefined ? { secret_id: s.secretId } : {}),
          ...(s.versionNumber !== undefined ? { version: s.versionNumber } : {}),
          source: s.source,
          ...(fileSpecs.has(s.envVar) ? { file: true } : {}),
        })),
      });
    },
    exited(_code, signal, exitCode, p = lastPid) {
      const since = startedAt.get(p) ?? ctx.now();
      startedAt.delete(p);
      audit({ event: 'exit', pid: p, exit_code: exitCode, ...(signal ? { signal } : {}), duration_ms: Math.max(0, ctx.now() - since) });
    },
    async cleanup() {
      for (const c of cleanups) await c().catch(() => {});
      await trail?.flush();
    },
  };
}

/**
 * Resolves the plan's secrets with the resolver (lazily imported: the OCI SDK is only loaded when there is
 * something to fetch). With no specs, an empty report and no resolver.
 */
async function resolvePlanSecrets(
  ctx: AppContext,
  plan: RunPlan,
  request: RunRequest,
  keychain: Keychain | undefined,
  emit: (e: RunEvent) => void,
): Promise<{ report: ResolutionReport; resolver?: Resolver }> {
  const specs = plan.selection.specs;
  if (specs.length === 0) {
    const metrics = { secretsFetched: 0, cacheHits: 0, cacheMisses: 0, staleServed: 0, retries: 0, breakerOpens: 0, totalMs: 0 };
    return { report: { secrets: [], failures: [], metrics, warnings: [] } };
  }
  const { createResolver } = await import('../../core/resolve/resolver.js');
  const resolver = await createResolver({ settings: plan.settings, ctx, ...(keychain ? { keychain } : {}) });
  try {
    const report = await resolver.resolve(specs, {
      offline: request.offline,
      refresh: request.refresh,
      // the server does not wait for the disk; the resolver is closed (and its writes awaited) when the run ends
      deferCacheWrites: true,
      onEvent: request.verbose ? (event) => emit({ type: 'resolver', event }) : undefined,
    });
    return { report, resolver };
  } catch (err) {
    await resolver.close().catch(() => {});
    throw err;
  }
}

/**
 * The ResolutionError naming each failed required secret (exit 3), with the first failure's hint.
 * @param report a report with at least one failed required secret
 */
export function requiredFailures(report: ResolutionReport): ResolutionError {
  const failed = report.failures.filter((f) => f.required);
  return new ResolutionError(
    failed.map((f) => ({ envVar: f.envVar, reference: f.reference, reason: oneLine(f.error.message) })),
    failed.map((f) => f.error.hint).find(Boolean) ?? 'check the references with `docker vaultmcp service show SERVICE`, then run `docker vaultmcp doctor`',
  );
}

/** The cache key's read, started early: the keychain for the resolver, and the keychain's answer itself. */
export interface CacheKeyPrefetch {
  /** The process keychain with its first cache-key read answered by {@link CacheKeyPrefetch.answer}. */
  keychain: Promise<Keychain>;
  /** The base64 key the keychain returned (undefined when it has none); rejects with the keychain's error. */
  answer: Promise<string | undefined>;
}

/**
 * Starts reading the cache key from the OS keychain when the resolver is going to (cache enabled, no
 * VAULTMCP_CACHE_KEY; see openSecretCacheDetailed) and returns the process keychain with that first read answered
 * from the prefetch; undefined otherwise (the resolver then opens the keychain itself, if at all). A failed read is
 * not reported here: the cache reports it where it would have (its notice).
 * @param whileWaiting runs once the request is on its way (CPU work that can overlap the keychain's answer)
 * @param answer the keychain's answer when it was already read (by the launch snapshot): not read again
 */
export function prefetchCacheKey(
  ctx: Pick<AppContext, 'env'>,
  settings: Settings,
  whileWaiting: () => void = () => {},
  answer?: Promise<string | undefined>,
): CacheKeyPrefetch | undefined {
  if (!settings.cache.enabled) return undefined;
  const fromEnv = ctx.env.VAULTMCP_CACHE_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return undefined;
  let answered!: (value: Promise<string | undefined>) => void;
  const first = answer ?? new Promise<string | undefined>((resolve) => (answered = resolve));
  first.catch(() => {}); // consumed (and classified) by the cache; never unhandled
  const keychain = import('../../core/keychain.js').then(async ({ sharedKeychain, CACHE_KEY_ACCOUNT }) => {
    const opened = await sharedKeychain();
    if (!answer) {
      answered(opened.get(CACHE_KEY_ACCOUNT));
      whileWaiting();
    }
    let pending: Promise<string | undefined> | undefined = first;
    const wrapped: Keychain = {
      ...opened,
      get(account, options) {
        if (account === CACHE_KEY_ACCOUNT && pending && !options?.fresh) {
          const result = pending;
          pending = undefined; // later reads (the read-back after creating a key) go to the keychain
          return result;
        }
        return opened.get(account, options);
      },
    };
    return wrapped;
  });
  keychain.catch((err) => {
    if (!answer) answered(Promise.reject(err));
  });
  return { keychain, answer: first };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
