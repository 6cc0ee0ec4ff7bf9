/**
 * launch() with real child processes (test/fixtures/servers/fake-server.mjs): environment, exit codes, signals,
 * stdin EOF, missing executables and byte-exact stdout. Signals come from an EventEmitter standing in for
 * `process`, so the test runner itself is never signalled.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { buildChildEnv } from '../../src/core/launcher/env.js';
import { launch, type LaunchEvent, type LaunchOptions, type SignalSource } from '../../src/core/launcher/launch.js';
import { CommandNotFoundError } from '../../src/core/errors.js';

const FAKE = path.resolve(import.meta.dirname, '../fixtures/servers/fake-server.mjs');
const NODE = process.execPath;

interface Harness {
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  signals: EventEmitter & SignalSource;
  events: LaunchEvent[];
  out(): string;
  err(): string;
  /** resolves with the first stdout line matching `re` */
  waitFor(re: RegExp): Promise<string>;
}

function harness(): Harness {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  stdout.on('data', (b: Buffer) => {
    outChunks.push(b);
    if (waiters.length === 0) return;
    const text = Buffer.concat(outChunks).toString();
    for (const w of [...waiters]) {
      const line = text.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  stderr.on('data', (b: Buffer) => errChunks.push(b));
  return {
    stdin,
    stdout,
    stderr,
    signals: new EventEmitter() as EventEmitter & SignalSource,
    events: [],
    out: () => Buffer.concat(outChunks).toString(),
    err: () => Buffer.concat(errChunks).toString(),
    waitFor: (re) =>
      new Promise((resolve) => {
        const line = Buffer.concat(outChunks).toString().split('\n').find((l) => re.test(l));
        if (line !== undefined) resolve(line);
        else waiters.push({ re, resolve });
      }),
  };
}

function start(h: Harness, args: string[], extra: Partial<LaunchOptions> = {}) {
  return launch({
    command: [NODE, FAKE, ...args],
    env: { PATH: process.env.PATH ?? '/usr/bin' },
    cwd: process.cwd(),
    stdin: h.stdin,
    stdout: h.stdout,
    stderr: h.stderr,
    signals: h.signals,
    stdinGraceMs: 300,
    killGraceMs: 300,
    onEvent: (e) => h.events.push(e),
    ...extra,
  });
}

describe('launch', () => {
  it('gives the child exactly the built environment (secrets, overrides, passthrough; nothing else)', async () => {
    const h = harness();
    const { env } = buildChildEnv({
      parent: { PATH: process.env.PATH, HOME: '/home/x', OCI_VAULT_ID: 'ocid1.vault.oc1..x', DOCKER_CLI_PLUGIN_SOCKET: '@s', KEEP_ME: 'k' },
      passthrough: ['KEEP_*'],
      overrides: { LOG_LEVEL: 'info' },
      secrets: { API_TOKEN: 'tok-123456789' },
    });
    h.stdin.end();
    const r = await start(h, ['env'], { env });
    assert.equal(r.exitCode, 0);
    const childEnv = JSON.parse(h.out()).env as Record<string, string>;
    // node itself may add nothing; compare exactly
    assert.deepEqual(
      Object.keys(childEnv).filter((k) => k !== '_' && !k.startsWith('__CF')).sort(),
      ['API_TOKEN', 'HOME', 'KEEP_ME', 'LOG_LEVEL', 'PATH'],
    );
    assert.equal(childEnv.API_TOKEN, 'tok-123456789');
  });

  it('passes extra args as argv, never through a shell', async () => {
    const h = harness();
    h.stdin.end();
    await start(h, ['argv', '$HOME', 'a b', ';echo hi']);
    assert.deepEqual(JSON.parse(h.out()).argv, ['argv', '$HOME', 'a b', ';echo hi']);
  });

  it('passes the exit code through', async () => {
    for (const code of [0, 3, 42]) {
      const h = harness();
      h.stdin.end();
      const r = await start(h, ['exit', String(code)]);
      assert.equal(r.exitCode, code);
    }
  });

  it('128+N when the child is killed by a signal', async () => {
    const h = harness();
    const r = await start(h, ['kill', 'SIGKILL']);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.exitCode, 137);
    const h2 = harness();
    const r2 = await start(h2, ['kill', 'SIGTERM']);
    assert.equal(r2.exitCode, 143);
  });

  for (const [signal, n] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]] as const) {
    it(`forwards ${signal} to the child and returns its exit code`, async () => {
      const h = harness();
      const p = start(h, ['trap']);
      await h.waitFor(/"ready"/);
      h.signals.emit(signal, signal);
      const r = await p;
      assert.match(h.out(), new RegExp(`"got":"${signal}"`));
      assert.equal(r.exitCode, 100 + n);
      assert.deepEqual(r.forwarded, [signal]);
      assert.equal(h.signals.listenerCount(signal), 0, 'handlers are removed after exit');
    });
  }

  it('a forwarded signal the child dies of gives 128+N', async () => {
    const h = harness();
    const p = start(h, ['echo']); // echo exits 0 on SIGTERM; use SIGHUP, which it does not handle
    await h.waitFor(/"ready"/);
    h.signals.emit('SIGHUP', 'SIGHUP');
    const r = await p;
    assert.equal(r.signal, 'SIGHUP');
    assert.equal(r.exitCode, 129);
  });

  it('stdin EOF: closes the child stdin, then SIGTERM after the grace period', async () => {
    const h = harness();
    const p = start(h, ['echo']);
    await h.waitFor(/"ready"/);
    h.stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    await h.waitFor(/"method":"ping"/);
    const t0 = performance.now();
    h.stdin.end();
    const r = await p;
    const ms = performance.now() - t0;
    assert.ok(r.stdinEnded);
    assert.match(h.out(), /"stdin":"end"/);
    assert.match(h.out(), /"got":"SIGTERM"/);
    assert.equal(r.exitCode, 0);
    assert.ok(ms >= 250 && ms < 3000, `stopped after ${ms} ms`);
    assert.ok(h.events.some((e) => e.type === 'stop' && e.signal === 'SIGTERM'));
  });

  it('stdin EOF with a child that ignores SIGTERM: SIGKILL after another grace period', async () => {
    const h = harness();
    const p = start(h, ['stubborn']);
    await h.waitFor(/"ready"/);
    h.stdin.end();
    const r = await p;
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.exitCode, 137);
    assert.match(h.err(), /ignoring SIGTERM/);
    assert.deepEqual(h.events.filter((e) => e.type === 'stop').map((e) => (e as { signal: string }).signal), ['SIGTERM', 'SIGKILL']);
  });

  it('a child that exits on stdin EOF by itself is not signalled', async () => {
    const h = harness();
    const p = start(h, ['mcp']);
    h.stdin.end();
    const r = await p;
    assert.equal(r.exitCode, 0);
    assert.equal(r.signal, null);
    assert.ok(!h.events.some((e) => e.type === 'stop'));
  });

  it('missing executable → CommandNotFoundError (127) before anything starts', async () => {
    const h = harness();
    await assert.rejects(
      launch({ command: ['definitely-not-a-server-xyz'], env: { PATH: '/nonexistent' }, cwd: process.cwd(), stdin: h.stdin, stdout: h.stdout, stderr: h.stderr, signals: h.signals }),
      (e: unknown) => e instanceof CommandNotFoundError && e.exitCode === 127 && /definitely-not-a-server-xyz/.test(e.message),
    );
    assert.equal(h.signals.listenerCount('SIGTERM'), 0);
  });

  it('stdout is byte-exact for large messages split across odd write sizes', async () => {
    const h = harness();
    const r = await start(h, ['chunks', '50', '300000']); // stdin stays open: the child exits by itself
    assert.equal(r.exitCode, 0);
    const lines = h.out().split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 50);
    lines.forEach((l, i) => {
      const m = JSON.parse(l);
      assert.equal(m.id, i);
      assert.equal(l.length, 300000 - 40 + JSON.stringify({ jsonrpc: '2.0', id: i, result: { pad: '' } }).length);
    });
  });

  it('round-trips an MCP exchange through stdin/stdout', async () => {
    const h = harness();
    const p = start(h, ['mcp'], { env: { PATH: process.env.PATH ?? '', MY_SECRET: 's3cr3t-value' } });
    h.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } }) + '\n');
    await h.waitFor(/"id":1/);
    h.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get-env', arguments: {} } }) + '\n');
    await h.waitFor(/"id":2/);
    h.stdin.end();
    assert.equal((await p).exitCode, 0);
    const lines = h.out().trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.match(lines[1].result.content[0].text, /s3cr3t-value/);
  });
});
