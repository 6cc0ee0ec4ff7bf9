import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CommandNotFoundError, VaultMcpError } from '../errors.js';
import { EXIT_NOT_EXECUTABLE } from './executable.js';
import { safeKill } from './launch.js';
import { startWatchdog } from './watchdog.js';

/**
 * One MCP server process whose stdio we hold, for relays that may run more than one server over a session
 * (`run --watch`: core/mcp/session-switch.ts). `launch()` (launch.ts) is the one-server form that also owns the
 * client's streams; this is the lower-level piece: start, talk, stop.
 */
export interface ServerProcess {
  readonly pid: number;
  /** The server's stdin (JSON-RPC messages from the client). Errors after exit (EPIPE) are swallowed. */
  readonly stdin: Writable;
  /** The server's stdout (JSON-RPC messages to the client). */
  readonly stdout: Readable;
  /** Resolves once the process has exited: its exit code, or the signal that ended it. Never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once `exited` has resolved. */
  readonly hasExited: boolean;
  /** Sends `signal` to the server (not its process group). Never throws. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Stops the server: closes its stdin, SIGTERM after `termAfterMs` if it has not exited, then SIGKILL to its
   * whole process group (its workers too) `killAfterMs` later.
   * @returns once it has exited
   */
  stop(options?: { termAfterMs?: number; killAfterMs?: number }): Promise<void>;
}

export interface StartServerOptions {
  /** The executable, already resolved (resolveExecutable). */
  file: string;
  /** argv: `[command, ...args]`; `command` is the child's argv[0]. */
  command: readonly string[];
  /** The complete environment of the child (nothing else is inherited). */
  env: Record<string, string>;
  cwd: string;
  /**
   * `'inherit'` shares our fd 2; a stream gets a pipe. A stream of its own (e.g. a leak guard's redactor, one per
   * server) is ended with the server's stderr when `endStderr`, so it flushes what it held back.
   */
  stderr: 'inherit' | Writable;
  endStderr?: boolean;
  /**
   * The parent-death watchdog (watchdog.ts): if we die, the server's group gets SIGTERM after `stdinGraceMs` and
   * SIGKILL `stopTimeoutMs` later. Default: none.
   */
  watchdog?: { stopTimeoutMs: number; stdinGraceMs: number };
}

/**
 * Starts one MCP server in its own process group (POSIX), stdio piped.
 * @returns once the OS has started it
 * @throws CommandNotFoundError (127) when the file does not exist, VaultMcpError 126 when it is not executable,
 *   VaultMcpError (1) for other spawn failures
 */
export async function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  const [command, ...args] = options.command;
  if (!command) throw new VaultMcpError('target_command is empty', { exitCode: 2 });
  const posix = process.platform !== 'win32';
  const child = spawn(options.file, args, {
    cwd: options.cwd,
    env: options.env,
    argv0: command,
    stdio: ['pipe', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
    detached: posix,
    windowsHide: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new CommandNotFoundError(command));
      else if (err.code === 'EACCES') reject(new VaultMcpError(`cannot execute ${options.file}: permission denied`, { exitCode: EXIT_NOT_EXECUTABLE }));
      else reject(new VaultMcpError(`cannot start ${command} (${err.code ?? 'error'})`, { exitCode: 1 }));
    });
  });
  child.stdin!.on('error', () => {});
  const watchdog = options.watchdog && posix ? startWatchdog(child.pid!, options.watchdog.stopTimeoutMs, options.watchdog.stdinGraceMs) : undefined;
  if (options.stderr !== 'inherit') child.stderr!.pipe(options.stderr, { end: options.endStderr ?? false });
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      // on every exit path, what is left of its process group (workers it started) goes too: SIGTERM now, SIGKILL
      // after the stop timeout; then the watchdog can stand down
      if (posix) {
        safeKill(child, 'SIGTERM', true);
        setTimeout(() => {
          killGroup(child, posix);
          watchdog?.disarm();
        }, options.watchdog?.stopTimeoutMs ?? 2000).unref();
      }
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid!,
    stdin: child.stdin!,
    stdout: child.stdout!,
    exited,
    get hasExited() {
      return hasExited;
    },
    signal: (signal) => {
      if (!hasExited) safeKill(child, signal, false);
    },
    stop: async ({ termAfterMs = 0, killAfterMs = 2000 } = {}) => {
      child.stdin!.end();
      if (hasExited) {
        killGroup(child, posix);
        return watchdog?.disarm();
      }
      const timers: NodeJS.Timeout[] = [];
      timers.push(
        setTimeout(() => {
          safeKill(child, 'SIGTERM', false);
          timers.push(setTimeout(() => safeKill(child, 'SIGKILL', posix), killAfterMs).unref());
        }, termAfterMs).unref(),
      );
      await exited;
      for (const t of timers) clearTimeout(t);
      killGroup(child, posix);
      watchdog?.disarm();
    },
  };
}

/** After the server exited: its process group's leftovers (workers it started) get SIGKILL too. */
function killGroup(child: ChildProcess, posix: boolean): void {
  if (!posix || !child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* the group is empty */
  }
}
