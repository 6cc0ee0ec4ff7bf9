import type { Writable } from 'node:stream';

/**
 * The one output module of the CLI: our messages on stderr with the `vaultmcp:` prefix (so users can tell them
 * from an MCP server's), results on stdout as text, JSON or aligned tables. Commands and renderers write through
 * it; core and app code never write at all (they return values and emit events).
 */
export interface Output {
  /** One line of information on stderr, prefixed `vaultmcp: `. */
  info(message: string): void;
  /** One warning on stderr, prefixed `vaultmcp: ` (the same channel as info: stdout may be a pipe or the MCP client). */
  warn(message: string): void;
  /** Text on stdout; a final newline is added when missing. */
  result(text: string): void;
  /** One JSON document (2-space indented) and a newline on stdout. */
  json(value: unknown): void;
  /** Aligned columns on stdout (first row = header; empty cells show as `-`). */
  table(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): void;
}

/**
 * An Output over two streams.
 * @param io `stdout` for results, `stderr` for messages
 */
export function createOutput(io: { stdout: Writable; stderr: Writable }): Output {
  const line = (message: string) => io.stderr.write(`vaultmcp: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
  return {
    info: line,
    warn: line,
    result: (text) => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => void io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
    table: (rows) => void io.stdout.write(formatTable(rows)),
  };
}

/** Formats rows as aligned columns (first row = header); empty cells show as `-`. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : String(c))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A date for tables: `2026-11-24 04:21Z` (UTC), or undefined. */
export function shortTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

