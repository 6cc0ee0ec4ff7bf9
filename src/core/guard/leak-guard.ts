import { Transform, type TransformCallback } from 'node:stream';
import type { FilterContext, MessageFilter } from '../launcher/filters.js';
import { byteForms, byteLength, MIN_GUARDED_BYTES, textForms } from './forms.js';
import { LeakMatcher, redactionLabel, type GuardPattern, type LeakHit } from './matcher.js';
import { SampledScreen } from './prefilter.js';
import type { GuardEvent, LeakDirection } from './events.js';

/**
 * The leak guard: keeps the secret values we injected into an MCP server from reaching the client (or the
 * terminal), in any of the forms of forms.ts, without breaking the protocol:
 * - server → client: redaction inside the string values (and keys, and numbers) of the parsed JSON-RPC message,
 *   which is then re-serialised, so every message stays valid JSON-RPC; in `block` mode a response carrying a
 *   value is replaced by a JSON-RPC error for its id;
 * - client → server: a `tools/call` whose arguments carry a value is refused with a JSON-RPC error (`block`) or
 *   forwarded with a warning (`redact`);
 * - stderr: the same redaction on the byte stream, holding back (longest form − 1) bytes across chunks.
 * It reports one values-free {@link GuardEvent} per finding. Plug it into any pipeline: the two
 * {@link MessageFilter}s work with the launcher's LineFilterStream (run) or any line-framed relay (serve).
 */

/** `redact`: replace and forward; `block`: refuse responses/tool calls carrying a value; `off`: no guard. */
export type LeakGuardMode = 'redact' | 'block' | 'off';
export const LEAK_GUARD_MODES = ['redact', 'block', 'off'] as const;

export type { GuardEvent, LeakDirection } from './events.js';

/** A value to guard and the variable that carries it. */
export interface GuardedSecret {
  envVar: string;
  value: string;
}

/** JSON-RPC error code of a response withheld because it carried a value (the server's answer is unusable). */
export const LEAK_BLOCKED_RESPONSE_CODE = -32603;
/** JSON-RPC error code of a tools/call refused because its arguments carried a value. */
export const LEAK_BLOCKED_CALL_CODE = -32602;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Requests whose method we remember until their response (bounds memory against clients that never get answers). */
const MAX_PENDING = 10_000;

const BACKSLASH_U = Buffer.from('\\u');
const BACKSLASH_SLASH = Buffer.from('\\/');

/**
 * One guard for one set of values. Build it after resolution; it is immutable (a rotation builds a new one).
 */
export class LeakGuard {
  readonly mode: 'redact' | 'block';
  /** The guarded values, longest first (their forms are computed with the matchers). */
  private readonly values: readonly GuardedSecret[];
  /** The compiled matchers, built by {@link prepare} or on first use (a few ms for the automatons). */
  private matchers?: {
    /** Matches raw bytes (latin1 strings): pre-screen of messages, unparsable lines, stderr. */
    bytes: LeakMatcher;
    /** Cheap pre-screen of raw bytes in front of `bytes` (prefilter.ts). */
    screen: SampledScreen;
    /** Matches decoded JSON text. */
    text: LeakMatcher;
  };
  private readonly emit: (e: GuardEvent) => void;
  private readonly pending = new Map<string, string>();
  /** The filter for messages from the server to the client. */
  readonly serverToClient: MessageFilter;
  /** The filter for messages from the client to the server. */
  readonly clientToServer: MessageFilter;
  /** Variables whose values are guarded (at least MIN_GUARDED_BYTES long). */
  readonly guarded: readonly string[];

