import type { Readable, Writable } from 'node:stream';
import { LineFilterStream, type MessageFilter } from '../launcher/filters.js';
import type { ServerProcess } from '../launcher/server-process.js';

/**
 * A relay for one MCP session over stdio that can move the session to a new server process without the client
 * noticing (`run --watch`: a rotated secret needs a server started with the new value).
 *
 * Framing: the MCP stdio transport is newline-delimited JSON-RPC 2.0, one message per line (MCP spec,
 * basic/transports "stdio"). The relay parses each message to route it:
 * - client → server: requests go to the current server and are remembered as in flight on it; responses (to
 *   server-initiated requests: sampling, elicitation, roots) go back to the server that asked; a
 *   `notifications/cancelled` goes to the server holding that request; other notifications to the current one.
 * - server → client: responses pass through (and end the request's in-flight record); requests a server initiates
 *   get their ids remapped for every server but the first (`vaultmcp-g<N>-<k>`), so two servers' ids never
 *   collide at the client; messages that do not parse are passed through unchanged.
 *
 * A switch ({@link SessionSwitch.switchTo}): start the new server, replay the client's `initialize` request
 * (same params; ours is answered to us, not the client) and `notifications/initialized`, compare the tool,
 * prompt and resource lists of old and new server, then route new client requests to the new server. Requests in
 * flight on the old server get its answers for `graceMs`; what is still unanswered then is answered with JSON-RPC
 * error -32603 "server restarted for secret rotation", and the old server is stopped. If the lists differ, the
 * client gets `notifications/<tools|prompts|resources>/list_changed` — for each capability the old server
 * declared in its `initialize` result (the capabilities the client knows of). A session that never sent
 * `initialize` (MCP 2026-07-28 stateless requests) needs no replay: the new server simply takes the next request.
 * If the new server fails to start, exits, or does not answer `initialize` within `initTimeoutMs`, it is stopped
 * and the old server keeps the session.
 */

/** What the relay needs of a server process: core/launcher/server-process.ts's (tests pass in-process ones). */
export type SessionServer = Pick<ServerProcess, 'pid' | 'stdin' | 'stdout' | 'exited' | 'hasExited' | 'signal' | 'stop'>;

/** Timer functions (injectable so tests move time instead of waiting for it). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Events of the relay, for stderr lines; none carries a message body or a value. */
export type SessionSwitchEvent =
  | { type: 'switched'; fromPid: number; toPid: number; ms: number; listsChanged: ListKind[]; replayed: boolean }
  | { type: 'switch-failed'; reason: string }
  | { type: 'old-stopped'; pid: number; answeredWithError: number };

export type ListKind = 'tools' | 'prompts' | 'resources';

/** The outcome of one switch attempt. */
export type SwitchResult = { ok: true; listsChanged: ListKind[] } | { ok: false; reason: string };

export interface SessionSwitchOptions {
  /** Our stdin (client → us) and stdout (us → client). */
  client: { stdin: Readable; stdout: Writable };
  /** The server the session starts on. */
  first: SessionServer;
  /** Filters on every server → client message after routing (the leak guard). */
  filters?: readonly MessageFilter[];
  /**
   * Filters on every client → server message before routing (the leak guard's tools/call check); a filter's
   * `reply` goes to the client.
   */
  inputFilters?: readonly MessageFilter[];
  /** How long requests in flight on a replaced server may still be answered by it, ms; default 30 000. */
  graceMs?: number;
  /** How long a new server has to answer the replayed `initialize` (and the list requests), ms; default 30 000. */
  initTimeoutMs?: number;
  /** After the client's stdin ends: ms before SIGTERM to the current server; default 2000. */
  stdinGraceMs?: number;
  /** After SIGTERM: ms before SIGKILL to the server's process group; default 2000. */
  killGraceMs?: number;
  timers?: Timers;
  onEvent?: (event: SessionSwitchEvent) => void;
}

/** JSON-RPC error code for "internal error" (JSON-RPC 2.0 spec §5.1), used for requests lost to a switch. */
export const ROTATION_ERROR_CODE = -32603;
export const ROTATION_ERROR_MESSAGE = 'server restarted for secret rotation';

type Id = string | number;
type Json = Record<string, unknown>;

