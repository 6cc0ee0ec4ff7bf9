import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Readable, Transform, Writable } from 'node:stream';
import { CommandNotFoundError, VaultMcpError } from '../errors.js';
import { EXIT_NOT_EXECUTABLE, resolveExecutable } from './executable.js';
import { LineFilterStream, type MessageFilter } from './filters.js';

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
  | { type: 'stop'; signal: 'SIGTERM' | 'SIGKILL'; reason: 'stdin-end' }
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
  /** Our stdin (the MCP client's requests), piped to the child. */
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
   * A byte-stream transform for the child's stderr (the leak guard's redactor). When given, the child's stderr is
   * piped through it to `stderr` (which must then be a stream) and it is ended and drained when the child exits.
   */
  stderrFilter?: Transform;
  /** Signal source; default `process`. */
  signals?: SignalSource;
  /** After our stdin ends, ms before SIGTERM if the child has not exited; default 2000. */
  stdinGraceMs?: number;
  /** After that SIGTERM, ms before SIGKILL (to the child's process group); default 2000. */
  killGraceMs?: number;
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
 *   SIGTERM after `stdinGraceMs`, then SIGKILL to its process group after `killGraceMs`;
 * - stdout: the child's goes through a {@link LineFilterStream} to ours, with backpressure;
 * - stderr: inherited (or piped to the given stream);
 * - SIGINT/SIGTERM/SIGHUP we receive are forwarded to the child. On POSIX the child runs in its own process
 *   group, so a terminal's Ctrl-C reaches it once (through us), not twice.
 * Resolves when the child has exited and its stdout has been written out. Never writes to `stdout` itself.
 * @throws CommandNotFoundError (127), VaultMcpError 126 (not executable) — before anything was started
 */
export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const [command, ...args] = options.command;
  if (!command) throw new VaultMcpError('target_command is empty', { exitCode: 2 });
  const file = options.file ?? resolveExecutable(command, options.env, options.cwd);
  const signals = options.signals ?? (process as unknown as SignalSource);
  const stdinGraceMs = options.stdinGraceMs ?? 2000;
  const killGraceMs = options.killGraceMs ?? 2000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 2000;
  const emit = options.onEvent ?? (() => {});
  const posix = process.platform !== 'win32';

  const started = performance.now();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    argv0: command,
    stdio: ['pipe', 'pipe', options.stderr === 'inherit' && !options.stderrFilter ? 'inherit' : 'pipe'],
    detached: posix,
    windowsHide: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new CommandNotFoundError(command));
      else if (err.code === 'EACCES') {
        reject(new VaultMcpError(`cannot execute ${file}: permission denied`, { exitCode: EXIT_NOT_EXECUTABLE }));
      } else reject(new VaultMcpError(`cannot start ${command} (${err.code ?? 'error'})`, { exitCode: 1 }));
    });
  });
  emit({ type: 'spawned', pid: child.pid!, file, ms: performance.now() - started });

  let exited = false;
  const forwarded: NodeJS.Signals[] = [];
  let stdinEnded = false;
  const timers: NodeJS.Timeout[] = [];

  // Signals: forward to the child itself; npx & co forward further down.
  const onSignal = (signal: NodeJS.Signals) => {
    forwarded.push(signal);
    emit({ type: 'signal', signal });
    if (!exited) safeKill(child, signal, false);
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
  if (options.stderrFilter) {
    const redactor = options.stderrFilter;
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
        timers.push(
          setTimeout(() => {
            if (exited) return;
            emit({ type: 'stop', signal: 'SIGKILL', reason: 'stdin-end' });
            safeKill(child, 'SIGKILL', posix);
          }, killGraceMs).unref(),
        );
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

  // Everything the server wrote before exiting must reach the client.
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([stdoutDone, stderrDone]),
    new Promise<void>((resolve) => {
      drainTimer = setTimeout(() => {
        child.stdout!.destroy();
        filter.end();
        if (options.stderrFilter) {
          child.stderr!.destroy();
          options.stderrFilter.end();
        }
        resolve();
      }, drainTimeoutMs);
    }),
  ]);
  clearTimeout(drainTimer);
  await flush(options.stdout);
  options.stdout.off('error', onStdoutError);

  const exitCode = exitCodeOf(code, signal);
  emit({ type: 'exit', code, signal, exitCode });
  return { exitCode, code, signal, forwarded, stdinEnded, ms };
}

function safeKill(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
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
