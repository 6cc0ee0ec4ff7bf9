/** resolver.yaml loading: sources, priority, env overrides, legacy keys, errors (src/core/settings). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { loadSettings } from '../../src/core/config/settings/index.js';

describe('loadSettings', () => {
  let root: string;
  const ctx = (env: NodeJS.ProcessEnv = {}) => ({
    env: { XDG_CONFIG_HOME: path.join(root, 'config'), XDG_CACHE_HOME: path.join(root, 'cache'), VAULTMCP_SYSTEM_CONFIG_DIR: path.join(root, 'etc'), ...env },
    homeDir: root,
    cwd: path.join(root, 'cwd'),
  });
  const userFile = () => path.join(root, 'config/oci-vault-mcp/resolver.yaml');
  const systemFile = () => path.join(root, 'etc/resolver.yaml');
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-settings-'));
    await mkdir(path.join(root, 'config/oci-vault-mcp'), { recursive: true });
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'cwd'), { recursive: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('defaults with no file; cache dir under XDG_CACHE_HOME', async () => {
    await rm(userFile(), { force: true });
    await rm(systemFile(), { force: true });
    const { settings, sources } = await loadSettings(ctx());
    assert.deepEqual(settings.resilience, { timeout_ms: 5000, retries: 3, breaker_threshold: 5, breaker_reset_ms: 60000, concurrency: 8, deadline_ms: 8000 });
    assert.deepEqual({ ...settings.cache, dir: undefined }, { enabled: true, dir: undefined, ttl: 3600, max_stale: 86400 });
    assert.equal(settings.cache.dir, path.join(root, 'cache/oci-vault-mcp'));
    assert.equal(sources['cache.ttl'], 'default');
  });

  it('relative paths in a file are relative to that file; in the environment, to the working directory', async () => {
    await rm(userFile(), { force: true });
    await rm(systemFile(), { force: true });
    const dir = path.join(root, 'project');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'resolver.yaml');
    await writeFile(file, 'auth: { config_file: keys/oci-config }\ncache: { dir: ./cache }\n');
    const { settings } = await loadSettings(ctx(), { configFile: file });
    assert.equal(settings.auth.config_file, path.join(dir, 'keys/oci-config'));
    assert.equal(settings.cache.dir, path.join(dir, 'cache'));
    const fromEnv = await loadSettings(ctx({ OCI_CONFIG_FILE: 'rel/config' }));
    assert.equal(fromEnv.settings.auth.config_file, path.join(root, 'cwd/rel/config'));
  });

  it('warns when vault.endpoint is plain http to a host other than this machine', async () => {
    const file = path.join(root, 'endpoint.yaml');
    await writeFile(file, 'vault: { endpoint: "http://10.1.2.3:9443" }\n');
    const remote = await loadSettings(ctx(), { configFile: file });
    assert.equal(remote.warnings.length, 1);
    assert.match(remote.warnings[0]!, /plain http .* use https/);
    for (const ok of ['http://127.0.0.1:9443', 'http://localhost:1', 'http://[::1]:2', 'https://vault.example.com']) {
      await writeFile(file, `vault: { endpoint: "${ok}" }\n`);
      assert.deepEqual((await loadSettings(ctx(), { configFile: file })).warnings, [], ok);
    }
  });

  it('a YAML syntax error names file and line:column', async () => {
    const file = path.join(root, 'broken.yaml');
    await writeFile(file, 'vault:\n  region: [unclosed\n');
    await assert.rejects(loadSettings(ctx(), { configFile: file }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML`));
      return true;
    });
  });

  it('priority: --config > env > user > system; sources say who set what', async () => {
    await writeFile(systemFile(), 'cache: { ttl: 10, max_stale: 20 }\nresilience: { retries: 1 }\n');
    await writeFile(userFile(), 'cache: { ttl: 30 }\nvault: { vault_id: ocid1.vault.oc1.iad.user }\n');
    const explicit = path.join(root, 'explicit.yaml');
    await writeFile(explicit, 'vault: { region: eu-frankfurt-1 }\n');
    const { settings, sources, files } = await loadSettings(ctx({ OCI_VAULT_ID: 'ocid1.vault.oc1.iad.env', OCI_VAULT_CACHE_TTL: '99' }), { configFile: explicit });
    assert.equal(settings.vault.vault_id, 'ocid1.vault.oc1.iad.env');
    assert.equal(settings.vault.region, 'eu-frankfurt-1');
    assert.equal(settings.cache.ttl, 99);
    assert.equal(settings.cache.max_stale, 20);
    assert.equal(settings.resilience.retries, 1);
    assert.equal(sources['vault.vault_id'], 'env OCI_VAULT_ID');
    assert.equal(sources['cache.max_stale'], systemFile());
    assert.equal(sources['vault.region'], explicit);
    assert.deepEqual(files, [explicit, userFile(), systemFile()]);
  });

  it('a resolver.yaml in the current directory is not read', async () => {
    await writeFile(path.join(root, 'cwd/resolver.yaml'), 'vault: { endpoint: "http://evil.example" }\n');
    const { settings } = await loadSettings(ctx());
    assert.equal(settings.vault.endpoint, undefined);
  });

  it('legacy prototype keys are mapped; unused ones warn', async () => {
    await writeFile(userFile(), 'cache: { directory: ~/c, enable_stale_fallback: true }\nresilience: { max_retries: 2, circuit_breaker_threshold: 7 }\n');
    const { settings, warnings } = await loadSettings(ctx());
    assert.equal(settings.cache.dir, path.join(root, 'c'));
    assert.equal(settings.resilience.retries, 2);
    assert.equal(settings.resilience.breaker_threshold, 7);
    assert.match(warnings.join('\n'), /enable_stale_fallback/);
  });

  it('errors name the file and key, or line:column', async () => {
    await writeFile(userFile(), 'cache: { tll: 5 }\n');
    await assert.rejects(loadSettings(ctx()), (e: ConfigError) => e instanceof ConfigError && e.exitCode === 2 && e.message.includes(userFile()) && /cache\.tll/.test(e.message));
    await writeFile(userFile(), 'resilience: { timeout_ms: 10 }\n');
    await assert.rejects(loadSettings(ctx()), /timeout_ms/);
    await writeFile(userFile(), 'vault: [unclosed\n');
    await assert.rejects(loadSettings(ctx()), (e: ConfigError) => e instanceof ConfigError && /invalid YAML/.test(e.message));
    await rm(userFile());
    await assert.rejects(loadSettings(ctx({ OCI_VAULT_CACHE_TTL: 'soon' })), /whole number of seconds/);
    await assert.rejects(loadSettings(ctx(), { configFile: path.join(root, 'missing.yaml') }), /file not found/);
  });

  it('files are read at once but checked in priority order: the first problem is the one reported', async () => {
    const config = path.join(root, 'bad-config.yaml');
    await writeFile(config, 'cache: { ttl: -1 }\n');
    await writeFile(userFile(), 'vault: [unclosed\n');
    await writeFile(systemFile(), 'cache: { nope: 1 }\n');
    await assert.rejects(loadSettings(ctx(), { configFile: config }), (e: ConfigError) => e.message.includes(config) && /cache\.ttl/.test(e.message));
    // the environment sits between --config and the user file
    await writeFile(config, 'cache: { ttl: 5 }\n');
    await assert.rejects(loadSettings(ctx({ OCI_VAULT_CACHE_TTL: 'soon' }), { configFile: config }), /whole number of seconds/);
    await assert.rejects(loadSettings(ctx(), { configFile: config }), (e: ConfigError) => e.message.includes(userFile()) && /invalid YAML/.test(e.message));
    await rm(userFile());
    await assert.rejects(loadSettings(ctx(), { configFile: config }), (e: ConfigError) => e.message.includes(systemFile()) && /nope/.test(e.message));
    await rm(systemFile());
    const { files, sources } = await loadSettings(ctx({ OCI_VAULT_CACHE_TTL: '7' }), { configFile: config });
    assert.deepEqual(files, [config]);
    assert.equal(sources['cache.ttl'], config);
  });

  it("messages are classic zod's (the schema uses zod/mini with zod's English locale)", async () => {
    const cases: Array<[string, RegExp]> = [
      ['cache: { ttl: "5" }', /'cache\.ttl' Invalid input: expected number, received string/],
      ['cache: { ttl: 1.5 }', /'cache\.ttl' Invalid input: expected int, received number/],
      ['resilience: { retries: 11 }', /'resilience\.retries' Too big: expected number to be <=10/],
      ['resilience: { concurrency: 0 }', /'resilience\.concurrency' Too small: expected number to be >=1/],
      ['auth: { method: password }', /'auth\.method' Invalid option: expected one of "api_key"\|"session_token"/],
      ['auth: { profile: "" }', /'auth\.profile' Too small: expected string to have >=1 characters/],
      ['vault: { endpoint: "ftp://x" }', /must be an http\(s\) URL/],
      ['vault: 5', /'vault' Invalid input: expected object, received number/],
    ];
    for (const [text, re] of cases) {
      await writeFile(userFile(), text + '\n');
      await assert.rejects(loadSettings(ctx()), (e: ConfigError) => e instanceof ConfigError && re.test(e.message), text);
    }
    await rm(userFile());
  });
});
