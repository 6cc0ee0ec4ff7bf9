/**
 * The session switch of `run --watch` with in-process servers (streams speaking newline-delimited JSON-RPC) and
 * timers the test moves: replay, routing by server, id remapping, the grace period, list_changed, failures.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { ROTATION_ERROR_CODE, SessionSwitch, type SessionServer, type SessionSwitchEvent, type Timers } from '../../src/core/mcp/session-switch.js';
import { deferred, waitFor, waitUntil } from '../helpers/wait.js';

type Msg = Record<string, any>;

/** A JSON-RPC server in a stream pair; `handle` answers each message (undefined: no answer yet). */
class FakeServer implements SessionServer {
  static next = 100;
  readonly pid = FakeServer.next++;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly received: Msg[] = [];
  hasExited = false;
  stopped = false;
  private readonly exit = deferred<{ code: number | null; signal: NodeJS.Signals | null }>();
  readonly exited = this.exit.promise;
  constructor(private readonly handle: (m: Msg, self: FakeServer) => Msg | undefined) {
    let buf = '';
    this.stdin.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = JSON.parse(line) as Msg;
        this.received.push(m);
        const answer = this.handle(m, this);
        if (answer) this.send(answer);
      }
    });
  }
  send(m: Msg): void {
    this.stdout.write(JSON.stringify(m) + '\n');
  }
  signal(): void {}
  die(code = 1): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.stdout.end();
    this.exit.resolve({ code, signal: null });
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.die(0);
  }
}

/** An MCP-ish server: initialize, tools/list (from `tools`), `echo` answered at once, `slow` never (until told). */
function mcpServer(tools: string[], capabilities: Msg = { tools: { listChanged: true } }) {
  return new FakeServer((m) => {
    if (m.method === 'initialize') return { jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities, serverInfo: { name: 'fake', version: '1' } } };
    if (m.method === 'tools/list') return { jsonrpc: '2.0', id: m.id, result: { tools: tools.map((name) => ({ name })) } };
    if (m.method === 'echo') return { jsonrpc: '2.0', id: m.id, result: { from: 'server' } };
    return undefined;
  });
}

class ManualTimers implements Timers {
  private readonly pending = new Set<{ fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number) {
    const h = { fn, ms };
    this.pending.add(h);
    return h;
  }
  clearTimeout(h: unknown) {
    this.pending.delete(h as { fn: () => void; ms: number });
  }
  /** Fires every timer set for exactly `ms`. */
  fire(ms: number) {
    for (const h of [...this.pending]) {
      if (h.ms !== ms) continue;
      this.pending.delete(h);
      h.fn();
    }
  }
}

function harness(first: FakeServer, options: { graceMs?: number; initTimeoutMs?: number } = {}) {
  const clientIn = new PassThrough();
  const clientOut = new PassThrough();
  const seen: Msg[] = [];
  let buf = '';
  clientOut.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      seen.push(JSON.parse(buf.slice(0, i)) as Msg);
      buf = buf.slice(i + 1);
    }
  });
  const timers = new ManualTimers();
  const events: SessionSwitchEvent[] = [];
  const relay = new SessionSwitch({ client: { stdin: clientIn, stdout: clientOut }, first, timers, graceMs: options.graceMs ?? 30_000, initTimeoutMs: options.initTimeoutMs ?? 5000, onEvent: (e) => events.push(e) });
  const send = (m: Msg) => clientIn.write(JSON.stringify(m) + '\n');
  const answer = (id: unknown) => waitFor(() => seen.find((m) => m.id === id && ('result' in m || 'error' in m)), `answer to ${String(id)}`);
  return { relay, send, seen, answer, timers, events, clientIn };
}

async function initialize(h: ReturnType<typeof harness>) {
  h.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  await h.answer(0);
  h.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
}

