import { isVaultMcpError } from '../core/errors.js';

/**
 * Prints an error as one line plus an optional hint line on stderr, never a stack trace (set
 * VAULTMCP_DEBUG=1 to see one). Raw SDK errors never get here with their text: core wraps them first; anything
 * unknown is reported by class only, since its message may carry tokens.
 * @returns the process exit code for this error
 */
export function renderError(err: unknown, stderr: NodeJS.WritableStream): number {
  const debug = process.env.VAULTMCP_DEBUG === '1';
  if (isVaultMcpError(err)) {
    stderr.write(`Error: ${oneLine(err.message)}\n`);
    if (err.hint) stderr.write(`  Try: ${oneLine(err.hint)}\n`);
    if (debug && err instanceof Error) stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as { oclif?: { exit?: number }; code?: string; message?: string; stack?: string } | undefined;
  if (e?.code === 'EEXIT') return e.oclif?.exit ?? 0;
  if (e?.oclif) {
    // oclif's own parse and usage errors: their text is ours (flag names), safe to show.
    stderr.write(`Error: ${oneLine(stripAnsi(e.message ?? 'invalid usage'))}\n  Try: docker vaultmcp --help\n`);
    return e.oclif.exit === 1 || e.oclif.exit === undefined ? 2 : e.oclif.exit;
  }
  stderr.write(
    `Error: internal error (${err instanceof Error ? err.constructor.name : typeof err}); ` +
      `rerun with VAULTMCP_DEBUG=1 and report it\n`,
  );
  if (debug) stderr.write(`${e?.stack ?? String(err)}\n`);
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
