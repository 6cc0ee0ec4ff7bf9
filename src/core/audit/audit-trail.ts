import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { appendFile, chmod, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir } from '../private-dir.js';

/**
 * The audit trail: one JSON line per launch event, without values (never a value, a part of one, or a hash of
 * one): which secret OCID and version each variable got and from where, how long resolution took, the server's
 * pid and exit code. Written to a 0600 file under the state dir (rotated by size) and/or syslog/journald
 * (through util-linux `logger`, which journald also receives). Read back by `audit tail` / `audit show`.
 */

/** One variable of a launch. */
export interface AuditVariable {
  name: string;
  /** The secret's OCID when known (a name-only reference served from an old cache entry may lack it). */
  secret_id?: string;
  version?: number;
  source: 'vault' | 'cache' | 'stale';
  /** True when the value was given to the server as a private file. */
  file?: boolean;
}

/** One line of the audit trail. */
export type AuditRecord = {
  /** ISO 8601 UTC. */
  time: string;
  service: string;
  environment: string;
  /** our pid (the `run` process) */
  run_pid: number;
} & (
  | {
      event: 'start';
      variables: AuditVariable[];
      /** resolution wall time, ms */
      resolution_ms: number;
      pid: number;
      leak_guard: 'redact' | 'block' | 'off';
    }
  | { event: 'exit'; pid: number; exit_code: number; signal?: string; duration_ms: number }
  /** A newer version or a revocation found after launch (stale-while-revalidate); names and versions only. */
  | { event: 'revalidation'; message: string }
  /** `run --watch`: the session moved to a server with new values, or a new server was not used; names and pids only. */
  | { event: 'rotation'; message: string }
  | { event: 'leak'; variable: string; direction: string; method?: string; form: string; action: string }
);

/** Where records go. */
export interface AuditOptions {
  /** Absolute path of the JSON-lines file, or false for none. */
  file: string | false;
  syslog: boolean;
  /** Rotate when the file would grow past this, bytes. */
  maxBytes: number;
  /** Rotated files kept (`.1` newest … `.keep`). */
  keep: number;
  /** The syslog writer (default: `logger -t docker-vaultmcp`); tests pass their own. */
  syslogWriter?: (line: string) => void;
}

/** Appends records in order; failures are reported once through `onError` and never break a launch. */
export class AuditTrail {
  private queue: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly options: AuditOptions,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  /** Queues one record (written in order); resolves when it has been written (never rejects). */
  append(record: AuditRecord): Promise<void> {
    const line = JSON.stringify(record);
    this.queue = this.queue.then(() => this.write(line));
    return this.queue;
  }

  /** Resolves when everything queued so far is written. */
  flush(): Promise<void> {
    return this.queue;
  }

  private async write(line: string): Promise<void> {
    if (this.options.syslog) {
      try {
        (this.options.syslogWriter ?? loggerWriter)(line);
      } catch (err) {
        this.fail(`audit: syslog write failed (${(err as Error).message})`);
      }
    }
    const file = this.options.file;
    if (file === false) return;
    try {
      await ensurePrivateDir(path.dirname(file));
      await rotateIfNeeded(file, Buffer.byteLength(line) + 1, this.options.maxBytes, this.options.keep);
      await appendFile(file, line + '\n', { mode: 0o600 });
    } catch (err) {
      this.fail(`audit: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(message);
  }
}

/** Sends one line to syslog with util-linux `logger` (journald picks it up too); fire and forget. */
function loggerWriter(line: string): void {
  const child = spawn('logger', ['-t', 'docker-vaultmcp', '-p', 'user.info', '--', line], { stdio: 'ignore', detached: false });
  child.on('error', () => {});
  child.unref();
}

async function rotateIfNeeded(file: string, adding: number, maxBytes: number, keep: number): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return;
  }
  if (size + adding <= maxBytes || size === 0) return;
  if (keep === 0) {
    const h = await open(file, 'r+');
    await h.truncate(0);
    await h.close();
    return;
  }
  for (let i = keep - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => {});
  await rename(file, `${file}.1`);
  await chmod(`${file}.1`, 0o600).catch(() => {});
}

/**
 * The records of the audit file (and its rotated files, oldest first), optionally filtered.
 * @param options.service only this service's records; options.limit the last N (after filtering)
 * @returns records in time order; lines that are not JSON objects are skipped
 */
export async function readAuditRecords(file: string, options: { service?: string; limit?: number; keep?: number } = {}): Promise<AuditRecord[]> {
  const keep = options.keep ?? 100;
  const texts: string[] = [];
  for (let i = keep; i >= 1; i--) {
    const t = await readFile(`${file}.${i}`, 'utf8').catch(() => undefined);
    if (t !== undefined) texts.push(t);
  }
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== undefined) texts.push(current);
  let records = texts.flatMap((t) => parseLines(t));
  if (options.service !== undefined) records = records.filter((r) => r.service === options.service);
  if (options.limit !== undefined) records = records.slice(-options.limit);
  return records;
}

/** Parses JSON lines; skips blank and malformed lines. */
export function parseLines(text: string): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as AuditRecord);
    } catch {
      // a torn or foreign line
    }
  }
  return out;
}

/**
 * Follows the audit file from its current end: calls `onRecord` for each new line until `signal` aborts. Handles
 * rotation (the file replaced or shrunk: read from its start). Polls every `intervalMs` (default 250).
 * @param onReady called once the starting point (the current end) is taken
 */
export async function followAudit(file: string, onRecord: (r: AuditRecord) => void, signal: AbortSignal, intervalMs = 250, onReady?: () => void): Promise<void> {
  const first = await stat(file).catch(() => undefined);
  let offset = first?.size ?? 0;
  let ino = first?.ino ?? 0;
  onReady?.();
  let rest = '';
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    if (signal.aborted) break;
    const s = await stat(file).catch(() => undefined);
    if (!s) continue;
    let pending = '';
    if (s.ino !== ino || s.size < offset) {
      // rotated: the rest of the file we were reading is now `.1` (when it is the same inode)
      const old = await stat(`${file}.1`).catch(() => undefined);
      if (old && old.ino === ino && old.size > offset) pending = await readRange(`${file}.1`, offset, old.size);
      ino = s.ino;
      offset = 0;
    }
    if (s.size === offset && pending === '') continue;
    const chunk = pending + (s.size > offset ? await readRange(file, offset, s.size) : '');
    offset = Math.max(offset, s.size);
    const text = rest + chunk;
    const cut = text.lastIndexOf('\n');
    rest = cut >= 0 ? text.slice(cut + 1) : text;
    if (cut >= 0) for (const r of parseLines(text.slice(0, cut))) onRecord(r);
  }
}

/** Bytes [start, end) of `file` as UTF-8 text ('' when unreadable). */
function readRange(file: string, start: number, end: number): Promise<string> {
  return new Promise<string>((resolve) => {
    let text = '';
    createReadStream(file, { start, end: end - 1, encoding: 'utf8' })
      .on('data', (d) => (text += d))
      .on('end', () => resolve(text))
      .on('error', () => resolve(text));
  });
}
