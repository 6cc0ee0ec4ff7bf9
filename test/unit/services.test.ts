/** Service definitions and environment selection (src/core/services). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { knownEnvironments, loadService, parseServiceText, selectEnvironment, type ServiceDefinition } from '../../src/core/config/services/index.js';

const DEF = {
  description: 'GitHub MCP server',
  secrets: {
    GITHUB_PERSONAL_ACCESS_TOKEN: { secret_name: 'github-token', environment: { production: 'github-token-prod' }, version: { production: 3 } },
    OPTIONAL_KEY: { secret_name: 'x', required: false },
    SHORT_FORM: 'short-ref?stage=PENDING',
    STAGED: { secret_name: 'staged', stage: { staging: 'PENDING' } },
  },
  target_command: ['npx', '-y', '@modelcontextprotocol/server-github'],
  env_overrides: { LOG_LEVEL: 'info' },
};
const service = (): ServiceDefinition => ({ ...parseServiceText(JSON.stringify(DEF), 'github.json'), name: 'github', origin: 'github.json', source: 'path' });

describe('selectEnvironment', () => {
  it('default environment: default names, required flags, overrides', () => {
    const sel = selectEnvironment(service(), undefined);
    assert.equal(sel.environment, 'default');
    assert.deepEqual(sel.specs.map((s) => [s.envVar, s.reference, s.required]), [
      ['GITHUB_PERSONAL_ACCESS_TOKEN', 'github-token', true],
      ['OPTIONAL_KEY', 'x', false],
      ['SHORT_FORM', 'short-ref?stage=PENDING', true],
      ['STAGED', 'staged', true],
    ]);
    assert.deepEqual(sel.overrides, { LOG_LEVEL: 'info' });
    assert.deepEqual(sel.warnings, []);
  });
  it('named environment: per-environment reference, version and stage', () => {
    assert.deepEqual(selectEnvironment(service(), 'production').specs.map((s) => s.reference).slice(0, 1), ['github-token-prod?version=3']);
    assert.equal(selectEnvironment(service(), 'staging').specs[3]!.reference, 'staged?stage=PENDING');
  });
  it('an environment only resolver.yaml lists warns and falls back to the default names', () => {
    const sel = selectEnvironment(service(), 'qa', { declared: ['qa'] });
    assert.equal(sel.environment, 'default');
    assert.match(sel.warnings[0]!, /no environment 'qa' \(known: production, staging\)/);
  });
  it('knownEnvironments collects every per-environment key', () => assert.deepEqual(knownEnvironments(service()), ['production', 'staging']));
  it('two version selectors are a ConfigError', () => {
    const s = service();
    s.secrets.SHORT_FORM = { secret_name: 'a?version=1', version: 2 };
    assert.throws(() => selectEnvironment(s, undefined), (e: ConfigError) => e instanceof ConfigError && /one version selector/.test(e.message));
  });
  it('a malformed reference names the variable and file', () => {
    const s = service();
    s.secrets.SHORT_FORM = 'bad ref';
    assert.throws(() => selectEnvironment(s, undefined), (e: ConfigError) => /github\.json.*secrets\.SHORT_FORM/.test(e.message));
  });
});

describe('loadService', () => {
  let root: string;
  const ctx = () => ({ env: { XDG_CONFIG_HOME: path.join(root, 'config'), VAULTMCP_SYSTEM_CONFIG_DIR: path.join(root, 'etc') }, homeDir: root, cwd: root });
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-services-'));
    await mkdir(path.join(root, 'config/oci-vault-mcp/services'), { recursive: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('built-in template, then a user file shadowing it', async () => {
    assert.equal((await loadService('github', ctx())).source, 'builtin');
    await writeFile(path.join(root, 'config/oci-vault-mcp/services/github.json'), JSON.stringify(DEF));
    const s = await loadService('github', ctx());
    assert.equal(s.source, 'user');
    assert.equal(s.description, 'GitHub MCP server');
  });
  it('a file in the current directory is not picked up by name', async () => {
    await writeFile(path.join(root, 'evil.json'), JSON.stringify(DEF));
    await assert.rejects(loadService('evil', ctx()), (e: UsageError) => e instanceof UsageError && /unknown service 'evil'/.test(e.message));
    assert.equal((await loadService('./evil.json', ctx())).source, 'path');
  });
  it('syntax and schema errors carry file and line:column', async () => {
    const bad = path.join(root, 'bad.yaml');
    await writeFile(bad, 'secrets:\n  A: { secret_name: x }\ntarget_command: npx\n');
    await assert.rejects(loadService(bad, ctx()), (e: ConfigError) => e instanceof ConfigError && e.message.startsWith(`${bad}:3:`));
    await writeFile(bad, '{ "secrets": { "A": "x" ,, } }');
    await assert.rejects(loadService(bad, ctx()), (e: ConfigError) => /malformed service definition/.test(e.message));
  });
});

describe('service schema messages', () => {
  it("are classic zod's (the schema uses zod/mini with zod's English locale); defaults are filled in", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ target_command: [] }, /must name the MCP server command/],
      [{ target_command: 'npx' }, /'target_command' Invalid input: expected array, received string/],
      [{ target_command: ['x'], secrets: { A: { secret_name: 'a', version: 0 } } }, /'secrets\.A\.version' Too small: expected number to be >0/],
      [{ target_command: ['x'], env_overrides: { A: 1 } }, /'env_overrides\.A' Invalid input: expected string, received number/],
      [{ target_command: ['x'], passthrough_env: ['a-b'] }, /must be a variable name or PREFIX_\*/],
      [{ target_command: ['x'], environments: [''] }, /'environments\.0' Too small: expected string to have >=1 characters/],
    ];
    for (const [def, re] of cases) {
      assert.throws(() => parseServiceText(JSON.stringify(def), 'x.json'), (e: ConfigError) => e instanceof ConfigError && re.test(e.message), JSON.stringify(def));
    }
    assert.deepEqual(parseServiceText('{"target_command":["x"]}', 'x.json'), { target_command: ['x'], secrets: {}, env_overrides: {}, passthrough_env: [], environments: [] });
  });
});
