/**
 * Launcher pieces without spawning: the child's environment (allowlist, passthrough, overrides, secrets
 * precedence), executable lookup, exit-code mapping and the line-framed stdout filter. Spawning real children
 * is in test/integration/launcher.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { buildChildEnv, DEFAULT_PASSTHROUGH } from '../../src/core/launcher/env.js';
import { EXIT_NOT_EXECUTABLE, resolveExecutable } from '../../src/core/launcher/executable.js';
import { LineFilterStream, type MessageFilter } from '../../src/core/launcher/filters.js';
import { exitCodeOf } from '../../src/core/launcher/launch.js';
import { CommandNotFoundError, isVaultMcpError } from '../../src/core/errors.js';

describe('buildChildEnv', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    XDG_RUNTIME_DIR: '/run/user/1',
    HTTPS_PROXY: 'http://proxy:3128',
    no_proxy: 'localhost',
    npm_config_cache: '/tmp/npm',
    'npm_config_//registry.example/:_authToken': 'npm-token',
    OCI_CONFIG_FILE: '/home/u/.oci/config',
    OCI_VAULT_ID: 'ocid1.vault.oc1..x',
    DOCKER_CLI_PLUGIN_SOCKET: '@docker_cli_abc',
    DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker',
    OTEL_RESOURCE_ATTRIBUTES: 'a=b',
    VAULTMCP_DEBUG: '1',
    AWS_SECRET_ACCESS_KEY: 'aws',
    SLACK_CHANNEL_IDS: 'C1,C2',
    MYAPP_A: 'a',
    MYAPP_B: 'b',
    GITHUB_PERSONAL_ACCESS_TOKEN: 'from-parent',
    LOG_LEVEL: 'debug',
  };

  it('passes the default allowlist and nothing else', () => {
    const { env, origin } = buildChildEnv({ parent });
    assert.deepEqual(Object.keys(env).sort(), [
      'HOME', 'HTTPS_PROXY', 'LANG', 'LC_ALL', 'PATH', 'XDG_RUNTIME_DIR', 'no_proxy', 'npm_config_cache',
    ]);
    assert.equal(origin.PATH, 'default');
  });

  it('never passes OCI_*, DOCKER_CLI_PLUGIN_*, VAULTMCP_* through patterns, nor npm auth tokens', () => {
    const { env } = buildChildEnv({ parent, passthrough: ['OCI_*', 'DOCKER_*', 'VAULTMCP_*', 'npm_*'] });
    for (const name of Object.keys(env)) {
      assert.ok(!/^(OCI_|DOCKER_CLI_PLUGIN_|VAULTMCP_)/.test(name), name);
      assert.ok(!name.includes('_authToken') || name.startsWith('npm_'), name);
    }
    assert.equal(env.OCI_VAULT_ID, undefined);
    assert.equal(env.DOCKER_CLI_PLUGIN_SOCKET, undefined);
    assert.equal(env.VAULTMCP_DEBUG, undefined);
    // the default set alone must not carry npm tokens
    assert.equal(buildChildEnv({ parent }).env['npm_config_//registry.example/:_authToken'], undefined);
  });

  it('passes an OCI_* variable only when named exactly; DOCKER_CLI_PLUGIN_* never', () => {
    const { env, origin } = buildChildEnv({ parent, passthrough: ['OCI_CONFIG_FILE', 'DOCKER_CLI_PLUGIN_SOCKET'] });
    assert.equal(env.OCI_CONFIG_FILE, '/home/u/.oci/config');
    assert.equal(origin.OCI_CONFIG_FILE, 'passthrough');
    assert.equal(env.DOCKER_CLI_PLUGIN_SOCKET, undefined);
  });

  it('adds passthrough names and PREFIX_* patterns', () => {
    const { env, origin } = buildChildEnv({ parent, passthrough: ['SLACK_CHANNEL_IDS', 'MYAPP_*'] });
    assert.equal(env.SLACK_CHANNEL_IDS, 'C1,C2');
    assert.equal(env.MYAPP_A, 'a');
    assert.equal(env.MYAPP_B, 'b');
    assert.equal(origin.MYAPP_A, 'passthrough');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  });

  it('precedence: default < passthrough < override < secret, with a warning on override/secret collision', () => {
    const { env, origin, warnings } = buildChildEnv({
      parent,
      passthrough: ['LOG_LEVEL', 'GITHUB_PERSONAL_ACCESS_TOKEN'],
      overrides: { LOG_LEVEL: 'info', HOME: '/srv', GITHUB_PERSONAL_ACCESS_TOKEN: 'override' },
      secrets: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_secret_value_123', PATH: '/secret/path' },
    });
    assert.equal(env.LOG_LEVEL, 'info');
    assert.equal(origin.LOG_LEVEL, 'override');
    assert.equal(env.HOME, '/srv');
    assert.equal(env.GITHUB_PERSONAL_ACCESS_TOKEN, 'ghp_secret_value_123');
    assert.equal(origin.GITHUB_PERSONAL_ACCESS_TOKEN, 'secret');
    assert.equal(env.PATH, '/secret/path'); // an absolute one: relative PATH entries are dropped (test/unit/workdir.test.ts)
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /GITHUB_PERSONAL_ACCESS_TOKEN/);
    assert.ok(!warnings[0]!.includes('ghp_secret_value_123'));
    assert.ok(!warnings[0]!.includes('override'.repeat(2)));
  });

  it('documents the allowlist it uses', () => {
    for (const name of ['PATH', 'HOME', 'LC_*', 'XDG_*', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'https_proxy']) {
      assert.ok(DEFAULT_PASSTHROUGH.includes(name), name);
    }
  });
});

describe('resolveExecutable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-exe-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'server'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'server'), 0o755);
  writeFileSync(path.join(bin, 'plain'), 'not executable');
  chmodSync(path.join(bin, 'plain'), 0o644);

  it('finds a bare name on the child PATH', () => {
    assert.equal(resolveExecutable('server', { PATH: `/nonexistent:${bin}` }, dir), path.join(bin, 'server'));
  });

  it('resolves a relative path against cwd', () => {
    assert.equal(resolveExecutable('./bin/server', { PATH: '' }, dir), path.join(bin, 'server'));
  });

  it('missing → CommandNotFoundError (127) naming the command', () => {
    assert.throws(
      () => resolveExecutable('no-such-server', { PATH: bin }, dir),
      (err: unknown) => err instanceof CommandNotFoundError && err.exitCode === 127 && /no-such-server/.test(err.message) && !!err.hint,
    );
  });

  it('not executable or a directory → 126', () => {
    if (process.getuid?.() !== 0) {
      assert.throws(() => resolveExecutable('plain', { PATH: bin }, dir), (e: unknown) => isVaultMcpError(e) && e.exitCode === EXIT_NOT_EXECUTABLE);
    }
    assert.throws(() => resolveExecutable('bin', { PATH: dir }, dir), (e: unknown) => isVaultMcpError(e) && e.exitCode === EXIT_NOT_EXECUTABLE);
  });
});

describe('exitCodeOf', () => {
  it('passes the code through, 128+N for a signal', () => {
    assert.equal(exitCodeOf(0, null), 0);
    assert.equal(exitCodeOf(42, null), 42);
    assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
    assert.equal(exitCodeOf(null, 'SIGINT'), 130);
    assert.equal(exitCodeOf(null, 'SIGHUP'), 129);
    assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
  });
});

async function collect(stream: LineFilterStream, chunks: Buffer[], slowMs = 0): Promise<{ out: Buffer; writes: Buffer[] }> {
  const writes: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _e, cb) {
      writes.push(chunk);
      if (slowMs) setTimeout(cb, slowMs);
      else cb();
    },
  });
  await pipeline(Readable.from(chunks, { objectMode: false }), stream, sink);
  return { out: Buffer.concat(writes), writes };
}

describe('LineFilterStream', () => {
  it('empty chain: byte-exact pass-through of split, large and non-UTF-8 messages', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { text: 'é'.repeat(2_000_000) } }) + '\n';
    const input = Buffer.concat([
      Buffer.from(big),
      Buffer.from('{"a":1}\r\n'),
      Buffer.from([0xff, 0xfe, 0x7b, 0x0a]),
      Buffer.from('{"tail":"no newline"}'),
    ]);
    // split at awkward places, including inside a multi-byte character
    const cuts = [1, 3, 1000, 1001, 65536, 1_500_001, input.length - 10, input.length - 1];
    const chunks: Buffer[] = [];
    let prev = 0;
    for (const c of cuts) {
      chunks.push(input.subarray(prev, c));
      prev = c;
    }
    chunks.push(input.subarray(prev));
    const { out } = await collect(new LineFilterStream(), chunks);
    assert.ok(out.equals(input));
  });

  it('never emits a partial line before its newline (a filter downstream sees whole messages)', async () => {
    const { writes } = await collect(new LineFilterStream(), [Buffer.from('{"a"'), Buffer.from(':1}\n{"b"'), Buffer.from(':2}\n')]);
    for (const w of writes) assert.equal(w.at(-1), 0x0a);
    assert.equal(Buffer.concat(writes).toString(), '{"a":1}\n{"b":2}\n');
  });

  it('runs filters per message, in order, and may drop or rewrite (sync and async)', async () => {
    const seen: string[] = [];
    const filters: MessageFilter[] = [
      { name: 'spy', transform: (m) => (seen.push(m.toString()), m) },
      { name: 'drop', transform: (m) => (m.includes('"drop"') ? null : m) },
      { name: 'upper', transform: async (m) => Buffer.from(m.toString().toUpperCase()) },
    ];
    const { out } = await collect(new LineFilterStream(filters), [Buffer.from('{"x":"a"}\n{"x":"dr'), Buffer.from('op"}\n{"x":"c"}\n{"x":"end"}')]);
    assert.deepEqual(seen, ['{"x":"a"}', '{"x":"drop"}', '{"x":"c"}', '{"x":"end"}']);
    assert.equal(out.toString(), '{"X":"A"}\n{"X":"C"}\n{"X":"END"}');
  });

  it('holds backpressure with a slow destination and loses nothing', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => `{"id":${i},"pad":"${'y'.repeat(500)}"}\n`);
    const input = Buffer.from(messages.join(''));
    const chunks = [];
    for (let i = 0; i < input.length; i += 333) chunks.push(input.subarray(i, i + 333));
    const { out } = await collect(new LineFilterStream(), chunks, 1);
    assert.ok(out.equals(input));
  });

  it('fails on a line longer than the limit instead of growing without bound', async () => {
    const s = new LineFilterStream([], { maxMessageBytes: 100 });
    await assert.rejects(collect(s, [Buffer.alloc(60, 0x61), Buffer.alloc(60, 0x61)]), /without a newline/);
  });

  it('a pass-through chunk with complete lines is forwarded without copying', async () => {
    const s = new LineFilterStream();
    const chunk = Buffer.from('{"a":1}\n{"b":2}\n');
    const got: Buffer[] = [];
    s.on('data', (b: Buffer) => got.push(b));
    const done = new Promise((r) => s.on('end', r));
    const p = new PassThrough();
    p.pipe(s);
    p.end(chunk);
    await done;
    assert.equal(got.length, 1);
    assert.equal(got[0]!.buffer, chunk.buffer);
  });
});
