/** MCP client configs: paths per OS, format-preserving edits, connect/disconnect/list (src/core/clients, src/app/clients). */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connectClient, disconnectClient } from '../../src/app/clients/connect.js';
import { maskCredentials } from '../../src/app/clients/config-file.js';
import { listClients } from '../../src/app/clients/list.js';
import { CLIENTS, classifyEntry, plaintextSecretVars, type ClientPlace } from '../../src/core/clients/catalog.js';
import { parseConfigText } from '../../src/core/clients/config-text.js';
import type { AppContext } from '../../src/core/context.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';

describe('client config paths per OS', () => {
  const linux: ClientPlace = { os: 'linux', homeDir: '/home/u', env: {}, projectDir: '/work/p' };
  const mac: ClientPlace = { os: 'darwin', homeDir: '/Users/u', env: {}, projectDir: '/work/p' };
  const win: ClientPlace = { os: 'win32', homeDir: 'C:\\Users\\u', env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, projectDir: 'C:\\p' };
  const cases: Array<[string, 'user' | 'project', ClientPlace, string]> = [
    ['claude-desktop', 'user', linux, '/home/u/.config/Claude/claude_desktop_config.json'],
    ['claude-desktop', 'user', { ...linux, env: { XDG_CONFIG_HOME: '/x' } }, '/x/Claude/claude_desktop_config.json'],
    ['claude-desktop', 'user', mac, '/Users/u/Library/Application Support/Claude/claude_desktop_config.json'],
    ['claude-desktop', 'user', win, 'C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json'],
    ['claude-code', 'user', linux, '/home/u/.claude.json'],
    ['claude-code', 'user', { ...linux, env: { CLAUDE_CONFIG_DIR: '/cc' } }, '/cc/.claude.json'],
    ['claude-code', 'user', win, 'C:\\Users\\u\\.claude.json'],
    ['claude-code', 'project', linux, '/work/p/.mcp.json'],
    ['cursor', 'user', mac, '/Users/u/.cursor/mcp.json'],
    ['cursor', 'user', win, 'C:\\Users\\u\\.cursor\\mcp.json'],
    ['cursor', 'project', linux, '/work/p/.cursor/mcp.json'],
    ['vscode', 'user', linux, '/home/u/.config/Code/User/mcp.json'],
    ['vscode', 'user', mac, '/Users/u/Library/Application Support/Code/User/mcp.json'],
    ['vscode', 'user', win, 'C:\\Users\\u\\AppData\\Roaming\\Code\\User\\mcp.json'],
    ['vscode', 'project', win, 'C:\\p\\.vscode\\mcp.json'],
    ['windsurf', 'user', linux, '/home/u/.codeium/windsurf/mcp_config.json'],
    ['windsurf', 'user', win, 'C:\\Users\\u\\.codeium\\windsurf\\mcp_config.json'],
    ['codex', 'user', linux, '/home/u/.codex/config.toml'],
    ['codex', 'user', { ...linux, env: { CODEX_HOME: '/ch' } }, '/ch/config.toml'],
    ['codex', 'user', win, 'C:\\Users\\u\\.codex\\config.toml'],
    ['gemini-cli', 'user', mac, '/Users/u/.gemini/settings.json'],
    ['gemini-cli', 'project', linux, '/work/p/.gemini/settings.json'],
  ];
  for (const [id, scope, place, expected] of cases) {
    it(`${id} ${scope} on ${place.os}${Object.keys(place.env).length ? ` with ${Object.keys(place.env).join(',')}` : ''}`, () => {
      assert.equal(CLIENTS[id as keyof typeof CLIENTS].configFile(scope, place), expected);
    });
  }
});