interface ServerState {
  server: SessionServer;
  generation: number;
  /** Client requests sent to it and not yet answered: id key → id. */
  inFlight: Map<string, Id>;
  /** Our own requests to it (replay, lists): id key → resolver. */
  internal: Map<string, (message: Json) => void>;
  capabilities?: Json;
  retired: boolean;
  onDrained?: () => void;
}

const NEWLINE = Buffer.from('\n');
const keyOf = (id: unknown) => JSON.stringify(id);

function parse(message: Buffer): Json | undefined {
  try {
    const m = JSON.parse(message.toString('utf8')) as unknown;
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as Json) : undefined;
  } catch {
    return undefined;
  }
}
const encode = (m: Json) => Buffer.from(JSON.stringify(m));
const isRequest = (m: Json) => typeof m.method === 'string' && 'id' in m && m.id !== null;
const isNotification = (m: Json) => typeof m.method === 'string' && !('id' in m);
const isResponse = (m: Json) => typeof m.method !== 'string' && 'id' in m && ('result' in m || 'error' in m);

/** See the module comment. Create it, then await {@link done}. */
export class SessionSwitch {
  /** Resolves when the current server exits on its own, or after the client went away and it was stopped. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private current: ServerState;
  private readonly all = new Set<ServerState>();
  private generations = 0;
  private internalIds = 0;
  private remapIds = 0;
  /** Server-initiated requests, by the id the client saw: the server and its own id. */
  private readonly serverRequests = new Map<string, { state: ServerState; id: Id }>();
  private initializeParams: unknown;
  private initializeId: string | undefined;
  private initializedNotified = false;
  private clientEnded = false;
  private switching: Promise<SwitchResult> = Promise.resolve({ ok: true, listsChanged: [] });
  private resolveDone!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  private readonly timers: Timers;
  private readonly graceMs: number;
  private readonly initTimeoutMs: number;

  constructor(private readonly options: SessionSwitchOptions) {
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.graceMs = options.graceMs ?? 30_000;
    this.initTimeoutMs = options.initTimeoutMs ?? 30_000;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    // a client that went away (EPIPE) is noticed through stdin's end; its broken stdout must not throw
    options.client.stdout.on('error', () => {});
    this.current = this.attach(options.first);

    const fromClient = new LineFilterStream([...(options.inputFilters ?? []), { name: 'session-switch', transform: (m) => this.fromClient(m) }], {
      reply: (m) => this.toClient(m),
    });
    options.client.stdin.pipe(fromClient);
    fromClient.resume();
    fromClient.once('end', () => this.onClientEnd());
    fromClient.once('error', () => this.onClientEnd());
  }

  /** The pid of the server that takes new requests. */
  get currentPid(): number {
    return this.current.server.pid;
  }

  /** Sends `signal` to every server of the session (signals we were sent are forwarded). */
  signalAll(signal: NodeJS.Signals): void {
    for (const s of this.all) s.server.signal(signal);
  }

  /**
   * Moves the session to the server `start` starts. Switches run one at a time, in call order.
   * @returns ok with the lists that changed, or the reason the old server keeps the session. Never throws.
   */
  switchTo(start: () => Promise<SessionServer>): Promise<SwitchResult> {
    const next = this.switching.then(() => this.doSwitch(start));
    this.switching = next;
    return next;
  }

  private attach(server: SessionServer): ServerState {
    const state: ServerState = { server, generation: ++this.generations, inFlight: new Map(), internal: new Map(), retired: false };
    this.all.add(state);
    const toClient = new LineFilterStream([{ name: 'session-switch', transform: (m) => this.fromServer(state, m) }, ...(this.options.filters ?? [])]);
    server.stdout.pipe(toClient).pipe(this.options.client.stdout, { end: false });
    toClient.on('error', () => server.stdout.unpipe(toClient));
    void server.exited.then((exit) => this.onServerExit(state, exit));
    return state;
  }

