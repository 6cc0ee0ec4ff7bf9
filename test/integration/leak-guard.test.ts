/**
 * The leak guard with real processes:
 * - launch() + LeakGuard with a fixture server (test/fixtures/servers/leaky-server.mjs) that writes the token
 *   base64-encoded split over three writes, raw and base64url on stderr split over writes, and an 8 MB message
 *   with the value at its end: every case redacted, every stdout line still JSON-RPC;
 * - the real CLI (`run`, bundled) with the real @modelcontextprotocol/server-everything and the real MCP SDK
 *   client against the emulator: get-env's result carries `[REDACTED:VAR]` and still parses as JSON-RPC (the SDK
 *   validates it), `echo` with the token is refused in block mode and warned in redact mode, `--leak-guard off`
 *   passes the value; the audit trail records the launch without the value, read back by `audit tail`/`audit show`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LeakGuard, type GuardEvent } from '../../src/core/guard/index.js';
import { base64Core } from '../../src/core/guard/forms.js';
import { launch, type SignalSource } from '../../src/core/launcher/launch.js';
import { cliBundle } from '../helpers/cli-bundle.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LEAKY = path.join(ROOT, 'test/fixtures/servers/leaky-server.mjs');
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const TOKEN = `tok-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-Zq9`;

/** A stream that keeps what is written to it. */
function collected(): { stream: PassThrough; chunks: Buffer[] } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  return { stream, chunks };
}

describe('leak guard with a leaking fixture server (launch)', () => {
  it('redacts base64 split across writes, stderr split across writes, and an 8 MB message with the value at its end', async () => {
    const events: GuardEvent[] = [];
    const guard = new LeakGuard({ secrets: [{ envVar: 'API_TOKEN', value: TOKEN }], mode: 'redact', onEvent: (e) => events.push(e) });
    const { stream: stdout, chunks: out } = collected();
    const { stream: stderr, chunks: err } = collected();
    const stdin = new PassThrough();
    const result = await launch({
      command: [process.execPath, LEAKY, 'leak', 'API_TOKEN'],
      env: { PATH: process.env.PATH ?? '/usr/bin', API_TOKEN: TOKEN },
      cwd: ROOT,
      stdin,
      stdout,
      stderr,
      signals: new EventEmitter() as EventEmitter & SignalSource,
      filters: [guard.serverToClient],
      inputFilters: [guard.clientToServer],
      stderrFilter: guard.stderrRedactor(),
    });
    assert.equal(result.exitCode, 0);
    const text = Buffer.concat(out).toString('utf8');
    const lines = text.split('\n').filter(Boolean);
    assert.equal(lines.length, 3);
    const parsed = lines.map((l) => JSON.parse(l) as { jsonrpc: string; method: string; params?: { data: string } });
    assert.ok(parsed.every((m) => m.jsonrpc === '2.0'), 'still JSON-RPC');
    assert.match(parsed[0]!.params!.data, /^key=\[REDACTED:API_TOKEN\]/);
    assert.ok(parsed[1]!.params!.data.endsWith('a[REDACTED:API_TOKEN]'), 'the 8 MB message');
    assert.equal(parsed[1]!.params!.data.length, 8 * 1024 * 1024 + '[REDACTED:API_TOKEN]'.length);
    assert.equal(parsed[2]!.method, 'done');
    const errText = Buffer.concat(err).toString('utf8');
    assert.match(errText, /starting with \[REDACTED:API_TOKEN\] loaded\n/);
    assert.match(errText, /url-safe: \S*\[REDACTED:API_TOKEN\]/);
    for (const all of [text, errText]) {
      assert.ok(!all.includes(TOKEN), 'no raw value');
      for (const align of [0, 1, 2] as const) {
        for (const alphabet of ['base64', 'base64url'] as const) assert.ok(!all.includes(base64Core(Buffer.from(TOKEN), align, alphabet)), `${alphabet} ${align}`);
      }
    }
    // a base64url form without - or _ is also the base64 one (reported as base64)
    assert.deepEqual(
      events.map((e) => e.type === 'leak' && `${e.direction} ${e.form.replace('base64url', 'base64')}`).sort(),
      ['server-to-client base64', 'server-to-client raw', 'stderr base64', 'stderr raw'],
    );
  });

  it('the launcher takes its streams and the stderr redactor only once the server is spawned (run builds them then)', async () => {
    const guard = new LeakGuard({ secrets: [{ envVar: 'API_TOKEN', value: TOKEN }], mode: 'redact' });
    const order: string[] = [];
    const stdin = new PassThrough();
    const { stream: stdout, chunks: out } = collected();
    const { stream: stderr, chunks: err } = collected();
    const result = await launch({
      command: [process.execPath, LEAKY, 'leak', 'API_TOKEN'],
      env: { PATH: process.env.PATH ?? '/usr/bin', API_TOKEN: TOKEN },
      cwd: ROOT,
      get stdin() {
        order.push('stdin');
        return stdin;
      },
      get stdout() {
        order.push('stdout');
        return stdout;
      },
      get stderr() {
        order.push('stderr');
        return stderr;
      },
      signals: new EventEmitter() as EventEmitter & SignalSource,
      filters: [guard.serverToClient],
      stderrFilter: () => (order.push('redactor'), guard.stderrRedactor()),
      onEvent: (e) => {
        if (e.type === 'spawned') {
          order.push('spawned');
          guard.prepare();
        }
      },
    });
    assert.equal(result.exitCode, 0);
    assert.equal(order[0], 'spawned', `nothing read before the spawn: ${order.join(', ')}`);
    assert.deepEqual(order.filter((o) => o === 'redactor'), ['redactor'], 'one redactor');
    const all = Buffer.concat(out).toString('utf8') + Buffer.concat(err).toString('utf8');
    assert.match(all, /\[REDACTED:API_TOKEN\]/);
    assert.ok(!all.includes(TOKEN));
  });
});

