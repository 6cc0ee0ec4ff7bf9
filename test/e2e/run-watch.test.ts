/**
 * `run --watch` end to end: the built binary started by the MCP SDK client (as a client would, with only the
 * variables MCP clients pass plus HOME), secrets rotated with the binary's own `secret rotate` against the
 * emulator, and a real MCP server (test/fixtures/servers/rotating-server.mjs, MCP SDK) whose tools depend on the
 * secret. One client session lives through every rotation.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { REPO_ROOT, baseEnv, binaryPath, runBinary } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const SERVER = path.join(REPO_ROOT, 'test/fixtures/servers/rotating-server.mjs');
const V1 = `watch-one-${Date.now().toString(36)}-value`;
const V2 = `watch-two-${Date.now().toString(36)}-value`;
const V3 = `watch-three-${Date.now().toString(36)}-extra`;

describe('run --watch: live rotation under one client session (built binary)', () => {
  let emu: TestEmulator;
  let dir: string;
  let config: string;
  let cacheDir: string;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  let listChanged = 0;
  const env = () => ({ ...baseEnv(), HOME: path.join(dir, 'home') });

  const call = async (name: string, args: Record<string, unknown> = {}) => ((await client.callTool({ name, arguments: args })) as { content: Array<{ text: string }> }).content[0]!.text;
  /** Which value the current server has: its digest (the guard redacts the value itself). */
  const token = async () => {
    const d = await call('token-digest');
    return [V1, V2, V3].find((v) => sha256(v) === d) ?? d;
  };
  const rotate = async (value: string) => {
    const r = await runBinary(['secret', 'rotate', 'watch-token', '--config', config], { env: env(), input: value });
    assert.equal(r.code, 0, r.stderr);
  };
  const reload = async () => {
    const r = await runBinary(['run', '--reload', String(transport.pid), '--config', config], { env: env(), hideRepo: false });
    assert.equal(r.code, 0, r.stderr);
  };
  /** Waits for the n-th occurrence of `re` on the run's stderr. */
  const stderrCount = (re: RegExp) => stderr.split('\n').filter((l) => re.test(l)).length;

  before(async () => {
    binaryPath();
    emu = await startTestEmulator({ seed: { 'watch-token': V1 } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-watch-e2e-'));
    cacheDir = path.join(dir, 'cache');
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, `cache: { enabled: false, dir: ${JSON.stringify(cacheDir)} }`, 'resilience: { retries: 0, timeout_ms: 3000 }'));
    const service = path.join(dir, 'rotating.json');
    writeFileSync(service, JSON.stringify({ secrets: { TOKEN: 'watch-token' }, target_command: [process.execPath, SERVER] }));
    transport = new StdioClientTransport({
      command: binaryPath(),
      args: ['run', service, '--config', config, '--watch', '--interval', '5'],
      env: env(),
      cwd: dir,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    client = new Client({ name: 'vaultmcp-watch-e2e', version: '0.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    await client.connect(transport);
  });

  after(async () => {
    await client?.close().catch(() => {});
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the current value and records itself as a watcher', async () => {
    assert.equal(await token(), V1);
    assert.match(stderr, /watching 1 secret\(s\) for new versions every ~5 s/);
    assert.deepEqual(readdirSync(path.join(cacheDir, 'watchers')), [`${transport.pid}.json`]);
  });

  it('secret rotate + run --reload: the same session sees the new value; a call in flight finishes on the old server', async () => {
    const release = path.join(dir, 'release-1');
    const slow = client.callTool({ name: 'slow', arguments: { release } }) as Promise<{ content: Array<{ text: string }> }>;
    await rotate(V2);
    await reload();
    await waitUntil(() => /switched to the new server \(pid \d+\) in \d+ ms, session replayed\n/.test(stderr), 'the switch', { timeoutMs: 20_000 });
    assert.equal(await token(), V2);
    writeFileSync(release, '');
    const answer = (await slow).content[0]!.text;
    assert.equal(answer, `${sha256(V1)} [REDACTED:TOKEN]`, 'answered by the old server, its value redacted during the switch');
    assert.equal(await call('get-token'), '[REDACTED:TOKEN]', 'the new value is guarded too');
    assert.equal(listChanged, 0, 'list_changed sent although the tool lists are equal');
    assert.ok(!stderr.includes(V1) && !stderr.includes(V2), 'a value reached stderr');
  });

  it('the poller notices a new CURRENT version by itself; a different tool list is announced with list_changed', async () => {
    const switches = stderrCount(/switched to the new server/);
    await rotate(V3);
    await waitUntil(() => stderrCount(/switched to the new server/) > switches, 'a switch after the poll', { timeoutMs: 20_000 });
    assert.match(stderr, /TOKEN \(watch-token\) is now version 3 \(was 2\)/);
    assert.equal(await token(), V3);
    await waitUntil(() => listChanged === 1, 'tools/list_changed at the client');
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'extra'));
  });

  it('a new server that dies at start leaves the old one serving', async () => {
    await rotate(`crash-${Date.now()}`);
    await reload();
    await waitFor(() => /the new server was not used: [^\n]+; the running server keeps the session/.exec(stderr), 'the refusal line', { timeoutMs: 20_000 });
    assert.equal(await token(), V3);
  });

  it('a vault outage during a check restarts nothing', async () => {
    await emu.admin.faults({ status: 503, path: 'getSecret', count: 1000 });
    try {
      await waitUntil(() => /could not check 1 secret\(s\) in the vault; nothing restarted/.test(stderr), 'the failed check line', { timeoutMs: 20_000 });
    } finally {
      await emu.admin.clearFaults();
    }
    assert.equal(await token(), V3);
    assert.equal(stderrCount(/switched to the new server/), 2);
  });

  it('the client closing ends the run and removes its watcher record', async () => {
    const pid = transport.pid!;
    await client.close();
    await waitUntil(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the run to exit');
    assert.equal(existsSync(path.join(cacheDir, 'watchers', `${pid}.json`)), false);
    // the audit trail: each server's start with the version it got, each exit with its own pid, every switch
    const audit = path.join(dir, 'home', '.local', 'state', 'oci-vault-mcp', 'audit.jsonl');
    await waitUntil(() => existsSync(audit) && readFileSync(audit, 'utf8').split('\n').filter((l) => l.includes('"exit"')).length === 4, 'four exit records');
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; pid?: number; message?: string; variables?: Array<{ version?: number }> });
    const starts = records.filter((r) => r.event === 'start');
    assert.deepEqual(starts.map((r) => r.variables![0]!.version), [1, 2, 3, 4]); // 4: the server that died at start
    assert.deepEqual(new Set(records.filter((r) => r.event === 'exit').map((r) => r.pid)), new Set(starts.map((r) => r.pid)));
    assert.equal(records.filter((r) => r.event === 'rotation' && /switched from pid/.test(r.message!)).length, 2);
    assert.equal(records.filter((r) => r.event === 'rotation' && /was not used/.test(r.message!)).length, 1);
    for (const v of [V1, V2, V3]) assert.ok(!readFileSync(audit, 'utf8').includes(v), 'a value in the audit trail');
    const gone = await runBinary(['run', '--reload', String(pid), '--config', config], { env: env() });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /is not a running `docker vaultmcp run --watch`/);
  });
});
