/** `--env` rules (issue 10 §1–2): the README's example agrees with the templates; unknown environments are errors. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { loadService, selectEnvironment } from '../../src/core/config/services/index.js';
import { loadSettings } from '../../src/core/config/settings/index.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('README example and the github template', () => {
  it('every `run github [--env E]` in the README resolves only names the README says to upload', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const uploaded = new Set([...readme.matchAll(/secret upload ([a-z0-9._-]+)/g)].map((m) => m[1]!));
    const runs = [
      ...[...readme.matchAll(/vaultmcp run github(?: (?:--env|-e) ([a-z0-9_-]+))?/g)].map((m) => m[1]),
      ...[...readme.matchAll(/"vaultmcp", "run", "github"(?:, "--env", "([a-z0-9_-]+)")?/g)].map((m) => m[1]),
    ];
    assert.ok(runs.length >= 2, 'the README shows run github');
    const ctx = { env: {}, homeDir: os.tmpdir(), cwd: root };
    const github = await loadService('github', ctx as never);
    for (const env of runs) {
      for (const spec of selectEnvironment(github, env).specs) {
        assert.ok(uploaded.has(spec.reference), `run github${env ? ` --env ${env}` : ''} needs '${spec.reference}', which the README never uploads`);
      }
    }
    // the very first example: upload a name, then run exactly as written
    const first = /secret upload ([a-z0-9._-]+)/.exec(readme)![1]!;
    const firstRun = /```sh\ndocker vaultmcp run github(?: --env (\S+))?\n```/.exec(readme);
    assert.ok(firstRun, 'the first example is a run command');
    assert.deepEqual(selectEnvironment(github, firstRun[1]).specs.map((s) => s.reference), [first]);
  });
});

describe('unknown environments', () => {
  const ctx = { env: {}, homeDir: os.tmpdir(), cwd: root };
  it('a typo is a usage error naming the known environments and the closest match', async () => {
    const github = await loadService('github', ctx as never);
    assert.throws(
      () => selectEnvironment(github, 'prodution'),
      (e: Error) => e instanceof UsageError && e.exitCode === 2 && /unknown environment 'prodution'.*known: default, production.*did you mean 'production'/.test(e.message) && e.hint === '--env production',
    );
  });
  it('no suggestion when nothing is close', async () => {
    const github = await loadService('github', ctx as never);
    assert.throws(() => selectEnvironment(github, 'zzzzzzzz'), (e: Error) => e instanceof UsageError && !/did you mean/.test(e.message) && /environments:/.test(e.hint!));
  });
  it('a name listed in settings `environments:` keeps the fallback with a warning', async () => {
    const github = await loadService('github', ctx as never);
    const sel = selectEnvironment(github, 'staging', { declared: ['staging'] });
    assert.deepEqual(sel.specs.map((s) => s.reference), ['github-token']);
    assert.match(sel.warnings[0]!, /no environment 'staging'.*default secret names/);
  });
});

describe('settings environments:', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'vmcp-envs-'))));
  after(() => rm(dir, { recursive: true, force: true }));
  it('a list is loaded, with its source', async () => {
    const file = path.join(dir, 'a.yaml');
    await writeFile(file, 'environments: [staging, qa]\n');
    const loaded = await loadSettings({ env: {}, homeDir: dir, cwd: dir }, { configFile: file });
    assert.deepEqual(loaded.settings.environments, ['staging', 'qa']);
    assert.equal(loaded.sources.environments, file);
  });
  it("the prototype's mapping form keeps its names, with a warning", async () => {
    const file = path.join(dir, 'b.yaml');
    await writeFile(file, 'environments:\n  production: { cache: { ttl: 10 } }\n');
    const loaded = await loadSettings({ env: {}, homeDir: dir, cwd: dir }, { configFile: file });
    assert.deepEqual(loaded.settings.environments, ['production']);
    assert.match(loaded.warnings.join('\n'), /only the names of 'environments' are used/);
  });
  it('a bad name is a config error', async () => {
    const file = path.join(dir, 'c.yaml');
    await writeFile(file, 'environments: ["no spaces"]\n');
    await assert.rejects(loadSettings({ env: {}, homeDir: dir, cwd: dir }, { configFile: file }), /environments/);
  });
});
