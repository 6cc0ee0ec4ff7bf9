/**
 * doctor's checks against the emulator, in process (real OCI SDK, real signatures): a healthy setup and each
 * broken one, asserting the failing check id and its hint. Small time limits keep it fast.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PassThrough } from 'node:stream';
import type { AppContext } from '../../src/core/context.js';
import { buildDoctorChecks, doctorReportSchema, runChecks, runDoctor, type CheckResult, type DoctorReport } from '../../src/app/doctor/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyFingerprint } from '../../src/app/setup/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const FIXTURE = path.join(import.meta.dirname, 'doctor-fixtures', 'mcp-server.mjs');
const SECRET_VALUE = 'fixture-secret-value-0123456789';

let emu: TestEmulator;
const sandboxes: string[] = [];

before(async () => {
  emu = await startTestEmulator({ seed: { 'fixture-token': SECRET_VALUE } });
});
after(async () => {
  await emu?.close();
  for (const d of sandboxes) rmSync(d, { recursive: true, force: true });
});

interface Sandbox {
  home: string;
  ctx: AppContext;
  resolverFile: string;
  ociConfig: string;
  keyFile: string;
  writeService(name: string, def: unknown): void;
}

/** A HOME with a copy of the emulator's OCI config, key and resolver.yaml (edited by `tweak`). */
function sandbox(tweak: (resolver: string) => string = (r) => r): Sandbox {
  const home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-doctor-it-'));
  sandboxes.push(home);
  const ociDir = path.join(home, '.oci');
  mkdirSync(ociDir, { recursive: true, mode: 0o700 });
  const srcConfig = readFileSync(emu.info.ociConfigFile, 'utf8');
  const srcKey = /key_file=(.*)/.exec(srcConfig)![1]!.trim();
  const keyFile = path.join(ociDir, 'key.pem');
  copyFileSync(srcKey, keyFile);
  chmodSync(keyFile, 0o600);
  const ociConfig = path.join(ociDir, 'config');
  writeFileSync(ociConfig, srcConfig.replace(/key_file=.*/, `key_file=${keyFile}`), { mode: 0o600 });
  const cfgDir = path.join(home, '.config', 'oci-vault-mcp');
  mkdirSync(path.join(cfgDir, 'services'), { recursive: true });
  const resolverFile = path.join(cfgDir, 'resolver.yaml');
  const resolver = readFileSync(emu.info.resolverConfig, 'utf8')
    .replace(/config_file: .*/, `config_file: ${ociConfig}`)
    .replace(/dir: .*/, `dir: ${path.join(home, '.cache', 'vaultmcp')}`);
  writeFileSync(resolverFile, tweak(resolver));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    // Without a Secret Service the cache key comes from here, so the keychain check warns instead of failing.
    ...(process.env.VAULTMCP_SECRET_SERVICE === '1' ? {} : { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') }),
    ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}),
    VAULTMCP_SYSTEM_CONFIG_DIR: path.join(home, 'etc'),
  };
  const ctx: AppContext = { env, cwd: home, homeDir: home, stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), now: () => Date.now() };
  return {
    home,
    ctx,
    resolverFile,
    ociConfig,
    keyFile,
    writeService: (name, def) => writeFileSync(path.join(cfgDir, 'services', `${name}.json`), JSON.stringify(def)),
  };
}

const fixtureService = (extra: Record<string, unknown> = {}) => ({
  description: 'doctor fixture',
  secrets: { FIXTURE_TOKEN: 'fixture-token' },
  target_command: [process.execPath, FIXTURE],
  env_overrides: { FIXTURE_REQUIRE: 'FIXTURE_TOKEN' },
  ...extra,
});

async function doctor(sb: Sandbox, services: string[] = []): Promise<DoctorReport> {
  const report = await runDoctor(sb.ctx, { services, timeoutMs: 8000, handshakeTimeoutMs: 15_000 });
  doctorReportSchema.parse(report);
  assert.ok(!JSON.stringify(report).includes(SECRET_VALUE), 'a secret value leaked into the report');
  return report;
}

function check(report: DoctorReport, id: string): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
}

function explain(report: DoctorReport): string {
  return report.checks.map((c) => `${c.status} ${c.id}: ${c.detail} | ${c.hint}`).join('\n');
}

