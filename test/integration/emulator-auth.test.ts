/**
 * Request-signature verification of the emulator (oci-api.md §4): every API request must be signed by a
 * registered key, with a fresh date and, for POST/PUT, a body matching x-content-sha256.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { keyFingerprint, signRequest } from '../../src/emulator/index.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();

describe('emulator: request signatures', () => {
  let emu: TestEmulator;
  let keyId: string;
  before(async () => {
    emu = await startTestEmulator({ seed: { token: 's3cret' } });
    const ids = emu.emulator.ids;
    keyId = `${ids.tenancyId}/${ids.userId}/${ids.fingerprint}`;
  });
  after(async () => emu.close());

  const byNameUrl = () => new URL(`${emu.url}/20190301/secretbundles/actions/getByName?secretName=token&vaultId=${emu.info.vaultId}`);
  async function send(method: string, url: URL, headers: Record<string, string>, body?: string) {
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as { code?: string } | undefined, requestId: res.headers.get('opc-request-id') };
  }

  it('accepts a hand-signed TS-SDK-style request (x-date) and echoes opc-request-id', async () => {
    const url = byNameUrl();
    const h = signRequest({ method: 'POST', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem });
    const r = await send('POST', url, { ...h, 'opc-request-id': 'CLIENT-ID-1' });
    assert.equal(r.status, 200);
    assert.equal(r.requestId, 'CLIENT-ID-1');
  });

  it('accepts Python/CLI-style headers: pairs in another order, signed `date`', async () => {
    const url = new URL(`${emu.url}/20180608/secrets?compartmentId=${emu.info.compartmentId}`);
    const h = signRequest({ method: 'GET', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem });
    // Re-sign with `date` instead of x-date, keys in Python order.
    const { createSign } = await import('node:crypto');
    const date = new Date().toUTCString();
    const text = `date: ${date}\n(request-target): get ${url.pathname}${url.search}\nhost: ${url.host}`;
    const sig = createSign('RSA-SHA256').update(text).sign(emu.emulator.ids.privateKeyPem, 'base64');
    const auth = `Signature algorithm="rsa-sha256",headers="date (request-target) host",keyId="${keyId}",signature="${sig}",version="1"`;
    const r = await send('GET', url, { host: h.host, date, authorization: auth });
    assert.equal(r.status, 200);
    assert.equal(r.requestId?.length, 32, 'a generated opc-request-id');
  });

  it('unsigned → 401 NotAuthenticated', async () => {
    const r = await send('POST', byNameUrl(), {});
    assert.equal(r.status, 401);
    assert.equal(r.json?.code, 'NotAuthenticated');
    assert.ok(r.requestId);
  });

  it('wrong signing key (same keyId) → 401 through the SDK', async () => {
    const common = await import('oci-common');
    const { SecretsClient } = await import('oci-secrets');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const ids = emu.emulator.ids;
    const auth = new common.SimpleAuthenticationDetailsProvider(ids.tenancyId, ids.userId, ids.fingerprint, other, null, common.Region.US_ASHBURN_1);
    const client = new SecretsClient(
      { authenticationDetailsProvider: auth },
      { retryConfiguration: common.NoRetryConfigurationDetails, circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }) },
    );
    client.endpoint = emu.url;
    await assert.rejects(client.getSecretBundleByName({ secretName: 'token', vaultId: emu.info.vaultId }), (e: { statusCode: number; serviceCode: string }) => {
      assert.equal(e.statusCode, 401);
      assert.equal(e.serviceCode, 'NotAuthenticated');
      return true;
    });
  });

  it('a key registered through the admin API is trusted', async () => {
    const common = await import('oci-common');
    const { SecretsClient } = await import('oci-secrets');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const fp = keyFingerprint(pair.publicKey);
    const user = 'ocid1.user.oc1..second';
    await emu.admin.registerKey(`${emu.info.tenancyId}/${user}/${fp}`, pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const auth = new common.SimpleAuthenticationDetailsProvider(emu.info.tenancyId, user, fp, pem, null, common.Region.US_ASHBURN_1);
    const client = new SecretsClient({ authenticationDetailsProvider: auth }, { retryConfiguration: common.NoRetryConfigurationDetails });
    client.endpoint = emu.url;
    const r = await client.getSecretBundleByName({ secretName: 'token', vaultId: emu.info.vaultId });
    assert.equal(r.secretBundle.versionNumber, 1);
  });

  it('session-token keyIds (ST$<token>) map to registered session keys', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const url = byNameUrl();
    const unregistered = signRequest({ method: 'POST', url, keyId: 'ST$eyJhbGciOi.fake.token', privateKeyPem: pem });
    assert.equal((await send('POST', url, unregistered)).status, 401);
    await emu.admin.registerKey('ST$eyJhbGciOi.fake.token', pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const registered = signRequest({ method: 'POST', url, keyId: 'ST$eyJhbGciOi.fake.token', privateKeyPem: pem });
    assert.equal((await send('POST', url, registered)).status, 200);
  });

  it('SDK SessionAuthDetailProvider (security_token_file) works once ST$<token> is registered', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const common = await import('oci-common');
    const { SecretsClient } = await import('oci-secrets');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-session-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(path.join(dir, 'session_key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    const token = 'eyJraWQiOiJlbXUifQ.eyJzdWIiOiJlbXVsYXRvciJ9.c2lnbmF0dXJl';
    await writeFile(path.join(dir, 'token'), token); // no trailing newline, as `oci session authenticate` writes it
    const config = path.join(dir, 'config');
    await writeFile(
      config,
      `[SESSION]\nfingerprint=${keyFingerprint(pair.publicKey)}\nkey_file=${dir}/session_key.pem\ntenancy=${emu.info.tenancyId}\n` +
        `region=${emu.info.region}\nsecurity_token_file=${dir}/token\n`,
    );
    await emu.admin.registerKey(`ST$${token}`, pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const originalInfo = console.info;
    console.info = () => undefined; // the SDK's "No DEFAULT profile" notice (oci-api.md §3)
    const auth = new common.SessionAuthDetailProvider(config, 'SESSION');
    console.info = originalInfo;
    const client = new SecretsClient({ authenticationDetailsProvider: auth }, { retryConfiguration: common.NoRetryConfigurationDetails });
    client.endpoint = emu.url;
    const r = await client.getSecretBundleByName({ secretName: 'token', vaultId: emu.info.vaultId });
    assert.equal(r.secretBundle.versionNumber, 1);
  });

  it('stale x-date (> 5 min) → 401; 4 min is fine', async () => {
    const url = byNameUrl();
    const stale = signRequest({ method: 'POST', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem, date: new Date(Date.now() - 6 * 60 * 1000) });
    const r = await send('POST', url, stale);
    assert.equal(r.status, 401);
    assert.equal(r.json?.code, 'NotAuthenticated');
    const future = signRequest({ method: 'POST', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem, date: new Date(Date.now() + 6 * 60 * 1000) });
    assert.equal((await send('POST', url, future)).status, 401);
    const fine = signRequest({ method: 'POST', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem, date: new Date(Date.now() - 4 * 60 * 1000) });
    assert.equal((await send('POST', url, fine)).status, 200);
  });

  it('tampered body, tampered query or forged x-content-sha256 → 401', async () => {
    const url = new URL(`${emu.url}/20180608/secrets`);
    const details = (name: string) =>
      JSON.stringify({
        compartmentId: emu.info.compartmentId,
        vaultId: emu.info.vaultId,
        keyId: emu.info.keyId,
        secretName: name,
        secretContent: { contentType: 'BASE64', content: 'aGk=' },
      });
    const signed = signRequest({ method: 'POST', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem, body: details('good-one') });
    const tampered = await send('POST', url, signed, details('evil-one'));
    assert.equal(tampered.status, 401);
    assert.equal(tampered.json?.code, 'NotAuthenticated');
    const forged = await send('POST', url, { ...signed, 'x-content-sha256': 'AAAA' }, details('good-one'));
    assert.equal(forged.status, 401);
    const ok = await send('POST', url, signed, details('good-one'));
    assert.equal(ok.status, 200);

    const q = byNameUrl();
    const h = signRequest({ method: 'POST', url: q, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem });
    const moved = new URL(q);
    moved.searchParams.set('secretName', 'other');
    assert.equal((await send('POST', moved, h)).status, 401);
  });

  it('identity and KMS requests are verified too', async () => {
    const url = new URL(`${emu.url}/20160918/compartments?compartmentId=${emu.info.tenancyId}`);
    assert.equal((await send('GET', url, {})).status, 401);
    const h = signRequest({ method: 'GET', url, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem });
    assert.equal((await send('GET', url, h)).status, 200);
  });

  it('admin API needs no signature; unknown API paths → 404 NotFound, wrong method → 405', async () => {
    assert.equal((await fetch(`${emu.url}/_emulator/stats`)).status, 200);
    const u = new URL(`${emu.url}/20180608/nothing`);
    const r = await send('GET', u, signRequest({ method: 'GET', url: u, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem }));
    assert.equal(r.status, 404);
    assert.equal(r.json?.code, 'NotFound');
    const d = new URL(`${emu.url}/20180608/secrets`);
    const m = await send('DELETE', d, signRequest({ method: 'DELETE', url: d, keyId, privateKeyPem: emu.emulator.ids.privateKeyPem }));
    assert.equal(m.status, 405);
    assert.equal(m.json?.code, 'MethodNotAllowed');
  });
});
