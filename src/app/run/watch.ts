import type { AppContext } from '../../core/context.js';
import type { SessionSwitchEvent, Timers } from '../../core/mcp/session-switch.js';
import type { ResolutionReport, Resolver } from '../../core/resolve/resolver.js';
import type { SignalSource } from '../../core/launcher/index.js';
import { withSecrets, type RunPlan } from './plan.js';

/**
 * `run --watch`: live rotation (docs/run.md "Live rotation"). The server is started behind a session switch
 * (core/mcp/session-switch.ts); every `intervalMs` (±10 % jitter) the CURRENT version number of each secret that
 * follows CURRENT is read (metadata calls only, never a value); when one moved on, every secret is resolved again
 * from the vault (all-or-nothing), a second server is started with the new values, the client's session is
 * replayed to it, and traffic moves over; the old server finishes what it was asked within the grace period.
 * A vault outage (checks failing) restarts nothing. SIGUSR1 re-resolves at once (`run --reload PID` sends it).
 */

/** Signals a watched run listens to besides the forwarded ones. */
export interface WatchSignalSource extends SignalSource {
  on(event: 'SIGUSR1' | 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGUSR1' | 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface WatchOptions {
  /** Poll interval, ms (before jitter). */
  intervalMs: number;
  /** Stop the run (exit 3) when a switch fails, instead of keeping the old server. */
  strict: boolean;
  /** Requests in flight on the old server may still be answered for this long, ms. */
  graceMs?: number;
  /** The new server must answer the replayed initialize within this, ms. */
  initTimeoutMs?: number;
  /** 0..1 → the jitter factor; default Math.random. */
  random?: () => number;
  timers?: Timers;
  signals?: WatchSignalSource;
  /** `--stop-timeout`: ms between SIGTERM and SIGKILL of a server's process group; default 10 000. */
  stopTimeoutMs?: number;
  /** One values-free line for stderr. */
  onLine: (line: string) => void;
  onSwitchEvent?: (event: SessionSwitchEvent) => void;
}

/** Default poll interval of `--watch`: 300 s. */
export const DEFAULT_WATCH_INTERVAL_S = 300;

/**
 * The next poll delay: `intervalMs` ± 10 %, so many watchers started together do not poll in step.
 * @param random a number in [0, 1)
 */
export function jittered(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random));
}

/**
 * Runs the plan's server behind a session switch and keeps it on the vault's CURRENT versions.
 * @param report the first resolution (its values start the first server)
 * @returns the exit code: the current server's, or 128+N for a signal; 3 when `strict` and a switch failed
 */
