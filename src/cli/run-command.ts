import os from 'node:os';
import pkg from '../../package.json' with { type: 'json' };
import { prefetchCacheKey, requiredFailures, runService } from '../app/run/run.js';
import type { RunRequest } from '../app/run/request.js';
import type { AppContext } from '../core/context.js';
import { renderTestReport, runEventPrinter } from '../ui/run/report.js';
import { createOutput } from './output.js';
import { renderError } from './render-error.js';

/**
 * The executable starts with a raised JIT tier-up threshold (scripts/build-binary.mjs `--compile-jit-policy`):
 * a launch is short, one-shot code, and JIT threads compiling it compete with the server for the CPU. Once the
 * server has answered (its first output), the relay may run for hours: normal JIT policy from then on.
 * A no-op outside a Bun executable (Node, tests).
 */
function restoreJitPolicy(): void {
  (globalThis as { Bun?: { unsafe?: { setJITPolicy?: (scale: number) => void } } }).Bun?.unsafe?.setJITPolicy?.(1);
}

/** Signals that stop a launch before the server has started (afterwards the launcher forwards them). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `run` as the CLI does it, for both parsers (the oclif command and the fast path): renders the use-case's events,
 * the `--test` report, and owns the process-level pieces the use-case must not touch (a stop signal before the
 * server starts ends us at once; the exit code). Sets `process.exitCode`.
 * @throws the use-case's errors (the caller renders them)
 */
export async function executeRun(ctx: AppContext, req: RunRequest): Promise<void> {
  const out = createOutput(ctx);
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
  const print = runEventPrinter(out, req.verbose);
  try {
    // `--test` on a terminal shows what it waits for; a plain run's stderr belongs to the MCP client's log
    const outcome = await out.during(`resolving the secrets of ${req.service}`, () => runService(ctx, req, {
      // CPU work the launch needs anyway (our stdio streams) runs while the keychain answers
      keychainFor: (settings, answer) => prefetchCacheKey(ctx, settings, () => void [ctx.stdin, ctx.stdout, ctx.stderr], answer),
      snapshot: {
        executable: { path: process.execPath, version: pkg.version },
        readKeychainKey: async () => {
          const { CACHE_KEY_ACCOUNT, sharedKeychain } = await import('../core/keychain.js');
          return (await sharedKeychain()).get(CACHE_KEY_ACCOUNT);
        },
      },
      onExitCleanup: (cleanup) => {
        process.once('exit', cleanup);
        return () => process.off('exit', cleanup);
      },
      onEvent: (e) => {
        if (e.type === 'launching') removeEarly();
        if (e.type === 'launcher' && e.event.type === 'first-output') restoreJitPolicy();
        print(e);
      },
    }), { quiet: !req.test || !!req.json });
    if (outcome.kind === 'exited') {
      process.exitCode = outcome.exitCode;
      return;
    }
    renderTestReport(out, ctx.stderr, outcome.plan, outcome.report, req.json);
    if (!outcome.ok) {
      if (!req.json) throw requiredFailures(outcome.report);
      // --json: the report is on stdout; the error still goes to stderr and the exit code says 3
      process.exitCode = renderError(requiredFailures(outcome.report), ctx.stderr);
    }
  } finally {
    removeEarly();
  }
}
