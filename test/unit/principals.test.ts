/**
 * Principal plumbing without a network: session-token renewal on an injected clock (one refresh for concurrent
 * signers), identities read from token claims, our errors carried through the SDK's retrier, the auth settings of
 * principals, and the emulator's --imds-listen parsing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, VaultError } from '../../src/core/errors.js';
import { loadSettings } from '../../src/core/config/settings/index.js';
import { classifyOciError } from '../../src/core/vault/classify.js';
import { SessionTokenSigner, identityOf, type SessionTokenSource } from '../../src/core/vault/principals.js';
import { parseListen } from '../../src/emulator/principals/index.js';

/** An unsigned JWT with these claims (the signer only reads claims). */
const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"none"}', JSON.stringify(claims)].map((s) => Buffer.from(s).toString('base64url')).join('.') + '.sig';

/** A source that issues tokens living `lifeS` seconds from `now()`, counting refreshes; `gate` holds refreshes. */
function fakeSource(now: () => number, lifeS: number) {
  let n = 0;
  let token = '';
  let gate: Promise<void> = Promise.resolve();
  const issue = () => {
    n++;
    const iat = Math.floor(now() / 1000);
    token = jwt({ iat, exp: iat + lifeS, ptype: 'instance', 'opc-instance': `ocid1.instance.oc1..i${n}`, 'opc-tenant': 'ocid1.tenancy.oc1..t' });
    return token;
  };
  const source: SessionTokenSource = {
    current: async () => token || issue(),
    refresh: async () => {
      await gate;
      return issue();
    },
    privateKey: () => `key-${n}`,
  };
  return { source, refreshes: () => n, hold: (p: Promise<void>) => (gate = p) };
}

describe('SessionTokenSigner', () => {
  it('keeps the token until it is about to expire on the injected clock, then renews it once for concurrent callers', async () => {
    let t = Date.parse('2026-11-30T00:00:00Z');
    const now = () => t;
    const f = fakeSource(now, 1200);
    const signer = new SessionTokenSigner(f.source, now);
    const first = await signer.getKeyId();
    assert.match(first, /^ST\$/);
    assert.equal(f.refreshes(), 1);
    t += 1000 * 1000; // 1000 s of 1200: still valid (margin: a tenth of the life, at most 60 s)
    assert.equal(await signer.getKeyId(), first);
    t += 150 * 1000; // 1150 s: inside the 60 s margin
    let release!: () => void;
    f.hold(new Promise<void>((r) => (release = r)));
    const pending = [signer.getKeyId(), signer.getKeyId(), signer.getKeyId()];
    release();
    const ids = await Promise.all(pending);
    assert.equal(new Set(ids).size, 1);
    assert.notEqual(ids[0], first);
    assert.equal(f.refreshes(), 2, 'one refresh for three concurrent signers');
    assert.equal(signer.getPrivateKey(), 'key-2', 'the key of the renewed token');
    assert.equal(signer.getPassphrase(), null);
  });

  it('names the identity of the current token, never the token', async () => {
    const now = () => Date.parse('2026-11-30T00:00:00Z');
    const who = await new SessionTokenSigner(fakeSource(now, 600).source, now).identity();
    assert.deepEqual(who, {
      principalType: 'instance',
      principalId: 'ocid1.instance.oc1..i1',
      tenancyId: 'ocid1.tenancy.oc1..t',
      compartmentId: undefined,
      expiresAt: new Date('2026-11-30T00:10:00Z'),
    });
    assert.equal(identityOf(jwt({ ptype: 'resource', res_id: 'ocid1.fnfunc.oc1..f', res_tenant: 'ocid1.tenancy.oc1..t', res_compartment: 'c' })).principalId, 'ocid1.fnfunc.oc1..f');
    assert.equal(identityOf('not a jwt').principalType, 'unknown');
  });

  it('a refresh failure reaches classifyOciError as our own VaultError, through the SDK\'s {code, message} copy', async () => {
    const failing: SessionTokenSource = {
      current: async () => {
        throw new VaultError('the OKE token endpoint rejected the service-account token (401)', { kind: 'auth', status: 401, hint: 'h' });
      },
      refresh: async () => '',
      privateKey: () => '',
    };
    const err = await new SessionTokenSigner(failing).getKeyId().then(
      () => assert.fail('should throw'),
      (e: { code?: unknown; message?: unknown }) => e,
    );
    // what oci-common's retrier rethrows for an error raised while signing
    const sdkCopy = { code: err.code, message: err.message, requestEndpoint: 'GET http://127.0.0.1:1/20190301/x' };
    const classified = classifyOciError(sdkCopy, 'secret x');
    assert.ok(classified instanceof VaultError);
    assert.equal(classified.kind, 'auth');
    assert.match(classified.message, /rejected the service-account token/);
    // an SDK provider's plain Error becomes an auth failure with a hint, not "unreachable"
    const plain: SessionTokenSource = { current: async () => Promise.reject(new Error('Failed to call Proxymux')), refresh: async () => '', privateKey: () => '' };
    const e2 = await new SessionTokenSigner(plain).getKeyId().catch((e: { code?: unknown }) => e);
    const c2 = classifyOciError({ code: (e2 as { code?: unknown }).code, message: 'x' }, 'secret x');
    assert.equal(c2.kind, 'auth');
    assert.match(c2.message, /session token for the principal/);
  });
});

