/**
 * The second path of issue 12 end to end through the real docker CLI: `docker vaultmcp serve` exposes a host
 * server over Streamable HTTP, `gateway catalog add` writes its `type: remote` entry and maps its bearer-token
 * secret, and `gateway run` hands the stand-in gateway that token through the FIFO; the stand-in connects with the
 * MCP SDK client and the expanded header. Also `gateway map import`/`show`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { dockerAvailable } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { FAKE_SERVER, makeGatewayWorld, type GatewayWorld } from '../helpers/gateway-fixture.js';
import { waitUntil } from '../helpers/wait.js';

const skip = !dockerAvailable() && !process.env.CI ? 'docker CLI not installed' : false;
const API_KEY = `key-${'m3'.repeat(12)}`;

describe('serve + gateway catalog add + gateway run (type: remote)', { skip }, () => {
  let emu: TestEmulator;
  let w: GatewayWorld;
  let serve: ChildProcessWithoutNullStreams;
  let serveErr = '';
  let url = '';
  // async: the emulator runs in this process and must keep answering while the CLI runs
  const docker = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn('docker', ['vaultmcp', ...args], { env: w.env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (b: Buffer) => (stdout += b));
      c.stderr.on('data', (b: Buffer) => (stderr += b));
      c.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  before(async () => {
    emu = await startTestEmulator({ seed: { 'api-key': API_KEY, 'github-personal-access-token': 'ghp_x' } });
    w = makeGatewayWorld(emu);
    const service = w.file('services/checker.json', JSON.stringify({ secrets: { API_KEY: 'api-key' }, target_command: [process.execPath, FAKE_SERVER, 'mcp'] }));
    serve = spawn('docker', ['vaultmcp', 'serve', service, '--config', w.resolverConfig, '--port', '0'], { env: w.env(), stdio: 'pipe' });
    serve.stderr.on('data', (b: Buffer) => (serveErr += b));
    let out = '';
    serve.stdout.on('data', (b: Buffer) => (out += b));
    await waitUntil(() => /\n/.test(out), 'serve to print its URL', { timeoutMs: 30_000 }).catch((err) => {
      throw new Error(`${err.message}\n${serveErr}`);
    });
    url = out.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });
  after(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }
    w?.cleanup();
    await emu?.close();
  });

  it('the gateway reaches the served server with the vault-held bearer token, handed over through the FIFO', async () => {
    assert.match(serveErr, /generated a bearer token and stored it as secret 'vaultmcp-serve-checker'/);
    const add = await docker(['gateway', 'catalog', 'add', 'checker', '--url', url]);
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS=1 docker vaultmcp gateway run -- --servers checker --catalog /);
    const catalog = path.join(w.home, '.docker/mcp/catalogs/vaultmcp.yaml');
    const text = readFileSync(catalog, 'utf8');
    assert.match(text, /type: remote/);
    assert.match(text, /Authorization: Bearer \$\{VAULTMCP_BEARER_TOKEN\}/);
    const token = Buffer.from((emu.emulator.store.findByName(emu.info.vaultId, 'vaultmcp-serve-checker')!.versions.at(-1) as any).content, 'base64').toString();
    assert.ok(!text.includes(token), 'the catalog never holds the token');

    const transport = new StdioClientTransport({
      command: 'docker',
      args: ['vaultmcp', 'gateway', 'run', '--config', w.resolverConfig, '--', '--servers', 'checker', '--catalog', catalog],
      env: w.env({ DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS: '1' }),
      stderr: 'pipe',
    });
    let gwErr = '';
    transport.stderr?.on('data', (b: Buffer) => (gwErr += b));
    const client = new Client({ name: 'test', version: '0' });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'get-env'), gwErr);
      const env = JSON.parse(((await client.callTool({ name: 'get-env', arguments: {} })) as any).content[0].text);
      assert.equal(env.API_KEY, API_KEY, 'the served server has the service\'s secret');
    } finally {
      await client.close();
    }
    assert.ok(!gwErr.includes(token) && !serveErr.includes(token));
  });

  it('gateway map import maps what the vault has by name and names what it lacks; map show lists references', async () => {
    const catalog = w.file(
      'other.yaml',
      'registry:\n  github:\n    secrets: [{ name: github.personal_access_token, env: GITHUB_PERSONAL_ACCESS_TOKEN }]\n  notion:\n    secrets: [{ name: notion.internal_integration_token, env: T }]\n',
    );
    const map = path.join(w.root, 'import-map.yaml');
    const r = await docker(['gateway', 'map', 'import', '--config', w.resolverConfig, '--map', map, '--catalog', catalog]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /mapped\s+github\.personal_access_token → github-personal-access-token/);
    assert.match(r.stdout, /MISSING notion\.internal_integration_token \(notion\)/);
    const add = await docker(['gateway', 'map', 'add', 'notion.internal_integration_token', 'notion-token-prod', '--env', 'production', '--map', map]);
    assert.equal(add.status, 0, add.stderr);
    const show = await docker(['gateway', 'map', 'show', '--env', 'production', '--map', map, '--json']);
    assert.equal(show.status, 0, show.stderr);
    const rows = JSON.parse(show.stdout).secrets;
    assert.deepEqual(
      rows.map((x: any) => [x.name, x.reference]),
      [
        ['github.personal_access_token', 'github-personal-access-token'],
        ['notion.internal_integration_token', 'notion-token-prod'],
      ],
    );
    const bad = await docker(['gateway', 'map', 'add', 'bad name', 'x', '--map', map]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a catalog secret name/);
  });
});