  /**
   * @param options.secrets the injected values (empty values are ignored; short ones reported as `unguarded`)
   * @param options.mode `redact` or `block` (`off` means: do not build a guard)
   * @param options.onEvent receives every finding, synchronously, in order
   */
  constructor(options: { secrets: readonly GuardedSecret[]; mode: 'redact' | 'block'; onEvent?: (e: GuardEvent) => void }) {
    this.mode = options.mode;
    this.emit = (e) => {
      try {
        options.onEvent?.(e);
      } catch {
        // reporting never breaks the relay
      }
    };
    const values: GuardedSecret[] = [];
    const reportedShort = new Set<string>();
    // longest values first, so a value contained in another one does not own the longer one's patterns
    const ordered = [...options.secrets].filter((s) => s.value.length > 0).sort((a, b) => b.value.length - a.value.length);
    for (const s of ordered) {
      if (byteLength(s.value) < MIN_GUARDED_BYTES) {
        if (!reportedShort.has(s.envVar)) this.emit({ type: 'unguarded', envVar: s.envVar, minBytes: MIN_GUARDED_BYTES });
        reportedShort.add(s.envVar);
        continue;
      }
      values.push(s);
    }
    this.values = values;
    this.guarded = [...new Set(values.map((s) => s.envVar))];
    this.serverToClient = { name: 'leak-guard:server-to-client', transform: (m) => this.fromServer(m) };
    this.clientToServer = { name: 'leak-guard:client-to-server', transform: (m, ctx) => this.fromClient(m, ctx) };
  }

  /**
   * Computes every form of every value and compiles the matchers now (else the first scan does). `run` calls it
   * right after the server is spawned, so the work overlaps the server's own start-up instead of delaying it; nothing
   * can be relayed before it returns, since the relay runs on this thread.
   */
  prepare(): void {
    this.compiled();
  }

  private compiled(): NonNullable<LeakGuard['matchers']> {
    if (this.matchers) return this.matchers;
    const bytePatterns: GuardPattern[] = [];
    const textPatterns: GuardPattern[] = [];
    for (const s of this.values) {
      for (const f of byteForms(s.value)) bytePatterns.push({ ...f, envVar: s.envVar });
      for (const f of textForms(s.value)) textPatterns.push({ ...f, envVar: s.envVar });
    }
    return (this.matchers = {
      bytes: new LeakMatcher(bytePatterns),
      screen: new SampledScreen(bytePatterns.map((p) => p.pattern)),
      text: new LeakMatcher(textPatterns),
    });
  }

  private get bytes(): LeakMatcher {
    return this.compiled().bytes;
  }

  private get screen(): SampledScreen {
    return this.compiled().screen;
  }

  private get text(): LeakMatcher {
    return this.compiled().text;
  }

  /** Bytes the stderr redactor holds back at most: the longest byte form − 1. */
  get holdback(): number {
    return Math.max(0, this.bytes.longest - 1);
  }

  /**
   * Redacts a byte string (latin1) of raw output; reports each finding as `direction`.
   * @returns the redacted bytes (the input itself when nothing was found)
   */
  redactBytes(data: Buffer, direction: LeakDirection, method?: string): Buffer {
    if (this.bytes.empty) return data;
    const text = data.toString('latin1');
    const { text: out, hits } = this.bytes.redact(text, (h) => redactionLabel(h.envVar));
    if (hits.length === 0) return data;
    this.report(hits, direction, 'redacted', method);
    return Buffer.from(out, 'latin1');
  }

  /**
   * A Transform for the server's stderr: redacts as {@link redactBytes} and holds back at most
   * {@link holdback} bytes between chunks (a value split across writes is still found); flushed at end.
   */
  stderrRedactor(): Transform {
    return new StderrRedactor(this);
  }

  /** @internal used by StderrRedactor */
  scanStream(text: string, final: boolean): { out: string; keep: string } {
    const hits = this.bytes.find(text);
    let boundary = final ? text.length : Math.max(0, text.length - this.holdback);
    let out = '';
    let at = 0;
    const reported: LeakHit[] = [];
    for (const h of hits) {
      if (h.start >= boundary) break;
      out += text.slice(at, h.start) + redactionLabel(h.envVar);
      at = h.end;
      if (h.end > boundary) boundary = h.end;
      reported.push(h);
    }
    out += text.slice(at, boundary);
    if (reported.length > 0) this.report(reported, 'stderr', 'redacted');
    return { out, keep: text.slice(boundary) };
  }

