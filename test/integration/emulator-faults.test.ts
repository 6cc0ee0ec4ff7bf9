/**
 * Fault injection and request stats of the emulator's admin API (src/emulator/admin.ts), observed through
 * the real OCI SDK (retries and breaker off) and raw signed requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../../src/emulator/index.js';
import { quietSdkRetryWarnings, sdkClients, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { waitUntil } from '../helpers/wait.js';

quietSdkRetryWarnings();

type Clients = Awaited<ReturnType<typeof sdkClients>>;

describe('emulator: faults and stats', () => {
  let emu: TestEmulator;
  let c: Clients;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'api-key': 'k1', other: 'o1' } });
    c = await sdkClients(emu.info);
  });
  after(async () => emu.close());

  const get = () => c.secrets.getSecretBundleByName({ secretName: 'api-key', vaultId: emu.info.vaultId });
  const statusOf = async (p: Promise<unknown>): Promise<number | string> => {
    try {
      await p;
      return 200;
    } catch (e) {
      return (e as { statusCode?: number }).statusCode ?? 'transport';
    }
  };
  const signedFetch = (method: string, url: URL) => {
    const ids = emu.emulator.ids;
    const headers = signRequest({ method, url, keyId: `${ids.tenancyId}/${ids.userId}/${ids.fingerprint}`, privateKeyPem: ids.privateKeyPem });
    return fetch(url, { method, headers });
  };

  it('503 count 2, then 200', async () => {
    await emu.admin.faults({ status: 503, count: 2 });
    await assert.rejects(get(), (e: { statusCode: number; serviceCode: string }) => e.statusCode === 503 && e.serviceCode === 'ServiceUnavailable');
    assert.equal(await statusOf(get()), 503);
    assert.equal(await statusOf(get()), 200);
  });

  it('429 TooManyRequests with a Retry-After header (seconds)', async () => {
    await emu.admin.faults({ status: 429, retryAfter: 1, count: 1 });
    const url = new URL(`${emu.url}/20190301/secretbundles/actions/getByName?secretName=api-key&vaultId=${emu.info.vaultId}`);
    const res = await signedFetch('POST', url);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.deepEqual(await res.json(), { code: 'TooManyRequests', message: 'injected fault: HTTP 429' });
    assert.ok(res.headers.get('opc-request-id'));
    await emu.admin.faults({ status: 429, count: 1 });
    await assert.rejects(get(), (e: { statusCode: number; serviceCode: string }) => e.statusCode === 429 && e.serviceCode === 'TooManyRequests');
    assert.equal(await statusOf(get()), 200);
  });

  it('path targets one operation (by name or URL substring); custom code', async () => {
    await emu.admin.faults({ status: 500, code: 'Boom', path: 'getSecretBundle' });
    const id = (await get()).secretBundle.secretId;
    await assert.rejects(c.secrets.getSecretBundle({ secretId: id }), (e: { statusCode: number; serviceCode: string }) => e.statusCode === 500 && e.serviceCode === 'Boom');
    assert.equal(await statusOf(get()), 200, 'getSecretBundleByName is another operation');
    await emu.admin.clearFaults();
    await emu.admin.faults({ status: 404, path: '/20180608/secrets', count: 1 });
    assert.equal(await statusOf(c.vaults.getSecret({ secretId: id })), 404);
    assert.equal(await statusOf(c.vaults.getSecret({ secretId: id })), 200);
  });

  it('hang: no answer until faults are cleared, then served', async () => {
    await emu.admin.faults({ hang: true, path: 'getSecretBundleByName' });
    let settled = false;
    await emu.admin.resetStats();
    const pending = get().finally(() => (settled = true));
    await waitUntil(async () => (await emu.admin.stats()).byOperation.getSecretBundleByName === 1, 'the request to reach the emulator');
    // it arrived and a stats round trip later is still unanswered (an answer would already have come back)
    await emu.admin.stats();
    assert.equal(settled, false, 'still hanging after it arrived');
    await emu.admin.clearFaults();
    const r = await pending;
    assert.equal(r.secretBundle.versionNumber, 1);
  });

  it('hang: closing the emulator drops hung requests promptly', async () => {
    const other = await startTestEmulator({ seed: { x: 'y' } });
    const oc = await sdkClients(other.info);
    await other.admin.faults({ hang: true });
    const pending = oc.secrets.getSecretBundleByName({ secretName: 'x', vaultId: other.info.vaultId });
    pending.catch(() => undefined);
    await waitUntil(async () => (await other.admin.stats()).requests === 1, 'the request to reach the emulator');
    const t0 = Date.now();
    await other.close();
    assert.ok(Date.now() - t0 < 1000, 'close is prompt');
    assert.equal(await statusOf(pending), 'transport');
  });

  it('reset: the connection is destroyed (transport error, not OciError)', async () => {
    await emu.admin.faults({ reset: true, count: 1 });
    await assert.rejects(get(), (e: { statusCode?: number; message?: string }) => {
      assert.equal(e.statusCode, undefined);
      assert.match(String(e.message), /fetch failed|socket|other side closed/i);
      return true;
    });
    assert.equal(await statusOf(get()), 200);
  });

  it('malformed: 200 with an invalid JSON body', async () => {
    await emu.admin.faults({ malformed: true, count: 1 });
    const url = new URL(`${emu.url}/20190301/secretbundles/actions/getByName?secretName=api-key&vaultId=${emu.info.vaultId}`);
    const res = await signedFetch('POST', url);
    assert.equal(res.status, 200);
    await assert.rejects(async () => JSON.parse(await res.text()));
    await emu.admin.faults({ malformed: true, count: 1 });
    await assert.rejects(get());
    assert.equal(await statusOf(get()), 200);
  });

  it('latencyMs fault delays matching requests', async () => {
    await emu.admin.faults({ latencyMs: 250, count: 1 });
    const t0 = Date.now();
    await get();
    assert.ok(Date.now() - t0 >= 240, `took ${Date.now() - t0} ms`);
    const t1 = Date.now();
    await get();
    assert.ok(Date.now() - t1 < 200, 'count consumed');
  });

  it('invalid fault bodies → 400', async () => {
    const post = (body: unknown) => fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post({})).status, 400);
    assert.equal((await post({ status: 'x' })).status, 400);
    assert.equal((await post({ hang: true, reset: true })).status, 400);
    assert.equal((await fetch(`${emu.url}/_emulator/nothing`)).status, 404);
  });

  it('stats count API requests per operation (faulted and rejected too), not admin calls; reset', async () => {
    await emu.admin.clearFaults();
    await emu.admin.resetStats();
    await get();
    await get();
    await emu.admin.faults({ status: 503, count: 1, path: 'listSecrets' });
    assert.equal(await statusOf(c.vaults.listSecrets({ compartmentId: emu.info.compartmentId })), 503);
    await fetch(`${emu.url}/20190301/secretbundles/x`); // unsigned → 401, still counted
    await emu.admin.stats();
    const stats = await emu.admin.stats();
    assert.deepEqual(stats, { requests: 4, byOperation: { getSecretBundleByName: 2, listSecrets: 1, getSecretBundle: 1 } });
    await emu.admin.resetStats();
    assert.deepEqual(await emu.admin.stats(), { requests: 0, byOperation: {} });
  });
});

describe('emulator: global latency', () => {
  let emu: TestEmulator;
  let c: Clients;
  const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
  before(async () => {
    emu = await startTestEmulator({ seed: Object.fromEntries(names.map((n) => [n, `v-${n}`])), latencyMs: 300 });
    c = await sdkClients(emu.info);
  });
  after(async () => emu.close());

  it('10 parallel reads with 300 ms latency take < 2x one read (latency does not serialize)', async () => {
    const one = async (n: string) => c.secrets.getSecretBundleByName({ secretName: n, vaultId: emu.info.vaultId });
    await one('s0'); // warm up connections and the SDK
    const t0 = Date.now();
    await one('s1');
    const single = Date.now() - t0;
    assert.ok(single >= 290, `one read took ${single} ms`);
    const t1 = Date.now();
    const all = await Promise.all(names.map(one));
    const parallel = Date.now() - t1;
    assert.equal(all.length, 10);
    assert.ok(parallel < 2 * single, `10 parallel reads took ${parallel} ms, one took ${single} ms`);
  });
});
