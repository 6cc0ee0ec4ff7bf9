import type { Readable, Writable } from 'node:stream';
import { EXIT_ABORTED } from '../../app/secrets/secret-input.js';
import { UsageError, VaultMcpError } from '../../core/errors.js';

/** Exit codes of a prompt ended by a signal (128+N). */
const PROMPT_SIGNALS = { SIGTERM: 128 + 15, SIGHUP: 128 + 1 } as const;

/**
 * Masked input on a terminal (no echo, `*` per character), for secret values. Lives in ui/: core and app code
 * never prompt; commands pass `promptSecretTwice` to the use-case when the factory's `canPrompt()` allows it.
 */

/** A TTY input stream as node gives it (tty.ReadStream). */
export type TtyInput = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; isRaw?: boolean };

/**
 * Prompts for one line on a terminal without echoing it: each typed character shows as `*` on `output`
 * (stderr), Backspace erases, Ctrl-U clears, Enter ends, escape sequences (arrows…) are ignored. The terminal
 * mode is restored on every exit path, including SIGTERM and SIGHUP while the prompt is open (which then end it
 * with exit 128+N). Multi-line values cannot be typed: use a file or stdin for those.
 * @param input a TTY stream supporting setRawMode (ctx.stdin)
 * @param output where the prompt and the `*`s go (ctx.stderr)
 * @returns the line as UTF-8 bytes (without the Enter)
 * @throws VaultMcpError exit 130 on Ctrl-C, 143 on SIGTERM, 129 on SIGHUP; UsageError (exit 2) on Ctrl-D / end
 *   of input before Enter
 */