  private async fromClient(message: Buffer): Promise<null> {
    const m = parse(message);
    if (!m) {
      await this.write(this.current, message);
      return null;
    }
    if (isRequest(m)) {
      if (m.method === 'initialize' && this.initializeParams === undefined) {
        this.initializeParams = m.params;
        this.initializeId = keyOf(m.id);
      }
      this.current.inFlight.set(keyOf(m.id), m.id as Id);
      await this.write(this.current, message);
    } else if (isResponse(m)) {
      const asked = this.serverRequests.get(keyOf(m.id));
      if (!asked) return null; // an answer to nothing we relayed
      this.serverRequests.delete(keyOf(m.id));
      if (asked.state.server.hasExited) return null;
      await this.write(asked.state, asked.id === m.id ? message : encode({ ...m, id: asked.id }));
    } else if (isNotification(m)) {
      if (m.method === 'notifications/initialized') this.initializedNotified = true;
      let target = this.current;
      if (m.method === 'notifications/cancelled') {
        const requestId = (m.params as Json | undefined)?.requestId;
        for (const s of this.all) if (s.inFlight.has(keyOf(requestId))) target = s;
      }
      await this.write(target, message);
    } else {
      await this.write(this.current, message);
    }
    return null;
  }

  private fromServer(state: ServerState, message: Buffer): Buffer | null {
    const m = parse(message);
    if (!m) return message;
    if (isResponse(m)) {
      const key = keyOf(m.id);
      const internal = state.internal.get(key);
      if (internal) {
        state.internal.delete(key);
        internal(m);
        return null;
      }
      if (key === this.initializeId && state === this.first && m.result && typeof m.result === 'object') {
        state.capabilities = ((m.result as Json).capabilities as Json | undefined) ?? {};
      }
      if (state.inFlight.delete(key) && state.retired && state.inFlight.size === 0) state.onDrained?.();
      return message;
    }
    if (isRequest(m)) {
      if (state.generation === 1) {
        this.serverRequests.set(keyOf(m.id), { state, id: m.id as Id });
        return message;
      }
      const seen = `vaultmcp-g${state.generation}-${++this.remapIds}`;
      this.serverRequests.set(keyOf(seen), { state, id: m.id as Id });
      return encode({ ...m, id: seen });
    }
    if (state.retired && typeof m.method === 'string' && m.method.endsWith('/list_changed')) return null;
    return message;
  }

  private get first(): ServerState | undefined {
    for (const s of this.all) if (s.generation === 1) return s;
    return undefined;
  }

