/** Unit tests of doctor's runner, report shape, text/JSON twins, the stdout tap, and setup's pure helpers. */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { doctorExitCode, doctorReportSchema, runChecks, summarize, type DoctorCheck } from '../../src/app/doctor/index.js';
import { probeMcpServer } from '../../src/core/mcp/probe.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  appendOciProfile,
  backupPath,
  keyFingerprint,
  parseOciConfig,
  renderResolverYaml,
  writeResolverYaml,
} from '../../src/app/setup/index.js';
import { formatReportJson, formatReportText } from '../../src/ui/doctor/text.js';
import { deferred } from '../helpers/wait.js';

const FIXTURE = path.join(import.meta.dirname, '..', 'integration', 'doctor-fixtures', 'mcp-server.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-doctor-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('runChecks', () => {
  /** A passing check; with `gate`, it passes only once the gate opens. */
  const ok = (id: string, needs?: string[], gate?: () => Promise<void>): DoctorCheck => ({
    id,
    title: id,
    needs,
    run: async () => {
      await gate?.();
      return { status: 'pass', detail: `${id} ok` };
    },
  });

  test('runs independent checks concurrently and keeps the declared order', async () => {
    // the gate opens only when all three run at the same time: run one after another, each would time out
    const allStarted = deferred();
    let started = 0;
    const gate = () => {
      if (++started === 3) allStarted.resolve();
      return allStarted.promise;
    };
    const results = await runChecks([ok('a', [], gate), ok('b', [], gate), ok('c', [], gate)], { timeoutMs: 1000 });
    assert.deepEqual(results.map((r) => r.id), ['a', 'b', 'c']);
    assert.ok(results.every((r) => r.status === 'pass' && r.hint === '' && Number.isInteger(r.ms)));
  });

  test('a check that needs a failed one is skipped with the reason; runAfterFailure still runs', async () => {
    const failing: DoctorCheck = { id: 'base', title: 'base', run: async () => ({ status: 'fail', detail: 'broken', hint: 'fix it' }) };
    const results = await runChecks([failing, ok('dep', ['base']), { ...ok('always', ['base']), runAfterFailure: true }], { timeoutMs: 1000 });
    assert.equal(results[1]!.status, 'skip');
    assert.match(results[1]!.detail, /'base' did not pass/);
    assert.equal(results[2]!.status, 'pass');
  });

  test('time limit: a hanging check fails with "timed out" and its signal fires', async () => {
    let aborted = false;
    const hang: DoctorCheck = {
      id: 'hang',
      title: 'hang',
      run: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const [r] = await runChecks([hang], { timeoutMs: 100 });
    assert.equal(r!.status, 'fail');
    assert.match(r!.detail, /timed out after 100 ms/);
    assert.ok(aborted);
  });

  test('thrown errors: ours keep message + hint, foreign ones only their class', async () => {
    const results = await runChecks(
      [
        { id: 'ours', title: 'ours', run: async () => { throw new ConfigError('bad thing', { hint: 'do this' }); } },
        { id: 'foreign', title: 'foreign', run: async () => { throw new Error('Authorization: Signature keyId="secret"'); } },
      ],
      { timeoutMs: 1000 },
    );
    assert.deepEqual([results[0]!.detail, results[0]!.hint], ['bad thing', 'do this']);
    assert.equal(results[1]!.status, 'fail');
    assert.ok(!results[1]!.detail.includes('Signature'));
  });

  test('onStart/onResult are called for every check', async () => {
    const started: string[] = [];
    const done: string[] = [];
    await runChecks([ok('a'), ok('b', ['a'])], { timeoutMs: 1000, onStart: (id) => started.push(id), onResult: (r) => done.push(r.id) });
    assert.deepEqual(started, ['a', 'b']);
    assert.deepEqual(done, ['a', 'b']);
  });
});

