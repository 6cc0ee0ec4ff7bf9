import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Readable, Transform, Writable } from 'node:stream';
import { CommandNotFoundError, UsageError, VaultMcpError } from '../errors.js';
import { absolutePathEntries } from './env.js';
import { EXIT_NOT_EXECUTABLE, resolveExecutable } from './executable.js';
import { LineFilterStream, type MessageFilter } from './filters.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

/** Default ms between SIGTERM and SIGKILL of the server's process group (`docker stop`'s default). */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Signals we forward to the MCP server. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Where signals come from: `process` in the CLI, an EventEmitter in tests. */
export interface SignalSource {
  on(event: ForwardedSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: ForwardedSignal, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** What the launcher reports while it runs (for `--verbose`; never contains values or the environment). */
export type LaunchEvent =
  | { type: 'spawned'; pid: number; file: string; ms: number }
  | { type: 'signal'; signal: NodeJS.Signals }
  | { type: 'first-output'; ms: number }
  | { type: 'stdin-end' }
  /**
   * We stop the server: `stdin-end` (the client went away), `stop-timeout` (it outlived the stop timeout after a
   * SIGTERM/SIGINT/SIGHUP; SIGKILL to its group), `exited` (it exited but its process group still had members).
   */
  | { type: 'stop'; signal: 'SIGTERM' | 'SIGKILL'; reason: 'stdin-end' | 'stop-timeout' | 'exited' }
  | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null; exitCode: number }
  | { type: 'stdout-error'; message: string };

export interface LaunchOptions {
  /** argv of the MCP server: `[command, ...args]`. Run directly, never through a shell. */
  command: readonly string[];
  /** The executable `command[0]` already resolved (resolveExecutable) in `cwd` on `env.PATH`; default: resolved here. */
  file?: string;
  /** The child's complete environment (see buildChildEnv); nothing else is inherited. */
  env: Record<string, string>;
  /** Working directory of the child. */
  cwd: string;
  /**
   * Our stdin (the MCP client's requests), piped to the child. This and `stdout` (and `stderr` when there is a
   * `stderrFilter`) are read only once the child has been spawned: a getter may build them then (run does, so the
   * ~ms of building Node's stdio streams overlap the server's start-up).
   */
  stdin: Readable;
  /** Our stdout (to the MCP client); receives only the child's stdout through the filter chain. */
  stdout: Writable;
  /** The child's stderr: `'inherit'` shares our fd 2 (no copy); a stream gets a pipe (tests). */
  stderr: 'inherit' | Writable;
  /** Stream filters on the child's stdout (default none: byte-exact pass-through of whole lines). */
  filters?: readonly MessageFilter[];
  /**
   * Stream filters on the client's messages to the child (default none: our stdin is piped straight through). Their
   * replies (FilterContext.reply) go to our stdout, between the child's messages.
   */
  inputFilters?: readonly MessageFilter[];
  /**
   * A byte-stream transform for the child's stderr (the leak guard's redactor), or a factory called once the child
   * is spawned. When given, the child's stderr is piped through it to `stderr` (which must then be a stream) and it
   * is ended and drained when the child exits.
   */
  stderrFilter?: Transform | (() => Transform);
  /** Signal source; default `process`. */
  signals?: SignalSource;
  /** After our stdin ends, ms before SIGTERM if the child has not exited; default 2000. */
  stdinGraceMs?: number;
  /**
   * After a SIGTERM (ours at stdin EOF, or a forwarded SIGTERM/SIGINT/SIGHUP), ms before SIGKILL to the child's
   * whole process group; also how long its group gets after it exited. Default {@link DEFAULT_STOP_TIMEOUT_MS}.
   */
  stopTimeoutMs?: number;
  /** Start the parent-death watchdog (watchdog.ts); default true on POSIX. */
  watchdog?: boolean;
  /** After the child exits, ms to wait for its stdout to drain (a grandchild may hold it open); default 2000. */
  drainTimeoutMs?: number;
  onEvent?: (event: LaunchEvent) => void;
}

export interface LaunchResult {
  /** Our exit code: the child's code, or 128+N when a signal N ended it. */
  exitCode: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Signals we forwarded, in order. */
  forwarded: NodeJS.Signals[];
  /** True when the child was stopped (or exited) after the client closed our stdin. */
  stdinEnded: boolean;
  /** Wall time from spawn to exit, ms. */
  ms: number;
}

/**
 * Maps how a child ended to our exit code: its own code, or 128+N if signal N killed it (shell convention).
 * @param code exit code from the 'exit' event, null when killed by a signal
 * @param signal the signal name, null when it exited normally
 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return n ? 128 + n : 1;
}

/**
 * Starts the MCP server and stays between it and the client until it exits:
 * - the executable is resolved on the child's PATH first (missing → CommandNotFoundError, exit 127);
 * - stdin: ours is piped to the child; when ours ends (the client went away) the child's stdin is closed, then
 *   SIGTERM after `stdinGraceMs`, then SIGKILL to its process group after `stopTimeoutMs`;
 * - stdout: the child's goes through a {@link LineFilterStream} to ours, with backpressure;
 * - stderr: inherited (or piped to the given stream);
 * - SIGINT/SIGTERM/SIGHUP we receive are forwarded to the child. On POSIX the child runs in its own process
 *   group, so a terminal's Ctrl-C reaches it once (through us), not twice. A child still alive `stopTimeoutMs`
 *   after the first of them gets SIGKILL, with its whole process group (like `docker stop`);
 * - on every exit path, once the child has exited, whatever is left of its process group (workers it started)
 *   gets SIGTERM, then SIGKILL after `stopTimeoutMs`: nothing that holds the secrets outlives the launch;
 * - if we die without running any of this (SIGKILL), the watchdog (watchdog.ts) stops the group, and the child
 *   sees EOF on its stdin.
 * Resolves when the child has exited and its stdout has been written out. Never writes to `stdout` itself.
 * @throws CommandNotFoundError (127), VaultMcpError 126 (not executable) — before anything was started
 */
export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const [command, ...args] = options.command;
  if (!command) throw new VaultMcpError('target_command is empty', { exitCode: 2 });
  assertSpawnable(args, options.env);
  const file = options.file ?? resolveExecutable(command, options.env, options.cwd);
  const signals = options.signals ?? (process as unknown as SignalSource);
  const stdinGraceMs = options.stdinGraceMs ?? 2000;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const drainTimeoutMs = options.drainTimeoutMs ?? 2000;
  const emit = options.onEvent ?? (() => {});
  const posix = process.platform !== 'win32';

