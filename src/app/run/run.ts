import os from 'node:os';
import { warn, type AppContext } from '../../core/context.js';
import { ResolutionError, UsageError } from '../../core/errors.js';
import { maskSecret } from '../../core/mask.js';
import type { SecretSpec } from '../../core/config/services/index.js';
import { writeJson } from '../../cli/output.js';

/**
 * The `run` command's work, kept free of oclif so the entry point can start it without loading the CLI framework
 * (see {@link fastRun}); `commands/run.ts` is the oclif face of the same function. Behaviour: docs/run.md.
 */

/** What `run` was asked to do (flags already parsed). */
export interface RunRequest {
  /** Service name or path to a service file. */
  service: string;
  /** `--env`; undefined → OCI_VAULT_ENVIRONMENT → default names. */
  env?: string;
  /** `--config FILE`. */
  config?: string;
  test: boolean;
  json: boolean;
  verbose: boolean;
  offline: boolean;
  refresh: boolean;
  /** `--cwd`: the server's working directory (a path or `inherit`); default the service's `cwd`, else private. */
  cwd?: string;
  /** Arguments after `--`, verbatim; appended to target_command. */
  extraArgs: string[];
}

/**
 * Parses `run`'s own argv (after the word `run`) for the fast path. Returns undefined for anything it does not
 * recognise with certainty (help, unknown or repeated flags, a stray word, no service): the caller then goes
 * through oclif, which reports errors and help the usual way, so the two paths cannot disagree on valid input.
 * @param argv e.g. `['github', '--env', 'production', '--', '--read-only']`
 */
export function parseRunArgv(argv: readonly string[]): RunRequest | undefined {
  const req: Partial<RunRequest> & { extraArgs: string[] } = { extraArgs: [] };
  const seen = new Set<string>();
  const booleans: Record<string, 'test' | 'json' | 'verbose' | 'offline' | 'refresh'> = {
    '--test': 'test', '--json': 'json', '--verbose': 'verbose', '-v': 'verbose', '--offline': 'offline', '--refresh': 'refresh',
  };
  const values: Record<string, 'env' | 'config' | 'cwd'> = { '--env': 'env', '-e': 'env', '--config': 'config', '--cwd': 'cwd' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      req.extraArgs = argv.slice(i + 1);
      break;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = booleans[name] ?? values[name];
    if (key) {
      if (seen.has(key)) return undefined;
      seen.add(key);
      if (booleans[name]) {
        if (eq > 0) return undefined;
        req[booleans[name]!] = true;
      } else {
        const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) return undefined;
        req[values[name]!] = value;
      }
    } else if (arg.startsWith('-') || req.service !== undefined) {
      return undefined;
    } else {
      req.service = arg;
    }
  }
  if (req.service === undefined) return undefined;
  return { test: false, json: false, verbose: false, offline: false, refresh: false, ...req } as RunRequest;
}

/**
 * The entry point's shortcut for `run` (an MCP client starts it for every session, so start-up time counts):
 * runs without loading oclif when {@link parseRunArgv} understands the arguments; renders errors like the CLI
 * (one line + hint, documented exit code) and exits the process.
 * @param argv our argv after `run`
 * @returns false (nothing done) when the arguments need oclif
 */
export async function fastRun(argv: readonly string[]): Promise<boolean> {
  const req = parseRunArgv(argv);
  if (!req) return false;
  try {
    await executeRun(lazyProcessContext(), req);
  } catch (err) {
    const { renderError } = await import('../../cli/render-error.js');
    process.exitCode = renderError(err, process.stderr);
  }
  const { flushAndExit } = await import('../../cli/exit.js');
  return flushAndExit(Number(process.exitCode ?? 0), { stdout: stdoutUsed });
}

/** Set once `run` touched process.stdout (through lazyProcessContext). */
let stdoutUsed = false;

/**
 * processContext() (core/context.ts) with stdin/stdout/stderr read from `process` on first use: in the Bun binary
 * the first of them builds Node's stream machinery (~12 ms of CPU). `run` needs them anyway, but this way that
 * work can run while the keychain answers (see runService) instead of before everything else.
 */
function lazyProcessContext(): AppContext {
  const ctx = { env: process.env, cwd: process.cwd(), homeDir: process.env.HOME || os.homedir(), now: () => Date.now() };
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    const get = () => {
      if (name === 'stdout') stdoutUsed = true;
      return process[name];
    };
    Object.defineProperty(ctx, name, { get, enumerable: true, configurable: true });
  }
  return ctx as AppContext;
}

