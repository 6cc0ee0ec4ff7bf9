import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import type { AppContext } from '../../core/context.js';
import { UsageError, VaultMcpError } from '../../core/errors.js';
import { expandPath } from '../../core/config/paths.js';
import { SECRET_NAME_PATTERN } from '../../core/vault/refs.js';
import { credentialRefusal, credentialShape } from '../../core/credential-shape.js';

/**
 * Where a secret value comes from when we write one to the vault: stdin (piped), a file, a masked TTY prompt or
 * our own generator, never argv (process lists and shell history would show it). Also the checks every value
 * and name must pass before any vault call: OCI's 25 KB content limit and the secret-name rule
 * (reference/oci-api.md §2, §7). Core module: reads only the streams it is given, writes only the prompt.
 */

/** Largest secret content OCI Vault accepts, in bytes of the decoded value (25 KB, reference/oci-api.md §7). */
export const MAX_SECRET_BYTES = 25 * 1024;
/** Longest secret name we accept (the API states no limit; 255 is the emulator's and our cap). */
export const MAX_SECRET_NAME_LENGTH = 255;
/** Alphabet of `--generate`: RFC 4648 base64url, so generated values are safe in URLs, env vars and shells. */
export const GENERATE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Bounds of `--generate N` (characters). */
export const GENERATE_MIN = 8;
export const GENERATE_MAX = MAX_SECRET_BYTES;

/** Exit code of an interactive prompt aborted with Ctrl-C (128 + SIGINT, as shells do). */
export const EXIT_ABORTED = 130;
/** Signals that end an open prompt (terminal restored first), with the exit code 128 + N each gives. */

/** A value ready to be written: the exact bytes and where they came from (for messages, never the value). */
export interface SecretValue {
  bytes: Buffer;
  source: 'stdin' | 'file' | 'prompt' | 'generated';
}

/**
 * Checks a secret name against the Vault rule `[A-Za-z0-9._-]`, 1–255 characters.
 * @throws UsageError (exit 2) naming the rule; the message shows the name only when it is short and printable
 */
export function validateSecretName(name: string): void {
  const shape = credentialShape(name);
  if (shape) throw new UsageError(credentialRefusal('the secret NAME', shape), 'give the name to store it under (e.g. github-token) and pass the value on stdin or at the prompt');
  if (SECRET_NAME_PATTERN.test(name) && name.length <= MAX_SECRET_NAME_LENGTH) return;
  const shown = /^[\x20-\x7e]{1,80}$/.test(name) ? ` '${name}'` : '';
  if (name.length === 0) throw new UsageError('the secret name is empty', 'give a name such as github-token');
  if (name.length > MAX_SECRET_NAME_LENGTH) {
    throw new UsageError(`the secret name is ${name.length} characters long; the maximum is ${MAX_SECRET_NAME_LENGTH}`, 'use a shorter name');
  }
  throw new UsageError(`invalid secret name${shown}: only letters, digits, '.', '_' and '-' are allowed`, 'e.g. github-token or prod.db_password');
}

/**
 * Checks a value before upload: not empty, at most MAX_SECRET_BYTES bytes.
 * @param bytes the exact bytes that would be stored
 * @throws UsageError (exit 2); messages give sizes only, never content
 */
export function validateSecretValue(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw new UsageError('the secret value is empty; nothing was uploaded', 'pipe the value on stdin, pass --from-file FILE, or run in a terminal to be prompted');
  }
  if (bytes.length > MAX_SECRET_BYTES) {
    throw new UsageError(
      `the secret value is ${bytes.length} bytes; OCI Vault accepts at most ${MAX_SECRET_BYTES} bytes (25 KB); nothing was uploaded`,
      'store large material elsewhere (e.g. Object Storage) and keep only a credential for it in the vault',
    );
  }
}

/** Removes exactly one trailing newline (`\n` or `\r\n`), e.g. the one `echo` adds. Other bytes are kept. */
export function trimOneNewline(bytes: Buffer): Buffer {
  if (bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a) return bytes.subarray(0, -2);
  if (bytes.length >= 1 && bytes[bytes.length - 1] === 0x0a) return bytes.subarray(0, -1);
  return bytes;
}

/** @throws UsageError (exit 2) unless `length` is a whole number in [GENERATE_MIN, GENERATE_MAX] */
export function validateGenerateLength(length: number): void {
  if (!Number.isInteger(length) || length < GENERATE_MIN || length > GENERATE_MAX) {
    throw new UsageError(`--generate needs a length from ${GENERATE_MIN} to ${GENERATE_MAX} characters`, 'e.g. --generate 40');
  }
}

/**
 * Generates `length` random characters from GENERATE_ALPHABET with node:crypto (64 symbols, so `byte & 63` is
 * unbiased): 6 bits of entropy per character.
 * @throws UsageError (exit 2) when length is not a whole number in [GENERATE_MIN, GENERATE_MAX]
 */
export function generateSecret(length: number): Buffer {
  validateGenerateLength(length);
  const random = randomBytes(length);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = GENERATE_ALPHABET.charCodeAt(random[i]! & 63);
  return out;
}

/**
 * Reads a whole stream as bytes, stopping early once more than `maxBytes` arrived (the value is refused then,
 * so there is no point holding more of it in memory).
 * @returns the bytes, or `{ tooLarge: n }` with the count read so far (> maxBytes)
 */
