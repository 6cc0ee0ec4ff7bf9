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
  /** Aligned columns on stdout (first row = header; empty cells show as `-`), fitted to a terminal's width. */
  table(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): void;
  /**
   * Feedback for a network wait: on a terminal's stderr, from PROGRESS_DELAY_MS on, a spinner with `text` and the
   * elapsed time until `work` settles; nothing at all when stderr is not a terminal or `quiet` (`--json`).
   * @returns what `work` returns (or throws)
   */
  during<T>(text: string, work: Promise<T> | (() => Promise<T>), options?: { quiet?: boolean }): Promise<T>;
}

/** How long a wait stays silent before its spinner appears (ms): quick answers do not flash, slow ones show by ~300 ms. */
export const PROGRESS_DELAY_MS = 200;

/** A stream as far as progress and tables care: a terminal has `isTTY` and `columns`. */
type TerminalStream = Writable & { isTTY?: boolean; columns?: number };

/**
 * An Output over two streams.
 * @param io `stdout` for results, `stderr` for messages (read when used), `env` (TERM=dumb: no spinner)
 */
export function createOutput(io: { stdout: Writable; stderr: Writable; env?: NodeJS.ProcessEnv }): Output {
  const line = (message: string) => io.stderr.write(`vaultmcp: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
  // the streams are read on use, not now: run's fast path builds them lazily (cli/factory.ts lazyProcessContext)
  return {
    info: line,
    warn: line,
    result: (text) => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => void io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
    table: (rows) => {
      const stdout = io.stdout as TerminalStream;
      stdout.write(formatTable(rows, stdout.isTTY ? stdout.columns : undefined));
    },
    async during(text, work, options = {}) {
      const promise = typeof work === 'function' ? work() : work;
      // quiet first: reading io.stderr builds the stream (run's fast path builds it only once the server runs)
      if (options.quiet) return promise;
      const stderr = io.stderr as TerminalStream;
      if (!stderr.isTTY || io.env?.TERM === 'dumb') return promise;
      const stop = showProgress(stderr, text);
      try {
        return await promise;
      } finally {
        stop();
      }
    },
  };
}

/**
 * Starts a delayed spinner (yocto-spinner) on `stream`: `text (1.4 s)`, the elapsed time counted from now.
 * @returns stop(): removes the spinner line (or cancels it before it appeared)
 */
function showProgress(stream: TerminalStream, text: string): () => void {
  const started = performance.now();
  let spinner: { text: string; stop(): unknown } | undefined;
  let stopped = false;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const label = () => `${text} (${((performance.now() - started) / 1000).toFixed(1)} s)`;
  const timer = setTimeout(() => {
    void import('yocto-spinner').then(({ default: yoctoSpinner }) => {
      if (stopped) return;
      spinner = yoctoSpinner({ text: label(), stream: stream as NodeJS.WriteStream }).start();
      ticker = setInterval(() => {
        if (spinner) spinner.text = label();
      }, 100);
    });
  }, PROGRESS_DELAY_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    spinner?.stop();
  };
}

/**
 * Formats rows as aligned columns (first row = header); empty cells show as `-`.
 * @param width the terminal's columns: when the table is wider, the widest columns are shortened (cut with `…`)
 *   until every line fits, no column below 8 characters; undefined (a pipe) never cuts, so scripts get whole values
 */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>, width?: number): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : String(c))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  if (width !== undefined && width > 0) {
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    while (total() > width) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= 8) break;
      widths[widest] = Math.max(8, widths[widest]! - (total() - width));
    }
  }
  const fit = (c: string, w: number) => (c.length > w ? `${c.slice(0, w - 1)}…` : c);
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? fit(c, widths[i]!) : fit(c, widths[i]!).padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** A date for tables: `2026-11-24 04:21Z` (UTC), or undefined. */
export function shortTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

