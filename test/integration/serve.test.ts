/**
 * `serve`: a stdio MCP server over Streamable HTTP behind a vault-held bearer token, driven by the MCP SDK's
 * StreamableHTTPClientTransport; secrets and the token from the in-process vault emulator.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startServe, type RunningServe, type ServeEvent, type ServeRequest } from '../../src/app/serve/serve.js';
import type { AppContext } from '../../src/core/context.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { FAKE_SERVER, makeGatewayWorld, type GatewayWorld } from '../helpers/gateway-fixture.js';
import { waitUntil } from '../helpers/wait.js';

const API_KEY = `key-${'q7'.repeat(12)}`;
const TOKEN = `tok-${'Rz'.repeat(20)}`;

describe('serve (Streamable HTTP, bearer token from the vault)', () => {
  let emu: TestEmulator;
  let w: GatewayWorld;
  let ctx: AppContext;
  let service: string;
  const running: RunningServe[] = [];
  let spawned = 0;
  const events: ServeEvent[] = [];
  const start = async (over: Partial<ServeRequest> = {}, extra: { tokenRecheckMs?: number } = {}) => {
    const r = await startServe(
      ctx,
      { service, config: w.resolverConfig, host: '127.0.0.1', port: 0, maxSessions: 4, idleTimeoutS: 300, allowOrigins: [], offline: false, refresh: false, extraArgs: [], ...over },
      {
        stopGraceMs: 200,
        onEvent: (e) => events.push(e),
        ...extra,
        // the message-filter seam (the leak guard plugs in here); counting calls counts spawned servers
        filters: () => {
          spawned++;
          return [{ name: 'mark', transform: (m: Buffer) => Buffer.from(m.toString().replace('"serverInfo":{"name":"fake"', '"serverInfo":{"name":"fake-filtered"')) }];
        },
      },
    );
    running.push(r);
    return r;
  };
  const connect = async (url: string, token?: string) => {
    const client = new Client({ name: 'test', version: '0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {});
    await client.connect(transport);
    return client;
  };
  /** A raw initialize POST (node:http, so Host can be set as a rebinding page would send it). */
  const post = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: { get(name: string): string | undefined } }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, headers: { get: (n) => res.headers[n.toLowerCase()] as string | undefined } });
        req.destroy();
      });
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }));
    });

  before(async () => {
    emu = await startTestEmulator({ seed: { 'api-key': API_KEY, 'fixed-token': TOKEN } });
    w = makeGatewayWorld(emu);
    service = w.file('checker.json', JSON.stringify({ secrets: { API_KEY: 'api-key' }, target_command: [process.execPath, FAKE_SERVER, 'mcp'] }));
    ctx = { env: w.env(), cwd: w.root, homeDir: w.home, stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), now: () => Date.now() };
  });
  after(async () => {
    for (const r of running) await r.close();
    w?.cleanup();
    await emu?.close();
  });

  it('generates and stores the token on first use; a client with it gets a server with the service\'s secrets', async () => {
    const r = await start();
    assert.equal(r.tokenGenerated, true);
    assert.equal(r.tokenSecret, 'vaultmcp-serve-checker');
    const stored = emu.emulator.store.findByName(emu.info.vaultId, 'vaultmcp-serve-checker');
    assert.ok(stored, 'the token is a vault secret');
    const token = Buffer.from((stored.versions.at(-1) as any).content, 'base64').toString();
    assert.ok(token.length >= 40);
    const client = await connect(r.url, token);
    assert.equal(client.getServerVersion()?.name, 'fake-filtered', 'the session\'s filters ran on the server output');
    const env = JSON.parse(((await client.callTool({ name: 'get-env', arguments: {} })) as any).content[0].text);
    assert.equal(env.API_KEY, API_KEY);
    assert.equal(env.OCI_VAULT_ID, undefined);
    await client.close();
    // each session is a launch: a rotated secret reaches the next one
    await emu.admin.putSecret('api-key', `${API_KEY}-v2`);
    const next = await connect(r.url, token);
    assert.equal(JSON.parse(((await next.callTool({ name: 'get-env', arguments: {} })) as any).content[0].text).API_KEY, `${API_KEY}-v2`);
    await next.close();
    await emu.admin.putSecret('api-key', API_KEY);
    await r.close();
    // a second start reads the stored token instead of generating another
    const again = await start();
    assert.equal(again.tokenGenerated, false);
    await again.close();
  });

  it('401 without or with a wrong token, 403 for a foreign Host or Origin: nothing is spawned', async () => {
    const r = await start({ tokenSecret: 'fixed-token' });
    const before = spawned;
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong' }, { Authorization: `Basic ${TOKEN}` }, { Authorization: `Bearer ${TOKEN}x` }]) {
      const res = await post(r.url, headers);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    await assert.rejects(connect(r.url), /missing or wrong bearer token/);
    assert.equal((await post(r.url, { Authorization: `Bearer ${TOKEN}`, Host: 'evil.example' })).status, 403);
    assert.equal((await post(r.url, { Authorization: `Bearer ${TOKEN}`, Origin: 'https://evil.example' })).status, 403);
    assert.equal(spawned, before, 'no server process was started');
    assert.equal(r.sessions(), 0);
    assert.equal((await post(r.url.replace('/mcp', '/other'), { Authorization: `Bearer ${TOKEN}` })).status, 404);
    // a loopback page of this very port is same-site
    assert.equal((await post(r.url, { Authorization: `Bearer ${TOKEN}`, Origin: `http://localhost:${r.port}` })).status, 200);
    await r.close();
    const allowed = await start({ tokenSecret: 'fixed-token', allowOrigins: ['https://app.example.com'] });
    assert.equal((await post(allowed.url, { Authorization: `Bearer ${TOKEN}`, Origin: 'https://app.example.com' })).status, 200);
    assert.equal((await post(allowed.url, { Authorization: `Bearer ${TOKEN}`, Origin: 'https://app.example.com.evil.example' })).status, 403);
    await allowed.close();
  });

  it('one server process per session, a session limit (503), and idle sessions are closed', async () => {
    const r = await start({ tokenSecret: 'fixed-token', maxSessions: 2, idleTimeoutS: 1 });
    const before = spawned;
    const a = await connect(r.url, TOKEN);
    const b = await connect(r.url, TOKEN);
    assert.equal(spawned - before, 2);
    assert.equal(r.sessions(), 2);
    const res = await post(r.url, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 503);
    assert.equal(spawned - before, 2);
    await waitUntil(() => r.sessions() === 0, 'idle sessions to be closed', { timeoutMs: 10_000 });
    await assert.rejects(a.callTool({ name: 'get-env', arguments: {} }));
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await r.close();
  });

  it('a rotated token is picked up at the next failed check; the old one then fails', async () => {
    const v1 = `rot-${'a'.repeat(30)}`;
    const v2 = `rot-${'b'.repeat(30)}`;
    await emu.admin.putSecret('rot-token', v1);
    const r = await start({ tokenSecret: 'rot-token' }, { tokenRecheckMs: 0 });
    const c1 = await connect(r.url, v1);
    await c1.close();
    await emu.admin.putSecret('rot-token', v2);
    const c2 = await connect(r.url, v2);
    await c2.close();
    assert.ok(events.some((e) => e.type === 'info' && /rot-token changed in the vault/.test(e.message)));
    assert.equal((await post(r.url, { Authorization: `Bearer ${v1}` })).status, 401);
    await r.close();
  });

  it('warns when listening beyond loopback without TLS in front', async () => {
    const r = await start({ tokenSecret: 'fixed-token', host: '0.0.0.0' });
    assert.ok(events.some((e) => e.type === 'warning' && /beyond this machine, over plain HTTP/.test(e.message)));
    await r.close();
  });

  it('refuses to start when a required secret is missing (nothing listens)', async () => {
    const broken = w.file('broken.json', JSON.stringify({ secrets: { API_KEY: 'no-such-secret' }, target_command: [process.execPath, FAKE_SERVER, 'mcp'] }));
    await assert.rejects(startServe(ctx, { service: broken, config: w.resolverConfig, host: '127.0.0.1', port: 0, maxSessions: 1, idleTimeoutS: 60, allowOrigins: [], offline: false, refresh: false, extraArgs: [] }), (err: any) => err.exitCode === 3);
  });
});