export async function runWatched(ctx: AppContext, plan: RunPlan, report: ResolutionReport, resolver: Resolver, options: WatchOptions): Promise<number> {
  const [{ startServerProcess }, { SessionSwitch }, { createRunDirectory, DEFAULT_STOP_TIMEOUT_MS, exitCodeOf, FORWARDED_SIGNALS }] = await Promise.all([
    import('../../core/launcher/server-process.js'),
    import('../../core/mcp/session-switch.js'),
    import('../../core/launcher/index.js'),
  ]);
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const signals = options.signals ?? (process as unknown as WatchSignalSource);
  const random = options.random ?? Math.random;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const stdinGraceMs = 2000;
  /** One server: its own fresh private directory (removed when it has exited) and parent-death watchdog. */
  const start = async (secrets: ResolutionReport) => {
    const runDir = await createRunDirectory({ dir: plan.workdir, fresh: plan.workdirFresh });
    try {
      const server = await startServerProcess({
        file: plan.executable as string,
        command: plan.command,
        env: withSecrets(plan, Object.fromEntries(secrets.secrets.map((s) => [s.envVar, s.value]))).env,
        cwd: runDir.path,
        stderr: 'inherit',
        watchdog: { stopTimeoutMs, stdinGraceMs },
      });
      void server.exited.then(() => runDir.remove());
      return server;
    } catch (err) {
      await runDir.remove();
      throw err;
    }
  };

  const relay = new SessionSwitch({
    client: { stdin: ctx.stdin, stdout: ctx.stdout },
    first: await start(report),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.initTimeoutMs !== undefined ? { initTimeoutMs: options.initTimeoutMs } : {}),
    timers,
    stdinGraceMs,
    killGraceMs: stopTimeoutMs,
    onEvent: (e) => {
      options.onSwitchEvent?.(e);
      if (e.type === 'switched') {
        const lists = e.listsChanged.length ? `; told the client its ${e.listsChanged.join(', ')} changed` : '';
        options.onLine(`switched to the new server (pid ${e.toPid}) in ${e.ms} ms${e.replayed ? ', session replayed' : ''}${lists}`);
      } else if (e.type === 'switch-failed') options.onLine(`the new server was not used: ${e.reason}; the running server keeps the session`);
      else if (e.type === 'old-stopped' && e.answeredWithError > 0) options.onLine(`the old server (pid ${e.pid}) stopped; ${e.answeredWithError} request(s) it had not answered got an error`);
    },
  });

  let current = report;
  let stopped = false;
  let strictFailure = false;
  let busy: Promise<void> = Promise.resolve();

  /** Re-resolves every secret from the vault and switches when a value changed. */
  const rotate = (why: string) => {
    busy = busy.then(async () => {
      if (stopped) return;
      const fresh = await resolver.resolve(plan.selection.specs, { refresh: true }).catch(() => undefined);
      if (!fresh || fresh.failures.some((f) => f.required)) {
        const names = fresh?.failures.filter((f) => f.required).map((f) => f.envVar).join(', ');
        options.onLine(`${why}, but ${names ? `${names} could not be read` : 'the vault could not be read'}; the running server keeps its values`);
        return;
      }
      const before = new Map(current.secrets.map((s) => [s.envVar, s.value]));
      const moved = fresh.secrets.filter((s) => before.get(s.envVar) !== s.value);
      if (moved.length === 0 && fresh.secrets.length === current.secrets.length) {
        options.onLine(`${why}; no value changed, the server keeps running`);
        current = fresh;
        return;
      }
      const versions = moved.map((s) => `${s.envVar}${s.versionNumber !== undefined ? ` → version ${s.versionNumber}` : ''}`).join(', ');
      options.onLine(`${why}: ${versions || 'the set of secrets changed'}; starting a new server`);
      const result = await relay.switchTo(() => start(fresh));
      if (result.ok) current = fresh;
      else if (options.strict) {
        strictFailure = true;
        options.onLine('--watch-strict: stopping');
        relay.signalAll('SIGTERM');
      }
    });
    return busy;
  };

  let timer: unknown;
  const schedule = () => {
    if (stopped) return;
    timer = timers.setTimeout(() => void poll(), jittered(options.intervalMs, random()));
  };
  const poll = async () => {
    const { changed, failed } = await resolver.currentVersions(current, plan.selection.specs);
    if (changed.length > 0) await rotate(changed.map((c) => `${c.envVar} (${c.reference}) is now version ${c.to} (was ${c.from})`).join(', '));
    else if (failed > 0) options.onLine(`could not check ${failed} secret(s) in the vault; nothing restarted, next check in about ${Math.round(options.intervalMs / 1000)} s`);
    schedule();
  };
  schedule();

  const { registerWatcher } = await import('./watchers.js');
  const unregister = registerWatcher(plan.settings.cache.dir, process.pid, plan.service.name, new Date(ctx.now()));
  const onReload = () => void rotate('SIGUSR1 received');
  const onSignal = (signal: NodeJS.Signals) => relay.signalAll(signal);
  signals.on('SIGUSR1', onReload);
  for (const s of FORWARDED_SIGNALS) signals.on(s, onSignal);
  try {
    const exit = await relay.done;
    return strictFailure ? 3 : exitCodeOf(exit.code, exit.signal);
  } finally {
    stopped = true;
    unregister();
    timers.clearTimeout(timer);
    signals.off('SIGUSR1', onReload);
    for (const s of FORWARDED_SIGNALS) signals.off(s, onSignal);
    if (ctx.stdin === (process.stdin as unknown)) process.stdin.pause();
  }
}
