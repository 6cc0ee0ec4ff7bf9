import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';
import type { ConfigFormat, ServerEntry } from './catalog.js';

/**
 * Reading and editing a client's config text without disturbing the rest of it:
 * - JSON / JSON with comments through jsonc-parser 3.3.1 (`modify` + `applyEdits`: the edit touches only the
 *   entry's own text; other entries, unknown keys, comments, key order and indentation are kept; a file written
 *   on one line is the exception: jsonc-parser formats the lines it edits, so that line is re-indented);
 * - TOML through @rainbowatcher/toml-edit-js 0.6.5, a WebAssembly build of Rust's `toml_edit` (the format-preserving
 *   editor cargo uses): comments, key order, other tables and their formatting are kept; the edited
 *   `[mcp_servers.NAME]` table itself is written in toml_edit's normal style. (toml-patch 0.2.3, the pure-JS
 *   alternative, put a new table above the file's first line in our test, so it was not used.)
 */

/** A parsed config file: its servers and a way to produce the edited text. */
export interface ConfigText {
  /** The file's MCP server entries (empty when the servers key is missing). */
  servers: Record<string, ServerEntry>;
  /**
   * The text with `name` set to `entry`, or removed when `entry` is undefined; the input text when nothing changes.
   * A missing servers key is created.
   */
  edit(name: string, entry: ServerEntry | undefined): string;
}

/**
 * Parses config text.
 * @param text the file's content; undefined or blank for a file that does not exist yet (an empty document)
 * @param file for messages
 * @throws ConfigError (exit 2) naming file and line:column when the text does not parse, when the root is not
 *   an object/table, or when the servers key is not one
 */
export async function parseConfigText(text: string | undefined, format: ConfigFormat, serversKey: string, file: string): Promise<ConfigText> {
  if (format === 'toml') return parseToml(text ?? '', serversKey, file);
  return parseJson(text, format, serversKey, file);
}

async function parseJson(text: string | undefined, format: 'json' | 'jsonc', serversKey: string, file: string): Promise<ConfigText> {
  const { applyEdits, modify, parse, printParseErrorCode } = await import('jsonc-parser');
  const source = text === undefined || text.trim() === '' ? '{}\n' : text;
  const errors: import('jsonc-parser').ParseError[] = [];
  const root = parse(source, errors, { disallowComments: format === 'json', allowTrailingComma: format === 'jsonc', allowEmptyContent: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new ConfigError(`not valid ${format === 'json' ? 'JSON' : 'JSON with comments'} (${describeJsonError(printParseErrorCode(e.error))})`, {
      file,
      location: lineColumn(source, e.offset),
      hint: 'fix the file (it was not changed), or pass another one with --config-file',
    });
  }
  if (!isPlainObject(root)) throw new ConfigError('the top level is not a JSON object', { file, location: '1:1', hint: 'fix the file (it was not changed)' });
  const servers = root[serversKey];
  if (servers !== undefined && !isPlainObject(servers)) {
    throw new ConfigError(`"${serversKey}" is not an object`, { file, location: lineColumn(source, source.indexOf(`"${serversKey}"`)), hint: 'fix the file (it was not changed)' });
  }
  const formattingOptions = detectFormatting(source);
  return {
    servers: { ...((servers as Record<string, ServerEntry>) ?? {}) },
    edit(name, entry) {
      // A new entry goes first: jsonc-parser formats whole lines around an insertion, and after the last entry that
      // line would be the previous entry's (a one-line entry would be re-wrapped); after the `{` it is our own.
      const edits = modify(source, [serversKey, name], entry, { formattingOptions, getInsertionIndex: () => 0 });
      const out = applyEdits(source, edits);
      return text === undefined || text.trim() === '' ? (out.endsWith('\n') ? out : out + '\n') : out;
    },
  };
}

/** Indentation and line ending of the file (its first indented line), default two spaces and `\n`. */
function detectFormatting(text: string): { tabSize: number; insertSpaces: boolean; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { tabSize: 1, insertSpaces: false, eol };
  return { tabSize: indent ? indent.length : 2, insertSpaces: true, eol };
}

function describeJsonError(code: string): string {
  // jsonc-parser's codes: InvalidSymbol, PropertyNameExpected, CommaExpected, CloseBraceExpected, InvalidCommentToken, …
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** 1-based `line:column` of a character offset. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${column}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type TomlEdit = { edit(input: string, path: string, value: unknown, opts?: { finalNewline?: boolean; inline?: boolean }): string; parse(input: string): unknown };
let toml: Promise<TomlEdit> | undefined;

/**
 * The toml_edit WebAssembly module, instantiated once. Its bytes come from the package next to us (Node, tsx, the
 * npm package) or, in the single binary, from the copy Bun embedded (a static import of the .wasm file, which
 * `bun build --compile` bundles and returns as a path inside the executable).
 */
function loadToml(): Promise<TomlEdit> {
  return (toml ??= (async () => {
    const mod = (await import('@rainbowatcher/toml-edit-js')) as unknown as TomlEdit & { initSync(m: { module: Uint8Array }): unknown };
    let bytes: Uint8Array;
    if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') {
      const embedded = (await import('@rainbowatcher/toml-edit-js/index_bg.wasm' as string)) as { default: string };
      bytes = readFileSync(embedded.default);
    } else {
      bytes = readFileSync(createRequire(import.meta.url).resolve('@rainbowatcher/toml-edit-js/index_bg.wasm'));
    }
    mod.initSync({ module: bytes });
    return mod;
  })());
}

async function parseToml(text: string, serversKey: string, file: string): Promise<ConfigText> {
  const lib = await loadToml();
  let root: unknown;
  try {
    root = lib.parse(text);
  } catch (err) {
    // "TOML parse error at line 1, column 5\n  |\n1 | a = = 1\n  |     ^\nextra `=`, expected nothing": the
    // position and the last line (the reason), never the quoted source line (it may hold a token)
    const message = String((err as Error)?.message ?? err);
    const pos = /line (\d+), column (\d+)/.exec(message);
    const reason = message.trim().split('\n').pop()!.trim();
    throw new ConfigError(`not valid TOML (${reason.replace(/^\|.*$/, 'syntax error')})`, {
      file,
      ...(pos ? { location: `${pos[1]}:${pos[2]}` } : {}),
      hint: 'fix the file (it was not changed), or pass another one with --config-file',
    });
  }
  const servers = isPlainObject(root) ? root[serversKey] : undefined;
  if (servers !== undefined && !isPlainObject(servers)) throw new ConfigError(`${serversKey} is not a table`, { file, hint: 'fix the file (it was not changed)' });
  return {
    servers: { ...((servers as Record<string, ServerEntry>) ?? {}) },
    edit(name, entry) {
      if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new ConfigError(`server name '${name}' needs quoting in TOML`, { hint: 'use letters, digits, "_" and "-" (--name)' });
      if (entry === undefined && !(isPlainObject(servers) && name in servers)) return text;
      const out = lib.edit(text, `${serversKey}.${name}`, entry === undefined ? undefined : stripUndefined(entry), { inline: false, finalNewline: true });
      // toml_edit writes the parent it had to create as an explicit, empty `[mcp_servers]`: Codex does not need it
      return servers === undefined ? out.replace(new RegExp(`^\\[${serversKey}\\]\\r?\\n\\r?\\n(?=\\[${serversKey}\\.)`, 'm'), '') : out;
    },
  };
}

function stripUndefined(entry: ServerEntry): ServerEntry {
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as ServerEntry;
}
