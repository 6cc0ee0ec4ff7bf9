/**
 * `docker vaultmcp gateway run` through the real docker CLI: our CLI (from source) and the stand-in `docker-mcp`
 * plugin (test/fixtures/docker-mcp) installed in a temp DOCKER_CONFIG, secrets from the in-process vault
 * emulator, and a server behind the stand-in gateway that reports the environment it got.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { dockerAvailable } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { FAKE_SERVER, makeGatewayWorld, type GatewayWorld } from '../helpers/gateway-fixture.js';
import { waitUntil } from '../helpers/wait.js';

const skip = !dockerAvailable() && !process.env.CI ? 'docker CLI not installed' : false;
const TOKEN = `ghp_${'a1B2c3D4'.repeat(4)}`;
const NO_STACK = /^\s+at .+[(:]\d+/m;

/** A `docker vaultmcp gateway run …` process driven with raw JSON-RPC lines. */
class GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';
  /** Answers nobody was waiting for. */
  unexpected = 0;
  private buf = '';
  private waiters = new Map<number, (m: { result?: any; error?: any }) => void>();
  private nextId = 1;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn('docker', ['vaultmcp', 'gateway', 'run', ...args], { env, stdio: 'pipe' });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b));
    this.child.stdout.on('data', (b: Buffer) => {
      this.buf += b;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
        if (msg.id !== undefined) {
          const waiter = this.waiters.get(msg.id);
          this.waiters.delete(msg.id);
          if (waiter) waiter(msg);
          else this.unexpected++;
        }
      }
    });
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }
  request(method: string, params: unknown = {}): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, (m) => (m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result)));
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }
  async initialize(): Promise<void> {
    await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } });
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  }
  async tool(name: string): Promise<any> {
    const r = await this.request('tools/call', { name, arguments: {} });
    return JSON.parse(r.content[0].text);
  }
}

