/**
 * `doctor` as a user runs it: the built binary when present (else `tsx src/main.ts`), without a TTY, against the
 * emulator. Checks the --json shape (zod schema), exit codes, the plain-text twin, and a missing keychain.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { doctorReportSchema, type DoctorReport } from '../../src/app/doctor/index.js';
import { binaryPath, makeDockerConfig, REPO_ROOT, runHidden, type RunResult } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

/** The CLI under test: the built binary, or tsx when it has not been built (or VAULTMCP_E2E_TSX=1). */
function cli(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<RunResult> {
  let bin: string | undefined;
  try {
    bin = process.env.VAULTMCP_E2E_TSX === '1' ? undefined : binaryPath();
  } catch {
    bin = undefined;
  }
  if (bin) return runHidden(bin, args, { env, timeoutMs });
  return runHidden(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), ...args], { env, timeoutMs, hideRepo: false, cwd: REPO_ROOT });
}

/** A node executable outside the repository (the repo is hidden from the binary's processes). */
function nodeOutsideRepo(): string {
  if (!process.execPath.startsWith(REPO_ROOT + path.sep)) return process.execPath;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (dir && !dir.startsWith(REPO_ROOT + path.sep) && existsSync(candidate)) return candidate;
  }
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) if (existsSync(candidate)) return candidate;
  return process.execPath;
}

let emu: TestEmulator;
let home: string;
let env: Record<string, string | undefined>;
let docker: ReturnType<typeof makeDockerConfig> | undefined;

before(async () => {
  emu = await startTestEmulator({ seed: { 'fixture-token': 'e2e-secret-value-abcdefgh' } });
  home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-doctor-e2e-'));
  const cfgDir = path.join(home, '.config', 'oci-vault-mcp');
  mkdirSync(path.join(cfgDir, 'services'), { recursive: true });
  copyFileSync(emu.info.resolverConfig, path.join(cfgDir, 'resolver.yaml'));
  // The binary runs with the repository hidden: the fixture server and its node must live outside it.
  const fixture = path.join(home, 'mcp-server.mjs');
  copyFileSync(path.join(REPO_ROOT, 'test/integration/doctor-fixtures/mcp-server.mjs'), fixture);
  writeFileSync(path.join(cfgDir, 'services', 'fixture.json'), JSON.stringify({ secrets: { FIXTURE_TOKEN: 'fixture-token' }, target_command: [nodeOutsideRepo(), fixture] }));
  try {
    docker = existsSync(path.join(REPO_ROOT, 'dist', 'docker-vaultmcp')) ? makeDockerConfig() : undefined;
  } catch {
    docker = undefined;
  }
  env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    DOCKER_CONFIG: docker?.dir ?? path.join(home, '.docker'),
    VAULTMCP_SYSTEM_CONFIG_DIR: path.join(home, 'etc'),
    // no Secret Service here: the cache key comes from the environment, so a missing keychain only warns
    ...(process.env.VAULTMCP_SECRET_SERVICE === '1' ? {} : { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 1).toString('base64') }),
  };
});
after(async () => {
  await emu?.close();
  docker?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

function parseReport(r: RunResult): DoctorReport {
  assert.equal(r.stdout.trim().split('\n').length, 1, `--json prints one line\n${r.stdout}`);
  return doctorReportSchema.parse(JSON.parse(r.stdout));
}

describe('doctor (CLI, no TTY)', () => {
  test('--json on a healthy setup: documented shape, nothing failed, exit 0', async () => {
    const r = await cli(['doctor', '--json', '--service', 'fixture', '--timeout-ms', '10000'], env);
    const report = parseReport(r);
    const failed = report.checks.filter((c) => c.status === 'fail');
    assert.deepEqual(failed, [], r.stdout);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('e2e-secret-value'), 'a secret value was printed');
    const ids = report.checks.map((c) => c.id);
    for (const id of ['settings', 'auth', 'clock-skew', 'vault', 'master-key', 'keychain', 'cache', 'service:fixture:handshake', 'docker-cli', 'docker-plugin']) assert.ok(ids.includes(id), id);
    if (docker && report.checks.find((c) => c.id === 'docker-plugin')!.status !== 'pass') {
      assert.fail(`the plugin installed in DOCKER_CONFIG was not accepted: ${JSON.stringify(report.checks.find((c) => c.id === 'docker-plugin'))}`);
    }
  });

  test('without --json and without a TTY: the plain-text list and a summary', async () => {
    const r = await cli(['doctor', '--timeout-ms', '10000'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS {2}auth {2}Authentication/m);
    assert.match(r.stdout, /\d+ passed, \d+ warnings?, 0 failed, \d+ skipped in \d+ ms\n$/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no ANSI escapes without a TTY');
  });

  test('missing keychain (D-Bus address pointing nowhere): keychain fails with a hint, exit 1', async () => {
    const r = await cli(['doctor', '--json', '--timeout-ms', '10000'], { ...env, VAULTMCP_CACHE_KEY: undefined, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/vaultmcp-bus' });
    const report = parseReport(r);
    const c = report.checks.find((x) => x.id === 'keychain')!;
    assert.equal(c.status, 'fail', JSON.stringify(c));
    assert.ok(c.hint.length > 10, 'no hint');
    assert.match(c.hint, /Secret Service|keyring|VAULTMCP_CACHE_KEY|dbus/i);
    assert.equal(r.code, 1);
  });

  test('a broken setup (key mode 0644) exits 1 naming key-file and chmod', async () => {
    const cfg = readFileSync(emu.info.ociConfigFile, 'utf8');
    const keyFile = /key_file=(.*)/.exec(cfg)![1]!.trim();
    chmodSync(keyFile, 0o644);
    try {
      const r = await cli(['doctor', '--json', '--timeout-ms', '10000'], env);
      const c = parseReport(r).checks.find((x) => x.id === 'key-file')!;
      assert.equal(c.status, 'fail');
      assert.equal(c.hint, `chmod 600 ${keyFile}`);
      assert.equal(r.code, 1);
    } finally {
      chmodSync(keyFile, 0o600);
    }
  });

  test('bad usage: one-line error, exit 2, no stack trace', async () => {
    const r = await cli(['doctor', '--timeout-ms', 'soon'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