describe('principal settings', () => {
  let root: string;
  const ctx = (env: NodeJS.ProcessEnv = {}) => ({
    env: { XDG_CONFIG_HOME: path.join(root, 'config'), XDG_CACHE_HOME: path.join(root, 'cache'), VAULTMCP_SYSTEM_CONFIG_DIR: path.join(root, 'etc'), ...env },
    homeDir: root,
    cwd: root,
  });
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-principal-settings-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("defaults are OCI's; oke_workload_identity, federation_endpoint and relative token/CA paths (to the file) are accepted", async () => {
    const d = await loadSettings(ctx());
    assert.equal(d.settings.auth.oke_token_file, '/var/run/secrets/kubernetes.io/serviceaccount/token');
    assert.equal(d.settings.auth.oke_ca_file, '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    assert.equal(d.settings.auth.federation_endpoint, undefined);
    const file = path.join(root, 'k8s', 'resolver.yaml');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'auth:\n  method: oke_workload_identity\n  federation_endpoint: https://10.96.0.1:12250/\n  oke_token_file: sa/token\n  oke_ca_file: ~/ca.crt\n');
    const { settings, sources } = await loadSettings(ctx(), { configFile: file });
    assert.equal(settings.auth.method, 'oke_workload_identity');
    assert.equal(settings.auth.federation_endpoint, 'https://10.96.0.1:12250');
    assert.equal(settings.auth.oke_token_file, path.join(root, 'k8s', 'sa/token'));
    assert.equal(settings.auth.oke_ca_file, path.join(root, 'ca.crt'));
    assert.equal(sources['auth.oke_token_file'], file);
    assert.equal((await loadSettings(ctx({ OCI_CLI_AUTH: 'oke_workload_identity' }))).settings.auth.method, 'oke_workload_identity');
  });

  it('a plain-http federation_endpoint to another host is loaded with a warning; to loopback (the emulator) without', async () => {
    const file = path.join(root, 'http.yaml');
    await writeFile(file, 'auth:\n  federation_endpoint: http://auth.example.com\n');
    const remote = await loadSettings(ctx(), { configFile: file });
    assert.ok(remote.warnings.some((w) => /federation_endpoint http:\/\/auth\.example\.com is plain http/.test(w)), remote.warnings.join('; '));
    await writeFile(file, 'auth:\n  federation_endpoint: http://127.0.0.1:9443\n');
    assert.deepEqual((await loadSettings(ctx(), { configFile: file })).warnings, []);
  });

  it('a federation_endpoint that is not an http(s) URL is a ConfigError naming the key', async () => {
    const file = path.join(root, 'bad.yaml');
    await writeFile(file, 'auth:\n  federation_endpoint: auth.example\n');
    await assert.rejects(loadSettings(ctx(), { configFile: file }), (err: unknown) => err instanceof ConfigError && /federation_endpoint/.test(err.message));
  });
});

describe('emulator --imds-listen', () => {
  it('parses ADDRESS:PORT, IPv6 in brackets, and refuses the rest', () => {
    assert.deepEqual(parseListen('169.254.169.254:80'), { host: '169.254.169.254', port: 80 });
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
    for (const bad of ['169.254.169.254', ':80', 'host:99999', '']) assert.throws(() => parseListen(bad), /ADDRESS:PORT/, bad);
  });
});
