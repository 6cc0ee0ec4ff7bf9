/**
 * Instance, resource and OKE workload principals end to end: the real OCI SDK (and our OKE provider) against
 * `dev vault --principals`, in a private network namespace so the SDK's fixed metadata address
 * 169.254.169.254:80 is the emulator's and nothing leaves the machine.
 *
 * Run normally, this file re-runs itself under `unshare -n` (root: CI and dev containers) with loopback up and
 * 169.254.169.254 added to it, and reports the inner run's result; the tests themselves run inside.
 * Token expiry is tested by moving the emulator's token clock and the client's injected clock together, never by
 * waiting.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { loadSettings, type Settings } from '../../src/core/config/settings/index.js';
import { VaultError } from '../../src/core/errors.js';
import { createVaultAccess } from '../../src/core/vault/access.js';
import { startVaultEmulator, type VaultEmulator } from '../../src/emulator/index.js';
import { issueCertificate } from '../../src/emulator/principals/pki.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(THIS_FILE), '..', '..');
const EVERYTHING = path.join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const BUN = path.join(REPO, 'node_modules/.bin/bun');
const SECRET = `principal-${randomBytes(8).toString('hex')}`;

if (process.env.VAULTMCP_TEST_NETNS !== '1') {
  describe('principals (in a private network namespace)', () => {
    it('every principal test passes inside `unshare -n` with 169.254.169.254 on loopback', async (t) => {
      const root = process.getuid?.() === 0;
      const tools = spawnSync('sh', ['-c', 'command -v unshare && command -v ip'], { stdio: 'ignore' }).status === 0;
      if (!root || !tools) {
        // CI runs as root with util-linux and iproute2 (.ci/run): there this must not skip.
        assert.ok(!process.env.CI, `CI must run this as root with unshare and ip (root: ${root}, tools: ${tools})`);
        t.skip('needs root, unshare (util-linux) and ip (iproute2)');
        return;
      }
      const child = spawn(
        'unshare',
        ['-n', 'sh', '-c', 'ip link set lo up && ip addr add 169.254.169.254/32 dev lo && exec "$0" --import tsx --test --test-reporter=spec "$1"', process.execPath, THIS_FILE],
        // NODE_TEST_CONTEXT would make the inner runner report to ours and skip its file
        { cwd: REPO, env: { ...process.env, NODE_TEST_CONTEXT: undefined, VAULTMCP_TEST_NETNS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b));
      child.stderr.on('data', (b: Buffer) => (out += b));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, `inner run failed:\n${out}`);
      assert.match(out, /ℹ pass [1-9]/);
      assert.match(out, /ℹ fail 0\n/);
    });
  });
} else {
  describe('principals against the emulator (inside the network namespace)', () => {
    let emu: VaultEmulator;
    let dir: string;
    let home: string;
    let svc: string;

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-principals-'));
      home = path.join(dir, 'home');
      emu = await startVaultEmulator({ port: 0, stateDir: path.join(dir, 'emu'), seed: { 'everything-api-key': SECRET }, principals: {} });
      svc = path.join(dir, 'everything.json');
      writeFileSync(svc, JSON.stringify({ secrets: { EVERYTHING_API_KEY: 'everything-api-key' }, target_command: [process.execPath, EVERYTHING, 'stdio'] }));
    });
    after(async () => {
      await emu?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const p = () => emu.info.principals!;
    const ops = () => emu.stats.toJSON().byOperation;
    /** Environment of a CLI child: nothing of the test process's OCI setup, a fresh cache key. */
    const cliEnv = (extra: Record<string, string> = {}) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TMPDIR: os.tmpdir(),
      LANG: 'C',
      NO_COLOR: '1',
      VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64'),
      ...extra,
    });
    /**
     * `run SERVICE --test` from source (Node + tsx, or Bun) with a resolver config. Asynchronous: the emulator
     * lives in this process, so a synchronous spawn would deadlock it.
     */
    function runTest(config: string, extra: Record<string, string> = {}, runtime: 'node' | 'bun' = 'node'): Promise<{ status: number | null; stdout: string; stderr: string }> {
      const args = runtime === 'node' ? ['--import', 'tsx', 'src/main.ts'] : ['src/main.ts'];
      const child = spawn(runtime === 'node' ? process.execPath : BUN, [...args, 'run', svc, '--test', '--refresh', '--config', config], {
        cwd: REPO,
        env: cliEnv(extra),
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b));
      child.stderr.on('data', (b: Buffer) => (stderr += b));
      return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
    }
    /** Settings of one of the emulator's per-method resolver files, with overrides. */
    async function settingsOf(method: keyof NonNullable<VaultEmulator['info']['principals']>['resolverConfigs'], auth: Partial<Settings['auth']> = {}): Promise<Settings> {
      const { settings } = await loadSettings({ env: {}, homeDir: home, cwd: dir }, { configFile: p().resolverConfigs[method] });
      return { ...settings, auth: { ...settings.auth, ...auth }, resilience: { ...settings.resilience, retries: 0 } };
    }
    /** A clock that moves with the emulator's token clock. */
    const sharedClock = () => Date.now() + emu.principals!.clock.offset;
    async function readSecret(settings: Settings, env: Record<string, string | undefined> = {}, now?: () => number): Promise<string> {
      const access = createVaultAccess({ settings, env: { env, homeDir: home, now } });
      const r = await access.call('read', "secret 'everything-api-key'", async (c) =>
        (await c.secrets()).getSecretBundleByName({ secretName: 'everything-api-key', vaultId: emu.info.vaultId }),
      );
      return Buffer.from((r.secretBundle.secretBundleContent as { content: string }).content, 'base64').toString('utf8');
    }

    it('the metadata service answers only IMDS v2 requests, and its leaf names the tenancy as OCI does', async () => {
      const base = p().imdsEndpoint;
      assert.equal(base, 'http://169.254.169.254/opc/v2/');
      assert.equal((await fetch(`${base}instance/`)).status, 401, 'no Authorization: Bearer Oracle');
      const h = { authorization: 'Bearer Oracle' };
      const doc = (await (await fetch(`${base}instance/`, { headers: h })).json()) as Record<string, string>;
      assert.equal(doc.id, p().instanceId);
      assert.equal(doc.tenantId, emu.info.tenancyId);
      assert.equal(await (await fetch(`${base}instance/region`, { headers: h })).text(), 'iad');
      const cert = await (await fetch(`${base}identity/cert.pem`, { headers: h })).text();
      const { X509Certificate } = await import('node:crypto');
      const x = new X509Certificate(cert);
      assert.match(x.subject, new RegExp(`OU=opc-tenant:${emu.info.tenancyId.replace(/\./g, '\\.')}`));
      assert.match(x.subject, /OU=opc-certtype:instance/);
      const inter = new X509Certificate(await (await fetch(`${base}identity/intermediate.pem`, { headers: h })).text());
      assert.ok(x.verify(inter.publicKey), 'the leaf is signed by the intermediate');
      assert.equal((await fetch('http://169.254.169.254/opc/v1/instance/', { headers: h })).status, 404);
    });

    it('instance_principal: `run --test` succeeds through IMDS and X.509 federation', async () => {
      const before = ops().federateX509 ?? 0;
      const r = await runTest(p().resolverConfigs.instance_principal);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr + r.stdout, /EVERYTHING_API_KEY/);
      assert.doesNotMatch(r.stderr + r.stdout, new RegExp(SECRET));
      assert.equal((ops().federateX509 ?? 0) - before, 1, 'one federation round trip');
    });

    it('instance_principal: a real `run` starts server-everything with the secret (MCP client, get-env)', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', 'src/main.ts', 'run', svc, '--refresh', '--leak-guard', 'off', '--config', p().resolverConfigs.instance_principal],
        cwd: REPO,
        env: cliEnv(),
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (b: Buffer) => (stderr += b));
      const client = new Client({ name: 'vaultmcp-principals', version: '0.0.0' });
      try {
        await client.connect(transport);
        const r = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ text: string }> };
        assert.equal(JSON.parse(r.content[0]!.text).EVERYTHING_API_KEY, SECRET, stderr);
      } finally {
        await client.close();
      }
    });

    it('instance_principal: the token is refreshed after it expires, without a failed call; the emulator rejects the expired one', async () => {
      const settings = await settingsOf('instance_principal');
      const access = createVaultAccess({ settings, env: { env: {}, homeDir: home, now: sharedClock } });
      const staleClockAccess = createVaultAccess({ settings, env: { env: {}, homeDir: home } });
      const read = (a: typeof access) =>
        a.call('read', 'secret', async (c) => (await c.secrets()).getSecretBundleByName({ secretName: 'everything-api-key', vaultId: emu.info.vaultId }));
      const fed0 = ops().federateX509 ?? 0;
      await read(access);
      await read(staleClockAccess);
      assert.equal((ops().federateX509 ?? 0) - fed0, 2);
      await emu.principals!.advanceClock((p().tokenTtlSeconds + 1) * 1000);
      // our clock moved with the emulator's: the token is renewed before the call, which succeeds
      const r = await read(access);
      assert.equal(r.secretBundle.versionNumber, 1);
      assert.equal((ops().federateX509 ?? 0) - fed0, 3, 'one refresh');
      // a client whose clock did not move still holds the old token, which the emulator now rejects as expired…
      const oldKeyId = await (await staleClockAccess.clients()).auth!.provider.getKeyId();
      assert.equal(emu.keys.lookup(oldKeyId), 'expired');
      // …so its request gets 401; it renews the token once and repeats the request, which succeeds
      const again = await read(staleClockAccess);
      assert.equal(again.secretBundle.versionNumber, 1);
      assert.equal((ops().federateX509 ?? 0) - fed0, 4, 'one renewal after the 401');
      assert.notEqual(await (await staleClockAccess.clients()).auth!.provider.getKeyId(), oldKeyId);
    });

    it('a token the vault keeps refusing fails with 401 after one renewal, not in a loop', async () => {
      const settings = await settingsOf('instance_principal');
      const access = createVaultAccess({ settings, env: { env: {}, homeDir: home } });
      const fed0 = ops().federateX509 ?? 0;
      const res = await fetch(`${emu.info.endpoint}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify({ status: 401, code: 'NotAuthenticated', count: 2, path: 'getSecretBundleByName' }),
      });
      assert.equal(res.status, 201);
      const read = access.call('read', 'secret', async (c) => (await c.secrets()).getSecretBundleByName({ secretName: 'everything-api-key', vaultId: emu.info.vaultId }));
      await assert.rejects(read, (err: unknown) => err instanceof VaultError && err.kind === 'auth' && err.status === 401);
      assert.equal((ops().federateX509 ?? 0) - fed0, 2, 'the first token and one renewal');
      assert.equal(emu.faults.list().length, 0, 'both injected 401s were used: two requests, no third');
    });

    it('resource_principal: `run --test` succeeds with the emulator RPST v2.2 environment', async () => {
      assert.equal(p().resourcePrincipalEnv.OCI_RESOURCE_PRINCIPAL_VERSION, '2.2');
      const r = await runTest(p().resolverConfigs.resource_principal, p().resourcePrincipalEnv);
      assert.equal(r.status, 0, r.stderr);
      const missing = await runTest(p().resolverConfigs.resource_principal, {});
      assert.equal(missing.status, 3, missing.stderr);
      assert.match(missing.stderr, /resource principal/);
    });

    it('oke_workload_identity: succeeds over HTTPS with the emulator CA, on Node and on Bun', async () => {
      const n0 = ops().getResourcePrincipalSessionToken ?? 0;
      const node = await runTest(p().resolverConfigs.oke_workload_identity);
      assert.equal(node.status, 0, node.stderr);
      const bun = await runTest(p().resolverConfigs.oke_workload_identity, {}, 'bun');
      assert.equal(bun.status, 0, bun.stderr);
      assert.equal((ops().getResourcePrincipalSessionToken ?? 0) - n0, 2);
    });

    it('oke_workload_identity: fails closed with the wrong CA (Node and Bun), exit 3, no token fetched', async () => {
      const other = issueCertificate({ subject: [{ shortName: 'CN', value: 'some other CA' }], ca: true, validMs: 3600_000, now: Date.now() });
      const wrongCa = path.join(dir, 'wrong-ca.crt');
      writeFileSync(wrongCa, other.certPem);
      const config = path.join(dir, 'oke-wrong-ca.yaml');
      writeFileSync(config, `${readFileSync(p().resolverConfigs.oke_workload_identity, 'utf8').replace(/oke_ca_file: .*/, `oke_ca_file: ${wrongCa}`)}`);
      const n0 = ops().getResourcePrincipalSessionToken ?? 0;
      for (const runtime of ['node', 'bun'] as const) {
        const r = await runTest(config, {}, runtime);
        assert.equal(r.status, 3, `${runtime}: ${r.stderr}`);
        assert.match(r.stderr, /not trusted/, runtime);
        assert.match(r.stderr, /oke_ca_file/, runtime);
      }
      assert.equal((ops().getResourcePrincipalSessionToken ?? 0) - n0, 0, 'the TLS handshake failed before any request');
    });

    it('oke_workload_identity: a rotated service-account token is re-read at the next refresh', async () => {
      const settings = await settingsOf('oke_workload_identity');
      const access = createVaultAccess({ settings, env: { env: {}, homeDir: home, now: sharedClock } });
      const read = () =>
        access.call('read', 'secret', async (c) => (await c.secrets()).getSecretBundleByName({ secretName: 'everything-api-key', vaultId: emu.info.vaultId }));
      const n0 = ops().getResourcePrincipalSessionToken ?? 0;
      await read();
      // Kubernetes rotates the projected token; the old one stops being accepted
      await emu.principals!.rotateServiceAccountToken();
      await emu.principals!.advanceClock((p().tokenTtlSeconds + 1) * 1000);
      const r = await read();
      assert.equal(r.secretBundle.versionNumber, 1);
      assert.equal((ops().getResourcePrincipalSessionToken ?? 0) - n0, 2);
      const identity = await (await access.clients()).auth!.identity!();
      assert.equal(identity.tenancyId, emu.info.tenancyId);
      assert.ok(identity.expiresAt && identity.expiresAt.getTime() > sharedClock());
    });

    it('doctor names the method and the identity obtained (instance, OKE workload), never a token', async () => {
      const doctor = async (config: string) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'doctor', '--json', '--config', config], {
          cwd: REPO,
          env: cliEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 60_000,
        });
        let stdout = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b));
        await new Promise((resolve) => child.on('close', resolve));
        assert.doesNotMatch(stdout, /eyJ[A-Za-z0-9_-]{8,}\./, 'no JWT in the report');
        const report = JSON.parse(stdout) as { checks: Array<{ id: string; status: string; detail: string }> };
        const byId = (id: string) => report.checks.find((c) => c.id === id)!;
        return { principal: byId('principal'), auth: byId('auth') };
      };
      const ip = await doctor(p().resolverConfigs.instance_principal);
      assert.equal(ip.auth.status, 'pass', ip.auth.detail);
      assert.match(ip.auth.detail, /instance_principal/);
      assert.equal(ip.principal.status, 'pass', ip.principal.detail);
      assert.ok(ip.principal.detail.includes(p().instanceId), ip.principal.detail);
      assert.ok(ip.principal.detail.includes(emu.info.tenancyId), ip.principal.detail);
      assert.match(ip.principal.detail, /valid until \d{4}-\d\d-\d\dT/);
      const oke = await doctor(p().resolverConfigs.oke_workload_identity);
      assert.equal(oke.principal.status, 'pass', oke.principal.detail);
      assert.match(oke.principal.detail, /^oke_workload_identity: resource principal ocid1\.cluster\./);
      const apiKey = await doctor(emu.info.resolverConfig);
      assert.equal(apiKey.principal.status, 'skip');
      assert.match(apiKey.principal.detail, /auth\.method is api_key/);
    });

    it('api_key keeps working on an emulator with principals', async () => {
      const { settings } = await loadSettings({ env: {}, homeDir: home, cwd: dir }, { configFile: emu.info.resolverConfig });
      assert.equal(await readSecret(settings), SECRET);
    });
  });
}
