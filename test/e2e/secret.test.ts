/**
 * `docker vaultmcp secret …` end to end: the BUILT binary (repository hidden, see test/helpers/binary.ts) against
 * the in-process vault emulator. Covers byte-exact round trips (stdin, file, binary with NUL, PEM), rotation and
 * what `run` injects afterwards (cache purged, pinned versions kept), verified rotation with rollback, deletion and
 * restore with the stage rule, refusal of values in argv, the 25 KB limit, and the masked prompt in a real
 * terminal (tmux).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, binaryPath, runBinary, runHidden, type RunResult } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { waitUntil } from '../helpers/wait.js';

const CI = !!process.env.CI;
const NO_STACK = /^\s+at .+[(:]\d+/m;
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
/** PATH without the repository (its node_modules/.bin is hidden from the binary anyway). */
const OUTSIDE_PATH = (process.env.PATH ?? '').split(':').filter((p) => p && !p.startsWith(REPO_ROOT)).join(':') || '/usr/local/bin:/usr/bin:/bin';
/** A node outside the repository for the fixture MCP servers; without one, the repository stays visible. */
const SYSTEM_NODE = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { PATH: OUTSIDE_PATH } }).stdout?.trim() ?? '';
const NODE = SYSTEM_NODE || process.execPath;
const HIDE_REPO = SYSTEM_NODE !== '';

/** A minimal MCP server that only starts when API_TOKEN begins with "good-" (plain node, no dependencies). */
const CHECK_SERVER = `
const token = process.env.API_TOKEN ?? '';
if (!token.startsWith('good-')) { process.stderr.write('check-server: token rejected\\n'); process.exit(1); }
let buf = '';
const line = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
process.stdin.on('data', (b) => {
  buf += b;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const msg = JSON.parse(buf.slice(0, nl)); buf = buf.slice(nl + 1);
    if (msg.id === undefined) continue;
    if (msg.method === 'initialize') line({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'check', version: '1' } } });
    else if (msg.method === 'tools/list') line({ jsonrpc: '2.0', id: msg.id, result: { tools: [{ name: 'whoami', inputSchema: { type: 'object' } }] } });
    else line({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'no' } });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

const PEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
-----END PRIVATE KEY-----
`;