describe('gateway run (real docker CLI, stand-in docker-mcp)', { skip }, () => {
  let emu: TestEmulator;
  let w: GatewayWorld;
  let map: string;
  let catalog: string;
  let watched: string;
  const base = () => ['--config', w.resolverConfig, '--map', map, '--stop-timeout', '2'];
  const gwArgs = () => ['--', '--servers', 'checker', '--catalog', catalog, '--config', watched];

  before(async () => {
    emu = await startTestEmulator({ seed: { 'github-token': TOKEN } });
    w = makeGatewayWorld(emu);
    map = w.file('gateway.yaml', 'checker.token: { secret_name: github-token, environment: { production: github-token-prod } }\n');
    catalog = w.file(
      'catalog.yaml',
      [
        'name: test',
        'registry:',
        '  checker:',
        '    type: server',
        '    image: example/checker',
        `    command: ["${process.execPath}", "${FAKE_SERVER}", "mcp"]`,
        '    secrets:',
        '      - { name: checker.token, env: CHECK_TOKEN }',
        '',
      ].join('\n'),
    );
    watched = w.file('config.yaml', 'checker: {}\n');
  });
  after(async () => {
    w?.cleanup();
    await emu?.close();
  });

  it('hands the vault value to the gateway\'s server through a 0600 FIFO in a 0700 dir, on every open; nothing left after', async () => {
    const env0 = w.env({ VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64'), DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS: '1' });
    const transport = new StdioClientTransport({ command: 'docker', args: ['vaultmcp', 'gateway', 'run', ...base(), ...gwArgs()], env: env0, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b));
    const client = new Client({ name: 'test', version: '0' });
    await client.connect(transport);
    try {
      const env = JSON.parse(((await client.callTool({ name: 'get-env', arguments: {} })) as any).content[0].text);
      assert.equal(env.CHECK_TOKEN, TOKEN);
      const [dir] = w.fifoDirs();
      assert.ok(dir, 'a FIFO directory exists while the gateway runs');
      const full = path.join(w.runtimeDir, dir!);
      assert.equal(lstatSync(full).mode & 0o777, 0o700);
      const fifo = lstatSync(path.join(full, 'secrets.env'));
      assert.ok(fifo.isFIFO());
      assert.equal(fifo.mode & 0o777, 0o600);
      const status = JSON.parse(((await client.callTool({ name: 'gateway_status', arguments: {} })) as any).content[0].text);
      assert.equal(status.reads, 1);
      assert.deepEqual(status.keys, ['checker.token']);
      // Docker's tool gets our environment as it is, except our own credentials
      assert.ok(status.env.includes('DOCKER_CONFIG') && status.env.includes('DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS'), status.env.join());
      assert.ok(!status.env.includes('VAULTMCP_CACHE_KEY'));
      // a watched-config reload re-opens the FIFO: the writer is there again
      const t = new Date(Date.now() + 5000);
      utimesSync(watched, t, t);
      writeFileSync(watched, 'checker: { x: 1 }\n');
      await waitUntil(async () => JSON.parse(((await client.callTool({ name: 'gateway_status', arguments: {} })) as any).content[0].text).reads >= 2, 'a second read of the FIFO');
    } finally {
      await client.close();
    }
    await waitUntil(() => w.fifoDirs().length === 0, 'the FIFO directory to be removed');
    assert.ok(!stderr.includes(TOKEN), 'the value never reaches stderr');
    assert.doesNotMatch(stderr, NO_STACK);
  });

  it('refuses --verbose (it logs secret prefixes) and --secrets, before anything starts', async () => {
    for (const [extra, re] of [
      [['--verbose'], /first 4 characters/],
      [['--secrets', '/tmp/x.env'], /--secrets is set by docker vaultmcp/],
      [['--profile', 'p'], /profile mode/],
    ] as const) {
      const p = new GatewayProcess([...base(), '--', '--servers', 'checker', ...extra], w.env());
      p.child.stdin.end();
      const { code } = await p.exited;
      assert.equal(code, 2, p.stderr);
      assert.match(p.stderr, re);
      assert.doesNotMatch(p.stderr, NO_STACK);
    }
    {
      const p = new GatewayProcess(['--json', ...base(), ...gwArgs()], w.env());
      p.child.stdin.end();
      const { code } = await p.exited;
      assert.equal(code, 2, p.stderr);
      assert.match(p.stderr, /stdout belongs to the gateway/);
      assert.doesNotMatch(p.stderr, NO_STACK);
    }
    assert.deepEqual(w.fifoDirs(), []);
  });

  it('says so when docker mcp is missing (127) or too old (2)', async () => {
    w.setStandin(false);
    try {
      const p = new GatewayProcess([...base(), ...gwArgs()], w.env());
      p.child.stdin.end();
      assert.equal((await p.exited).code, 127, p.stderr);
      assert.match(p.stderr, /docker mcp.*not installed/);
    } finally {
      w.setStandin(true);
    }
    const old = new GatewayProcess([...base(), ...gwArgs()], w.env({ STANDIN_MCP_VERSION: 'v0.40.2' }));
    old.child.stdin.end();
    assert.equal((await old.exited).code, 2, old.stderr);
    assert.match(old.stderr, /docker mcp v0\.40\.2 is too old/);
  });

  it('starts nothing when a mapped secret cannot be resolved (exit 3)', async () => {
    const pidFile = path.join(w.root, 'nothing.pid');
    const p = new GatewayProcess([...base(), '--env', 'production', ...gwArgs()], w.env({ STANDIN_PID_FILE: pidFile }));
    p.child.stdin.end();
    assert.equal((await p.exited).code, 3, p.stderr);
    assert.match(p.stderr, /checker\.token .*github-token-prod/);
    assert.equal(existsSync(pidFile), false, 'the gateway was not started');
    assert.deepEqual(w.fifoDirs(), []);
  });

  it('SIGTERM stops the gateway and removes the FIFO; a gateway that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    for (const ignore of [false, true]) {
      const pidFile = path.join(w.root, `term-${ignore}.pid`);
      const p = new GatewayProcess([...base(), ...gwArgs()], w.env({ STANDIN_PID_FILE: pidFile, ...(ignore ? { STANDIN_IGNORE_TERM: '1' } : {}) }));
      await p.initialize();
      const gatewayPid = Number(readFileSync(pidFile, 'utf8'));
      assert.equal(w.fifoDirs().length, 1);
      p.child.kill('SIGTERM');
      const { code } = await p.exited;
      // passed through: the stand-in exits 0 when docker cancels it; SIGKILL of docker's process group is 128+9
      assert.equal(code, ignore ? 137 : 0, p.stderr);
      await waitUntil(() => !alive(gatewayPid), 'the gateway to be gone');
      assert.deepEqual(w.fifoDirs(), [], p.stderr);
      if (ignore) assert.match(p.stderr, /did not stop within 2 s of SIGTERM; sending SIGKILL/);
    }
  });

  it('with --transport streaming the gateway serves a port: our stdin ending (e.g. /dev/null) does not stop it', async () => {
    const p = new GatewayProcess(['-v', ...base(), '--', '--servers', 'checker', '--catalog', catalog, '--transport', 'streaming', '--port', '0'], w.env());
    p.child.stdin.end();
    await waitUntil(() => /ready \(transport streaming/.test(p.stderr), 'the gateway to be up', { timeoutMs: 20_000 }).catch((e) => {
      throw new Error(`${e.message}\n${p.stderr}`);
    });
    assert.doesNotMatch(p.stderr, /closed stdin/);
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0, p.stderr);
    assert.deepEqual(w.fifoDirs(), []);
  });

  it('SIGKILL of the gateway: its exit code passes through and the FIFO is removed', async () => {
    const pidFile = path.join(w.root, 'kill.pid');
    const p = new GatewayProcess([...base(), ...gwArgs()], w.env({ STANDIN_PID_FILE: pidFile }));
    await p.initialize();
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    const { code } = await p.exited;
    assert.notEqual(code, 0);
    assert.deepEqual(w.fifoDirs(), []);
  });

  it('after our own crash (SIGKILL), the next gateway run removes the stale FIFO directory', async () => {
    const pidFile = path.join(w.root, 'crash.pid');
    const p = new GatewayProcess([...base(), ...gwArgs()], w.env({ STANDIN_PID_FILE: pidFile }));
    await p.initialize();
    const stale = w.fifoDirs();
    assert.equal(stale.length, 1);
    const ours = Number(/^vaultmcp-gateway-(\d+)-/.exec(stale[0]!)![1]);
    process.kill(ours, 'SIGKILL'); // our plugin process, not docker in front of it
    await p.exited;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      /* it may have gone with its stdin */
    }
    assert.deepEqual(w.fifoDirs(), stale, 'nothing could clean up after SIGKILL');
    const next = new GatewayProcess(['-v', ...base(), ...gwArgs()], w.env());
    await next.initialize();
    assert.deepEqual(w.fifoDirs().filter((d) => stale.includes(d)), [], 'the stale directory was swept');
    assert.match(next.stderr, /left by a gateway run that was killed/);
    next.child.stdin.end();
    await next.exited;
    assert.deepEqual(w.fifoDirs(), []);
  });

  it('--watch: a new CURRENT version restarts the gateway with the new value (one values-free line)', async () => {
    const p = new GatewayProcess([...base(), '--watch', '--interval', '1', ...gwArgs()], w.env());
    await p.initialize();
    assert.equal((await p.tool('get-env')).CHECK_TOKEN, TOKEN);
    const rotated = `ghp_${'Z9y8X7w6'.repeat(4)}`;
    await emu.admin.putSecret('github-token', rotated);
    await waitUntil(() => /restarting the gateway/.test(p.stderr), 'the restart line', { timeoutMs: 15_000 });
    // the client's session goes on: the restarted gateway got the client's handshake replayed (its answer dropped)
    await waitUntil(() => (p.stderr.match(/standin-gateway: ready/g)?.length ?? 0) >= 2, 'the new gateway to be ready', { timeoutMs: 20_000 });
    assert.equal((await p.tool('get-env')).CHECK_TOKEN, rotated);
    assert.equal(p.unexpected, 0, 'no stray answer (the replayed initialize\'s) reached the client');
    assert.equal(p.stderr.match(/restarting the gateway/g)?.length, 1);
    assert.ok(!p.stderr.includes(rotated) && !p.stderr.includes(TOKEN));
    p.child.stdin.end();
    await p.exited;
    assert.deepEqual(w.fifoDirs(), []);
    await emu.admin.putSecret('github-token', TOKEN);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