/** Signals that stop a launch before the server has started (afterwards the launcher forwards them). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Resolves the service's secrets and runs its server (or reports, with `test`). Sets `process.exitCode` to the
 * server's exit code (128+N if signal N ended it) or to 3 for a failed `--test --json`.
 * @throws UsageError/ConfigError (2), ResolutionError/VaultError (3), CommandNotFoundError (127), 126 not executable
 */
export async function executeRun(ctx: AppContext, req: RunRequest): Promise<void> {
  // Start-up timeline for --verbose: ms since our process started, per phase.
  const timeline: Array<[string, number]> = [['command', performance.now()]];
  const mark = (label: string) => timeline.push([label, performance.now()]);
  // Until the server runs, a stop request ends us at once (nothing to clean up: cache writes are atomic).
  // docker closing its plugin socket arrives here as SIGTERM too (src/main.ts).
  const early = (signal: NodeJS.Signals) => {
    ctx.stderr.write(`vaultmcp: ${signal} received before the server started; stopping\n`);
    process.exit(128 + (os.constants.signals[signal] ?? 0));
  };
  for (const s of STOP_SIGNALS) process.on(s, early);
  const removeEarly = () => {
    for (const s of STOP_SIGNALS) process.off(s, early);
  };
  try {
    await runService(ctx, req, mark, timeline, removeEarly);
  } finally {
    removeEarly();
  }
}

