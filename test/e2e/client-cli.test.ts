/**
 * The `client` commands' terminal side through the built binary (repository hidden): text and JSON output, the diff
 * on stdout and messages on stderr, exit codes, one-line errors with file:line:column, no stack traces.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeDockerConfig, runBinary, type DockerConfig } from '../helpers/binary.js';

describe('client commands (built binary)', () => {
  let dc: DockerConfig;
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dc = makeDockerConfig();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-client-cli-'));
    env = { HOME: path.join(dir, 'home'), DOCKER_CONFIG: dc.dir };
    mkdirSync(path.join(dir, 'home', '.cursor'), { recursive: true });
    writeFileSync(path.join(dir, 'home', '.cursor', 'mcp.json'), '{\n  "mcpServers": {\n    "gh": { "command": "npx", "env": { "GITHUB_TOKEN": "ghp_abcdefghijklmnopqrstuvwxyz0123" } }\n  }\n}\n');
  });
  after(() => {
    dc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connect --dry-run: the diff on stdout (credentials masked), nothing written', async () => {
    const before = readFileSync(path.join(dir, 'home', '.cursor', 'mcp.json'), 'utf8');
    const r = await runBinary(['client', 'connect', 'cursor', 'github', '--dry-run'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\+\s+"github": \{$/m);
    assert.match(r.stdout, /"GITHUB_TOKEN": "ghp_\*\*\*\*\(34\)"/);
    assert.doesNotMatch(r.stdout + r.stderr, /ghp_abcdefghijklmnopqrstuvwxyz0123/);
    assert.match(r.stderr, /^vaultmcp: dry run: .*mcp\.json was not changed$/m);
    assert.equal(readFileSync(path.join(dir, 'home', '.cursor', 'mcp.json'), 'utf8'), before);
  });

  it('connect, then again (no change), list (text and JSON), disconnect', async () => {
    const first = await runBinary(['client', 'connect', 'cursor', 'github'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /backup of the previous file: .*backups\/cursor-mcp\.json-/);
    const again = await runBinary(['client', 'connect', 'cursor', 'github', '--json'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).changed, false);
    const list = await runBinary(['client', 'list'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^cursor\s+user\s+configured\s+github \(vaultmcp\), gh \(plaintext: GITHUB_TOKEN\)/m);
    assert.match(list.stderr, /client import CLIENT/);
    const json = JSON.parse((await runBinary(['client', 'list', '--json'], { env })).stdout);
    assert.equal(json.find((r: { client: string }) => r.client === 'cursor').entries.length, 2);
    const off = await runBinary(['client', 'disconnect', 'cursor', 'github'], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^-\s+"github": \{$/m);
    assert.ok(!('github' in JSON.parse(readFileSync(path.join(dir, 'home', '.cursor', 'mcp.json'), 'utf8')).mcpServers));
  });

  it('errors: one line with a Try:, exit 2, no stack', async () => {
    mkdirSync(path.join(dir, 'home', '.codex'), { recursive: true });
    writeFileSync(path.join(dir, 'home', '.codex', 'config.toml'), 'model = "o3"\n[mcp_servers\n');
    for (const [args, re] of [
      [['client', 'connect', 'codex', 'github'], /config\.toml:2:13: not valid TOML/],
      [['client', 'connect', 'zed', 'github'], /unknown client 'zed'/],
      [['client', 'connect', 'cursor', 'nope'], /unknown service 'nope'/],
      [['client', 'disconnect', 'cursor', 'gh'], /does not start through docker vaultmcp/],
      [['client', 'connect', 'cursor', 'github', 'stray'], /unexpected argument 'stray'/],
    ] as const) {
      const r = await runBinary(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /Try: /);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
    assert.equal(readFileSync(path.join(dir, 'home', '.codex', 'config.toml'), 'utf8'), 'model = "o3"\n[mcp_servers\n');
  });
});
