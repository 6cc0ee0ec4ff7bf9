/**
 * `client connect` end to end, the way a user meets it: the built binary writes a client's config; the test then
 * starts the written entry exactly as an MCP client does (the MCP SDK's StdioClientTransport with its default
 * environment: HOME, LOGNAME, PATH, SHELL, TERM, USER and nothing else) and sees the secret arrive in
 * server-everything's get-env. Settings and the service come from their default files under HOME; the cache key
 * comes from the OS keychain on the user's session bus, found at /run/user/UID/bus without DBUS_SESSION_BUS_ADDRESS
 * (test/helpers/user-bus.ts; on a machine where /run/user/UID already exists, the bus is in a temp dir named by
 * XDG_RUNTIME_DIR instead, and the test says so).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO_ROOT, makeDockerConfig, runBinary, type DockerConfig } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { startUserBus, userBusAvailable, type UserBus } from '../helpers/user-bus.js';

const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const SECRET = `conn-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-value`;
const skip = process.platform !== 'linux' ? 'Linux session bus' : !userBusAvailable() && !process.env.CI ? 'dbus-daemon or gnome-keyring-daemon missing' : false;

describe('client connect → the entry started as an MCP client starts it (built binary)', { skip }, () => {
  let emu: TestEmulator;
  let dc: DockerConfig;
  let bus: UserBus;
  let dir: string;
  let home: string;

  before(async () => {
    emu = await startTestEmulator({ seed: { 'everything-api-key': SECRET } });
    dc = makeDockerConfig();
    bus = await startUserBus();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-connect-e2e-'));
    home = path.join(dir, 'home');
    const conf = path.join(home, '.config', 'oci-vault-mcp');
    mkdirSync(path.join(conf, 'services'), { recursive: true });
    // the default settings file, with the cache on (its key from the keychain)
    writeFileSync(path.join(conf, 'resolver.yaml'), emulatorResolverYaml(emu.info, 'resilience: { retries: 0, timeout_ms: 5000 }'));
    writeFileSync(
      path.join(conf, 'services', 'everything-local.json'),
      JSON.stringify({ secrets: { EVERYTHING_API_KEY: 'everything-api-key' }, target_command: [process.execPath, EVERYTHING, 'stdio'] }),
    );
  });
  after(async () => {
    await bus?.stop();
    await emu?.close();
    dc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `entry` with the SDK's default environment taken from a process whose HOME is the test's. */
  /** Also returns the emulator's request count right after the handshake (the background revalidation of cached values waits 1 s after it). */
  async function startAsClient(entry: { command: string; args: string[] }): Promise<{ env: Record<string, string>; stderr: string; requestsAtStart: number }> {
    const saved = { HOME: process.env.HOME, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR };
    process.env.HOME = home;
    const defaults = getDefaultEnvironment();
    assert.deepEqual(Object.keys(defaults).sort().filter((k) => !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'].includes(k)), []);
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      // nothing but the defaults; only where the real /run/user/UID is taken is the bus's dir named (see file comment)
      ...(bus.viaXdg ? { env: { ...defaults, XDG_RUNTIME_DIR: bus.runtimeDir } } : {}),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const client = new Client({ name: 'vaultmcp-connect-e2e', version: '0.0.0' });
    try {
      await client.connect(transport);
    } finally {
      process.env.HOME = saved.HOME;
    }
    try {
      const requestsAtStart = (await emu.admin.stats()).requests;
      const r = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ text: string }> };
      return { env: JSON.parse(r.content[0]!.text), stderr, requestsAtStart };
    } finally {
      await client.close();
    }
  }

  for (const client of ['claude-desktop', 'codex'] as const) {
    it(`${client}: the written entry runs the service with its secret; a second start is served from the keychain-keyed cache`, async () => {
      const r = await runBinary(['client', 'connect', client, 'everything-local', '--name', 'ev'], { env: { HOME: home, DOCKER_CONFIG: dc.dir }, hideRepo: false });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, new RegExp(SECRET));
      let entry: { command: string; args: string[] };
      if (client === 'codex') {
        const text = readFileSync(path.join(home, '.codex', 'config.toml'), 'utf8');
        assert.match(text, /^\[mcp_servers\.ev\]$/m);
        entry = { command: /^command = "(.*)"$/m.exec(text)![1]!, args: JSON.parse(/^args = (\[.*\])$/m.exec(text)![1]!) };
      } else {
        entry = JSON.parse(readFileSync(path.join(home, '.config', 'Claude', 'claude_desktop_config.json'), 'utf8')).mcpServers.ev;
      }
      assert.equal(entry.command, path.join(dc.dir, 'cli-plugins', 'docker-vaultmcp'));
      assert.deepEqual(entry.args, ['run', 'everything-local']);

      rmSync(path.join(home, '.cache'), { recursive: true, force: true });
      await emu.admin.resetStats();
      const first = await startAsClient(entry);
      // the leak guard is on by default: the value arrived exactly (the whole variable is the redaction marker), and
      // the client never sees it
      assert.equal(first.env.EVERYTHING_API_KEY, '[REDACTED:EVERYTHING_API_KEY]');
      assert.doesNotMatch(first.stderr, /disk cache off|D-Bus/, first.stderr);
      assert.ok(first.requestsAtStart > 0, 'the first start read the vault');
      await emu.admin.resetStats();
      const second = await startAsClient(entry);
      assert.equal(second.env.EVERYTHING_API_KEY, '[REDACTED:EVERYTHING_API_KEY]');
      assert.equal(second.requestsAtStart, 0, 'the second start read the cache (its key is in the keychain on the user bus)');
      assert.ok(readdirSync(path.join(home, '.cache', 'oci-vault-mcp')).length > 0);
      if (bus.viaXdg) process.stderr.write('# note: /run/user/UID exists here, so the bus was found through XDG_RUNTIME_DIR\n');
    });
  }
});
