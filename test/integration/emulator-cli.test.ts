/**
 * `docker vaultmcp dev vault` as a subprocess: exactly one JSON line on stdout, real SDK calls against it,
 * clean stop on SIGTERM (exit 0), stable identity per state dir, --persist, bad seed → exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EmulatorInfo } from '../../src/emulator/index.js';
import { quietSdkRetryWarnings, sdkClients } from '../helpers/emulator.js';

quietSdkRetryWarnings();

const root = path.resolve(import.meta.dirname, '../..');

interface Running {
  child: ChildProcess;
  info: EmulatorInfo;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `dev vault` and waits for its JSON line. */
async function startCli(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev', 'vault', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const info = await new Promise<EmulatorInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no JSON line within 20 s; stderr: ${err}`)), 20000);
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as EmulatorInfo);
      }
    });
    void exit.then(({ code }) => reject(new Error(`exited ${code} before ready; stderr: ${err}`)));
  });
  return { child, info, stdout: () => out, stderr: () => err, exit };
}

async function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev', 'vault', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

describe('dev vault command', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-devvault-'));
    await writeFile(path.join(dir, 'seed.json'), JSON.stringify({ 'github-token': 'ghp_from_seed_file' }));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('prints one JSON line, serves the SDK, stops on SIGTERM with exit 0', async () => {
    const stateDir = path.join(dir, 'state');
    const run = await startCli(['--port', '0', '--state-dir', stateDir, '--seed', path.join(dir, 'seed.json'), '--verbose']);
    const { info } = run;
    for (const k of ['endpoint', 'region', 'tenancyId', 'compartmentId', 'vaultId', 'keyId', 'ociConfigFile', 'profile', 'resolverConfig'] as const) {
      assert.ok(info[k], `${k} present`);
    }
    assert.match(info.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.region, 'us-ashburn-1');
    assert.equal(info.ociConfigFile, path.join(stateDir, 'config'));
    assert.equal((await stat(info.ociConfigFile)).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(stateDir, 'oci_api_key.pem'))).mode & 0o777, 0o600);
    const pem = await readFile(path.join(stateDir, 'oci_api_key.pem'), 'utf8');
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    const resolver = await readFile(info.resolverConfig, 'utf8');
    assert.match(resolver, new RegExp(`vault_id: ${info.vaultId}`));
    assert.match(resolver, new RegExp(`endpoint: ${info.endpoint}`));
    assert.match(resolver, /method: api_key/);

    const c = await sdkClients(info);
    const r = await c.secrets.getSecretBundleByName({ secretName: 'github-token', vaultId: info.vaultId });
    assert.equal(Buffer.from((r.secretBundle.secretBundleContent as { content: string }).content, 'base64').toString(), 'ghp_from_seed_file');

    run.child.kill('SIGTERM');
    const { code } = await run.exit;
    assert.equal(code, 0);
    assert.equal(run.stdout().split('\n').filter(Boolean).length, 1, 'exactly one line on stdout');
    assert.match(run.stderr(), /getSecretBundleByName -> 200/);
    assert.doesNotMatch(run.stderr() + run.stdout(), /ghp_from_seed_file/, 'values never logged');
  });

  it('restarting on the same state dir keeps OCIDs and the key; --persist keeps secrets', async () => {
    const stateDir = path.join(dir, 'persisted');
    const first = await startCli(['--port', '0', '--state-dir', stateDir, '--persist']);
    const put = await fetch(`${first.info.endpoint}/_emulator/secrets`, { method: 'POST', body: JSON.stringify({ name: 'kept', value: 'still-here' }) });
    assert.equal(put.status, 200);
    const keyBefore = await readFile(path.join(stateDir, 'oci_api_key.pem'), 'utf8');
    first.child.kill('SIGINT');
    assert.equal((await first.exit).code, 0);
    assert.equal((await stat(path.join(stateDir, 'state.json'))).mode & 0o777, 0o600);

    const second = await startCli(['--port', '0', '--state-dir', stateDir, '--persist']);
    try {
      assert.equal(second.info.vaultId, first.info.vaultId);
      assert.equal(second.info.tenancyId, first.info.tenancyId);
      assert.equal(await readFile(path.join(stateDir, 'oci_api_key.pem'), 'utf8'), keyBefore);
      const c = await sdkClients(second.info);
      const r = await c.secrets.getSecretBundleByName({ secretName: 'kept', vaultId: second.info.vaultId });
      assert.equal(r.secretBundle.versionNumber, 1);
    } finally {
      second.child.kill('SIGTERM');
      await second.exit;
    }

    const third = await startCli(['--port', '0', '--state-dir', stateDir]);
    try {
      const c = await sdkClients(third.info);
      await assert.rejects(c.secrets.getSecretBundleByName({ secretName: 'kept', vaultId: third.info.vaultId }), (e: { statusCode: number }) => e.statusCode === 404);
    } finally {
      third.child.kill('SIGTERM');
      await third.exit;
    }
  });

  it('a bad seed file → exit 2 with a one-line error, nothing on stdout', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"ok": "x", "bad name": "y"}');
    const r = await runToExit(['--port', '0', '--seed', bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: .*bad\.json: invalid secret name "bad name"\n/);
    await writeFile(bad, 'not json');
    const r2 = await runToExit(['--port', '0', '--seed', bad]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /not valid JSON/);
    const r3 = await runToExit(['--port', '0', '--seed', path.join(dir, 'missing.json')]);
    assert.equal(r3.code, 2);
  });

  it('a port in use → exit 2', async () => {
    const run = await startCli(['--port', '0', '--state-dir', path.join(dir, 'busy')]);
    try {
      const port = new URL(run.info.endpoint).port;
      const r = await runToExit(['--port', port, '--state-dir', path.join(dir, 'busy2')]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /already in use/);
    } finally {
      run.child.kill('SIGTERM');
      await run.exit;
    }
  });
});
