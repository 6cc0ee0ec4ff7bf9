/**
 * `service list` and `service show` through the built binary (repository hidden, temp HOME and system dir):
 * sources and shadowing, references per environment, JSON shapes, errors. No vault is involved.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBinary } from '../helpers/binary.js';

describe('service list / show (built binary)', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-service-e2e-'));
    const home = path.join(dir, 'home');
    const user = path.join(home, '.config', 'oci-vault-mcp', 'services');
    const system = path.join(dir, 'etc', 'services');
    mkdirSync(user, { recursive: true });
    mkdirSync(system, { recursive: true });
    writeFileSync(
      path.join(user, 'github.json'),
      JSON.stringify({
        description: 'my GitHub',
        secrets: {
          GITHUB_PERSONAL_ACCESS_TOKEN: { secret_name: 'gh-dev', environment: { production: 'gh-prod' }, version: { production: 3 } },
          EXTRA: { secret_name: 'extra', required: false },
        },
        target_command: ['npx', '-y', '@modelcontextprotocol/server-github'],
        env_overrides: { LOG_LEVEL: 'info' },
        passthrough_env: ['MYAPP_*'],
      }),
    );
    writeFileSync(path.join(system, 'github.yaml'), 'secrets: {}\ntarget_command: [x]\n');
    writeFileSync(path.join(system, 'broken.json'), '{ "secrets": ');
    env = { HOME: home, VAULTMCP_SYSTEM_CONFIG_DIR: path.join(dir, 'etc') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('list: user, system and built-in definitions with shadowing and errors', async () => {
    const r = await runBinary(['service', 'list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; source: string; shadowed: boolean; shadowedBy?: string; error?: string }>;
    const github = rows.filter((x) => x.name === 'github');
    assert.deepEqual(github.map((x) => [x.source, x.shadowed]), [['user', false], ['system', true], ['builtin', true]]);
    assert.ok(rows.find((x) => x.name === 'broken')?.error);
    for (const name of ['brave-search', 'everything', 'filesystem', 'gitlab', 'postgres', 'slack']) {
      assert.ok(rows.some((x) => x.name === name && x.source === 'builtin'), name);
    }
    const text = await runBinary(['service', 'list'], { env });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^NAME\s+SOURCE\s+DESCRIPTION/);
    assert.match(text.stdout, /github\s+builtin\s+\(shadowed by /);
  });

  it('show: references for the chosen environment, no values, no vault call', async () => {
    const r = await runBinary(['service', 'show', 'github', '--env', 'production', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.source, 'user');
    assert.equal(view.environment, 'production');
    assert.deepEqual(view.knownEnvironments, ['production']);
    assert.deepEqual(view.secrets, [
      { envVar: 'GITHUB_PERSONAL_ACCESS_TOKEN', reference: 'gh-prod?version=3', required: true, versionNumber: 3 },
      { envVar: 'EXTRA', reference: 'extra', required: false },
    ]);
    assert.deepEqual(view.targetCommand, ['npx', '-y', '@modelcontextprotocol/server-github']);
    assert.deepEqual(view.overrides, { LOG_LEVEL: 'info' });
    assert.deepEqual(view.passthrough, ['MYAPP_*']);
    assert.ok(view.defaultPassthrough.includes('PATH'));

    const text = await runBinary(['service', 'show', 'github'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /GITHUB_PERSONAL_ACCESS_TOKEN\s+gh-dev\n/);
    assert.match(text.stdout, /EXTRA\s+extra\s+\(optional\)/);
  });

  it('show: an environment nothing declares is a usage error naming the known ones (issue 10 §2)', async () => {
    const r = await runBinary(['service', 'show', 'github', '--env', 'staging', '--json'], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Error: unknown environment 'staging' for service 'github' \(known: default, production\)/);
  });

  it('show: unknown service and malformed file → 2, one line + hint, no stack', async () => {
    const unknown = await runBinary(['service', 'show', 'nope'], { env });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^Error: unknown service 'nope'\n  Try: /);
    const broken = await runBinary(['service', 'show', path.join(dir, 'etc', 'services', 'broken.json')], { env });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.json:\d+:\d+: /);
    assert.doesNotMatch(unknown.stderr + broken.stderr, /^\s+at /m);
  });
});