async function runService(
  ctx: AppContext,
  req: RunRequest,
  mark: (label: string) => void,
  timeline: Array<[string, number]>,
  removeEarly: () => void,
): Promise<void> {
  const extraArgs = req.extraArgs;
  if (req.json && !req.test) {
    // without --test, stdout is the MCP server's: there is no JSON of ours to print
    throw new UsageError('--json only applies with --test (stdout belongs to the MCP server)', 'use `run SERVICE --test --json`, or drop --json');
  }
  if (req.offline && req.refresh) {
    throw new UsageError('--offline and --refresh contradict each other', 'pass one of them');
  }

  // Settings and the service file do not depend on each other: both chunks load and both files are read at once
  // (file reads overlap the parsing). A settings error still wins over a service error, as when run one by one.
  const [{ loadSettings }, { loadService, selectEnvironment }] = await Promise.all([
    import('../../core/config/settings/index.js'),
    import('../../core/config/services/index.js'),
  ]);
  const settingsLoading = loadSettings(ctx, { configFile: req.config });
  const serviceLoading = loadService(req.service, ctx);
  serviceLoading.catch(() => {}); // reported below, after any settings error
  const loaded = await settingsLoading;
  for (const w of loaded.warnings) warn(ctx, w);
  mark('settings');
  // The cache key from the OS keychain is a D-Bus round trip (~10 ms) on the critical path: start it now, so it
  // overlaps the service, launcher and resolver set-up. Only where the resolver would ask anyway (cache on, no
  // VAULTMCP_CACHE_KEY); the resolver then gets this answer instead of asking again (prefetchCacheKey).
  // Meanwhile, CPU work the launch needs anyway: our stdio streams (lazyProcessContext).
  const keychain = prefetchCacheKey(ctx, loaded.settings, () => void [ctx.stdin, ctx.stdout, ctx.stderr]);
  const service = await serviceLoading;
  const selection = selectEnvironment(service, req.env ?? loaded.environment);
  for (const w of selection.warnings) warn(ctx, w);
  const command = [...service.target_command, ...extraArgs];

  // A missing server is found before any vault call (exit 127), on the PATH the child will get.
  const { buildChildEnv, resolveExecutable, serverWorkingDirectory } = await import('../../core/launcher/index.js');
  const plainEnv = buildChildEnv({ parent: ctx.env, passthrough: service.passthrough_env, overrides: selection.overrides }).env;
  // Not the caller's directory by default: a cloned repository's node_modules/.npmrc must not pick the server.
  const workdir = await serverWorkingDirectory(ctx, req.cwd ?? service.cwd);
  let executable: string | Error;
  try {
    executable = resolveExecutable(command[0]!, plainEnv, workdir);
  } catch (err) {
    if (!req.test) throw err;
    executable = err as Error;
  }

  mark('service');
  // Resolve (skipped entirely, with no vault module loaded, when the service declares no secrets).
  const resolution = await resolveSecrets(ctx, loaded.settings, selection.specs, {
    offline: req.offline,
    refresh: req.refresh,
    verbose: req.verbose,
    keychain,
  });
  const { report, resolver } = resolution;
  mark('secrets');

  try {
    if (req.test) {
      const ok = printTest(ctx, { service, environment: selection.environment, command, cwd: workdir, executable, specs: selection.specs, report, json: req.json });
      if (!ok) {
        if (!req.json) throw requiredFailures(report);
        // --json: the report is on stdout; the error still goes to stderr and the exit code says 3
        const { renderError } = await import('../../cli/render-error.js');
        process.exitCode = renderError(requiredFailures(report), ctx.stderr);
      }
      return;
    }
    // report.warnings already name stale copies served and optional secrets left out
    for (const w of report.warnings) warn(ctx, oneLine(w));
    if (req.verbose && selection.specs.length > 0) printMetrics(ctx, report);
    if (report.failures.some((f) => f.required)) throw requiredFailures(report);

    const { launch } = await import('../../core/launcher/index.js');
    const childEnv = buildChildEnv({
      parent: ctx.env,
      passthrough: service.passthrough_env,
      overrides: selection.overrides,
      secrets: Object.fromEntries(report.secrets.map((s) => [s.envVar, s.value])),
    });
    for (const w of childEnv.warnings) warn(ctx, w);
    if (req.verbose) {
      const byOrigin = (o: string) => Object.keys(childEnv.origin).filter((k) => childEnv.origin[k] === o).sort().join(', ') || '-';
      warn(ctx, `environment: secrets [${byOrigin('secret')}] overrides [${byOrigin('override')}] passthrough [${byOrigin('passthrough')}] default [${byOrigin('default')}]`);
      warn(ctx, `starting: ${command.join(' ')}`);
    }

    removeEarly();
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
        void resolver.revalidate(report, (message: string) => warn(ctx, message)).catch(() => {});
      }, delayMs);
    };
    revalidateSoon(10_000);
    const launching = launch({
      command,
      env: childEnv.env,
      cwd: workdir,
      stdin: ctx.stdin,
      stdout: ctx.stdout,
      stderr: 'inherit',
      onEvent: (e) => {
        if (e.type === 'first-output') revalidateSoon(1000);
        if (!req.verbose) return;
        if (e.type === 'spawned') {
          mark('spawned');
          warn(ctx, `server started (pid ${e.pid}); ms since our start: ${timeline.map(([l, t]) => `${l} ${t.toFixed(0)}`).join(', ')}`);
        } else if (e.type === 'first-output') warn(ctx, `first server output ${e.ms.toFixed(0)} ms after its start`);
        else if (e.type === 'signal') warn(ctx, `${e.signal} forwarded to the server`);
        else if (e.type === 'stdin-end') warn(ctx, 'the client closed stdin; closing the server stdin');
        else if (e.type === 'stop') warn(ctx, `server still running; sending ${e.signal}`);
        else if (e.type === 'exit') warn(ctx, `server exited (${e.signal ?? `code ${e.code}`}); exit code ${e.exitCode}`);
        else if (e.type === 'stdout-error') warn(ctx, `stdout to the client failed (${e.message}); discarding server output`);
      },
    });
    const result = await launching.finally(() => clearTimeout(revalidation));
    process.exitCode = result.exitCode;
  } finally {
    removeEarly();
    try {
      await resolver?.close();
    } catch {
      /* closing is best effort */
    }
  }
}

type Keychain = import('../../core/keychain.js').Keychain;

/**
 * Starts reading the cache key from the OS keychain when the resolver is going to (cache enabled, no
 * VAULTMCP_CACHE_KEY; see openSecretCacheDetailed) and returns the process keychain with that first read
 * answered from the prefetch; undefined otherwise (the resolver then opens the keychain itself, if at all).
 * A failed read is not reported here: the cache reports it where it would have (its notice).
 * @param whileWaiting runs once the request is on its way (CPU work that can overlap the keychain's answer)
 */