describe('leak guard through `run` with server-everything and the MCP SDK client', () => {
  let emu: TestEmulator;
  let dir: string;
  let config: string;
  let auditFile: string;
  let env: Record<string, string>;

  before(async () => {
    emu = await startTestEmulator({ seed: { 'everything-api-key': TOKEN } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-guard-'));
    auditFile = path.join(dir, 'state', 'audit.jsonl');
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'resilience: { retries: 0, timeout_ms: 3000 }', `audit: { file: ${JSON.stringify(auditFile)} }`));
    writeFileSync(
      path.join(dir, 'everything.json'),
      JSON.stringify({ secrets: { EVERYTHING_API_KEY: 'everything-api-key' }, target_command: [process.execPath, EVERYTHING, 'stdio'] }),
    );
    env = { PATH: process.env.PATH ?? '/usr/bin', HOME: path.join(dir, 'home'), XDG_STATE_HOME: path.join(dir, 'state-home') };
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function withClient<T>(extra: string[], fn: (c: Client) => Promise<T>): Promise<{ result: T; stderr: string }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliBundle(), 'run', path.join(dir, 'everything.json'), '--config', config, ...extra],
      env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    // stderr is its own pipe: a line about a message may arrive after the message itself, so read it to its end
    const stderrEnded = new Promise<void>((resolve) => (transport.stderr ? transport.stderr.once('close', () => resolve()) : resolve()));
    const client = new Client({ name: 'vaultmcp-guard-test', version: '0.0.0' });
    await client.connect(transport);
    let result: T;
    try {
      result = await fn(client);
    } finally {
      await client.close();
      await stderrEnded;
    }
    return { result, stderr };
  }

  const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content.map((c) => c.text).join('\n');

  it('get-env: the result reaches the client with [REDACTED:VAR] and parses as JSON-RPC; one values-free stderr line', async () => {
    const { result, stderr } = await withClient([], async (c) => text(await c.callTool({ name: 'get-env', arguments: {} })));
    const serverEnv = JSON.parse(result) as Record<string, string>;
    assert.equal(serverEnv.EVERYTHING_API_KEY, '[REDACTED:EVERYTHING_API_KEY]');
    assert.ok(!result.includes(TOKEN) && !stderr.includes(TOKEN));
    assert.match(stderr, /^vaultmcp: leak guard: EVERYTHING_API_KEY \(raw\) in server → client tools\/call: redacted$/m);
  });

  it('echo with the token: blocked with a JSON-RPC error in block mode, forwarded with a warning (and its echo redacted) in redact mode', async () => {
    const blocked = await withClient(['--leak-guard', 'block'], async (c) => {
      try {
        await c.callTool({ name: 'echo', arguments: { message: `send ${TOKEN} to evil.example` } });
        return 'forwarded';
      } catch (err) {
        return err as { code: number; message: string };
      }
    });
    assert.notEqual(blocked.result, 'forwarded');
    const error = blocked.result as { code: number; message: string };
    assert.equal(error.code, -32602);
    assert.match(error.message, /EVERYTHING_API_KEY/);
    assert.ok(!error.message.includes(TOKEN));
    assert.match(blocked.stderr, /leak guard: EVERYTHING_API_KEY \(raw\) in client → server tools\/call: blocked/);

    const warned = await withClient([], async (c) => text(await c.callTool({ name: 'echo', arguments: { message: `x ${TOKEN}` } })));
    assert.match(warned.result, /\[REDACTED:EVERYTHING_API_KEY\]/);
    assert.ok(!warned.result.includes(TOKEN));
    assert.match(warned.stderr, /leak guard: EVERYTHING_API_KEY \(raw\) in client → server tools\/call: forwarded/);
  });

  it('--leak-guard off passes the value through untouched', async () => {
    const { result, stderr } = await withClient(['--leak-guard', 'off'], async (c) => text(await c.callTool({ name: 'get-env', arguments: {} })));
    assert.equal((JSON.parse(result) as Record<string, string>).EVERYTHING_API_KEY, TOKEN);
    assert.doesNotMatch(stderr, /leak guard/);
  });

  it('the audit trail has each launch (OCID, version, source, pid, exit code) without the value; audit tail / show read it', async () => {
    assert.equal(statSync(auditFile).mode & 0o777, 0o600);
    const raw = readFileSync(auditFile, 'utf8');
    assert.ok(!raw.includes(TOKEN), 'no value in the audit file');
    const records = raw.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = records.find((r) => r.event === 'start') as { variables: Array<Record<string, unknown>>; pid: number; service: string; leak_guard: string };
    assert.equal(start.service, 'everything');
    assert.deepEqual(Object.keys(start.variables[0]!).sort(), ['name', 'secret_id', 'source', 'version']);
    assert.match(String(start.variables[0]!.secret_id), /^ocid1\.vaultsecret\./);
    assert.equal(start.variables[0]!.source, 'vault');
    const exit = records.find((r) => r.event === 'exit' && r.pid === start.pid) as { exit_code: number };
    assert.equal(typeof exit.exit_code, 'number');
    assert.ok(records.some((r) => r.event === 'leak' && r.variable === 'EVERYTHING_API_KEY'));

    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [cliBundle(), ...args, '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (b: Buffer) => (stdout += b));
        p.stderr.on('data', (b: Buffer) => (stderr += b));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const tail = await cli(['audit', 'tail', '--json', '-n', '2']);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout.trim().split('\n').length, 2);
    for (const l of tail.stdout.trim().split('\n')) JSON.parse(l);
    const show = await cli(['audit', 'show', '--service', 'everything']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /everything\/default start pid \d+, guard redact, resolved in \d+ ms: EVERYTHING_API_KEY ocid1\.vaultsecret\.\S+ \(v1, vault\)/);
    assert.match(show.stdout, /exit pid \d+, exit code \d+/);
    const none = await cli(['audit', 'show', '--service', 'nope', '--json']);
    assert.deepEqual(JSON.parse(none.stdout), []);
  });
});
