import type { AppContext } from '../../core/context.js';
import type { SessionSwitchEvent, Timers } from '../../core/mcp/session-switch.js';
import type { ResolutionReport, Resolver } from '../../core/resolve/resolver.js';
import type { SignalSource } from '../../core/launcher/index.js';
import type { GuardEvent, GuardedSecret, LeakGuard, LeakGuardMode } from '../../core/guard/index.js';
import type { MessageFilter } from '../../core/launcher/filters.js';
import { withSecrets, type RunPlan } from './plan.js';

const valuesOf = (report: ResolutionReport): Record<string, string> => Object.fromEntries(report.secrets.map((s) => [s.envVar, s.value]));

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
  /**
   * What protects the servers (app/run/run.ts prepareProtection): the first server's variables (values and file
   * paths), the variables of later ones, the leak guard's mode and event sink, and the audit hooks. Without it,
   * servers get the plain values and no guard (tests of the switching alone).
   */
  protection?: WatchProtection;
  /** One values-free line for stderr. */
  onLine: (line: string) => void;
  onSwitchEvent?: (event: SessionSwitchEvent) => void;
}

/** The parts of a run's protection a watched run uses for each of its servers. */
export interface WatchProtection {
  /** The first server's environment values by variable (file secrets as paths). */
  variables: Record<string, string>;
  /** A later server's variables for a new resolution, and the removal of its files. */
  variablesFor(next: ResolutionReport): Promise<{ variables: Record<string, string>; cleanup(): Promise<void> }>;
  guardMode: LeakGuardMode;
  onGuardEvent: (event: GuardEvent) => void;
  /** A server started with `next`'s values. */
  started(pid: number, next: ResolutionReport): void;
  exited(code: number | null, signal: NodeJS.Signals | null, exitCode: number, pid: number): void;
  /** A values-free line for the audit trail (a switch, or a switch that did not happen). */
  note(message: string): void;
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
  // The leak guard knows every value this session has injected (old ones stay secrets after a rotation), and is
  // rebuilt when a switch adds new ones; the relay's filters delegate to the current one.
  const protection = options.protection;
  const guarded: GuardedSecret[] = [];
  let guard: LeakGuard | undefined;
  const guardValues = async (secrets: ResolutionReport) => {
    if (!protection) return;
    for (const s of secrets.secrets) if (!guarded.some((g) => g.envVar === s.envVar && g.value === s.value)) guarded.push({ envVar: s.envVar, value: s.value });
    const { createLeakGuard } = await import('../../core/guard/index.js');
    guard = createLeakGuard({ secrets: guarded, mode: protection.guardMode, onEvent: protection.onGuardEvent });
  };
  await guardValues(report);
  const serverToClient: MessageFilter = { name: 'leak-guard', transform: (m, c) => (guard ? guard.serverToClient.transform(m, c) : m) };
  const clientToServer: MessageFilter = { name: 'leak-guard', transform: (m, c) => (guard ? guard.clientToServer.transform(m, c) : m) };

  /** One server: its own fresh private directory and file secrets (removed when it has exited), parent-death watchdog. */
  const start = async (secrets: ResolutionReport, first = false) => {
    const prepared = first
      ? { variables: protection?.variables ?? valuesOf(secrets), cleanup: async () => {} } // the run removes the first one's files
      : protection
        ? await protection.variablesFor(secrets)
        : { variables: valuesOf(secrets), cleanup: async () => {} };
    const runDir = await createRunDirectory({ dir: plan.workdir, fresh: plan.workdirFresh });
    try {
      const redactor = guard?.stderrRedactor();
      redactor?.pipe(ctx.stderr, { end: false });
      const server = await startServerProcess({
        file: plan.executable as string,
        command: plan.command,
        env: withSecrets(plan, prepared.variables).env,
        cwd: runDir.path,
        stderr: redactor ?? 'inherit',
        endStderr: true,
        watchdog: { stopTimeoutMs, stdinGraceMs },
      });
      protection?.started(server.pid, secrets);
      void server.exited.then(async (exit) => {
        protection?.exited(exit.code, exit.signal, exitCodeOf(exit.code, exit.signal), server.pid);
        await runDir.remove();
        await prepared.cleanup().catch(() => {});
      });
      return server;
    } catch (err) {
      await runDir.remove();
      await prepared.cleanup().catch(() => {});
      throw err;
    }
  };

  const relay = new SessionSwitch({
    client: { stdin: ctx.stdin, stdout: ctx.stdout },
    first: await start(report, true),
    ...(protection && guard ? { filters: [serverToClient], inputFilters: [clientToServer] } : {}),
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
        protection?.note(`rotation: switched from pid ${e.fromPid} to pid ${e.toPid} in ${e.ms} ms`);
      } else if (e.type === 'switch-failed') {
        options.onLine(`the new server was not used: ${e.reason}; the running server keeps the session`);
        protection?.note(`rotation: the new server was not used (${e.reason})`);
      }
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
      await guardValues(fresh); // the guard covers old and new values from before the new server says anything
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
