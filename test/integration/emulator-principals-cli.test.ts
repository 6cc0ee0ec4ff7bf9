/**
 * `dev vault --principals` as a command: the ready line's principals part (endpoints, CA, token files, the RPST
 * environment, per-method resolver files), the metadata service on a chosen address, the admin clock, and the
 * one-line usage errors for an address it cannot listen on. The principals themselves are exercised end to end in
 * principals.test.ts (inside a network namespace).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import type { EmulatorInfo } from '../../src/emulator/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');

function start(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev', 'vault', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<EmulatorInfo>((resolve, reject) => {
    child.stdout.on('data', () => {
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)) as EmulatorInfo);
    });
    void exit.then((code) => reject(new Error(`exited ${code}; stderr: ${err}`)));
  });
  ready.catch(() => undefined); // awaited only by tests that expect a start
  return { child, ready, exit, stderr: () => err };
}

describe('dev vault --principals', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-principals-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the principals part of the ready line, serves IMDS v2 on --imds-listen, moves its token clock on request', async () => {
    const run = start(['--port', '0', '--principals', '--imds-listen', '127.0.0.1:0', '--token-ttl', '600', '--state-dir', path.join(dir, 'emu')]);
    try {
      const info = await run.ready;
      const p = info.principals!;
      assert.ok(p, 'principals in the ready line');
      assert.equal(p.federationEndpoint, info.endpoint);
      assert.match(p.imdsEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/opc\/v2\/$/);
      assert.match(p.proxymuxEndpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(p.tokenTtlSeconds, 600);
      assert.match(readFileSync(p.caFile, 'utf8'), /BEGIN CERTIFICATE/);
      assert.equal(statSync(p.okeTokenFile).mode & 0o077, 0, 'the service-account token is private');
      assert.deepEqual(Object.keys(p.resourcePrincipalEnv).sort(), [
        'OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM', 'OCI_RESOURCE_PRINCIPAL_REGION', 'OCI_RESOURCE_PRINCIPAL_RPST', 'OCI_RESOURCE_PRINCIPAL_VERSION',
      ]);
      assert.equal(p.resourcePrincipalEnv.OCI_RESOURCE_PRINCIPAL_VERSION, '2.2');
      assert.ok(existsSync(p.resourcePrincipalEnv.OCI_RESOURCE_PRINCIPAL_RPST!));
      for (const [method, file] of Object.entries(p.resolverConfigs)) {
        const y = YAML.parse(readFileSync(file, 'utf8')) as { auth: Record<string, string>; vault: Record<string, string> };
        assert.equal(y.auth.method, method);
        assert.equal(y.vault.endpoint, info.endpoint);
      }
      assert.equal(YAML.parse(readFileSync(p.resolverConfigs.oke_workload_identity, 'utf8')).auth.federation_endpoint, p.proxymuxEndpoint);

      assert.equal((await fetch(`${p.imdsEndpoint}instance/id`)).status, 401);
      const id = await (await fetch(`${p.imdsEndpoint}instance/id`, { headers: { authorization: 'Bearer Oracle' } })).text();
      assert.equal(id, p.instanceId);

      const moved = await fetch(`${info.endpoint}/_emulator/principals/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 30 }) });
      assert.deepEqual(await moved.json(), { offsetMs: 30_000 });
      const bad = await fetch(`${info.endpoint}/_emulator/principals/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: -1 }) });
      assert.equal(bad.status, 400);
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exit, 0);
  });

  it('an address it cannot listen on is a usage error (exit 2) naming the fix; so is a malformed one', async () => {
    // 192.0.2.1 (TEST-NET-1) is never assigned to this machine
    const notHere = start(['--port', '0', '--principals', '--imds-listen', '192.0.2.1:8080', '--state-dir', path.join(dir, 'emu2')]);
    assert.equal(await notHere.exit, 2);
    assert.match(notHere.stderr(), /cannot serve the metadata service on 192\.0\.2\.1:8080 \(EADDRNOTAVAIL\)/);
    assert.match(notHere.stderr(), /unshare -n/);
    const malformed = start(['--port', '0', '--principals', '--imds-listen', 'nowhere', '--state-dir', path.join(dir, 'emu3')]);
    assert.equal(await malformed.exit, 2);
    assert.match(malformed.stderr(), /--imds-listen must be ADDRESS:PORT/);
  });
});