export function promptHidden(input: TtyInput, output: Writable, prompt: string): Promise<Buffer> {
  if (typeof input.setRawMode !== 'function') {
    return Promise.reject(new UsageError('cannot prompt: stdin is not a terminal', 'pipe the value on stdin or pass --from-file FILE'));
  }
  // keys typed while a hold kept the terminal silent are this prompt's first input
  const held = activeHold?.input === input ? activeHold.takeOver() : undefined;
  const wasRaw = held ? held.wasRaw : input.isRaw === true;
  return new Promise<Buffer>((resolve, reject) => {
    let chars: string[] = [];
    let done = false;
    let escape = false;
    const finish = (err: unknown, value?: Buffer) => {
      if (done) return;
      done = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      for (const [signal, handler] of signalHandlers) process.off(signal, handler);
      try {
        input.setRawMode!(wasRaw);
      } catch {
        /* the terminal went away */
      }
      input.pause();
      output.write('\n');
      chars = [];
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (data: Buffer | string) => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      for (const ch of text) {
        if (escape) {
          // CSI / SS3 sequences end with a letter or '~'
          if (/[A-Za-z~]/.test(ch)) escape = false;
          continue;
        }
        switch (ch) {
          case '\r':
          case '\n': {
            const value = Buffer.from(chars.join(''), 'utf8');
            finish(undefined, value);
            return;
          }
          case '\u0003':
            finish(new VaultMcpError('aborted; nothing was uploaded', { exitCode: EXIT_ABORTED }));
            return;
          case '\u0004':
            if (chars.length === 0) {
              finish(new UsageError('no value entered; nothing was uploaded', 'type the value and press Enter, or pipe it on stdin'));
              return;
            }
            break;
          case '\u007f':
          case '\b':
            if (chars.length > 0) {
              chars.pop();
              output.write('\b \b');
            }
            break;
          case '\u0015':
            output.write('\b \b'.repeat(chars.length));
            chars = [];
            break;
          case '\u001b':
            escape = true;
            break;
          default:
            if (ch < ' ') break; // other control characters (Tab is kept below)
            chars.push(ch);
            output.write('*');
        }
      }
    };
    const onEnd = () => finish(new UsageError('input ended before Enter; nothing was uploaded'));
    const onError = (err: unknown) => finish(new UsageError(`cannot read from the terminal (${(err as NodeJS.ErrnoException)?.code ?? 'error'})`));
    // Without these, SIGTERM/SIGHUP would kill the process with the terminal still in raw mode (no echo).
    const signalHandlers = (Object.keys(PROMPT_SIGNALS) as Array<keyof typeof PROMPT_SIGNALS>).map(
      (signal) =>
        [
          signal,
          () => finish(new VaultMcpError(`interrupted by ${signal}; nothing was uploaded`, { exitCode: PROMPT_SIGNALS[signal] })),
        ] as const,
    );
    for (const [signal, handler] of signalHandlers) process.once(signal, handler);
    output.write(prompt);
    input.setRawMode!(true);
    if (held && held.bytes.length > 0) onData(held.bytes);
    if (done) return;
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}

/**
 * Prompts twice for a value (masked) and checks both entries match.
 * @param label what to ask for, e.g. `secret 'github-token'`
 * @throws UsageError (exit 2) when the entries differ or are empty; exit 130 on Ctrl-C
 */
export async function promptSecretTwice(input: TtyInput, output: Writable, label: string): Promise<Buffer> {
  const first = await promptHidden(input, output, `Value for ${label} (input hidden): `);
  if (first.length === 0) throw new UsageError('the secret value is empty; nothing was uploaded', 'type the value and press Enter');
  const second = await promptHidden(input, output, 'Repeat the value to confirm: ');
  const same = first.equals(second);
  second.fill(0);
  if (!same) throw new UsageError('the two entries differ; nothing was uploaded', 'run the command again and type the same value twice');
  return first;
}


/** A terminal kept silent (raw, no echo) until a prompt takes over: holdTypeahead's handle. */
export interface TypeaheadHold {
  /** Restores the terminal mode (when no prompt took over) and stops listening. Idempotent. */
  release(): void;
}

let activeHold: { input: TtyInput; takeOver(): { wasRaw: boolean; bytes: Buffer } } | undefined;

/**
 * Switches the terminal to no-echo at once, before a command's network calls, so keys typed before the masked
 * prompt appears are never shown in clear (issue 10 §7). They are kept and become the prompt's first input.
 * Ctrl-C while held ends the process as the terminal would (SIGINT, exit 130), with the mode restored first; so do
 * SIGTERM/SIGHUP. Does nothing when `input` is not a terminal.
 * @param input ctx.stdin
 * @returns the hold; call release() in a finally (a prompt that took over restores the mode itself)
 */
export function holdTypeahead(input: TtyInput): TypeaheadHold {
  if (typeof input.setRawMode !== 'function' || !input.isTTY) return { release() {} };
  const wasRaw = input.isRaw === true;
  const chunks: Buffer[] = [];
  let active = true;
  const stop = () => {
    if (!active) return;
    active = false;
    input.off('data', onData);
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    input.pause();
    if (activeHold === hold) activeHold = undefined;
  };
  const restore = () => {
    if (!active) return;
    stop();
    try {
      input.setRawMode!(wasRaw);
    } catch {
      /* the terminal went away */
    }
  };
  const onData = (data: Buffer | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.includes(0x03)) {
      for (const c of chunks) c.fill(0);
      restore();
      process.kill(process.pid, 'SIGINT');
      return;
    }
    chunks.push(Buffer.from(bytes));
  };
  const signalHandlers = (['SIGTERM', 'SIGHUP'] as const).map(
    (signal) =>
      [
        signal,
        () => {
          restore();
          process.kill(process.pid, signal);
        },
      ] as const,
  );
  const hold = {
    input,
    takeOver() {
      stop();
      const bytes = Buffer.concat(chunks);
      for (const c of chunks) c.fill(0);
      return { wasRaw, bytes };
    },
  };
  input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  for (const [signal, handler] of signalHandlers) process.once(signal, handler);
  activeHold = hold;
  return { release: restore };
}