describe('doctor against the emulator', () => {
  test('healthy setup: nothing fails; service secrets and MCP handshake pass', async () => {
    const sb = sandbox();
    sb.writeService('fixture', fixtureService());
    const report = await doctor(sb, ['fixture']);
    const failed = report.checks.filter((c) => c.status === 'fail');
    assert.deepEqual(failed, [], explain(report));
    for (const c of report.checks.filter((x) => x.status === 'warn')) assert.ok(c.detail && c.hint, `warn without reason: ${c.id}`);
    for (const id of ['settings', 'oci-config', 'key-file', 'key-fingerprint', 'auth', 'clock-skew', 'vault', 'master-key', 'service:fixture:definition', 'service:fixture:command', 'service:fixture:secrets', 'service:fixture:handshake']) {
      assert.equal(check(report, id).status, 'pass', `${id}\n${explain(report)}`);
    }
    assert.match(check(report, 'service:fixture:secrets').detail, /FIXTURE_TOKEN ← fixture-token v1/);
    assert.match(check(report, 'service:fixture:handshake').detail, /2 tool\(s\)/);
    assert.match(check(report, 'settings').detail, /vault\.vault_id.* from .*resolver\.yaml/);
    assert.equal(report.summary.fail, 0);
    assert.equal(report.summary.pass + report.summary.warn + report.summary.skip, report.checks.length);
  });

  test('wrong key (another key pair, matching fingerprint): auth fails with a hint about the key', async () => {
    const sb = sandbox();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(sb.keyFile, pem, { mode: 0o600 });
    const cfg = readFileSync(sb.ociConfig, 'utf8').replace(/fingerprint=.*/, `fingerprint=${keyFingerprint(pem)}`);
    writeFileSync(sb.ociConfig, cfg);
    const report = await doctor(sb);
    assert.equal(check(report, 'key-fingerprint').status, 'pass', explain(report));
    const auth = check(report, 'auth');
    assert.equal(auth.status, 'fail', explain(report));
    assert.match(auth.detail, /401/);
    assert.match(auth.hint, /API key/);
    assert.equal(check(report, 'vault').status, 'skip');
  });

  test('fingerprint in the profile does not match the key', async () => {
    const sb = sandbox();
    writeFileSync(sb.ociConfig, readFileSync(sb.ociConfig, 'utf8').replace(/fingerprint=.*/, 'fingerprint=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff'));
    const report = await doctor(sb);
    const c = check(report, 'key-fingerprint');
    assert.equal(c.status, 'fail');
    assert.match(c.hint, /set fingerprint=([0-9a-f]{2}:){15}[0-9a-f]{2}/);
  });

  test('key file mode 0644: key-file fails naming chmod 600', async () => {
    const sb = sandbox();
    chmodSync(sb.keyFile, 0o644);
    const report = await doctor(sb);
    const c = check(report, 'key-file');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /0644/);
    assert.equal(c.hint, `chmod 600 ${sb.keyFile}`);
  });

  test('key file mode 0640: key-file warns', async () => {
    const sb = sandbox();
    chmodSync(sb.keyFile, 0o640);
    assert.equal(check(await doctor(sb), 'key-file').status, 'warn');
  });

  test('missing vault: vault fails with a hint naming vault.vault_id', async () => {
    const sb = sandbox((r) => r.replace(/vault_id: .*/, 'vault_id: ocid1.vault.oc1.us-ashburn-1.emudoesnotexist000000000000'));
    const report = await doctor(sb);
    const c = check(report, 'vault');
    assert.equal(c.status, 'fail', explain(report));
    assert.match(c.detail, /not found/);
    assert.match(c.hint, /vault\.vault_id/);
    assert.equal(check(report, 'master-key').status, 'skip');
  });

  test('no resolver.yaml: settings fails and points at setup', async () => {
    const sb = sandbox();
    rmSync(sb.resolverFile);
    const c = check(await doctor(sb), 'settings');
    assert.equal(c.status, 'fail');
    assert.match(c.hint, /docker vaultmcp setup/);
  });

  test('unknown secret in a service: secrets fails naming the variable and the upload command', async () => {
    const sb = sandbox();
    sb.writeService('broken', fixtureService({ secrets: { FIXTURE_TOKEN: 'fixture-token', MISSING_ONE: 'no-such-secret' } }));
    const report = await doctor(sb, ['broken']);
    const c = check(report, 'service:broken:secrets');
    assert.equal(c.status, 'fail', explain(report));
    assert.match(c.detail, /MISSING_ONE \(no-such-secret\): not found/);
    assert.match(c.hint, /secret upload no-such-secret/);
    assert.equal(check(report, 'service:broken:handshake').status, 'skip');
  });

  test('server command not on PATH: command fails (exit-127 hint)', async () => {
    const sb = sandbox();
    sb.writeService('nocmd', fixtureService({ target_command: ['vaultmcp-no-such-server-xyz'] }));
    const report = await doctor(sb, ['nocmd']);
    const c = check(report, 'service:nocmd:command');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /command not found: vaultmcp-no-such-server-xyz/);
    assert.ok(c.hint.length > 0);
    assert.equal(check(report, 'service:nocmd:handshake').status, 'skip');
  });

  test('a relative target_command is looked up in the server\'s working directory, as run does, not in ours', async () => {
    const sb = sandbox();
    // present in the current directory (ctx.cwd), absent from the server's private working directory
    writeFileSync(path.join(sb.ctx.cwd, 'server.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    sb.writeService('relative', fixtureService({ secrets: {}, target_command: ['./server.sh'] }));
    const checks = buildDoctorChecks(sb.ctx, { services: ['relative'] }).filter((c) => c.id.startsWith('service:relative:') && c.id !== 'service:relative:secrets');
    const results = await runChecks(checks, { timeoutMs: 8000 });
    const c = results.find((r) => r.id === 'service:relative:command')!;
    assert.equal(c.status, 'fail', JSON.stringify(c));
    assert.match(c.detail, /command not found: \.\/server\.sh/);
    assert.equal(results.find((r) => r.id === 'service:relative:handshake')!.status, 'skip');
  });

  test('server that prints a banner on stdout: handshake fails quoting it (truncated, secrets masked)', async () => {
    const sb = sandbox();
    sb.writeService('banner', fixtureService({ env_overrides: { FIXTURE_BANNER: `Welcome to fixture server ${'x'.repeat(100)}` } }));
    const report = await doctor(sb, ['banner']);
    const c = check(report, 'service:banner:handshake');
    assert.equal(c.status, 'fail', explain(report));
    assert.match(c.detail, /^server printed a banner on stdout: Welcome to fixture server x+\.\.\.$/);
    assert.ok(c.detail.length < 140);
    assert.match(c.hint, /stderr/);
  });

  test('a banner echoing a secret value is masked', async () => {
    const sb = sandbox();
    // the banner text is the secret itself: the fixture prints $FIXTURE_BANNER, here set from the override
    sb.writeService('leaky', fixtureService({ env_overrides: { FIXTURE_BANNER: SECRET_VALUE } }));
    const report = await doctor(sb, ['leaky']);
    const c = check(report, 'service:leaky:handshake');
    assert.equal(c.status, 'fail');
    assert.ok(!c.detail.includes(SECRET_VALUE));
  });

  test('checks are bounded by their time limit', async () => {
    const sb = sandbox();
    await emu.admin.faults({ hang: true, count: 10, path: 'getVault' });
    try {
      const report = await runDoctor(sb.ctx, { timeoutMs: 1500 });
      const c = check(report, 'vault');
      assert.equal(c.status, 'fail', explain(report));
      assert.match(c.detail, /timed out after 1500 ms/);
      assert.ok(c.ms < 4000);
    } finally {
      await emu.admin.clearFaults();
    }
  });

  for (const [offsetS, status] of [[120, 'warn'], [-400, 'fail'], [0, 'pass']] as const) {
    test(`clock skew of ${offsetS} s against the vault's Date header: ${status}`, async () => {
      const server = createServer((_req, res) => {
        res.setHeader('Date', new Date(Date.now() + offsetS * 1000).toUTCString());
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"code":"NotAuthenticated","message":"x"}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as AddressInfo).port;
        const sb = sandbox((r) => r.replace(/endpoint: .*/, `endpoint: http://127.0.0.1:${port}`));
        const checks = buildDoctorChecks(sb.ctx).filter((c) => c.id === 'settings' || c.id === 'clock-skew');
        const [, skew] = await runChecks(checks, { timeoutMs: 5000 });
        assert.equal(skew!.status, status, JSON.stringify(skew));
        if (status !== 'pass') {
          assert.match(skew!.detail, offsetS > 0 ? /behind the vault/ : /ahead of the vault/);
          assert.match(skew!.hint, /timedatectl/);
        }
      } finally {
        server.close();
      }
    });
  }
});
