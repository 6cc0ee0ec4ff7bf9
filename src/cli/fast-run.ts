import { executeRun } from './run-command.js';
import { lazyProcessContext } from './factory.js';
import { parseRunArgv } from './run-flags.js';

/**
 * The entry point's shortcut for `run` (an MCP client starts it for every session, so start-up time counts):
 * runs without loading oclif when the one flag spec (run-flags.ts) parses the arguments with certainty; renders
 * errors like the CLI (one line + hint, documented exit code) and exits the process.
 * @param argv our argv after `run`
 * @returns false (nothing done) when the arguments need oclif (help, errors)
 */
export async function fastRun(argv: readonly string[]): Promise<boolean> {
  const req = parseRunArgv(argv);
  if (!req) return false;
  const used = new Set<string>();
  try {
    await executeRun(lazyProcessContext((name) => used.add(name)), req);
  } catch (err) {
    const { renderError } = await import('./render-error.js');
    used.add('stderr');
    process.exitCode = renderError(err, process.stderr);
  }
  const { flushAndExit } = await import('./exit.js');
  return flushAndExit(Number(process.exitCode ?? 0), { stdout: used.has('stdout'), stderr: used.has('stderr') });
}