  private write(state: ServerState, message: Buffer): Promise<void> {
    const stdin = state.server.stdin;
    if (state.server.hasExited || stdin.destroyed || stdin.writableEnded) return Promise.resolve();
    const ok = stdin.write(Buffer.concat([message, NEWLINE]));
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        stdin.off('close', done);
        resolve();
      };
      stdin.once('drain', done);
      stdin.once('close', done);
    });
  }

  /** Sends our own request to `state` and waits for its answer (or the server's exit, or the deadline). */
  private request(state: ServerState, method: string, params: unknown, deadline: Promise<string>): Promise<Json> {
    const id = `vaultmcp-internal-${++this.internalIds}`;
    return new Promise<Json>((resolve, reject) => {
      state.internal.set(keyOf(id), resolve);
      void state.server.exited.then(() => reject(new Error(`the server exited before answering ${method}`)));
      void deadline.then((why) => reject(new Error(why)));
      void this.write(state, encode({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    }).finally(() => state.internal.delete(keyOf(id)));
  }

  private async listAll(state: ServerState, kind: ListKind, deadline: Promise<string>): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: unknown;
    for (let page = 0; page < 100; page++) {
      const answer = await this.request(state, `${kind}/list`, cursor === undefined ? {} : { cursor }, deadline);
      if (answer.error) throw new Error(`${kind}/list failed`);
      const result = (answer.result ?? {}) as Json;
      items.push(...((result[kind] as unknown[] | undefined) ?? []));
      cursor = result.nextCursor;
      if (cursor === undefined || cursor === null) return items;
    }
    return items;
  }

  private async doSwitch(start: () => Promise<SessionServer>): Promise<SwitchResult> {
    if (this.clientEnded) return { ok: false, reason: 'the client has gone' };
    const old = this.current;
    const began = performance.now();
    let handle: unknown;
    const deadline = new Promise<string>((resolve) => {
      handle = this.timers.setTimeout(() => resolve(`no answer within ${this.initTimeoutMs} ms`), this.initTimeoutMs);
    });
    let next: ServerState | undefined;
    const fail = async (reason: string): Promise<SwitchResult> => {
      this.timers.clearTimeout(handle);
      if (next) {
        next.retired = true;
        await next.server.stop({ termAfterMs: 0, killAfterMs: this.options.killGraceMs ?? 2000 });
        this.all.delete(next);
      }
      this.emit({ type: 'switch-failed', reason });
      return { ok: false, reason };
    };
    try {
      next = this.attach(await start());
    } catch (err) {
      return fail(`the new server did not start (${(err as Error).message})`);
    }
    const replayed = this.initializeParams !== undefined;
    let changed: ListKind[] = [];
    try {
      if (replayed) {
        const answer = await this.request(next, 'initialize', this.initializeParams, deadline);
        if (answer.error || !answer.result) return fail('the new server refused initialize');
        next.capabilities = ((answer.result as Json).capabilities as Json | undefined) ?? {};
        if (this.initializedNotified) await this.write(next, encode({ jsonrpc: '2.0', method: 'notifications/initialized' }));
        const kinds = (['tools', 'prompts', 'resources'] as const).filter((k) => old.capabilities?.[k] !== undefined);
        changed = (
          await Promise.all(
            kinds.map(async (kind) => {
              const [a, b] = await Promise.all([
                this.listAll(old, kind, deadline).catch(() => undefined),
                next!.capabilities?.[kind] === undefined ? Promise.resolve([]) : this.listAll(next!, kind, deadline),
              ]);
              return a === undefined || JSON.stringify(a) !== JSON.stringify(b) ? kind : undefined;
            }),
          )
        ).filter((k): k is ListKind => k !== undefined);
      }
    } catch (err) {
      return fail((err as Error).message);
    }
    this.timers.clearTimeout(handle);
    if (next.server.hasExited) return fail('the new server exited during the switch');

    this.current = next;
    this.retire(old);
    for (const kind of changed) this.toClient(encode({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` }));
    this.emit({ type: 'switched', fromPid: old.server.pid, toPid: next.server.pid, ms: Math.round(performance.now() - began), listsChanged: changed, replayed });
    return { ok: true, listsChanged: changed };
  }

  /** The old server answers what it owes for graceMs, then the rest gets an error and it is stopped. */
  private retire(old: ServerState): void {
    old.retired = true;
    let handle: unknown;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.timers.clearTimeout(handle);
      const owed = [...old.inFlight.values()];
      old.inFlight.clear();
      for (const id of owed) this.toClient(encode({ jsonrpc: '2.0', id, error: { code: ROTATION_ERROR_CODE, message: ROTATION_ERROR_MESSAGE } }));
      void old.server.stop({ termAfterMs: 0, killAfterMs: this.options.killGraceMs ?? 2000 }).then(() => {
        this.all.delete(old);
        this.emit({ type: 'old-stopped', pid: old.server.pid, answeredWithError: owed.length });
      });
    };
    old.onDrained = finish;
    if (old.inFlight.size === 0) return finish();
    handle = this.timers.setTimeout(finish, this.graceMs);
  }

  private toClient(message: Buffer): void {
    const out = this.options.client.stdout;
    if (out.destroyed || out.writableEnded) return;
    try {
      out.write(Buffer.concat([message, NEWLINE]));
    } catch {
      /* the client has gone */
    }
  }

  private onServerExit(state: ServerState, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (state === this.current) {
      for (const s of this.all) if (s !== state) void s.server.stop({ termAfterMs: 0, killAfterMs: this.options.killGraceMs ?? 2000 });
      // let the last of its stdout reach the client before we report the end
      state.server.stdout.once('end', () => this.resolveDone(exit));
      if (state.server.stdout.readableEnded) this.resolveDone(exit);
      return;
    }
    if (state.retired) state.onDrained?.();
  }

  private onClientEnd(): void {
    if (this.clientEnded) return;
    this.clientEnded = true;
    for (const s of this.all) {
      if (s === this.current) void s.server.stop({ termAfterMs: this.options.stdinGraceMs ?? 2000, killAfterMs: this.options.killGraceMs ?? 2000 });
      else void s.server.stop({ termAfterMs: 0, killAfterMs: this.options.killGraceMs ?? 2000 });
    }
  }

  private emit(event: SessionSwitchEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      /* reporting never breaks the session */
    }
  }
}