  private report(hits: readonly LeakHit[], direction: LeakDirection, action: 'redacted' | 'blocked' | 'forwarded', method?: string): void {
    const seen = new Set<string>();
    for (const h of hits) {
      const key = `${h.envVar}\0${h.form}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.emit({ type: 'leak', envVar: h.envVar, direction, form: h.form, action, ...(method !== undefined ? { method } : {}) });
    }
  }

  private fromServer(message: Buffer): Buffer | null {
    if (this.bytes.empty) return message;
    // Fast path: no form in the raw bytes and no escape that could hide one (\uXXXX, \/) → untouched.
    const rawHit = this.mayContain(message);
    if (!rawHit && !message.includes(BACKSLASH_U) && !message.includes(BACKSLASH_SLASH)) return message;
    let parsed: Json;
    try {
      parsed = JSON.parse(message.toString('utf8')) as Json;
    } catch {
      return this.redactBytes(message, 'server-to-client'); // not JSON: a line of text, redacted as bytes
    }
    if (Array.isArray(parsed)) {
      const parts = parsed.map((m) => this.serverMessage(m));
      if (parts.every((p) => p.hits.length === 0)) return rawHit ? this.acrossTokens(message) : message;
      return Buffer.from(JSON.stringify(parts.map((p) => p.message)));
    }
    const one = this.serverMessage(parsed);
    if (one.hits.length === 0) return rawHit ? this.acrossTokens(message) : message;
    return Buffer.from(JSON.stringify(one.message));
  }

  /**
   * A value found in the raw bytes but in no single decoded string (it spans JSON syntax, e.g. `abc","x":"def`):
   * redacted as bytes when the result is still JSON; otherwise the message is withheld (fail closed).
   */
  private acrossTokens(message: Buffer): Buffer | null {
    const redacted = this.redactBytes(message, 'server-to-client');
    try {
      JSON.parse(redacted.toString('utf8'));
      return redacted;
    } catch {
      return null;
    }
  }

  /** True when a form of a value may be in `data` (the automaton confirms each window the screen lets through). */
  private mayContain(data: Buffer): boolean {
    for (const [start, end] of this.screen.windows(data)) {
      if (this.bytes.test(data.toString('latin1', start, end))) return true;
    }
    return false;
  }

  /** One server message (or batch element): redacted, or replaced by an error in block mode (responses only). */
  private serverMessage(message: Json): { message: Json; hits: LeakHit[]; method?: string } {
    const hits: LeakHit[] = [];
    const redacted = this.redactJson(message, hits);
    const obj = isObject(message) ? message : undefined;
    let method = typeof obj?.method === 'string' ? obj.method : undefined;
    const id = obj && 'id' in obj && obj.id !== null && (typeof obj.id === 'string' || typeof obj.id === 'number') ? obj.id : undefined;
    const isResponse = obj !== undefined && method === undefined && id !== undefined && ('result' in obj || 'error' in obj);
    if (isResponse) {
      const key = JSON.stringify(id);
      method = this.pending.get(key);
      this.pending.delete(key);
    }
    if (hits.length === 0) return { message, hits };
    if (this.mode === 'block' && isResponse) {
      this.report(hits, 'server-to-client', 'blocked', method);
      const vars = [...new Set(hits.map((h) => h.envVar))].join(', ');
      return {
        message: {
          jsonrpc: '2.0',
          id: id!,
          error: {
            code: LEAK_BLOCKED_RESPONSE_CODE,
            message: `vaultmcp leak guard: the server's response carried the value of ${vars}; it was withheld`,
            data: { reason: 'leak-guard', variables: [...new Set(hits.map((h) => h.envVar))] },
          },
        },
        hits,
        ...(method !== undefined ? { method } : {}),
      };
    }
    this.report(hits, 'server-to-client', 'redacted', method);
    return { message: redacted, hits, ...(method !== undefined ? { method } : {}) };
  }

  private fromClient(message: Buffer, ctx?: FilterContext): Buffer | null {
    if (this.bytes.empty) return message;
    let parsed: Json;
    try {
      parsed = JSON.parse(message.toString('utf8')) as Json;
    } catch {
      return message; // not ours to judge: the server answers a parse error
    }
    const batch = Array.isArray(parsed) ? parsed : [parsed];
    const kept: Json[] = [];
    let refused = false;
    for (const m of batch) {
      if (!isObject(m)) {
        kept.push(m);
        continue;
      }
      const method = typeof m.method === 'string' ? m.method : undefined;
      const id = m.id;
      if (method !== undefined && (typeof id === 'string' || typeof id === 'number')) {
        if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
        this.pending.set(JSON.stringify(id), method);
      }
      if (method === 'tools/call' && isObject(m.params)) {
        const hits: LeakHit[] = [];
        this.findJson(m.params.arguments ?? null, hits);
        if (hits.length > 0) {
          const vars = [...new Set(hits.map((h) => h.envVar))];
          if (this.mode === 'block') {
            this.report(hits, 'client-to-server', 'blocked', method);
            refused = true;
            if (typeof id === 'string' || typeof id === 'number') {
              this.pending.delete(JSON.stringify(id));
              const error = {
                jsonrpc: '2.0',
                id,
                error: {
                  code: LEAK_BLOCKED_CALL_CODE,
                  message: `vaultmcp leak guard: the arguments of this tools/call carry the value of ${vars.join(', ')}; the call was not forwarded`,
                  data: { reason: 'leak-guard', variables: vars },
                },
              };
              ctx?.reply(Buffer.from(JSON.stringify(error)));
            }
            continue;
          }
          this.report(hits, 'client-to-server', 'forwarded', method);
        }
      }
      kept.push(m);
    }
    if (!refused) return message;
    if (!Array.isArray(parsed)) return null;
    return kept.length > 0 ? Buffer.from(JSON.stringify(kept)) : null;
  }

  /** A copy of `value` with every form of every value in its strings, keys and numbers replaced; hits collected. */
  private redactJson(value: Json, hits: LeakHit[]): Json {
    if (typeof value === 'string') {
      const r = this.text.redact(value, (h) => redactionLabel(h.envVar));
      hits.push(...r.hits);
      return r.text;
    }
    if (typeof value === 'number') {
      const found = this.text.find(String(value));
      if (found.length === 0) return value;
      hits.push(...found);
      return redactionLabel(found[0]!.envVar);
    }
    if (Array.isArray(value)) return value.map((v) => this.redactJson(v, hits));
    if (isObject(value)) {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) {
        const key = this.text.redact(k, (h) => redactionLabel(h.envVar));
        hits.push(...key.hits);
        out[key.text] = this.redactJson(v, hits);
      }
      return out;
    }
    return value;
  }

  /** Collects hits in `value`'s strings, keys and numbers. */
  private findJson(value: Json, hits: LeakHit[]): void {
    if (typeof value === 'string') hits.push(...this.text.find(value));
    else if (typeof value === 'number') hits.push(...this.text.find(String(value)));
    else if (Array.isArray(value)) for (const v of value) this.findJson(v, hits);
    else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        hits.push(...this.text.find(k));
        this.findJson(v, hits);
      }
    }
  }
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The stderr byte-stream redactor (see LeakGuard.stderrRedactor). */
class StderrRedactor extends Transform {
  private held = '';
  constructor(private readonly guard: LeakGuard) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const { out, keep } = this.guard.scanStream(this.held + chunk.toString('latin1'), false);
    this.held = keep;
    done(null, out.length > 0 ? Buffer.from(out, 'latin1') : undefined);
  }

  override _flush(done: TransformCallback): void {
    const { out } = this.guard.scanStream(this.held, true);
    this.held = '';
    done(null, out.length > 0 ? Buffer.from(out, 'latin1') : undefined);
  }
}

/**
 * The guard for `mode`, or undefined when it is `off` or nothing is to be guarded (no secrets).
 * @param secrets the injected values by variable
 */
export function createLeakGuard(options: { secrets: readonly GuardedSecret[]; mode: LeakGuardMode; onEvent?: (e: GuardEvent) => void }): LeakGuard | undefined {
  if (options.mode === 'off') return undefined;
  if (!options.secrets.some((s) => s.value.length > 0)) return undefined;
  return new LeakGuard({ secrets: options.secrets, mode: options.mode, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
}