  const started = performance.now();
  // absolute PATH entries only, whoever built the environment (env.ts does it too)
  const env = Object.hasOwn(options.env, 'PATH') ? { ...options.env, PATH: absolutePathEntries(options.env.PATH!) } : options.env;
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env,
      argv0: command,
      stdio: ['pipe', 'pipe', !options.stderrFilter && options.stderr === 'inherit' ? 'inherit' : 'pipe'],
      detached: posix,
      windowsHide: true,
    });
  } catch (err) {
    // some failures (E2BIG, EACCES on some platforms) are thrown by spawn itself rather than emitted
    throw spawnFailure(err as NodeJS.ErrnoException, command, file);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => reject(spawnFailure(err, command, file)));
  });
  emit({ type: 'spawned', pid: child.pid!, file, ms: performance.now() - started });
  const watchdog: Watchdog | undefined = posix && options.watchdog !== false ? startWatchdog(child.pid!, stopTimeoutMs, stdinGraceMs) : undefined;

  let exited = false;
  const forwarded: NodeJS.Signals[] = [];
  let stdinEnded = false;
  const timers: NodeJS.Timeout[] = [];
  // SIGKILL to the whole group once the stop timeout has passed after our first stop request
  let escalation: NodeJS.Timeout | undefined;
  const escalateLater = (reason: 'stdin-end' | 'stop-timeout') => {
    if (escalation || exited) return;
    escalation = setTimeout(() => {
      if (exited) return;
      emit({ type: 'stop', signal: 'SIGKILL', reason });
      safeKill(child, 'SIGKILL', posix);
    }, stopTimeoutMs);
    timers.push(escalation);
  };

  // Signals: forward to the child itself (npx & co forward further down); escalate if it ignores them.
  const onSignal = (signal: NodeJS.Signals) => {
    forwarded.push(signal);
    emit({ type: 'signal', signal });
    if (exited) return;
    safeKill(child, signal, false);
    escalateLater('stop-timeout');
  };
  for (const s of FORWARDED_SIGNALS) signals.on(s, onSignal);

  // stdout: child → filters → ours. If our stdout breaks (client gone), keep draining the child so it never
  // blocks on a full pipe; the stdin EOF path stops it.
  const filter = new LineFilterStream(options.filters ?? []);
  const stdoutDone = new Promise<void>((resolve) => {
    filter.once('end', resolve);
    filter.once('error', resolve);
    child.stdout!.once('error', resolve);
  });
  const onStdoutError = (err: Error) => {
    emit({ type: 'stdout-error', message: (err as NodeJS.ErrnoException).code ?? err.name });
    filter.unpipe(options.stdout);
    filter.resume();
  };
  options.stdout.on('error', onStdoutError);
  filter.on('error', (err) => {
    emit({ type: 'stdout-error', message: err.message });
    child.stdout!.unpipe(filter);
    child.stdout!.resume();
  });
  filter.once('data', () => emit({ type: 'first-output', ms: performance.now() - started }));
  child.stdout!.pipe(filter).pipe(options.stdout, { end: false });

  let stderrDone: Promise<void> = Promise.resolve();
  // a factory is called only now, after the spawn (its stream's set-up then overlaps the server's start-up)
  const redactor = typeof options.stderrFilter === 'function' ? options.stderrFilter() : options.stderrFilter;
  if (redactor) {
    stderrDone = new Promise<void>((resolve) => {
      redactor.once('end', resolve);
      redactor.once('error', resolve);
    });
    child.stderr!.pipe(redactor);
    if (options.stderr !== 'inherit') redactor.pipe(options.stderr, { end: false });
    else redactor.resume(); // no destination given: consumed (and dropped) so the child never blocks
  } else if (options.stderr !== 'inherit') child.stderr!.pipe(options.stderr, { end: false });

  // stdin: ours → child. EOF from the client means it went away: close the child's stdin, then stop it.
  child.stdin!.on('error', () => {}); // EPIPE once the child has exited
  const inputFilter = options.inputFilters?.length ? new LineFilterStream(options.inputFilters, { reply: (m) => filter.inject(m) }) : undefined;
  inputFilter?.on('error', () => inputFilter.unpipe(child.stdin!));
  const onStdinEnd = () => {
    stdinEnded = true;
    emit({ type: 'stdin-end' });
    // with input filters, the child's stdin closes once the last filtered message has been written
    if (inputFilter) inputFilter.once('end', () => child.stdin!.end());
    else child.stdin!.end();
    if (exited) return;
    timers.push(
      setTimeout(() => {
        if (exited) return;
        emit({ type: 'stop', signal: 'SIGTERM', reason: 'stdin-end' });
        safeKill(child, 'SIGTERM', false);
        escalateLater('stdin-end');
      }, stdinGraceMs).unref(),
    );
  };
  options.stdin.once('end', onStdinEnd);
  if (inputFilter) options.stdin.pipe(inputFilter).pipe(child.stdin!, { end: false });
  else options.stdin.pipe(child.stdin!, { end: false });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]));
  });
  exited = true;
  const ms = performance.now() - started;
  for (const t of timers) clearTimeout(t);
  for (const s of FORWARDED_SIGNALS) signals.off(s, onSignal);
  options.stdin.off('end', onStdinEnd);
  if (inputFilter) {
    options.stdin.unpipe(inputFilter);
    inputFilter.unpipe(child.stdin!);
  } else options.stdin.unpipe(child.stdin!);
  if (options.stdin === process.stdin) process.stdin.pause();
  child.stdin!.destroy();

  // What the server started (workers, a shell's children) must not outlive it: stop its process group too.
  // That also frees its stdout if a grandchild still holds it, so the drain below ends.
  const groupGone = posix ? stopGroup(child.pid!, stopTimeoutMs, emit) : Promise.resolve();

  // Everything the server wrote before exiting must reach the client.
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([stdoutDone, stderrDone]),
    new Promise<void>((resolve) => {
      drainTimer = setTimeout(() => {
        child.stdout!.destroy();
        filter.end();
        if (redactor) {
          child.stderr!.destroy();
          redactor.end();
        }
        resolve();
      }, drainTimeoutMs);
    }),
  ]);
  clearTimeout(drainTimer);
  await groupGone;
  watchdog?.disarm();
  await flush(options.stdout);
  options.stdout.off('error', onStdoutError);

  const exitCode = exitCodeOf(code, signal);
  emit({ type: 'exit', code, signal, exitCode });
  return { exitCode, code, signal, forwarded, stdinEnded, ms };
}

