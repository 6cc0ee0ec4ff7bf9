/**
 * launch() with real child processes (test/fixtures/servers/fake-server.mjs): environment, exit codes, signals,
 * stdin EOF, missing executables and byte-exact stdout. Signals come from an EventEmitter standing in for
 * `process`, so the test runner itself is never signalled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { buildChildEnv } from '../../src/core/launcher/env.js';
import { launch, type LaunchEvent, type LaunchOptions, type SignalSource } from '../../src/core/launcher/launch.js';
import { CommandNotFoundError } from '../../src/core/errors.js';
import { waitUntil } from '../helpers/wait.js';

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
    stopTimeoutMs: 300,
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

/** True while a process with this pid runs (a zombie waiting for PID 1 to reap it does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('launch: nothing outlives the launch (issue 9, points 1–3)', { skip: process.platform === 'win32' }, () => {
  it('a server that ignores the forwarded SIGTERM gets SIGKILL (its whole group) after the stop timeout', async () => {
    const h = harness();
    const p = start(h, ['stubborn'], { stopTimeoutMs: 200 });
    await h.waitFor(/"ready"/);
    h.signals.emit('SIGTERM', 'SIGTERM');
    const r = await p;
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.exitCode, 137);
    assert.deepEqual(r.forwarded, ['SIGTERM']);
    assert.ok(h.events.some((e) => e.type === 'stop' && e.signal === 'SIGKILL' && e.reason === 'stop-timeout'));
  });

  for (const how of ['stdin EOF', 'forwarded SIGTERM', 'forwarded SIGINT'] as const) {
    it(`the server's workers are stopped after it exits (${how})`, async () => {
      const h = harness();
      const p = start(h, ['family'], { stopTimeoutMs: 2000 });
      const ready = JSON.parse(await h.waitFor(/"grandchild"/)) as { ready: number; grandchild: number };
      assert.ok(alive(ready.grandchild));
      if (how === 'stdin EOF') h.stdin.end();
      else h.signals.emit(how === 'forwarded SIGTERM' ? 'SIGTERM' : 'SIGINT', how === 'forwarded SIGTERM' ? 'SIGTERM' : 'SIGINT');
      const r = await p;
      if (how !== 'forwarded SIGINT') assert.equal(r.exitCode, 0);
      // the group got SIGTERM once the server was gone; the orphan is reaped by init soon after
      assert.ok(h.events.some((e) => e.type === 'stop' && e.reason === 'exited' && e.signal === 'SIGTERM'));
      await waitUntil(() => !alive(ready.grandchild), 'the grandchild to be gone', { timeoutMs: 5000 });
    });
  }

  it('a worker that ignores SIGTERM gets SIGKILL after the stop timeout', async () => {
    const h = harness();
    const p = start(h, ['family', 'stubborn'], { stopTimeoutMs: 300, stdinGraceMs: 50 });
    const ready = JSON.parse(await h.waitFor(/"grandchild"/)) as { ready: number; grandchild: number };
    h.stdin.end();
    const r = await p;
    assert.equal(r.exitCode, 137);
    await waitUntil(() => !alive(ready.grandchild), 'the grandchild to be gone', { timeoutMs: 5000 });
  });

  it('SIGKILL of the launching process: the watchdog stops the server and its workers', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../helpers/launch-host.ts'), '300', '0', NODE, FAKE, 'family', 'stubborn'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      host.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      host.once('exit', () => reject(new Error('host exited early')));
    });
    const ready = JSON.parse(line) as { ready: number; grandchild: number };
    assert.ok(alive(ready.ready) && alive(ready.grandchild));
    host.kill('SIGKILL');
    await waitUntil(() => !alive(ready.ready) && !alive(ready.grandchild), 'server and worker to be gone', { timeoutMs: 8000 });
  });

  it('the server sees stdin EOF when the launching process dies', async () => {
    const marker = path.join(await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-eof-')), 'eof');
    const script = `process.stdin.resume(); process.stdin.on('end', () => { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'eof'); process.exit(0); }); console.log(JSON.stringify({ ready: process.pid }));`;
    const host = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../helpers/launch-host.ts'), '5000', '2000', NODE, '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => host.stdout.once('data', () => resolve()));
    host.kill('SIGKILL');
    await waitUntil(() => existsSync(marker), 'the server to see EOF', { timeoutMs: 8000 });
  });

  it('relative and empty PATH entries never reach the server', async () => {
    const h = harness();
    h.stdin.end();
    await start(h, ['env'], { env: { PATH: `:node_modules/.bin:${path.dirname(NODE)}:.:bin:/usr/bin:` } });
    assert.equal(JSON.parse(h.out()).env.PATH, `${path.dirname(NODE)}:/usr/bin`);
  });
});