describe('report shape and twins', () => {
  const report = summarize(
    [
      { id: 'a', title: 'A', status: 'pass', detail: 'fine', hint: '', ms: 3 },
      { id: 'b', title: 'B', status: 'fail', detail: 'broken', hint: 'chmod 600 x', ms: 4 },
      { id: 'c', title: 'C', status: 'skip', detail: 'skipped', hint: '', ms: 0 },
    ],
    12.4,
  );

  test('summary counts and exit code', () => {
    assert.deepEqual(report.summary, { pass: 1, warn: 0, fail: 1, skip: 1, ms: 12 });
    assert.equal(doctorExitCode(report), 1);
    assert.equal(doctorExitCode(summarize([report.checks[0]!], 1)), 0);
  });

  test('JSON twin is exactly the documented shape', () => {
    const text = formatReportJson(report);
    assert.ok(text.endsWith('\n') && !text.slice(0, -1).includes('\n'));
    const parsed = JSON.parse(text);
    doctorReportSchema.parse(parsed);
    assert.deepEqual(Object.keys(parsed), ['checks', 'summary']);
    assert.deepEqual(Object.keys(parsed.checks[0]), ['id', 'title', 'status', 'detail', 'hint', 'ms']);
    assert.throws(() => doctorReportSchema.parse({ ...parsed, extra: 1 }));
    assert.throws(() => doctorReportSchema.parse({ ...parsed, checks: [{ ...parsed.checks[0], status: 'ok' }] }));
  });

  test('plain-text twin: one block per check, fix lines for failures, summary', () => {
    const text = formatReportText(report);
    assert.match(text, /^PASS {2}a {2}A {2}\(3 ms\)$/m);
    assert.match(text, /^FAIL {2}b {2}B {2}\(4 ms\)\n {6}broken\n {6}fix: chmod 600 x$/m);
    assert.match(text, /1 passed, 0 warnings, 1 failed, 1 skipped in 12 ms\n$/);
  });
});

describe('MCP handshake stdout tap', () => {
  test('a clean server: tool count and server info', async () => {
    const r = await probeMcpServer({ file: process.execPath, args: [FIXTURE], env: { PATH: process.env.PATH ?? '' }, cwd: tmp }, { secretValues: [], clientVersion: '0.0.0' });
    assert.equal(r.toolCount, 2);
    assert.equal(r.serverName, 'doctor-fixture');
    assert.equal(r.banner, undefined);
  });

  test('a banner line is caught, truncated and masked', async () => {
    const secret = 'supersecretvalue-123456';
    const r = await probeMcpServer(
      { file: process.execPath, args: [FIXTURE], env: { PATH: process.env.PATH ?? '', FIXTURE_BANNER: `token is ${secret} ${'y'.repeat(200)}` }, cwd: tmp },
      { secretValues: [secret], clientVersion: '0.0.0' },
    );
    assert.ok(r.banner);
    assert.ok(!r.banner!.includes(secret));
    assert.ok(r.banner!.length <= 80);
  });

  test('a server that exits at once: our own message', async () => {
    await assert.rejects(
      probeMcpServer({ file: process.execPath, args: ['-e', 'process.exit(3)'], env: {}, cwd: tmp }, { secretValues: [], clientVersion: '0', signal: AbortSignal.timeout(5000) }),
      /: the server exited before answering initialize \(exit code 3\)$/,
    );
  });
});

