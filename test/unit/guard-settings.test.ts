/**
 * The settings and service-file keys of the leak guard, file secrets and the audit trail: defaults, values, path
 * resolution, and one-line errors for bad values; `--secret-file` and `--leak-guard` on the fast path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/core/config/settings/index.js';
import { parseServiceText } from '../../src/core/config/services/load.js';
import { selectEnvironment } from '../../src/core/config/services/select.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseRunArgv } from '../../src/cli/run-flags.js';

describe('leak_guard, allow_disk_files, audit in resolver.yaml', () => {
  let dir: string;
  const ctx = () => ({ env: { XDG_STATE_HOME: path.join(dir, 'state') }, homeDir: path.join(dir, 'home'), cwd: dir });
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-guard-settings-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: redact, no disk files, the audit file under the state dir', async () => {
    const { settings, sources } = await loadSettings(ctx());
    assert.equal(settings.leak_guard, 'redact');
    assert.equal(settings.allow_disk_files, false);
    assert.deepEqual(settings.audit, { file: path.join(dir, 'state', 'oci-vault-mcp', 'audit.jsonl'), syslog: false, max_bytes: 1048576, keep: 3 });
    assert.equal(sources.leak_guard, 'default');
  });

  it('reads the keys; a relative audit file is relative to the settings file; bad values name the key', async () => {
    const file = path.join(dir, 'r.yaml');
    writeFileSync(file, 'leak_guard: block\nallow_disk_files: true\naudit: { file: logs/a.jsonl, syslog: true, keep: 0 }\n');
    const { settings, sources } = await loadSettings(ctx(), { configFile: file });
    assert.equal(settings.leak_guard, 'block');
    assert.equal(settings.allow_disk_files, true);
    assert.deepEqual(settings.audit, { file: path.join(dir, 'logs', 'a.jsonl'), syslog: true, max_bytes: 1048576, keep: 0 });
    assert.equal(sources.leak_guard, file);
    writeFileSync(file, 'audit: { file: false }\n');
    assert.equal((await loadSettings(ctx(), { configFile: file })).settings.audit?.file, false);
    writeFileSync(file, 'leak_guard: loud\n');
    await assert.rejects(loadSettings(ctx(), { configFile: file }), (e: unknown) => e instanceof ConfigError && /leak_guard/.test(e.message));
  });
});

describe('file, file_mode, file_name, leak_guard in a service file', () => {
  it('becomes a file spec (mode, name) on the secret', () => {
    const text = JSON.stringify({
      leak_guard: 'block',
      secrets: { GOOGLE_APPLICATION_CREDENTIALS: { secret_name: 'gcp', file: true, file_mode: '0400', file_name: 'sa.json' }, K: { secret_name: 'k', file: true }, P: 'plain' },
      target_command: ['x'],
    });
    const file = parseServiceText(text, 's.json');
    assert.equal(file.leak_guard, 'block');
    const sel = selectEnvironment({ ...file, name: 's', origin: 's.json', source: 'path' }, undefined);
    assert.deepEqual(sel.specs.map((s) => s.file), [{ mode: 0o400, name: 'sa.json' }, { mode: 0o600, name: 'K' }, undefined]);
  });

  it('refuses group/other modes and file names with a path', () => {
    for (const bad of [{ file_mode: '0644' }, { file_name: '../x' }, { file_name: 'a/b' }]) {
      const text = JSON.stringify({ secrets: { A: { secret_name: 'a', file: true, ...bad } }, target_command: ['x'] });
      assert.throws(() => parseServiceText(text, 's.json'), ConfigError, JSON.stringify(bad));
    }
  });
});

describe('run flags', () => {
  it('--leak-guard and repeated --secret-file parse on the fast path', () => {
    const req = parseRunArgv(['svc', '--leak-guard', 'block', '--secret-file', 'A=a', '--secret-file', 'B=oci-vault://ocid1.vault.oc1..x/b']);
    assert.equal(req?.leakGuard, 'block');
    assert.deepEqual(req?.secretFiles, ['A=a', 'B=oci-vault://ocid1.vault.oc1..x/b']);
  });
});