export async function readStreamBytes(stream: Readable, maxBytes = MAX_SECRET_BYTES): Promise<Buffer | { tooLarge: number }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
    chunks.push(b);
    total += b.length;
    if (total > maxBytes) {
      stream.destroy();
      return { tooLarge: total };
    }
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads a file as exact bytes (binary-safe), refusing files over `maxBytes` before reading them.
 * @param file path as typed by the user (`~` and relative paths resolved against ctx)
 * @throws UsageError (exit 2) for a missing/unreadable file, a directory, or a file over the limit
 */
export async function readSecretFile(file: string, ctx: Pick<AppContext, 'homeDir' | 'cwd'>, maxBytes = MAX_SECRET_BYTES): Promise<Buffer> {
  const abs = file === '-' ? file : expandPath(file, ctx);
  let handle;
  try {
    handle = await open(abs, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --from-file ${abs} (${code === 'ENOENT' ? 'no such file' : code})`, 'check the path');
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new UsageError(`--from-file ${abs} is a directory`, 'pass a file');
    if (st.isFile() && st.size > maxBytes) {
      throw new UsageError(
        `${abs} is ${st.size} bytes; OCI Vault accepts at most ${maxBytes} bytes (25 KB); nothing was uploaded`,
        'store large material elsewhere and keep only a credential for it in the vault',
      );
    }
    const result = await readStreamBytes(handle.createReadStream({ autoClose: false }), maxBytes);
    if (!Buffer.isBuffer(result)) {
      throw new UsageError(`${abs} is over ${maxBytes} bytes (25 KB); nothing was uploaded`, 'store large material elsewhere');
    }
    return result;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * True when `readSecretValue` with these options would prompt on the terminal (no --generate, no file, stdin is a
 * TTY). Commands read non-interactive values before any vault call, and check the vault before prompting.
 */
export function willPrompt(ctx: Pick<AppContext, 'stdin'>, options: { fromFile?: string; generate?: number }): boolean {
  return options.generate === undefined && options.fromFile === undefined && !!ctx.stdin.isTTY;
}

/** Asks the user for a value (masked, typed twice): ui/prompts/masked-input.ts `promptSecretTwice`, given by the command. */
export type SecretPrompt = (label: string) => Promise<Buffer>;

/**
 * Gets the value to write, from exactly one source:
 * `generate` (N random characters) > `fromFile` > stdin when it is not a TTY > `prompt` (the command's masked prompt,
 * typed twice; ui/prompts/masked-input.ts).
 * stdin bytes are kept exactly (no trimming; `echo` adds a newline, which is kept) unless `trim` removes one
 * trailing newline; `trim` applies to files too, never to prompts or generated values (they have none).
 * The value is validated (not empty, ≤ 25 KB).
 * @param label for the prompt, e.g. `secret 'github-token'`
 * @throws UsageError (exit 2) for empty, oversized or unreadable input; exit 130 when the prompt is aborted
 */
export async function readSecretValue(
  ctx: Pick<AppContext, 'stdin' | 'stderr' | 'homeDir' | 'cwd'>,
  options: { label: string; fromFile?: string; generate?: number; trim?: boolean; prompt?: SecretPrompt },
): Promise<SecretValue> {
  let value: SecretValue;
  if (options.generate !== undefined) {
    if (options.fromFile !== undefined) throw new UsageError('give either --generate or --from-file, not both');
    value = { bytes: generateSecret(options.generate), source: 'generated' };
  } else if (options.fromFile !== undefined && options.fromFile !== '-') {
    value = { bytes: await readSecretFile(options.fromFile, ctx), source: 'file' };
  } else if (!ctx.stdin.isTTY || options.fromFile === '-') {
    if (ctx.stdin.isTTY) {
      // `--from-file -` on a terminal reads typed text in the clear: say so, and how to get the masked prompt
      ctx.stderr.write('vaultmcp: reading the value from the terminal until Ctrl-D; it is visible as you type (omit --from-file - for a hidden prompt)\n');
    }
    const result = await readStreamBytes(ctx.stdin);
    if (!Buffer.isBuffer(result)) {
      throw new UsageError(
        `the value on stdin is over ${MAX_SECRET_BYTES} bytes (25 KB); OCI Vault refuses it; nothing was uploaded`,
        'store large material elsewhere and keep only a credential for it in the vault',
      );
    }
    value = { bytes: result, source: 'stdin' };
  } else {
    if (!options.prompt) throw new UsageError('cannot prompt for the value here', 'pipe the value on stdin or pass --from-file FILE');
    value = { bytes: await options.prompt(options.label), source: 'prompt' };
  }
  if (options.trim && (value.source === 'stdin' || value.source === 'file')) value.bytes = trimOneNewline(value.bytes);
  validateSecretValue(value.bytes);
  return value;
}

/**
 * The note `secret upload` and `secret rotate` print when a piped or file value ends with a newline that will be
 * stored (`echo` adds one), or undefined when there is nothing to say (prompted/generated values, `--trim`).
 * @param value the value read (`source`, `bytes`)
 */
export function trailingNewlineNote(value: { source: string; bytes: Buffer }, trim: boolean): string | undefined {
  if ((value.source === 'stdin' || value.source === 'file') && !trim && value.bytes.at(-1) === 0x0a) {
    return 'note: the value ends with a newline, which is stored as part of it (use --trim to strip one)';
  }
  return undefined;
}