describe('docker vaultmcp secret (built binary)', () => {
  let emu: TestEmulator;
  let dir: string;
  let env: Record<string, string>;
  let fakeServer: string;
  let checkServer: string;

  const cli = (args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> =>
    runBinary([...args, '--config', emu.info.resolverConfig], { env, input: opts.input, timeoutMs: opts.timeoutMs ?? 30_000, hideRepo: HIDE_REPO });
  const json = <T = Record<string, unknown>>(r: RunResult): T => {
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const file = (name: string, content: string | Buffer | object) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2));
    return p;
  };
  /** `get NAME --reveal` into a file (stdout of runBinary is text; this keeps raw bytes). */
  const revealBytes = async (name: string): Promise<Buffer> => {
    const out = path.join(dir, `reveal-${randomBytes(4).toString('hex')}`);
    const r = await runHidden('sh', ['-c', '"$0" secret get "$1" --reveal --config "$2" > "$3"', binaryPath(), name, emu.info.resolverConfig, out], { env, hideRepo: HIDE_REPO });
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(out);
  };
  const versions = async (name: string) =>
    json<{ state: string; versions: Array<{ versionNumber: number; stages: string[]; timeOfDeletion?: string }> }>(await cli(['secret', 'versions', name, '--json']));
  const stagesOf = async (name: string) => Object.fromEntries((await versions(name)).versions.map((v) => [v.versionNumber, [...v.stages].sort().join(',')]));

  before(async () => {
    emu = await startTestEmulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-secret-e2e-'));
    for (const d of ['home', 'config', 'cache']) mkdirSync(path.join(dir, d));
    env = {
      HOME: path.join(dir, 'home'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      // the disk cache on (no keychain needed), so rotation must purge it for `run` to see the new value
      VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64'),
      PATH: OUTSIDE_PATH,
    };
    // fixtures are copied out of the repository, which the binary's processes cannot see
    fakeServer = file('fake-server.mjs', readFileSync(path.join(REPO_ROOT, 'test/fixtures/servers/fake-server.mjs')));
    checkServer = file('check-server.mjs', CHECK_SERVER);
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('upload from stdin, then get --reveal returns the same bytes (trailing newline kept; --trim strips one)', async () => {
    const value = `tok-${randomBytes(12).toString('hex')}`;
    const r = await cli(['secret', 'upload', 'stdin-token'], { input: value });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created secret 'stdin-token'/);
    assert.match(r.stdout, /ocid1\.vaultsecret\./);
    assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value), 'value not printed');
    assert.equal((await revealBytes('stdin-token')).toString(), value);
    const plain = await cli(['secret', 'get', 'stdin-token', '--reveal']);
    assert.equal(plain.stdout, value, 'no newline added');

    const up = json(await cli(['secret', 'upload', 'echoed', '--json'], { input: `${value}\n` }));
    assert.equal(up.action, 'created');
    assert.equal((await revealBytes('echoed')).toString(), `${value}\n`);
    json(await cli(['secret', 'upload', 'echoed', '--trim', '--json'], { input: `${value}\r\n` }));
    assert.equal((await revealBytes('echoed')).toString(), value);
  });

  it('upload --from-file: a multi-line PEM and a binary file with NUL bytes round-trip exactly', async () => {
    const pem = file('key.pem', PEM);
    const r1 = json(await cli(['secret', 'upload', 'tls-key', '--from-file', pem, '--description', 'TLS key', '--tag', 'team=platform', '--json']));
    assert.equal(r1.versionNumber, 1);
    assert.equal((await revealBytes('tls-key')).toString(), PEM);

    const bytes = Buffer.concat([Buffer.from([0, 0, 1, 255, 10, 13, 0]), randomBytes(2048), Buffer.from([0])]);
    const bin = file('blob.bin', bytes);
    json(await cli(['secret', 'upload', 'blob', '--from-file', bin, '--json']));
    assert.ok((await revealBytes('blob')).equals(bytes), 'binary bytes identical');
    const j = json<{ value: { base64: string; utf8?: string } }>(await cli(['secret', 'get', 'blob', '--reveal', '--json']));
    assert.equal(j.value.base64, bytes.toString('base64'));
    assert.equal(j.value.utf8, undefined, 'invalid UTF-8 has no text form');
    const masked = json<{ value: string; versionNumber: number; stages: string[] }>(await cli(['secret', 'get', 'tls-key', '--json']));
    assert.match(masked.value, /\*\*\*\*/);
    assert.deepEqual(masked.stages.sort(), ['CURRENT', 'LATEST']);
  });

  it('rotate: version 1 PREVIOUS / 2 CURRENT; run injects the new value, a pin to version 1 keeps the old', async () => {
    const v1 = `old-${randomBytes(8).toString('hex')}`;
    const v2 = `new-${randomBytes(10).toString('hex')}`;
    json(await cli(['secret', 'upload', 'rot-token', '--json'], { input: v1 }));
    const svc = file('rot-service.json', {
      secrets: { TOKEN: 'rot-token', OLD_TOKEN: { secret_name: 'rot-token', version: 1 } },
      target_command: [NODE, fakeServer, 'env'],
    });
    const runEnv = async () => {
      const r = await cli(['run', svc, '--leak-guard', 'off'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout.trim().split('\n')[0]!) as { env: Record<string, string> }).env;
    };
    const before1 = await runEnv(); // also fills the cache
    assert.equal(before1.TOKEN, v1);

    const rot = json(await cli(['secret', 'rotate', 'rot-token', '--json'], { input: v2 }));
    assert.equal(rot.versionNumber, 2);
    assert.equal(rot.previousVersionNumber, 1);
    assert.deepEqual(await stagesOf('rot-token'), { 1: 'PREVIOUS', 2: 'CURRENT,LATEST' });

    const after2 = await runEnv();
    assert.equal(after2.TOKEN, v2, 'the new value (cache entry purged by rotate)');
    assert.equal(after2.OLD_TOKEN, v1, 'pinned to version 1');
    const test = json<{ secrets: Array<{ envVar: string; versionNumber: number }> }>(await cli(['run', svc, '--test', '--json']));
    assert.deepEqual(Object.fromEntries(test.secrets.map((s) => [s.envVar, s.versionNumber])), { TOKEN: 2, OLD_TOKEN: 1 });

    // the purge matters: a change made behind our back (not through `secret`) is not seen until the TTL ends
    json(await cli(['secret', 'upload', 'cache-proof', '--json'], { input: 'cached-one' }));
    const proof = file('cache-proof.json', { secrets: { TOKEN: 'cache-proof' }, target_command: [NODE, fakeServer, 'env'] });
    const runProof = async () => (JSON.parse((await cli(['run', proof, '--leak-guard', 'off'])).stdout.trim().split('\n')[0]!) as { env: Record<string, string> }).env.TOKEN;
    assert.equal(await runProof(), 'cached-one');
    await emu.admin.putSecret('cache-proof', 'behind-our-back');
    assert.equal(await runProof(), 'cached-one', 'served from the cache');
    json(await cli(['secret', 'rotate', 'cache-proof', '--json'], { input: 'rotated-three' }));
    assert.equal(await runProof(), 'rotated-three', 'rotate purged the cache entry');

    const gen = json<{ versionNumber: number; generated: boolean }>(await cli(['secret', 'rotate', 'rot-token', '--generate', '32', '--json']));
    assert.equal(gen.versionNumber, 3);
    assert.match((await revealBytes('rot-token')).toString(), /^[A-Za-z0-9_-]{32}$/);
  });

  it('rotate --verify: a server that exits 1 rolls back (old version CURRENT, exit 1); a good server passes', async () => {
    json(await cli(['secret', 'upload', 'api-token', '--json'], { input: 'good-first' }));
    json(await cli(['secret', 'upload', 'other-cred', '--json'], { input: 'other-value' }));
    const failing = file('failing.json', { secrets: { API_TOKEN: 'api-token' }, target_command: ['sh', '-c', 'exit 1'] });
    const r = await cli(['secret', 'rotate', 'api-token', '--verify', failing], { input: 'good-second' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /rolled back: version 1 of 'api-token' is CURRENT again/);
    assert.doesNotMatch(r.stderr, NO_STACK);
    assert.ok(!r.stderr.includes('good-second'));
    assert.deepEqual(await stagesOf('api-token'), { 1: 'CURRENT', 2: 'LATEST,PREVIOUS' });
    assert.equal((await revealBytes('api-token')).toString(), 'good-first');

    const check = file('check.json', { secrets: { API_TOKEN: 'api-token', OTHER: 'other-cred' }, target_command: [NODE, checkServer] });
    const bad = await cli(['secret', 'rotate', 'api-token', '--verify', check], { input: 'bad-value' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /token rejected/);
    assert.match(bad.stderr, /version 1 of 'api-token' is CURRENT again/);
    assert.equal((await revealBytes('api-token')).toString(), 'good-first');

    const ok = json<{ versionNumber: number; verified: { tools: number } }>(
      await cli(['secret', 'rotate', 'api-token', '--verify', check, '--json'], { input: 'good-third' }),
    );
    assert.equal(ok.verified.tools, 1);
    assert.equal((await revealBytes('api-token')).toString(), 'good-third');
    assert.equal((await stagesOf('api-token'))[ok.versionNumber], 'CURRENT,LATEST');

    // Ctrl-C while the server is being verified: the rollback still happens
    const hang = file('hang.json', { secrets: { API_TOKEN: 'api-token' }, target_command: ['sh', '-c', 'sleep 30'] });
    const sig = await runHidden(
      'sh',
      ['-c', 'printf good-interrupted | "$0" secret rotate api-token --verify "$1" --config "$2" & pid=$!; sleep 3; kill -INT $pid; wait $pid', binaryPath(), hang, emu.info.resolverConfig],
      { env, hideRepo: HIDE_REPO },
    );
    assert.equal(sig.code, 1, sig.stderr);
    assert.match(sig.stderr, /interrupted before the server was verified; rolled back/);
    assert.equal((await revealBytes('api-token')).toString(), 'good-third');

    const unrelated = file('unrelated.json', { secrets: { X: 'other-cred' }, target_command: [NODE, checkServer] });
    const u = await cli(['secret', 'rotate', 'api-token', '--verify', unrelated], { input: 'good-fourth' });
    assert.equal(u.code, 2);
    assert.match(u.stderr, /does not read secret 'api-token'/);
    assert.equal((await revealBytes('api-token')).toString(), 'good-third', 'nothing written');
  });

  it('delete and restore a secret and a DEPRECATED version; CURRENT refused; no TTY without --yes → 2', async () => {
    for (const v of ['d-one', 'd-two', 'd-three']) json(await cli(['secret', 'upload', 'del-me', '--json'], { input: v }));
    assert.deepEqual(await stagesOf('del-me'), { 1: 'DEPRECATED', 2: 'PREVIOUS', 3: 'CURRENT,LATEST' });

    const noYes = await cli(['secret', 'delete', 'del-me']);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /--yes/);

    const cur = await cli(['secret', 'delete', 'del-me', '--version', '3', '--yes']);
    assert.equal(cur.code, 2);
    assert.match(cur.stderr, /version 3 of 'del-me' cannot be deleted: it is the CURRENT version/);
    assert.match(cur.stderr, /only deletes DEPRECATED versions/);
    assert.doesNotMatch(cur.stderr, NO_STACK);

    const dv = json<{ timeOfDeletion: string }>(await cli(['secret', 'delete', 'del-me', '--version', '1', '--days', '7', '--yes', '--json']));
    const days = (Date.parse(dv.timeOfDeletion) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days < 7.1, `deletion in ~7 days, got ${days}`);
    assert.ok((await versions('del-me')).versions.find((v) => v.versionNumber === 1)!.timeOfDeletion);
    json(await cli(['secret', 'restore', 'del-me', '--version', '1', '--json']));
    assert.equal((await versions('del-me')).versions.find((v) => v.versionNumber === 1)!.timeOfDeletion, undefined);

    const ds = json<{ state: string }>(await cli(['secret', 'delete', 'del-me', '--yes', '--days', '1', '--json']));
    assert.equal(ds.state, 'PENDING_DELETION');
    const get = await cli(['secret', 'get', 'del-me']);
    assert.equal(get.code, 2);
    assert.match(get.stderr, /scheduled for deletion/);
    const again = await cli(['secret', 'upload', 'del-me'], { input: 'x' });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /secret restore del-me/);
    const restored = json<{ state: string }>(await cli(['secret', 'restore', 'del-me', '--json']));
    assert.equal(restored.state, 'ACTIVE');
    assert.equal((await revealBytes('del-me')).toString(), 'd-three');
  });

  it('refuses a value given as an argument without echoing it (exit 2, nothing created)', async () => {
    const value = `ghp_${randomBytes(16).toString('hex')}`;
    for (const cmd of ['upload', 'rotate']) {
      const r = await cli(['secret', cmd, 'argv-secret', value]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value), `${cmd}: value echoed:\n${r.stderr}`);
      assert.match(r.stderr, /never accepted on the command line/);
    }
    const list = json<Array<{ name: string }>>(await cli(['secret', 'list', '--json']));
    assert.ok(!list.some((s) => s.name === 'argv-secret'));
  });

  it('refuses 25 KB + 1 byte (stdin and file) with nothing created; accepts exactly 25 KB', async () => {
    await emu.admin.resetStats();
    const big = Buffer.alloc(25 * 1024 + 1, 'A');
    const r1 = await cli(['secret', 'upload', 'too-big'], { input: big });
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /25600 bytes/);
    const r2 = await cli(['secret', 'upload', 'too-big', '--from-file', file('big.bin', big)]);
    assert.equal(r2.code, 2);
    const stats = await emu.admin.stats();
    assert.equal(stats.requests, 0, `no vault call at all: ${JSON.stringify(stats.byOperation)}`);
    const list = json<Array<{ name: string }>>(await cli(['secret', 'list', '--json']));
    assert.ok(!list.some((s) => s.name === 'too-big'));
    json(await cli(['secret', 'upload', 'just-fits', '--json'], { input: big.subarray(1) }));

    const badName = await cli(['secret', 'upload', 'bad/name'], { input: 'x' });
    assert.equal(badName.code, 2);
    const empty = await cli(['secret', 'upload', 'empty-one']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /empty/);
  });

  it('get of a version or stage the secret does not have: exit 3, names it and points at `secret versions`', async () => {
    await cli(['secret', 'upload', 'one-version'], { input: 'v1' });
    for (const [flags, what] of [[['--version', '99'], 'no version 99'], [['--stage', 'PENDING'], 'no version at stage PENDING']] as const) {
      const r = await cli(['secret', 'get', 'one-version', ...flags]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stderr, `Error: secret 'one-version' has ${what}\n  Try: list its versions and stages with \`docker vaultmcp secret versions one-version\`\n`);
    }
  });

  it('list and versions show metadata without values', async () => {
    json(await cli(['secret', 'upload', 'listed', '--json'], { input: 'listed-value-one' }));
    json(await cli(['secret', 'upload', 'listed', '--json'], { input: 'listed-value-two' }));
    const list = json<Array<{ name: string; state: string; currentVersionNumber: number; id: string }>>(await cli(['secret', 'list', '--json']));
    const listed = list.find((s) => s.name === 'listed')!;
    assert.equal(listed.currentVersionNumber, 2);
    assert.equal(listed.state, 'ACTIVE');
    assert.match(listed.id, /^ocid1\.vaultsecret\./);
    const text = await cli(['secret', 'list']);
    assert.match(text.stdout, /^NAME\s+STATE\s+CURRENT\s+CREATED\s+OCID/);
    assert.match(text.stdout, /^listed\s+ACTIVE\s+2\s/m);
    const vt = await cli(['secret', 'versions', 'listed']);
    assert.match(vt.stdout, /VERSION\s+STAGES/);
    assert.match(vt.stdout, /^2\s+CURRENT,LATEST/m);
    assert.doesNotMatch(text.stdout + vt.stdout, /listed-value/);
  });

  describe('masked prompt in a real terminal (tmux)', { skip: !hasTmux && !CI ? 'tmux not installed' : false }, () => {
    const socket = `vaultmcp-test-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env: { ...process.env, TMUX: '' } });
    const pane = () => tmux('capture-pane', '-p', '-t', 'prompt').stdout ?? '';
    const waitFor = async (re: RegExp, ms = 15_000) => {
      try {
        await waitUntil(() => re.test(pane()), String(re), { timeoutMs: ms, intervalMs: 100 });
      } catch {
        assert.fail(`timed out waiting for ${re} in:\n${pane()}`);
      }
    };
    /** Starts `secret upload NAME` (or another subcommand) in a tmux pane; its process id is printed first as PID=N (sh execs the binary). */
    const start = (name: string, command = 'upload') => {
      const envs = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ');
      const cmd =
        `cd '${dir}' && env ${envs} sh -c 'echo PID=$$; exec "$0" "$@"' '${binaryPath()}' secret ${command} ${name} --config '${emu.info.resolverConfig}'; ` +
        `echo "EXIT=$?"; stty -a | tr ' ;' '\\n\\n' | grep -qx -- -echo && echo TTY=noecho || echo TTY=echo; sleep 60`;
      const r = tmux('new-session', '-d', '-s', 'prompt', '-x', '120', '-y', '30', cmd);
      assert.equal(r.status, 0, r.stderr);
    };
    after(() => tmux('kill-server'));

    it('asks twice without showing the value; the secret holds exactly what was typed', async () => {
      const value = `Typed Secret ${randomBytes(6).toString('hex')}!`;
      start('typed-secret');
      await waitFor(/Value for secret 'typed-secret'/);
      tmux('send-keys', '-t', 'prompt', '-l', value);
      tmux('send-keys', '-t', 'prompt', 'Enter');
      await waitFor(/Repeat the value/);
      tmux('send-keys', '-t', 'prompt', '-l', value);
      tmux('send-keys', '-t', 'prompt', 'Enter');
      await waitFor(/TTY=(no)?echo/); // printed after EXIT=, once the terminal state is known
      const screen = pane();
      tmux('kill-session', '-t', 'prompt');
      assert.match(screen, /EXIT=0/);
      assert.ok(!screen.includes(value) && !screen.includes(value.slice(0, 8)), `value on screen:\n${screen}`);
      assert.match(screen, /\*{10,}/);
      assert.match(screen, /TTY=echo/);
      assert.equal((await revealBytes('typed-secret')).toString(), value);
    });

    it('Ctrl-C aborts cleanly: exit 130, terminal echo restored, nothing created', async () => {
      start('aborted-secret');
      await waitFor(/Value for secret 'aborted-secret'/);
      tmux('send-keys', '-t', 'prompt', '-l', 'half-typ');
      tmux('send-keys', '-t', 'prompt', 'C-c');
      await waitFor(/TTY=(no)?echo/); // printed after EXIT=, once the terminal state is known
      const screen = pane();
      tmux('kill-session', '-t', 'prompt');
      assert.match(screen, /EXIT=130/);
      assert.match(screen, /TTY=echo/);
      assert.doesNotMatch(screen, /half-typ/);
      const list = json<Array<{ name: string }>>(await cli(['secret', 'list', '--json']));
      assert.ok(!list.some((s) => s.name === 'aborted-secret'));
    });

    for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      it(`${signal} while the prompt is open: exit ${code}, terminal echo restored, nothing created`, async () => {
        const name = `${signal.toLowerCase()}-secret`;
        start(name);
        await waitFor(new RegExp(`Value for secret '${name}'`));
        tmux('send-keys', '-t', 'prompt', '-l', 'half-typ');
        await waitFor(/\*{8}/);
        const pid = Number(/PID=(\d+)/.exec(pane())?.[1]);
        assert.ok(pid > 0, `no PID in:\n${pane()}`);
        process.kill(pid, signal);
        await waitFor(/TTY=(no)?echo/); // printed after EXIT=, once the terminal state is known
        const screen = pane();
        tmux('kill-session', '-t', 'prompt');
        assert.match(screen, new RegExp(`EXIT=${code}`));
        assert.match(screen, /TTY=echo/);
        assert.match(screen, new RegExp(`interrupted by ${signal}; nothing was uploaded`));
        assert.doesNotMatch(screen, NO_STACK);
        const list = json<Array<{ name: string }>>(await cli(['secret', 'list', '--json']));
        assert.ok(!list.some((s) => s.name === name));
      });
    }

    for (const [how, code] of [['n', 1], ['C-c', 130], ['SIGHUP', 129], ['SIGTERM', 143]] as const) {
      it(`delete's y/N question answered with ${how}: exit ${code}, terminal echo restored, nothing deleted`, async () => {
        const name = `keep-${how.toLowerCase()}`;
        await cli(['secret', 'upload', name], { input: 'keep-me' });
        start(name, 'delete');
        await waitFor(/\[y\/N\]/);
        if (how.startsWith('SIG')) process.kill(Number(/PID=(\d+)/.exec(pane())?.[1]), how);
        else tmux('send-keys', '-t', 'prompt', how, ...(how === 'n' ? ['Enter'] : []));
        await waitFor(/TTY=(no)?echo/);
        const screen = pane();
        tmux('kill-session', '-t', 'prompt');
        assert.match(screen, new RegExp(`EXIT=${code}\\b`));
        assert.match(screen, /TTY=echo/);
        assert.match(screen, /nothing was deleted/);
        assert.doesNotMatch(screen, NO_STACK);
        const listed = json<Array<{ name: string; state: string }>>(await cli(['secret', 'list', '--json'])).find((s) => s.name === name);
        assert.equal(listed?.state, 'ACTIVE');
      });
    }
  });
});