/**
 * argv and environment entries are C strings: a NUL byte would cut them, and spawn refuses them with a TypeError.
 * @throws UsageError (exit 2) naming the argument position or variable, never its value
 */
export function assertSpawnable(args: readonly string[], env: Readonly<Record<string, string>>): void {
  const arg = args.findIndex((a) => a.includes('\0'));
  if (arg >= 0) throw new UsageError(`argument ${arg + 1} of the server command contains a NUL character, which a command line cannot carry`, 'remove it from the arguments (after --) or from target_command');
  for (const [name, value] of Object.entries(env)) {
    if (name.includes('\0') || name.includes('=') || value.includes('\0')) {
      const shown = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : '(a variable whose name is not shown)';
      throw new UsageError(`the server's environment variable ${shown} contains a NUL character (or its name an '='), which an environment cannot carry`, 'remove it from env_overrides, or store the secret value without NUL bytes (e.g. base64-encoded)');
    }
  }
}

/** Our error for a failed spawn: 127 not found, 126 not executable, 2 too large (E2BIG), else 1. */
function spawnFailure(err: NodeJS.ErrnoException, command: string, file: string): VaultMcpError {
  if (err.code === 'ENOENT') return new CommandNotFoundError(command);
  if (err.code === 'EACCES') return new VaultMcpError(`cannot execute ${file}: permission denied`, { exitCode: EXIT_NOT_EXECUTABLE });
  if (err.code === 'E2BIG') {
    return new UsageError(`cannot start ${command}: its arguments and environment are larger than the system allows (E2BIG)`, 'pass fewer or shorter arguments after --, or fewer/shorter env_overrides');
  }
  return new VaultMcpError(`cannot start ${command} (${err.code ?? 'error'})`, { exitCode: 1 });
}

/**
 * Sends `signal` to the child, or to its whole process group when `group` (POSIX; falls back to the child).
 * Never throws (the child may be gone).
 */
export function safeKill(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
  try {
    if (group && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * True while a running process is in process group `pgid`. Zombies do not count: an orphan that exited waits for
 * PID 1 to reap it, which in a container without an init can take long or never happen, and a zombie holds nothing.
 * Linux: /proc/PID/stat (`pid (comm) STATE ppid pgrp …`); elsewhere kill(-pgid, 0).
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/**
 * Stops what is left of process group `pgid` after its leader exited: SIGTERM, then SIGKILL after `timeoutMs`.
 * Resolves when the group is empty (checked every 20 ms: the kernel has no event for it) or after the SIGKILL.
 */
async function stopGroup(pgid: number, timeoutMs: number, emit: (e: LaunchEvent) => void): Promise<void> {
  if (!groupAlive(pgid)) return;
  emit({ type: 'stop', signal: 'SIGTERM', reason: 'exited' });
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = performance.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) {
      emit({ type: 'stop', signal: 'SIGKILL', reason: 'exited' });
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream is broken). */
function flush(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}