describe('session switch (run --watch)', () => {
  test('replays the session to the new server, routes new requests there, lets the old one finish its own', async () => {
    const old = mcpServer(['a', 'b']);
    const h = harness(old);
    await initialize(h);
    h.send({ jsonrpc: '2.0', id: 1, method: 'slow' }); // in flight on the old server
    await waitUntil(() => old.received.some((m) => m.id === 1), 'slow request reached the old server');

    const next = mcpServer(['a', 'b']);
    const result = await h.relay.switchTo(async () => next);
    assert.deepEqual(result, { ok: true, listsChanged: [] });
    const replay = next.received.find((m) => m.method === 'initialize')!;
    assert.deepEqual(replay.params, { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    assert.ok(next.received.some((m) => m.method === 'notifications/initialized'));
    assert.ok(!h.seen.some((m) => m.id === replay.id), 'the replayed initialize answer reached the client');
    assert.ok(!h.seen.some((m) => String(m.method).endsWith('list_changed')), 'list_changed for equal lists');

    h.send({ jsonrpc: '2.0', id: 2, method: 'echo' });
    await h.answer(2);
    assert.ok(next.received.some((m) => m.id === 2) && !old.received.some((m) => m.id === 2), 'a new request went to the old server');
    assert.equal(old.stopped, false, 'the old server was stopped with a request in flight');

    old.send({ jsonrpc: '2.0', id: 1, result: { done: 'late' } }); // within the grace period
    assert.deepEqual((await h.answer(1)).result, { done: 'late' });
    await waitUntil(() => old.stopped, 'old server stopped once it owed nothing');
    assert.equal(h.relay.currentPid, next.pid);
    h.clientIn.end();
    await h.relay.done;
  });

  test('after the grace period the old server\'s unanswered requests get -32603 and it is stopped', async () => {
    const old = mcpServer(['a']);
    const h = harness(old, { graceMs: 777 });
    await initialize(h);
    h.send({ jsonrpc: '2.0', id: 'x', method: 'slow' });
    await waitUntil(() => old.received.some((m) => m.id === 'x'), 'slow request reached the old server');
    assert.equal((await h.relay.switchTo(async () => mcpServer(['a']))).ok, true);
    assert.equal(old.stopped, false);
    h.timers.fire(777);
    const answer = await h.answer('x');
    assert.equal(answer.error.code, ROTATION_ERROR_CODE);
    assert.equal(answer.error.message, 'server restarted for secret rotation');
    await waitUntil(() => h.events.some((e) => e.type === 'old-stopped' && e.answeredWithError === 1), 'old-stopped event');
    h.clientIn.end();
    await h.relay.done;
  });

  test('list_changed goes out only for lists that differ, and only for capabilities the old server declared', async () => {
    const old = mcpServer(['a'], { tools: { listChanged: true } });
    const h = harness(old);
    await initialize(h);
    const result = await h.relay.switchTo(async () => mcpServer(['a', 'new-tool'], { tools: { listChanged: true }, prompts: {} }));
    assert.deepEqual(result, { ok: true, listsChanged: ['tools'] });
    await waitUntil(() => h.seen.some((m) => m.method === 'notifications/tools/list_changed'), 'tools list_changed');
    assert.ok(!h.seen.some((m) => m.method === 'notifications/prompts/list_changed'), 'prompts were not declared by the old server');
    h.clientIn.end();
    await h.relay.done;
  });

  test('a new server that refuses initialize, dies, or stays silent leaves the old one serving', async () => {
    const old = mcpServer(['a']);
    const h = harness(old, { initTimeoutMs: 4321 });
    await initialize(h);

    const refusing = new FakeServer((m) => (m.method === 'initialize' ? { jsonrpc: '2.0', id: m.id, error: { code: -32000, message: 'bad token' } } : undefined));
    assert.equal((await h.relay.switchTo(async () => refusing)).ok, false);
    assert.equal(refusing.stopped, true);

    const dying = new FakeServer((_m, self) => {
      self.die(1);
      return undefined;
    });
    const died = await h.relay.switchTo(async () => dying);
    assert.equal(died.ok, false);

    const silent = new FakeServer(() => undefined);
    const pending = h.relay.switchTo(async () => silent);
    await waitUntil(() => silent.received.some((m) => m.method === 'initialize'), 'replay sent');
    h.timers.fire(4321);
    const timedOut = await pending;
    assert.deepEqual(timedOut, { ok: false, reason: 'no answer within 4321 ms' });

    const notStarted = await h.relay.switchTo(async () => {
      throw new Error('spawn failed');
    });
    assert.equal(notStarted.ok, false);

    assert.equal(h.relay.currentPid, old.pid);
    h.send({ jsonrpc: '2.0', id: 9, method: 'echo' });
    await h.answer(9);
    assert.equal(old.stopped, false);
    assert.equal(h.events.filter((e) => e.type === 'switch-failed').length, 4);
    h.clientIn.end();
    await h.relay.done;
  });

  test('server-initiated requests: ids of a later server are remapped, and the client\'s answer goes back with the original id', async () => {
    const old = mcpServer(['a']);
    const h = harness(old);
    await initialize(h);
    const next = mcpServer(['a']);
    await h.relay.switchTo(async () => next);
    next.send({ jsonrpc: '2.0', id: 0, method: 'sampling/createMessage', params: {} }); // id 0 collides with the client's own space
    const asked = await waitFor(() => h.seen.find((m) => m.method === 'sampling/createMessage'), 'sampling request at the client');
    assert.notEqual(asked.id, 0);
    h.send({ jsonrpc: '2.0', id: asked.id, result: { content: 'hi' } });
    const back = await waitFor(() => next.received.find((m) => m.result?.content === 'hi'), 'answer at the server');
    assert.equal(back.id, 0);
    h.clientIn.end();
    await h.relay.done;
  });

  test('a session that never sent initialize (stateless MCP) switches without a replay', async () => {
    const old = mcpServer(['a']);
    const h = harness(old);
    const next = mcpServer(['a']);
    const result = await h.relay.switchTo(async () => next);
    assert.equal(result.ok, true);
    assert.equal(next.received.length, 0);
    assert.ok(h.events.some((e) => e.type === 'switched' && !e.replayed));
    h.send({ jsonrpc: '2.0', id: 5, method: 'echo' });
    await h.answer(5);
    assert.ok(next.received.some((m) => m.id === 5));
    h.clientIn.end();
    await h.relay.done;
  });

  test('the session ends with the current server\'s exit, not a replaced one\'s', async () => {
    const old = mcpServer(['a']);
    const h = harness(old);
    await initialize(h);
    const next = mcpServer(['a']);
    await h.relay.switchTo(async () => next);
    await waitUntil(() => old.stopped, 'old stopped');
    next.die(7);
    assert.deepEqual(await h.relay.done, { code: 7, signal: null });
  });
});