function prefetchCacheKey(
  ctx: AppContext,
  settings: import('../../core/config/settings/index.js').Settings,
  whileWaiting: () => void,
): Promise<Keychain> | undefined {
  if (!settings.cache.enabled) return undefined;
  const fromEnv = ctx.env.VAULTMCP_CACHE_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return undefined;
  const prefetched = import('../../core/keychain.js').then(async ({ sharedKeychain, CACHE_KEY_ACCOUNT }) => {
    const keychain = await sharedKeychain();
    let first: Promise<string | undefined> | undefined = keychain.get(CACHE_KEY_ACCOUNT);
    first.catch(() => {}); // consumed (and classified) by the cache; never unhandled
    whileWaiting();
    const wrapped: Keychain = {
      ...keychain,
      get(account) {
        if (account === CACHE_KEY_ACCOUNT && first) {
          const answer = first;
          first = undefined; // later reads (the read-back after creating a key) go to the keychain
          return answer;
        }
        return keychain.get(account);
      },
    };
    return wrapped;
  });
  prefetched.catch(() => {});
  return prefetched;
}

type Resolver = import('../../core/resolve/resolver.js').Resolver;
type Report = import('../../core/resolve/resolver.js').ResolutionReport;
type ResolverEvent = import('../../core/resolve/resolver.js').ResolverEvent;

/**
 * Resolves `specs` with the resolver (lazily imported: the OCI SDK is only loaded when there is something to
 * fetch). With no specs, returns an empty report and no resolver.
 */
async function resolveSecrets(
  ctx: AppContext,
  settings: import('../../core/config/settings/index.js').Settings,
  specs: SecretSpec[],
  opts: { offline: boolean; refresh: boolean; verbose: boolean; keychain?: Promise<Keychain> },
): Promise<{ report: Report; resolver?: Resolver }> {
  if (specs.length === 0) {
    const empty = {
      secrets: [],
      failures: [],
      metrics: { secretsFetched: 0, cacheHits: 0, cacheMisses: 0, staleServed: 0, retries: 0, breakerOpens: 0, totalMs: 0 },
      warnings: [],
    } as unknown as Report;
    return { report: empty };
  }
  const [{ createResolver }, keychain] = await Promise.all([import('../../core/resolve/resolver.js'), opts.keychain]);
  const resolver = await createResolver({ settings, ctx, ...(keychain ? { keychain } : {}) });
  try {
    const report = await resolver.resolve(specs, {
      offline: opts.offline,
      refresh: opts.refresh,
      onEvent: opts.verbose ? (event) => printEvent(ctx, event) : undefined,
    });
    return { report, resolver };
  } catch (err) {
    try {
      await resolver.close();
    } catch {
      /* ignore */
    }
    throw err;
  }
}

/** The ResolutionError naming each failed required secret (exit 3), with the first failure's hint. */
function requiredFailures(report: Report): ResolutionError {
  const failed = report.failures.filter((f) => f.required);
  return new ResolutionError(
    failed.map((f) => ({ envVar: f.envVar, reference: f.reference, reason: oneLine(f.error.message) })),
    failed.map((f) => f.error.hint).find(Boolean) ?? 'check the references with `docker vaultmcp service show SERVICE`, then run `docker vaultmcp doctor`',
  );
}

/** `--verbose` resolver events: names, sources, timings, retries, breaker; never values. Must not throw. */
function printEvent(ctx: AppContext, e: ResolverEvent): void {
  try {
    switch (e.type) {
      case 'cache':
        warn(ctx, `cache ${e.outcome} for ${e.reference}${e.ageMs !== undefined ? ` (age ${Math.round(e.ageMs / 1000)} s)` : ''}`);
        break;
      case 'sdk_loaded':
        warn(ctx, `OCI SDK loaded in ${e.ms.toFixed(1)} ms`);
        break;
      case 'attempt':
        warn(ctx, `vault ${e.op} for ${e.reference}, attempt ${e.attempt}`);
        break;
      case 'retry':
        warn(ctx, `retrying ${e.reference} in ${Math.round(e.delayMs)} ms after ${e.kind}${e.status ? ` (HTTP ${e.status})` : ''}`);
        break;
      case 'breaker':
        warn(ctx, `circuit breaker ${e.state.replace('_', '-')}`);
        break;
      case 'purged':
        warn(ctx, `cached copy of ${e.reference} removed (${e.kind})`);
        break;
      case 'resolved':
      case 'failed':
        break; // summarised per secret by printMetrics
    }
  } catch {
    /* diagnostics never break a launch */
  }
}