describe('entry classification', () => {
  it('recognises our entries and the service they run', () => {
    assert.deepEqual(classifyEntry({ command: '/h/.docker/cli-plugins/docker-vaultmcp', args: ['run', 'github', '--env', 'prod'] }), { ours: true, service: 'github' });
    assert.deepEqual(classifyEntry({ command: 'docker', args: ['vaultmcp', 'run', '--env', 'prod', 'github'] }), { ours: true, service: 'github' });
    assert.deepEqual(classifyEntry({ command: 'C:\\x\\docker-vaultmcp.exe', args: ['run', 'x'] }), { ours: true, service: 'x' });
    assert.deepEqual(classifyEntry({ command: 'npx', args: ['-y', 'x'] }), { ours: false });
    assert.deepEqual(classifyEntry({ command: 'docker', args: ['run', '-i', 'mcp/github'] }), { ours: false });
  });
  it('finds plaintext credentials, not references or ordinary variables', () => {
    const env = {
      GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x', API_KEY: 'k', DB_PASSWORD: 'p', GITLAB_PAT: 'x', MY_SECRET: 's', LOG_LEVEL: 'debug',
      REF_TOKEN: 'oci-vault://ocid1.vault.oc1..x/t', VS_TOKEN: '${input:token}', CURSOR_TOKEN: '${env:T}', EMPTY_TOKEN: '', POSTGRES_URL: 'postgres://u:p@h/db',
    };
    assert.deepEqual(plaintextSecretVars({ env }, new Set(['POSTGRES_URL'])).sort(), ['API_KEY', 'DB_PASSWORD', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'GITLAB_PAT', 'MY_SECRET', 'POSTGRES_URL']);
  });
  it('masks credentials in diff text, JSON and TOML', () => {
    assert.equal(maskCredentials('  "API_KEY": "sk-abcdefghijklmnopqrstu",\n  "LOG": "x"'), '  "API_KEY": "sk-a****(24)",\n  "LOG": "x"');
    assert.equal(maskCredentials('env = { GITHUB_TOKEN = "abc" }'), 'env = { GITHUB_TOKEN = "****(3)" }');
  });
});

describe('format-preserving edits', () => {
  it('JSON with comments: other entries, comments, trailing commas and indentation survive', async () => {
    const text = '{\n\t// mine\n\t"servers": {\n\t\t"x": {"command": "npx", "args": ["a"]},\n\t},\n\t"inputs": [],\n}\n';
    const doc = await parseConfigText(text, 'jsonc', 'servers', 'mcp.json');
    const out = doc.edit('github', { type: 'stdio', command: '/p/docker-vaultmcp', args: ['run', 'github'] });
    assert.match(out, /\t\/\/ mine\n/);
    assert.match(out, /\t\t"x": \{"command": "npx", "args": \["a"\]\},\n/);
    assert.match(out, /\t\t"github": \{\n\t\t\t"type": "stdio",/);
    assert.match(out, /"inputs": \[\],\n\}\n$/);
    const again = await parseConfigText(out, 'jsonc', 'servers', 'mcp.json');
    assert.deepEqual(Object.keys(again.servers), ['github', 'x']);
    assert.equal(again.edit('github', undefined).replace(/\s/g, ''), text.replace(/\s/g, ''));
  });
  it('strict JSON refuses comments, naming line and column', async () => {
    await assert.rejects(parseConfigText('{\n  // no\n}', 'json', 'mcpServers', '/c.json'), (e: ConfigError) => e instanceof ConfigError && e.message.startsWith('/c.json:2:3: not valid JSON'));
    await assert.rejects(parseConfigText('{"mcpServers": []}', 'json', 'mcpServers', '/c.json'), /"mcpServers" is not an object/);
    await assert.rejects(parseConfigText('[1]', 'json', 'mcpServers', '/c.json'), /top level is not a JSON object/);
  });
  it('a missing file is an empty document, and a new servers key is created', async () => {
    const doc = await parseConfigText(undefined, 'json', 'mcpServers', 'c.json');
    assert.deepEqual(JSON.parse(doc.edit('g', { command: 'c', args: [] })), { mcpServers: { g: { command: 'c', args: [] } } });
  });
  it('TOML: comments, other tables and their order survive; removal leaves the rest', async () => {
    const text = '# codex\nmodel = "o3" # the model\n\n[mcp_servers.other]\ncommand = "npx"\nargs = ["-y", "x"] # keep\n\n[profiles.fast]\nmodel = "gpt-5"\n';
    const doc = await parseConfigText(text, 'toml', 'mcp_servers', 'config.toml');
    const out = doc.edit('github', { command: '/p/docker-vaultmcp', args: ['run', 'github'] });
    assert.ok(out.startsWith('# codex\nmodel = "o3" # the model\n\n[mcp_servers.other]\ncommand = "npx"\nargs = ["-y", "x"] # keep\n'), out);
    assert.match(out, /\[mcp_servers\.github\]\ncommand = "\/p\/docker-vaultmcp"\nargs = \["run", "github"\]\n/);
    assert.match(out, /\[profiles\.fast\]\nmodel = "gpt-5"\n/);
    const back = (await parseConfigText(out, 'toml', 'mcp_servers', 'config.toml')).edit('github', undefined);
    assert.equal(back, text);
  });
  it('TOML parse errors name line and column without quoting the line', async () => {
    await assert.rejects(parseConfigText('a = 1\nb = = "ghp_secret"\n', 'toml', 'mcp_servers', '/c.toml'), (e: ConfigError) => {
      assert.match(e.message, /^\/c\.toml:2:5: not valid TOML/);
      assert.doesNotMatch(e.message, /ghp_secret/);
      return true;
    });
  });
});

