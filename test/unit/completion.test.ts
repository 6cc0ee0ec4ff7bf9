/**
 * Shell completion (issue 10 §10): commands, flags, services, a service's environments, secret names from the cache's
 * metadata (never values), in cobra's wire format that docker relays.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { complete, formatCompletion, processSources, type CompletionSources } from '../../src/cli/completion.js';
import type { AppContext } from '../../src/core/context.js';
import { loadSettings } from '../../src/core/config/settings/index.js';
import { openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';

const fake: CompletionSources = {
  services: async () => [{ name: 'github', description: 'GitHub MCP server' }, { name: 'gitlab' }, { name: 'everything' }],
  environments: async (service) => (service === 'github' ? ['default', 'production', 'staging'] : ['default']),
  secretNames: async () => ['github-token', 'github-token-prod', 'db-password'],
};
const values = async (...words: string[]) => (await complete(words, COMMANDS, fake)).candidates.map((c) => c.value);

describe('complete', () => {
  it('command and topic names', async () => {
    assert.deepEqual(await values('se'), ['secret', 'serve', 'service', 'setup']);
    assert.deepEqual(await values('secret', 'l'), ['list']);
  });
  it('flags of the command, with descriptions, once each unless repeatable', async () => {
    const c = await complete(['run', 'github', '--te'], COMMANDS, fake);
    assert.deepEqual(c.candidates.map((x) => x.value), ['--test']);
    assert.match(c.candidates[0]!.description!, /without start/);
    assert.ok(!(await values('run', 'github', '--test', '--')).includes('--test'), 'a used flag is not offered again');
    assert.ok((await values('doctor', '--service', 'github', '--')).includes('--service'), 'repeatable flags are');
  });
  it('service names for run, service show, cache clear, doctor --service, rotate --verify', async () => {
    assert.deepEqual(await values('run', 'git'), ['github', 'gitlab']);
    assert.deepEqual(await values('service', 'show', ''), ['github', 'gitlab', 'everything']);
    assert.deepEqual(await values('cache', 'clear', 'e'), ['everything']);
    assert.deepEqual(await values('doctor', '-s', 'gi'), ['github', 'gitlab']);
    assert.deepEqual(await values('secret', 'rotate', 'x', '--verify', 'ev'), ['everything']);
  });
  it("environments of the service on the line (--env, -e, --env=)", async () => {
    assert.deepEqual(await values('run', 'github', '--env', ''), ['default', 'production', 'staging']);
    assert.deepEqual(await values('run', 'github', '-e', 'pr'), ['production']);
    assert.deepEqual(await values('run', 'github', '--env=st'), ['--env=staging']);
    assert.deepEqual(await values('service', 'show', 'everything', '--env', ''), ['default']);
  });
  it('secret names for the secret commands; stages any case', async () => {
    assert.deepEqual(await values('secret', 'get', 'github'), ['github-token', 'github-token-prod']);
    assert.deepEqual(await values('secret', 'versions', ''), ['github-token', 'github-token-prod', 'db-password']);
    assert.deepEqual(await values('secret', 'get', 'x', '--stage', 'pre'), ['PREVIOUS']);
  });
  it('files where a flag takes a path; nothing after `--` but files', async () => {
    assert.equal((await complete(['run', 'github', '--config', ''], COMMANDS, fake)).directive, 0);
    assert.equal((await complete(['run', 'github', '--', ''], COMMANDS, fake)).directive, 0);
    assert.equal((await complete(['secret', 'get', 'x', ''], COMMANDS, fake)).directive, 4, 'no second positional');
  });
  it("cobra's wire format", () => {
    assert.equal(formatCompletion({ candidates: [{ value: 'a', description: 'one\ntwo' }, { value: 'b' }], directive: 4 }), 'a\tone two\nb\n:4\n');
  });
});

describe('processSources', () => {
  let home: string;
  let ctx: AppContext;
  const key = randomBytes(32).toString('base64');
  const VALUE = 'value-that-must-never-be-completed-0123';
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-complete-'));
    await mkdir(path.join(home, 'config', 'oci-vault-mcp', 'services'), { recursive: true });
    await writeFile(path.join(home, 'config', 'oci-vault-mcp', 'resolver.yaml'),
      `vault: { vault_id: ocid1.vault.oc1.us-ashburn-1.abc, endpoint: http://127.0.0.1:9 }\ncache: { dir: ${path.join(home, 'cache')} }\nenvironments: [qa]\n`);
    await writeFile(path.join(home, 'config', 'oci-vault-mcp', 'services', 'mine.json'),
      JSON.stringify({ description: 'my server', secrets: { K: { secret_name: 'k', environment: { staging: 'k-stg' } } }, target_command: ['true'] }));
    ctx = { env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), VAULTMCP_CACHE_KEY: key, VAULTMCP_SYSTEM_CONFIG_DIR: path.join(home, 'etc') }, cwd: home, homeDir: home, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: Date.now };
    // two cached secrets, as `run` would have left them
    const { settings } = await loadSettings(ctx);
    const { cache } = await openSecretCacheDetailed(settings, ctx);
    for (const name of ['cached-one', 'cached-two']) {
      await cache!.put(parseSecretRef(name), { value: VALUE, secretId: `ocid1.vaultsecret.oc1..${name}`, versionNumber: 1, name });
    }
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('services: user definitions and the built-in templates', async () => {
    const names = (await processSources(ctx).services()).map((s) => s.name);
    assert.ok(names.includes('mine') && names.includes('github'), names.join(','));
  });
  it("environments: the service's and settings' environments:", async () => {
    assert.deepEqual(await processSources(ctx).environments('mine'), ['default', 'staging', 'qa']);
  });
  it('secret names from the cache, never a value', async () => {
    const c = await complete(['secret', 'get', ''], COMMANDS, processSources(ctx));
    assert.deepEqual(c.candidates.map((x) => x.value), ['cached-one', 'cached-two']);
    assert.ok(!formatCompletion(c).includes(VALUE));
  });
});