function printMetrics(ctx: AppContext, report: Report): void {
  for (const s of report.secrets) {
    warn(
      ctx,
      `${s.envVar}: ${s.source}${s.versionNumber !== undefined ? ` v${s.versionNumber}` : ''}` +
        ` in ${s.ms.toFixed(1)} ms, ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}` +
        (s.ageMs !== undefined ? `, cached ${Math.round(s.ageMs / 1000)} s ago` : '') +
        ` (${s.reference})`,
    );
  }
  for (const f of report.failures) {
    warn(ctx, `${f.envVar}: FAILED after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}, ${f.ms.toFixed(1)} ms: ${oneLine(f.error.message)}`);
  }
  const m = report.metrics;
  warn(
    ctx,
    `resolved in ${m.totalMs.toFixed(1)} ms: fetched ${m.secretsFetched}, cache hits ${m.cacheHits}, misses ${m.cacheMisses}, ` +
      `stale ${m.staleServed}, retries ${m.retries}, breaker opens ${m.breakerOpens}`,
  );
}

/**
 * `--test` output: each variable with its source and a masked value; text on stderr, `--json` on stdout.
 * @returns true when every required secret resolved
 */
function printTest(
  ctx: AppContext,
  opts: {
    service: { name: string; origin: string };
    environment: string;
    command: string[];
    /** The server's working directory. */
    cwd: string;
    /** The resolved executable, or why it was not found. */
    executable: string | Error;
    specs: SecretSpec[];
    report: Report;
    json: boolean;
  },
): boolean {
  const { report } = opts;
  const ok = !report.failures.some((f) => f.required);
  const secrets = report.secrets.map((s) => ({
    envVar: s.envVar,
    reference: s.reference,
    source: s.source,
    ...(s.secretId ? { secretId: s.secretId } : {}),
    ...(s.versionNumber !== undefined ? { versionNumber: s.versionNumber } : {}),
    masked: maskSecret(s.value),
    attempts: s.attempts,
    ms: round(s.ms),
    ...(s.ageMs !== undefined ? { ageMs: Math.round(s.ageMs) } : {}),
  }));
  const failures = report.failures.map((f) => ({
    envVar: f.envVar,
    reference: f.reference,
    required: f.required,
    kind: (f.error as { kind?: string }).kind ?? 'error',
    message: oneLine(f.error.message),
    attempts: f.attempts,
    ms: round(f.ms),
  }));
  if (opts.json) {
    const out = {
      ok,
      service: opts.service.name,
      origin: opts.service.origin,
      environment: opts.environment,
      command: opts.command,
      cwd: opts.cwd,
      executable: typeof opts.executable === 'string' ? opts.executable : null,
      ...(typeof opts.executable === 'string' ? {} : { executableError: oneLine(opts.executable.message) }),
      secrets,
      failures,
      metrics: { ...report.metrics, totalMs: round(report.metrics.totalMs) },
      warnings: report.warnings,
    };
    writeJson(ctx, out);
    return ok;
  }
  const lines: string[] = [];
  lines.push(`service ${opts.service.name} (${opts.service.origin}), environment ${opts.environment}`);
  const width = Math.max(8, ...opts.specs.map((s) => s.envVar.length));
  for (const s of secrets) {
    lines.push(
      `  ✓ ${s.envVar.padEnd(width)}  ${s.masked}  from ${s.source}` +
        `  ${s.reference}${s.versionNumber !== undefined ? ` v${s.versionNumber}` : ''}` +
        (s.secretId ? `  ${s.secretId}` : '') +
        `  ${s.ms} ms` +
        (s.ageMs !== undefined ? `, cached ${Math.round(s.ageMs / 1000)} s ago` : ''),
    );
  }
  for (const f of failures) {
    lines.push(`  ${f.required ? '✗' : '-'} ${f.envVar.padEnd(width)}  ${f.required ? 'FAILED' : 'failed (optional)'}: ${f.message}  (${f.reference})`);
  }
  for (const w of report.warnings) if (!w.startsWith('optional secret ')) lines.push(`  warning: ${oneLine(w)}`);
  lines.push(`  working directory: ${opts.cwd}`);
  lines.push(
    `  command: ${opts.command.join(' ')}` +
      (typeof opts.executable === 'string' ? `  (${opts.executable})` : `  (NOT FOUND: ${oneLine(opts.executable.message)})`),
  );
  const m = report.metrics;
  lines.push(
    `${ok ? 'ok' : 'FAILED'}: ${secrets.length}/${opts.specs.length} resolved in ${round(m.totalMs)} ms ` +
      `(fetched ${m.secretsFetched}, cache hits ${m.cacheHits}, stale ${m.staleServed}, retries ${m.retries})`,
  );
  ctx.stderr.write(lines.join('\n') + '\n');
  return ok;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