describe('connect / disconnect / list', () => {
  let home: string;
  let plugin: string;
  const ctx = (): AppContext => ({
    env: {},
    cwd: path.join(home, 'project'),
    homeDir: home,
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    now: () => Date.parse('2026-11-30T01:02:03Z'),
  });
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-clients-'));
  });
  beforeEach(async () => {
    await rm(home, { recursive: true, force: true });
    plugin = path.join(home, '.docker', 'cli-plugins', 'docker-vaultmcp');
    await mkdir(path.dirname(plugin), { recursive: true });
    await mkdir(path.join(home, 'project'));
    await writeFile(plugin, '#!/bin/sh\n', { mode: 0o755 });
  });
  after(() => rm(home, { recursive: true, force: true }));

  // Each client's documented entry shape (reference/docker-gateway-2026.md "MCP clients' configs")
  const SHAPES: Record<string, { file: string[]; root: string; stdioType: boolean; toml?: boolean }> = {
    'claude-desktop': { file: ['.config', 'Claude', 'claude_desktop_config.json'], root: 'mcpServers', stdioType: false },
    'claude-code': { file: ['.claude.json'], root: 'mcpServers', stdioType: true },
    cursor: { file: ['.cursor', 'mcp.json'], root: 'mcpServers', stdioType: false },
    vscode: { file: ['.config', 'Code', 'User', 'mcp.json'], root: 'servers', stdioType: true },
    windsurf: { file: ['.codeium', 'windsurf', 'mcp_config.json'], root: 'mcpServers', stdioType: false },
    codex: { file: ['.codex', 'config.toml'], root: 'mcp_servers', stdioType: false, toml: true },
    'gemini-cli': { file: ['.gemini', 'settings.json'], root: 'mcpServers', stdioType: false },
  };
  for (const [id, shape] of Object.entries(SHAPES)) {
    it(`${id}: the entry has the client's documented shape at its default user path`, async () => {
      const r = await connectClient(ctx(), { client: id, service: 'github', env: 'production' });
      assert.equal(r.file, path.join(home, ...shape.file));
      const text = await readFile(r.file, 'utf8');
      const doc = await parseConfigText(text, shape.toml ? 'toml' : 'json', shape.root, r.file);
      assert.deepEqual(doc.servers.github, {
        ...(shape.stdioType ? { type: 'stdio' } : {}),
        command: plugin,
        args: ['run', 'github', '--env', 'production'],
      });
      if (!shape.toml) assert.deepEqual(Object.keys(JSON.parse(text)), [shape.root]);
      else assert.equal(text, `[mcp_servers.github]\ncommand = "${plugin}"\nargs = ["run", "github", "--env", "production"]\n`);
    });
  }

  it('claude-desktop: creates the file with the plugin path; a second run changes nothing', async () => {
    const r = await connectClient(ctx(), { client: 'claude-desktop', service: 'github', env: 'production' });
    const file = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    assert.equal(r.file, file);
    assert.equal(r.created, true);
    assert.equal(r.backup, undefined);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { mcpServers: { github: { command: plugin, args: ['run', 'github', '--env', 'production'] } } });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await connectClient(ctx(), { client: 'claude-desktop', service: 'github', env: 'production' });
    assert.equal(again.changed, false);
    assert.equal(again.diff, '');
    await assert.rejects(readdir(path.join(home, '.config', 'oci-vault-mcp', 'backups')), /ENOENT/);
  });

  it('claude-code user scope: top-level mcpServers of ~/.claude.json with type stdio; the rest kept; backup 0600; mode kept', async () => {
    const file = path.join(home, '.claude.json');
    const original = JSON.stringify({ numStartups: 4, projects: { '/p': { mcpServers: {} } }, mcpServers: { other: { type: 'stdio', command: 'npx', args: [], env: { GITHUB_TOKEN: 'ghp_0123456789abcdefghij' } } } }, null, 2);
    await writeFile(file, original);
    await chmod(file, 0o644);
    const r = await connectClient(ctx(), { client: 'claude-code', service: 'github' });
    const written = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(written.mcpServers.github, { type: 'stdio', command: plugin, args: ['run', 'github'] });
    assert.equal(written.numStartups, 4);
    assert.deepEqual(written.mcpServers.other.env, { GITHUB_TOKEN: 'ghp_0123456789abcdefghij' });
    assert.equal((await stat(file)).mode & 0o777, 0o644, 'the mode of a file we did not create is kept');
    assert.ok(r.backup);
    assert.equal(await readFile(r.backup!, 'utf8'), original);
    assert.equal((await stat(r.backup!)).mode & 0o777, 0o600);
    assert.doesNotMatch(r.diff, /ghp_0123456789abcdefghij/);
    assert.match(r.diff, /^\+\s+"github": \{/m);
  });

  it('project scope and --dry-run: nothing is written', async () => {
    const r = await connectClient(ctx(), { client: 'cursor', service: 'github', scope: 'project', dryRun: true });
    assert.equal(r.file, path.join(home, 'project', '.cursor', 'mcp.json'));
    assert.equal(r.changed, true);
    assert.match(r.diff, /\+\s+"mcpServers"/);
    await assert.rejects(stat(r.file), /ENOENT/);
  });

  it('--via-docker writes docker vaultmcp run; vscode gets servers + type stdio', async () => {
    await connectClient(ctx(), { client: 'vscode', service: 'everything', viaDocker: true, name: 'ev' });
    const file = path.join(home, '.config', 'Code', 'User', 'mcp.json');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { servers: { ev: { type: 'stdio', command: 'docker', args: ['vaultmcp', 'run', 'everything'] } } });
  });

  it('server arguments go after --, with ~ expanded (clients do not expand it)', async () => {
    await connectClient(ctx(), { client: 'windsurf', service: 'filesystem', serverArgs: ['~/projects', '--x'] });
    const entry = JSON.parse(await readFile(path.join(home, '.codeium', 'windsurf', 'mcp_config.json'), 'utf8')).mcpServers.filesystem;
    assert.deepEqual(entry.args, ['run', 'filesystem', '--', path.join(home, 'projects'), '--x']);
    assert.deepEqual(classifyEntry(entry), { ours: true, service: 'filesystem' });
  });

  it('codex: [mcp_servers.NAME] in config.toml', async () => {
    await mkdir(path.join(home, '.codex'));
    await writeFile(path.join(home, '.codex', 'config.toml'), 'model = "o3"\n');
    await connectClient(ctx(), { client: 'codex', service: 'github' });
    assert.equal(await readFile(path.join(home, '.codex', 'config.toml'), 'utf8'), `model = "o3"\n\n[mcp_servers.github]\ncommand = "${plugin}"\nargs = ["run", "github"]\n`);
  });

  it('refuses to replace an entry that is not ours unless --force, and keeps its other keys then', async () => {
    const file = path.join(home, '.gemini', 'settings.json');
    await mkdir(path.dirname(file));
    await writeFile(file, JSON.stringify({ mcpServers: { github: { command: 'npx', args: ['x'], env: { GITHUB_TOKEN: 't' }, trust: true } } }));
    await assert.rejects(connectClient(ctx(), { client: 'gemini-cli', service: 'github' }), (e: UsageError) => e instanceof UsageError && /does not start through/.test(e.message));
    const r = await connectClient(ctx(), { client: 'gemini-cli', service: 'github', force: true });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')).mcpServers.github, { trust: true, command: plugin, args: ['run', 'github'] });
    assert.match(r.notes.join(), /GITHUB_TOKEN\) was dropped/);
  });

  it('a file that does not parse is an error with its position and is not overwritten', async () => {
    const file = path.join(home, '.codeium', 'windsurf', 'mcp_config.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{\n  "mcpServers": {,}\n}\n');
    await assert.rejects(connectClient(ctx(), { client: 'windsurf', service: 'github' }), /mcp_config\.json:2:18: not valid JSON/);
    assert.equal(await readFile(file, 'utf8'), '{\n  "mcpServers": {,}\n}\n');
  });

  it('unknown client, scope or service are usage errors', async () => {
    await assert.rejects(connectClient(ctx(), { client: 'zed', service: 'github' }), /unknown client 'zed'/);
    await assert.rejects(connectClient(ctx(), { client: 'windsurf', service: 'github', scope: 'project' }), /Windsurf has no project scope/);
    await assert.rejects(connectClient(ctx(), { client: 'windsurf', service: 'no-such-service' }), /unknown service/);
  });

  it('without an installed plugin nor a binary to point at, says how to fix it', async () => {
    await rm(plugin);
    await assert.rejects(connectClient({ ...ctx(), env: { DOCKER_CONFIG: path.join(home, 'none') } }, { client: 'cursor', service: 'github' }), (e: UsageError) => /--via-docker/.test(e.hint ?? ''));
  });

  it('disconnect removes only our entry; a missing one is a no-op; a foreign one needs --force', async () => {
    await connectClient(ctx(), { client: 'cursor', service: 'github' });
    const file = path.join(home, '.cursor', 'mcp.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"mcpServers": {', '"mcpServers": {\n    "npx-one": {"command": "npx"},'));
    const r = await disconnectClient(ctx(), { client: 'cursor', name: 'github' });
    assert.equal(r.changed, true);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { mcpServers: { 'npx-one': { command: 'npx' } } });
    assert.equal((await disconnectClient(ctx(), { client: 'cursor', name: 'github' })).changed, false);
    await assert.rejects(disconnectClient(ctx(), { client: 'cursor', name: 'npx-one' }), /does not start through/);
  });

  it('list: installed clients, our entries and plaintext credentials (names only)', async () => {
    await connectClient(ctx(), { client: 'cursor', service: 'github' });
    await mkdir(path.join(home, 'project', '.vscode'));
    await writeFile(path.join(home, 'project', '.vscode', 'mcp.json'), '{ "servers": { "s": { "command": "npx", "env": { "SLACK_BOT_TOKEN": "xoxb-1" } } } }');
    await mkdir(path.join(home, '.gemini'));
    await writeFile(path.join(home, '.gemini', 'settings.json'), '{ broken');
    const rows = await listClients(ctx());
    const row = (c: string, s = 'user') => rows.find((r) => r.client === c && r.scope === s)!;
    assert.deepEqual(row('cursor').entries, [{ name: 'github', ours: true, service: 'github', plaintextSecrets: [] }]);
    assert.equal(row('cursor').exists, true);
    assert.deepEqual(row('vscode', 'project').entries, [{ name: 's', ours: false, plaintextSecrets: ['SLACK_BOT_TOKEN'] }]);
    assert.equal(row('gemini-cli').installed, true);
    assert.match(row('gemini-cli').error!, /settings\.json:1:3/);
    assert.equal(row('windsurf').installed, false);
    assert.ok(!rows.some((r) => r.client === 'cursor' && r.scope === 'project'));
    assert.doesNotMatch(JSON.stringify(rows), /xoxb-1/);
  });
});
