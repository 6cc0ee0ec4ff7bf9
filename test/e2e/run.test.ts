/**
 * `docker vaultmcp run` end to end: the BUILT binary as a docker CLI plugin (temp DOCKER_CONFIG), secrets from
 * the in-process vault emulator on loopback, the real @modelcontextprotocol/server-everything (local install) as
 * the MCP server, and the MCP SDK client (StdioClientTransport, command `docker`).
 *
 * Processes that start an MCP server run with the repository visible (the server lives in node_modules);
 * failure cases that start no server run with the repository hidden (test/helpers/binary.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO_ROOT, baseEnv, dockerAvailable, makeDockerConfig, runDocker, type DockerConfig, type RunResult } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { waitUntil } from '../helpers/wait.js';

const CI = !!process.env.CI;
const skip = !dockerAvailable() && !CI ? 'docker CLI not installed' : false;
const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FAKE = path.join(REPO_ROOT, 'test/fixtures/servers/fake-server.mjs');
const SECRET = `demo-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-value`;
const PROD_SECRET = `prod-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-value`;
const NO_STACK = /^\s+at .+[(:]\d+/m;

function assertNoStack(r: { stderr: string }) {
  assert.doesNotMatch(r.stderr, NO_STACK, `stack trace on stderr:\n${r.stderr}`);
}

describe('docker vaultmcp run (built binary via docker)', { skip }, () => {
  let emu: TestEmulator;
  let dc: DockerConfig;
  let dir: string;
  let config: string;
  let home: string;
  const file = (name: string, content: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  };

  before(async () => {
    emu = await startTestEmulator({ seed: { 'everything-api-key': SECRET, 'everything-api-key-prod': PROD_SECRET } });
    dc = makeDockerConfig();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-run-e2e-'));
    home = path.join(dir, 'home');
    config = file('resolver.yaml', emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'resilience: { retries: 0, timeout_ms: 3000 }'));
    file('everything.json', {
      description: 'server-everything, local install',
      secrets: { EVERYTHING_API_KEY: { secret_name: 'everything-api-key', environment: { production: 'everything-api-key-prod' } } },
      target_command: [process.execPath, EVERYTHING, 'stdio'],
    });
    file('trap.json', { secrets: { EVERYTHING_API_KEY: 'everything-api-key' }, target_command: [process.execPath, FAKE, 'trap'] });
    file('missing.json', {
      secrets: { EVERYTHING_API_KEY: 'everything-api-key', GITHUB_PERSONAL_ACCESS_TOKEN: 'no-such-secret' },
      target_command: ['true'], // never started; the repository (and its node) is hidden in these runs
    });
    file('true.json', { secrets: { EVERYTHING_API_KEY: 'everything-api-key' }, target_command: ['true'] });
    file('chunks.json', { secrets: {}, target_command: [process.execPath, FAKE, 'chunks', '40', '300000'] });
    file('stubborn.json', { secrets: {}, target_command: [process.execPath, FAKE, 'family', 'stubborn'] });
    file('notfound.json', { secrets: {}, target_command: ['no-such-mcp-server-xyz'] });
    file('bad.json', '{\n  "secrets": {\n    "A": "x",,\n  },\n  "target_command": ["true"]\n}\n');
    file('badkey.json', '{\n  "secrets": {},\n  "target_command": ["true"],\n  "targetCommand": ["x"]\n}\n');
  });

  after(async () => {
    await emu?.close();
    dc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Environment of the docker process for MCP-client tests (repository visible). */
  const clientEnv = () => ({ ...baseEnv(), HOME: home, DOCKER_CONFIG: dc.dir });

  async function withClient<T>(args: string[], fn: (c: Client) => Promise<T>): Promise<{ result: T; stderr: string }> {
    const transport = new StdioClientTransport({ command: 'docker', args: ['vaultmcp', 'run', ...args], env: clientEnv(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const client = new Client({ name: 'vaultmcp-e2e', version: '0.0.0' });
    await client.connect(transport);
    try {
      return { result: await fn(client), stderr };
    } finally {
      await client.close();
    }
  }

  async function getEnv(client: Client): Promise<Record<string, string>> {
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'get-env'), 'server-everything has a get-env tool');
    const r = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ type: string; text: string }> };
    return JSON.parse(r.content[0]!.text);
  }

  it('MCP client → docker → plugin → server-everything: get-env shows the injected secret (leak guard off), nothing of ours', async () => {
    const { result: env, stderr } = await withClient([path.join(dir, 'everything.json'), '--config', config, '--leak-guard', 'off'], getEnv);
    assert.equal(env.EVERYTHING_API_KEY, SECRET);
    for (const name of Object.keys(env)) assert.doesNotMatch(name, /^(OCI_|DOCKER_CLI_PLUGIN_|VAULTMCP_|OTEL_)/, name);
    assert.ok(!stderr.includes(SECRET), 'the value never appears on stderr');
    assertNoStack({ stderr });
  });

  it('--env production selects the production secret', async () => {
    const { result: env } = await withClient([path.join(dir, 'everything.json'), '--config', config, '--env', 'production', '--leak-guard', 'off'], getEnv);
    assert.equal(env.EVERYTHING_API_KEY, PROD_SECRET);
  });

  it('by default the leak guard keeps the value from the client: get-env shows [REDACTED:EVERYTHING_API_KEY]', async () => {
    const { result: env, stderr } = await withClient([path.join(dir, 'everything.json'), '--config', config], getEnv);
    assert.equal(env.EVERYTHING_API_KEY, '[REDACTED:EVERYTHING_API_KEY]');
    assert.match(stderr, /leak guard: EVERYTHING_API_KEY \(raw\) in server → client tools\/call: redacted/);
    assert.ok(!stderr.includes(SECRET));
  });

  it('raw stdout carries only JSON-RPC lines, and the value is in no process argv while the server runs', async () => {
    const child = spawn('docker', ['vaultmcp', 'run', path.join(dir, 'everything.json'), '--config', config], {
      env: clientEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const responses = new Map<number, unknown>();
    let buffered = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      buffered += b.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const m = JSON.parse(line) as { id?: number };
          if (typeof m.id === 'number') responses.set(m.id, m);
        } catch {
          /* checked below */
        }
        for (const w of waiters.splice(0)) w();
      }
    });
    const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n');
    const waitId = async (id: number) => {
      const t0 = Date.now();
      while (!responses.has(id)) {
        if (Date.now() - t0 > 20_000) throw new Error(`no response ${id}; stderr: ${stderr}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await waitId(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get-env', arguments: {} } });
    await waitId(3);

    // While the server runs: no process has the value in its argv (nor the production one).
    const leaks: string[] = [];
    let scanned = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      scanned++;
      if (cmdline.includes(SECRET) || cmdline.includes(PROD_SECRET)) leaks.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
    }
    assert.ok(scanned > 3);
    assert.deepEqual(leaks, []);
    // the server did get the value: the leak guard replaced exactly it
    assert.ok(JSON.stringify(responses.get(3)).includes('[REDACTED:EVERYTHING_API_KEY]'), 'the server did get the value');
    assert.ok(!JSON.stringify(responses.get(3)).includes(SECRET));

    child.stdin.end(); // the client goes away: the server is stopped
    const code = await exited;
    const raw = Buffer.concat(out).toString();
    assert.ok(raw.endsWith('\n'));
    const lines = raw.slice(0, -1).split('\n');
    assert.ok(lines.length >= 3);
    for (const line of lines) {
      const m = JSON.parse(line) as { jsonrpc?: string };
      assert.equal(m.jsonrpc, '2.0', `not a JSON-RPC message: ${line.slice(0, 200)}`);
    }
    assert.ok(code === 0 || code === 143, `exit ${code}`);
    assert.ok(!stderr.includes(SECRET));
    assertNoStack({ stderr });
  });

  it('stdout through the binary is byte-exact for large messages written in odd chunks (12 MB)', async () => {
    const collect = (cmd: string, args: string[]) =>
      new Promise<Buffer>((resolve, reject) => {
        const child = spawn(cmd, args, { env: clientEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
        const out: Buffer[] = [];
        child.stdout!.on('data', (b: Buffer) => out.push(b));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`exit ${code}`))));
      });
    const direct = await collect(process.execPath, [FAKE, 'chunks', '40', '300000']);
    const relayed = await collect('docker', ['vaultmcp', 'run', path.join(dir, 'chunks.json'), '--config', config]);
    assert.equal(relayed.length, direct.length);
    assert.ok(relayed.equals(direct));
  });

  async function startTrap(): Promise<{ child: ChildProcess; ready: Promise<void>; done: Promise<{ code: number | null; stdout: string; stderr: string }> }> {
    const child = spawn('docker', ['vaultmcp', 'run', path.join(dir, 'trap.json'), '--config', config], { env: clientEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes('"ready"')) markReady();
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => child.on('close', (code) => r({ code, stdout, stderr })));
    return { child, ready, done };
  }

  it('SIGTERM to docker (it closes the plugin socket) reaches the server; its exit code comes back', async () => {
    const { child, ready, done } = await startTrap();
    await ready;
    child.kill('SIGTERM');
    const r = await done;
    assert.match(r.stdout, /"got":"SIGTERM"/);
    assert.equal(r.code, 100 + 15, r.stderr);
    assertNoStack(r);
  });

  it('SIGTERM / SIGHUP to the plugin process itself is forwarded the same way', async () => {
    for (const [signal, n] of [['SIGTERM', 15], ['SIGHUP', 1]] as const) {
      const { child, ready, done } = await startTrap();
      await ready;
      // the plugin is docker's child
      const plugin = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .find((p) => {
          try {
            return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(child.pid);
          } catch {
            return false;
          }
        });
      assert.ok(plugin, 'found the plugin process');
      process.kill(Number(plugin), signal);
      const r = await done;
      assert.match(r.stdout, new RegExp(`"got":"${signal}"`));
      assert.equal(r.code, 100 + n, r.stderr);
    }
  });

  it('--stop-timeout: a server that ignores SIGTERM is killed with its workers; a warning says so', async () => {
    const child = spawn('docker', ['vaultmcp', 'run', path.join(dir, 'stubborn.json'), '--config', config, '--stop-timeout', '0.3'], { env: clientEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const ready = new Promise<{ ready: number; grandchild: number }>((resolve) =>
      child.stdout!.on('data', (b: Buffer) => {
        stdout += b.toString();
        const line = stdout.split('\n').find((l) => l.includes('"grandchild"'));
        if (line) resolve(JSON.parse(line));
      }),
    );
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const pids = await ready;
    child.kill('SIGTERM');
    assert.equal(await done, 137, stderr);
    assert.match(stderr, /the server did not stop within the stop timeout; sent SIGKILL to its process group/);
    const running = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/^[ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!);
    await waitUntil(() => !running(pids.ready) && !running(pids.grandchild), 'the server and its worker to be gone', { timeoutMs: 5000 });
  });

  const run = (args: string[], opts: { input?: string } = {}): Promise<RunResult> =>
    runDocker(['vaultmcp', 'run', ...args], { env: { ...dc.env, HOME: home }, timeoutMs: 30_000, ...opts });

  it('unknown service → 2 with a hint', async () => {
    const r = await run(['no-such-service', '--config', config]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown service 'no-such-service'/);
    assert.match(r.stderr, /Try: /);
    assert.equal(r.stdout, '');
    assertNoStack(r);
  });

  it('malformed service file → 2 naming the file and line:column', async () => {
    for (const name of ['bad.json', 'badkey.json']) {
      const r = await run([path.join(dir, name), '--config', config]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')}:\\d+:\\d+: `), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length <= 2, true, r.stderr);
      assert.equal(r.stdout, '');
      assertNoStack(r);
    }
  });

  it('a required secret missing → 3 naming it; the server is not started', async () => {
    const r = await run([path.join(dir, 'missing.json'), '--config', config]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /GITHUB_PERSONAL_ACCESS_TOKEN \(no-such-secret\)/);
    assert.doesNotMatch(r.stderr, /EVERYTHING_API_KEY \(/);
    assert.equal(r.stdout, '');
    assert.ok(!r.stderr.includes(SECRET));
    assertNoStack(r);
  });

  it('vault unreachable → 3', async () => {
    const text = readFileSync(config, 'utf8').replace(emu.info.endpoint, 'http://127.0.0.1:9');
    const unreachable = file('unreachable.yaml', text);
    const r = await run([path.join(dir, 'true.json'), '--config', unreachable]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /EVERYTHING_API_KEY/);
    assert.equal(r.stdout, '');
    assertNoStack(r);
  });

  it('a signal while secrets are being fetched stops the launch at once with 128+N', async () => {
    await emu.admin.faults({ hang: true, path: 'getSecretBundleByName' });
    await emu.admin.resetStats();
    try {
      const child = spawn('docker', ['vaultmcp', 'run', path.join(dir, 'trap.json'), '--config', config], { env: clientEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      await waitUntil(async () => (await emu.admin.stats()).byOperation.getSecretBundleByName === 1, 'run to be inside the hung vault call', { timeoutMs: 15_000 });
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await done;
      assert.equal(code, 143, stderr);
      assert.ok(performance.now() - t0 < 2000);
      assert.match(stderr, /SIGTERM received before the server started/);
      assertNoStack({ stderr });
    } finally {
      await emu.admin.clearFaults();
    }
  });

  it('a stray argument without -- → 2 (server arguments only after --)', async () => {
    const r = await run([path.join(dir, 'true.json'), 'produciton', '--config', config]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unexpected argument 'produciton'\n  Try: .* -- produciton/);
  });

  it('target command not found → 127 naming it, before any vault call', async () => {
    const r = await run([path.join(dir, 'notfound.json'), '--config', config]);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /command not found: no-such-mcp-server-xyz/);
    assertNoStack(r);
  });

  it('--test prints masked values on stderr, nothing on stdout; exit 0', async () => {
    const r = await run([path.join(dir, 'everything.json'), '--config', config, '--test']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /EVERYTHING_API_KEY\s+demo\*\*\*\*\(\d+\)\s+from vault/);
    assert.ok(!r.stderr.includes(SECRET));
    assertNoStack(r);
  });

  it('--test --json: masked JSON on stdout with sources and metrics; exit 3 when a required one fails', async () => {
    const ok = await run([path.join(dir, 'everything.json'), '--config', config, '--test', '--json', '--env', 'production']);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.environment, 'production');
    assert.equal(report.secrets[0].envVar, 'EVERYTHING_API_KEY');
    assert.equal(report.secrets[0].source, 'vault');
    assert.match(report.secrets[0].secretId, /^ocid1\.vaultsecret\./);
    assert.equal(report.secrets[0].versionNumber, 1);
    assert.match(report.secrets[0].masked, /^prod\*\*\*\*\(\d+\)$/);
    assert.equal(typeof report.metrics.totalMs, 'number');
    assert.ok(!ok.stdout.includes(PROD_SECRET) && !ok.stderr.includes(PROD_SECRET));

    const bad = await run([path.join(dir, 'missing.json'), '--config', config, '--test', '--json']);
    assert.equal(bad.code, 3, bad.stderr);
    const badReport = JSON.parse(bad.stdout);
    assert.equal(badReport.ok, false);
    assert.equal(badReport.failures[0].envVar, 'GITHUB_PERSONAL_ACCESS_TOKEN');
    assert.equal(badReport.failures[0].kind, 'not_found');
    assert.ok(!bad.stdout.includes(SECRET));
    assertNoStack(bad);
  });
});
