/**
 * `client import` through the built binary against the vault emulator: the plan (masked, nothing changed), --apply
 * (secrets stored, service files, entries rewritten, MCP handshake of each, backup deleted), reuse and conflicts,
 * and all-or-nothing when an upload fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { REPO_ROOT, makeDockerConfig, runBinary, type DockerConfig } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const FAKE = path.join(REPO_ROOT, 'test/fixtures/servers/fake-server.mjs');
const GH = `ghp_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}abcdefghij`;
const SLACK = `xoxb-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

describe('client import (built binary)', () => {
  let emu: TestEmulator;
  let dc: DockerConfig;
  let dir: string;
  let home: string;
  let config: string;
  let cursor: string;
  let original: string;
  before(async () => {
    emu = await startTestEmulator();
    dc = makeDockerConfig();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-import-e2e-'));
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'resilience: { retries: 0 }'));
  });
  beforeEach(() => {
    home = path.join(dir, `home-${Math.random().toString(36).slice(2)}`);
    cursor = path.join(home, '.cursor', 'mcp.json');
    mkdirSync(path.dirname(cursor), { recursive: true });
    original = JSON.stringify(
      {
        mcpServers: {
          'My GitHub': { command: process.execPath, args: [FAKE, 'mcp'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: GH, LOG_LEVEL: 'debug' } },
          slack: { command: process.execPath, args: [FAKE, 'mcp'], env: { SLACK_BOT_TOKEN: SLACK, SLACK_MODE: 'T1', FROM_CLIENT: '${env:X}' } },
          clean: { command: 'npx', args: ['-y', 'x'] },
        },
        other: true,
      },
      null,
      2,
    );
    writeFileSync(cursor, original);
    for (const s of emu.emulator.store.all()) emu.emulator.store.remove(s.id);
  });
  after(async () => {
    await emu?.close();
    dc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[]) => runBinary(['client', 'import', 'cursor', '--config', config, ...args], { env: { HOME: home, DOCKER_CONFIG: dc.dir }, hideRepo: false, timeoutMs: 90_000 });
  const stored = (name: string) => {
    const s = emu.emulator.store.findByName(emu.info.vaultId, name);
    return s ? Buffer.from(s.versions.find((v) => v.stages.includes('CURRENT'))!.content, 'base64').toString() : undefined;
  };

  it('without --apply: the plan with masked values; nothing changes', async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(GH) && !r.stderr.includes(GH) && !r.stdout.includes(SLACK));
    assert.match(r.stdout, /My GitHub → service my-github/);
    assert.match(r.stdout, /GITHUB_PERSONAL_ACCESS_TOKEN = ghp_\*\*\*\*\(\d+\) → secret my-github-github-personal-access-token \(create\)/);
    assert.match(r.stdout, /SLACK_BOT_TOKEN = \*\*\*\*\(\d+\) → secret slack-slack-bot-token \(create\)|SLACK_BOT_TOKEN = xoxb\*\*\*\*\(\d+\) → secret slack-slack-bot-token \(create\)/);
    assert.match(r.stdout, /env_overrides: SLACK_MODE/);
    assert.doesNotMatch(r.stdout, /clean →/);
    assert.equal(readFileSync(cursor, 'utf8'), original);
    assert.equal(emu.emulator.store.all().length, 0);
    assert.ok(!existsSync(path.join(home, '.config', 'oci-vault-mcp', 'services')));
  });

  it('--apply: secrets stored, services written, entries rewritten and checked, no plaintext left, backup deleted', async () => {
    const r = await run(['--apply']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(stored('my-github-github-personal-access-token'), GH);
    assert.equal(stored('slack-slack-bot-token'), SLACK);
    const text = readFileSync(cursor, 'utf8');
    assert.ok(!text.includes(GH) && !text.includes(SLACK), 'no plaintext left in the config');
    const cfg = JSON.parse(text);
    const plugin = path.join(dc.dir, 'cli-plugins', 'docker-vaultmcp');
    assert.deepEqual(cfg.mcpServers['My GitHub'], { command: plugin, args: ['run', 'my-github', '--config', config] });
    assert.deepEqual(cfg.mcpServers.slack, { command: plugin, args: ['run', 'slack', '--config', config], env: { FROM_CLIENT: '${env:X}' } });
    assert.deepEqual(cfg.mcpServers.clean, { command: 'npx', args: ['-y', 'x'] });
    assert.equal(cfg.other, true);
    const svc = JSON.parse(readFileSync(path.join(home, '.config', 'oci-vault-mcp', 'services', 'slack.json'), 'utf8'));
    assert.deepEqual(svc.secrets, { SLACK_BOT_TOKEN: 'slack-slack-bot-token' });
    assert.deepEqual(svc.env_overrides, { SLACK_MODE: 'T1' });
    assert.deepEqual(svc.passthrough_env, ['FROM_CLIENT']);
    assert.match(r.stdout, /check My GitHub: ok/);
    assert.match(r.stdout, /check slack: ok/);
    assert.match(r.stderr, /backup \(the last plaintext copy\) was deleted/);
    assert.deepEqual(readdirSync(path.join(home, '.config', 'oci-vault-mcp', 'backups')), []);
    for (const f of readdirSync(path.join(home, '.config', 'oci-vault-mcp', 'services'))) {
      assert.ok(!readFileSync(path.join(home, '.config', 'oci-vault-mcp', 'services', f), 'utf8').includes(GH));
    }
    // the same server in another client: secrets reused, the identical service definition kept
    const claude = path.join(home, '.claude.json');
    writeFileSync(claude, JSON.stringify({ mcpServers: { 'My GitHub': JSON.parse(original).mcpServers['My GitHub'] } }));
    const other = await runBinary(['client', 'import', 'claude-code', '--config', config, '--apply'], { env: { HOME: home, DOCKER_CONFIG: dc.dir }, hideRepo: false, timeoutMs: 90_000 });
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /my-github-github-personal-access-token \(reuse\)/);
    assert.match(other.stdout, /exists, identical/);
    assert.deepEqual(JSON.parse(readFileSync(claude, 'utf8')).mcpServers['My GitHub'], { type: 'stdio', command: plugin, args: ['run', 'my-github', '--config', config] });
    // a second import finds nothing left to move
    const again = await run(['--apply']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /nothing to import/);
  });

  it('same value: reused; another value: a conflict that changes nothing, unless --rotate-existing; --keep-backup keeps it', async () => {
    await emu.admin.putSecret('my-github-github-personal-access-token', GH);
    await emu.admin.putSecret('slack-slack-bot-token', 'another-value');
    const plan = await run([]);
    assert.match(plan.stdout, /my-github-github-personal-access-token \(reuse\)/);
    assert.match(plan.stdout, /slack-slack-bot-token \(conflict\)/);
    const conflict = await run(['--apply']);
    assert.equal(conflict.code, 2, conflict.stderr);
    assert.match(conflict.stderr, /slack-slack-bot-token already holds another value; nothing was changed/);
    assert.equal(readFileSync(cursor, 'utf8'), original);
    const r = await run(['--apply', '--rotate-existing', '--keep-backup']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stored('slack-slack-bot-token'), SLACK);
    assert.equal(emu.emulator.store.findByName(emu.info.vaultId, 'my-github-github-personal-access-token')!.versions.length, 1, 'reused, not re-uploaded');
    const backups = readdirSync(path.join(home, '.config', 'oci-vault-mcp', 'backups'));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(path.join(home, '.config', 'oci-vault-mcp', 'backups', backups[0]!), 'utf8'), original);
    assert.match(r.stderr, /still holds the plaintext values/);
  });

  it('a failed upload leaves every file as it was', async () => {
    await emu.admin.faults({ status: 500, path: 'createSecret', count: 5 });
    try {
      const r = await run(['--apply']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(readFileSync(cursor, 'utf8'), original);
      assert.ok(!existsSync(path.join(home, '.config', 'oci-vault-mcp', 'services')));
      assert.ok(!r.stderr.includes(GH));
    } finally {
      await emu.admin.clearFaults();
    }
  });
});