describe('setup helpers', () => {
  test('keyFingerprint = MD5 of DER SPKI as colon hex; encrypted keys need the passphrase', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const expected = createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g)!.join(':');
    assert.equal(keyFingerprint(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), expected);
    assert.equal(keyFingerprint(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), expected);
    const enc = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    assert.equal(keyFingerprint(enc, 'pw'), expected);
    assert.throws(() => keyFingerprint(enc), /encrypted and no passphrase/);
    assert.throws(() => keyFingerprint(enc, 'nope'), /wrong passphrase/);
    assert.throws(() => keyFingerprint('not a key'), ConfigError);
  });

  test('parseOciConfig: profiles with DEFAULT fallback and ~ expansion', () => {
    const profiles = parseOciConfig('[DEFAULT]\nregion=eu-frankfurt-1\nkey_file=~/.oci/k.pem\n# c\n[DEV]\nuser=u\npass_phrase=x\n', '/home/me');
    assert.deepEqual(profiles.map((p) => p.name), ['DEFAULT', 'DEV']);
    assert.equal(profiles[1]!.region, 'eu-frankfurt-1');
    assert.equal(profiles[1]!.keyFile, '/home/me/.oci/k.pem');
    assert.equal(profiles[1]!.hasPassphrase, true);
  });

  test('appendOciProfile: appends, never replaces an existing profile, mode 0600', async () => {
    const file = path.join(tmp, 'oci', 'config');
    const p = { tenancy: 'ocid1.tenancy.oc1..t', user: 'ocid1.user.oc1..u', fingerprint: 'aa:bb', keyFile: '/k.pem', region: 'eu-frankfurt-1' };
    await appendOciProfile(file, 'DEFAULT', p, tmp);
    await appendOciProfile(file, 'SECOND', p, tmp);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\[DEFAULT\]\nuser=ocid1\.user\.oc1\.\.u\n/);
    assert.match(text, /\n\n\[SECOND\]\n/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await assert.rejects(appendOciProfile(file, 'SECOND', { ...p, user: 'ocid1.user.oc1..other' }, tmp), /already exists/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  const answers = {
    configFile: '/home/me/.oci/config',
    profile: 'DEFAULT',
    authMethod: 'api_key' as const,
    region: 'eu-frankfurt-1',
    compartmentId: 'ocid1.compartment.oc1..aaaa',
    vaultId: 'ocid1.vault.oc1.eu-frankfurt-1.bbbb',
    keyId: 'ocid1.key.oc1.eu-frankfurt-1.cccc',
  };

  test('renderResolverYaml: a valid file; existing sections and comments kept; stale endpoint removed', () => {
    const fresh = parseYaml(renderResolverYaml(answers));
    assert.deepEqual(fresh.vault, { region: 'eu-frankfurt-1', vault_id: answers.vaultId, compartment_id: answers.compartmentId, key_id: answers.keyId });
    assert.deepEqual(fresh.auth, { method: 'api_key', config_file: '/home/me/.oci/config', profile: 'DEFAULT' });
    const existing = '# my settings\nvault:\n  vault_id: ocid1.vault.oc1.x.old\n  endpoint: http://127.0.0.1:9443\ncache:\n  ttl: 60 # short\n';
    const merged = renderResolverYaml(answers, existing);
    assert.match(merged, /# my settings/);
    assert.match(merged, /ttl: 60 # short/);
    const doc = parseYaml(merged);
    assert.equal(doc.vault.vault_id, answers.vaultId);
    assert.equal(doc.vault.endpoint, undefined);
    assert.equal(parseYaml(renderResolverYaml({ ...answers, endpoint: 'http://127.0.0.1:1234/' })).vault.endpoint, 'http://127.0.0.1:1234');
    assert.throws(() => renderResolverYaml({ ...answers, vaultId: 'not-an-ocid' }), ConfigError);
  });

  test('writeResolverYaml: atomic 0600 write, backup of an existing file', async () => {
    const dir = path.join(tmp, 'cfg', 'oci-vault-mcp');
    const file = path.join(dir, 'resolver.yaml');
    const first = await writeResolverYaml(file, 'vault: {}\n');
    assert.equal(first.backup, undefined);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const now = new Date('2026-11-24T05:06:07.890Z');
    const second = await writeResolverYaml(file, 'auth: {}\n', now);
    assert.equal(second.backup, `${file}.bak-20261124T050607Z`);
    assert.equal(backupPath(file, now), second.backup);
    assert.equal(readFileSync(second.backup!, 'utf8'), 'vault: {}\n');
    assert.equal(readFileSync(file, 'utf8'), 'auth: {}\n');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  test('writeResolverYaml: an unwritable directory is a ConfigError', async () => {
    const ro = path.join(tmp, 'ro');
    writeFileSync(ro, 'file, not a dir');
    await assert.rejects(writeResolverYaml(path.join(ro, 'resolver.yaml'), 'x'), ConfigError);
  });
});
