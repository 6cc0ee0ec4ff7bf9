import os from 'node:os';
import type { Readable, Writable } from 'node:stream';

/**
 * The outside world, passed into core code instead of read from globals (the `gh` factory pattern), so core
 * logic can be tested without monkey-patching. Commands build one from `process`; tests build their own.
 */
export interface AppContext {
  /** Environment variables seen by this invocation. */
  env: NodeJS.ProcessEnv;
  /** Working directory (only used to resolve relative paths the user typed, never to find config implicitly). */
  cwd: string;
  /** Home directory. */
  homeDir: string;
  stdin: Readable & { isTTY?: boolean };
  /** Reserved for command output; during `run` it belongs to the MCP server and we never write to it. */
  stdout: Writable & { isTTY?: boolean };
  /** Our diagnostics, warnings and progress. */
  stderr: Writable & { isTTY?: boolean };
  /** Clock in ms since the epoch (injectable for cache-age tests). */
  now: () => number;
}

/** Builds the context of the running process. */
export function processContext(): AppContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    homeDir: process.env.HOME || os.homedir(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
  };
}

/**
 * This process's environment as native code sees it, for the keychain's D-Bus fallback (core/session-bus.ts):
 * the variables, our uid, and the one place that changes the environment (libdbus reads it with getenv).
 */
export interface ProcessEnvironment {
  env: NodeJS.ProcessEnv;
  /** -1 where there are no uids (Windows). */
  uid: number;
}

/** The running process's {@link ProcessEnvironment}. */
export function processEnvironment(): ProcessEnvironment {
  return { env: process.env, uid: process.getuid?.() ?? -1 };
}

/** Writes one line to stderr, prefixed so users can tell our messages from the MCP server's. */
export function warn(ctx: Pick<AppContext, 'stderr'>, message: string): void {
  ctx.stderr.write(`vaultmcp: ${message}\n`);
}
