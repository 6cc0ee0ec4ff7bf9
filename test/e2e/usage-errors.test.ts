/**
 * Usage mistakes against the BUILT binary: each gives exactly one `Error:` line that names what to fix, one
 * `Try:` line (the failing command's own help for parse errors), exit 2, nothing on stdout, no stack trace.
 * Also: no settings at all (first run before `setup`) and a wrong --config path on commands that read no settings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBinary } from '../helpers/binary.js';

const cases: Array<{ argv: string[]; error: RegExp; hint: string }> = [
  { argv: ['run'], error: /^missing argument SERVICE \(service name or path to a service file\)$/, hint: 'docker vaultmcp run --help' },
  { argv: ['secret', 'get'], error: /^missing argument SECRET \(/, hint: 'docker vaultmcp secret get --help' },
  // strict:false commands: oclif's note about multi-value flags is dropped
  { argv: ['secret', 'upload'], error: /^missing argument NAME \(secret name: [^)]*\)\)?$/, hint: 'docker vaultmcp secret upload --help' },
  { argv: ['secret', 'delete', 'x', '--days', '0'], error: /^--days: expected an integer greater than or equal to 1, got '0'$/, hint: 'docker vaultmcp secret delete --help' },
  { argv: ['secret', 'delete', 'x', '--days', '31'], error: /^--days: expected an integer less than or equal to 30, got '31'$/, hint: 'docker vaultmcp secret delete --help' },
  { argv: ['secret', 'get', 'x', '--version', 'abc'], error: /^--version: expected an integer, got 'abc'$/, hint: 'docker vaultmcp secret get --help' },
  { argv: ['secret', 'get', 'x', '--stage', 'bogus'], error: /^--stage: 'bogus' is not one of CURRENT, PENDING, PREVIOUS, LATEST, DEPRECATED$/, hint: 'docker vaultmcp secret get --help' },
  { argv: ['secret', 'get', 'x', '--version', '1', '--stage', 'CURRENT'], error: /^--(version|stage) and --(version|stage) cannot be used together$/, hint: 'docker vaultmcp secret get --help' },
  { argv: ['secret', 'versions', 'a', 'b'], error: /^unexpected argument b$/, hint: 'docker vaultmcp secret versions --help' },
  { argv: ['secret', 'delete', 'x', '--days'], error: /^--days needs a value$/, hint: 'docker vaultmcp secret delete --help' },
  { argv: ['help', 'nope'], error: /^unknown command 'nope'$/, hint: 'docker vaultmcp --help' },
  { argv: ['cache', 'status', '--bogus'], error: /^unknown flag --bogus$/, hint: 'docker vaultmcp cache status --help' },
  { argv: ['run', 'everything', '--json'], error: /^--json only applies with --test \(stdout belongs to the MCP server\)$/, hint: 'use `run SERVICE --test --json`, or drop --json' },
  { argv: ['doctor', '--timeout-ms', 'abc'], error: /^--timeout-ms: expected an integer, got 'abc'$/, hint: 'docker vaultmcp doctor --help' },
];

describe('usage errors (built binary)', () => {
  for (const c of cases) {
    it(c.argv.join(' '), async () => {
      const r = await runBinary(c.argv);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n');
      assert.equal(lines.length, 3, r.stderr); // Error, Try, and the final newline
      assert.match(lines[0]!.replace(/^Error: /, ''), c.error);
      assert.ok(lines[0]!.startsWith('Error: '), r.stderr);
      assert.equal(lines[1], `  Try: ${c.hint}`);
      assert.doesNotMatch(r.stderr, /See more help|Note: --/);
    });
  }

  for (const argv of [['secret', 'list'], ['secret', 'get', 'github-token'], ['secret', 'versions', 'github-token'], ['secret', 'delete', 'x', '--yes'], ['secret', 'rotate', 'x', '--generate', '20']]) {
    it(`no settings at all: ${argv.join(' ')} says no vault is configured and names setup (exit 2)`, async () => {
      const r = await runBinary(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.stderr,
        'Error: no vault is configured: vault.vault_id and vault.compartment_id are not set\n' +
          '  Try: run `docker vaultmcp setup`, pass --config FILE or --vault-id OCID --compartment-id OCID, or set OCI_VAULT_ID and OCI_VAULT_COMPARTMENT_ID\n',
      );
    });
  }

  it('no settings at all: secret upload says no vault is configured before reading anything else', async () => {
    const r = await runBinary(['secret', 'upload', 'x'], { input: 'value' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Error: no vault is configured/);
  });

  it('no settings, but a secret OCID: not refused for lack of a vault (the OCID names it)', async () => {
    const r = await runBinary(['secret', 'get', 'ocid1.vaultsecret.oc1.iad.abc']);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /no vault is configured/);
  });

  for (const argv of [['service', 'list'], ['service', 'show', 'github'], ['cache', 'status'], ['cache', 'clear']]) {
    it(`${argv.join(' ')} --config with a wrong path fails (exit 2) instead of being ignored`, async () => {
      const r = await runBinary([...argv, '--config', '/no/such/resolver.yaml']);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^Error: \/no\/such\/resolver\.yaml: file not found\n {2}Try: /);
    });
  }

  it('cache clear SERVICE without the cache key: the reason in the error, the fix in the hint', async () => {
    const r = await runBinary(['cache', 'clear', 'github'], { env: { VAULTMCP_CACHE_KEY: undefined, DBUS_SESSION_BUS_ADDRESS: undefined } });
    assert.equal(r.code, 2, r.stderr);
    const [error, hint, rest] = r.stderr.split('\n');
    assert.match(error!, /^Error: cannot find the cache entries of 'github' without the cache key: \S/);
    assert.doesNotMatch(error!, /To enable it|disk cache off/);
    assert.match(hint!, /^ {2}Try: .*VAULTMCP_CACHE_KEY.*; or run `docker vaultmcp cache clear` without a service, which removes every entry and needs no key$/);
    assert.equal(rest, '');
  });

  it('cache clear --json is pretty-printed JSON like every other command', async () => {
    const r = await runBinary(['cache', 'clear', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { scope: string; removed: number };
    assert.equal(out.scope, 'all');
    assert.equal(r.stdout, JSON.stringify(out, null, 2) + '\n');
  });
});

describe('dev vault --state-dir (built binary)', () => {
  it('refuses a directory with files it did not create (e.g. ~/.oci): exit 2, nothing overwritten', async () => {
    const { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-foreign-oci-'));
    try {
      writeFileSync(path.join(dir, 'config'), '[DEFAULT]\nuser=ocid1.user.oc1..mine\n');
      const r = await runBinary(['dev', 'vault', '--port', '0', '--state-dir', dir]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^Error: --state-dir .* is not an emulator state directory and already holds config, which the emulator would overwrite\n {2}Try: pass a new or empty directory/);
      assert.equal(readFileSync(path.join(dir, 'config'), 'utf8'), '[DEFAULT]\nuser=ocid1.user.oc1..mine\n');
      assert.deepEqual(readdirSync(dir), ['config']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
