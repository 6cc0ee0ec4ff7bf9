import { distance } from 'fastest-levenshtein';
import { isVaultMcpError } from '../core/errors.js';

/**
 * Prints an error as one line plus an optional hint line on stderr, never a stack trace (set
 * VAULTMCP_DEBUG=1 to see one). Raw SDK errors never get here with their text: core wraps them first; anything
 * unknown is reported by class only, since its message may carry tokens.
 * @param commandId the oclif id of the failing command (`secret:get`), when known: usage errors then point at
 *   that command's help
 * @param commandIds every command id (`secret:list`), for "did you mean" on an unknown command
 * @returns the process exit code for this error
 */
export function renderError(err: unknown, stderr: NodeJS.WritableStream, commandId?: string, commandIds: readonly string[] = []): number {
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
    const { message, hint } = usageMessage(stripAnsi(e.message ?? 'invalid usage'), commandId, commandIds);
    stderr.write(`Error: ${message}\n  Try: ${hint}\n`);
    if (debug) stderr.write(`${e.stack}\n`);
    return e.oclif.exit === 1 || e.oclif.exit === undefined ? 2 : e.oclif.exit;
  }
  // A NUL character or an oversized argv that slipped past the checks reaches the OS layer as these: still the
  // user's input, so exit 2 with what to fix, never "internal error" (nothing of the input is echoed).
  if ((e?.code === 'ERR_INVALID_ARG_VALUE' || e?.code === 'ERR_INVALID_ARG_TYPE') && /null bytes|NUL/i.test(e.message ?? '')) {
    stderr.write('Error: a path, argument or setting contains a NUL character, which the system cannot take\n  Try: remove it (check --config, the service file and resolver.yaml)\n');
    if (debug) stderr.write(`${e.stack}\n`);
    return 2;
  }
  if (e?.code === 'E2BIG') {
    stderr.write('Error: the arguments and environment are larger than the system allows (E2BIG)\n  Try: pass fewer or shorter arguments or env_overrides\n');
    if (debug) stderr.write(`${e.stack}\n`);
    return 2;
  }
  stderr.write(
    `Error: internal error (${err instanceof Error ? err.constructor.name : typeof err}); ` +
      `rerun with VAULTMCP_DEBUG=1 and report it\n`,
  );
  if (debug) stderr.write(`${e?.stack ?? String(err)}\n`);
  return 1;
}

/** The user-facing command (`secret get`) of an oclif id (`secret:get`). */
function spoken(id: string): string {
  return id.replace(/:/g, ' ');
}

/**
 * Rewrites oclif's parse errors into our style: one short line naming the flag or argument and what it needs,
 * and a hint pointing at the failing command's own help (oclif's generic "See more help with --help" and its
 * multi-value note are dropped). An unknown command gets the closest existing one (`secrets list` → `secret list`),
 * or its topic's help when the topic exists; never a command or topic that does not.
 * @param commandIds every command id (`secret:list`)
 */
export function usageMessage(raw: string, commandId?: string, commandIds: readonly string[] = []): { message: string; hint: string } {
  const help = commandId ? `docker vaultmcp ${spoken(commandId)} --help` : 'docker vaultmcp --help';
  let text = oneLine(raw)
    .replace(/\s*See more help with --help\.?/g, '')
    .replace(/\s*Note: --[\w-]+ allows multiple values\..*?beginning of arguments\./g, '')
    .trim();
  let m: RegExpExecArray | null;
  if ((m = /^command (\S+) not found\.?$/i.exec(text))) {
    const id = m[1]!;
    const near = closestCommand(id.split(':'), commandIds);
    if (near) return { message: `unknown command '${spoken(id)}'; did you mean '${near}'?`, hint: `docker vaultmcp ${near}` };
    const topic = id.includes(':') ? id.split(':')[0] : undefined;
    const topicExists = topic !== undefined && commandIds.some((c) => c.startsWith(`${topic}:`));
    return { message: `unknown command '${spoken(id)}'`, hint: topicExists ? `docker vaultmcp ${topic} --help` : 'docker vaultmcp --help' };
  }
  if ((m = /^Missing (\d+) required args?:\s*(\S+)\s*(.*)$/.exec(text))) {
    text = `missing argument ${m[2]!.toUpperCase()}${m[3] ? ` (${m[3].trim()})` : ''}`;
  } else if ((m = /^Parsing (--[\w-]+)\s+Expected one of (.*?) but received: (.*)$/.exec(text))) {
    text = `${m[1]}: '${m[3]}' is not one of ${m[2]}`;
  } else if ((m = /^Parsing (--[\w-]+)\s+Expected (.*?) but received: (.*)$/.exec(text))) {
    text = `${m[1]}: expected ${m[2]}, got '${m[3]}'`;
  } else if ((m = /^Expected (--[\w-]+)=(.*) to be one of: (.*)$/.exec(text))) {
    text = `${m[1]}: '${m[2]}' is not one of ${m[3]}`;
  } else if ((m = /^(?:The following errors occurred: )?(--[\w-]+)=\S* cannot also be provided when using (--[\w-]+)/.exec(text))) {
    text = `${m[2]} and ${m[1]} cannot be used together`;
  } else if ((m = /^Flag (--[\w-]+) expects a value$/.exec(text))) {
    text = `${m[1]} needs a value`;
  } else if ((m = /^Nonexistent flags?: (.*)$/.exec(text))) {
    text = `unknown flag ${m[1]}`;
  } else if ((m = /^Unexpected arguments?: (.*)$/.exec(text))) {
    text = `unexpected argument ${m[1]}`;
  }
  return { message: text, hint: help };
}

/**
 * The existing command closest to what was typed, with the words after it kept (`rn github` → `run github`):
 * each command is compared with as many typed words as it has; accepted within an edit distance of a third of its
 * length (at least 1, at most 3). undefined when nothing is that close.
 */
export function closestCommand(words: readonly string[], commandIds: readonly string[]): string | undefined {
  let best: { text: string; d: number } | undefined;
  for (const id of commandIds) {
    const parts = id.split(':');
    if (parts.length > words.length) continue;
    const typed = words.slice(0, parts.length).join(' ');
    const name = parts.join(' ');
    const d = distance(typed, name);
    if (d === 0 || d > Math.min(3, Math.max(1, Math.floor(name.length / 3)))) continue;
    if (!best || d < best.d) best = { text: [name, ...words.slice(parts.length)].join(' '), d };
  }
  return best?.text;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
