/**
 * Resolver against the emulator through the real OCI SDK, no cache: every reference form, version/stage
 * selection, compartment lookup over pages, final vs transient errors (request counts from the emulator's stats),
 * Retry-After, parallelism.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError, ResolutionError } from '../../src/core/errors.js';
import { requireAll } from '../../src/core/resolve/resolver.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, spec, type ResolverFixture } from '../helpers/resolver-fixture.js';

quietSdkRetryWarnings();

describe('resolver (vault, no cache)', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'github-token': 'ghp_0123456789abcdef', 'db-password': 'pa55word', 'api-key': 'k1' } });
    fx = await resolverFixture(emu.info);
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });
  beforeEach(async () => {
    await emu.admin.clearFaults();
    await emu.admin.resetStats();
  });
  const resolver = (o: Parameters<ResolverFixture['resolver']>[0] = {}) => fx.resolver({ cache: null, ...o });

  it('bare name → GetSecretBundleByName in vault.vault_id', async () => {
    const report = await (await resolver()).resolve([spec('GITHUB_TOKEN', 'github-token')]);
    assert.equal(report.failures.length, 0);
    const [s] = report.secrets;
    assert.equal(s!.value, 'ghp_0123456789abcdef');
    assert.equal(s!.source, 'vault');
    assert.equal(s!.versionNumber, 1);
    assert.match(s!.secretId!, /^ocid1\.vaultsecret\./);
    assert.equal(s!.attempts, 1);
    assert.deepEqual((await emu.admin.stats()).byOperation, { getSecretBundleByName: 1 });
    assert.equal(report.metrics.secretsFetched, 1);
  });

  it('oci-vault://<vault>/<name>, oci-vault://<compartment>/<name>, OCID and oci-vault://<ocid>', async () => {
    const id = (await emu.admin.putSecret('db-password', 'pa55word')).id; // same value: no new version
    const specs = [
      spec('A', `oci-vault://${emu.info.vaultId}/db-password`),
      spec('B', `oci-vault://${emu.info.compartmentId}/api-key`),
      spec('C', id),
      spec('D', `oci-vault://${id}?version=1`),
    ];
    const report = await (await resolver()).resolve(specs);
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.secrets.map((s) => [s.envVar, s.value]), [['A', 'pa55word'], ['B', 'k1'], ['C', 'pa55word'], ['D', 'pa55word']]);
    const ops = (await emu.admin.stats()).byOperation;
    assert.equal(ops.getSecretBundleByName, 1);
    assert.equal(ops.listSecrets, 1);
    assert.equal(ops.getSecretBundle, 3);
  });

  it('version and stage selectors', async () => {
    await emu.admin.putSecret('rotating', 'v1');
    await emu.admin.putSecret('rotating', 'v2');
    await emu.admin.putSecret('rotating', 'v3');
    const report = await (await resolver()).resolve([
      spec('CUR', 'rotating'),
      spec('V1', 'rotating?version=1'),
      spec('PREV', 'rotating?stage=PREVIOUS'),
      spec('LATEST', 'rotating?stage=latest'),
    ]);
    assert.deepEqual(report.failures, []);
    assert.deepEqual(
      report.secrets.map((s) => [s.envVar, s.value, s.versionNumber]),
      [['CUR', 'v3', 3], ['V1', 'v1', 1], ['PREV', 'v2', 2], ['LATEST', 'v3', 3]],
    );
    assert.ok(report.secrets[0]!.stages?.includes('CURRENT'));
  });

  it('compartment lookup reads every page (page size 1) and refuses an ambiguous name', async () => {
    const { compartmentId, keyId } = emu.info;
    const store = emu.emulator.store;
    for (let i = 0; i < 3; i++) store.upsert({ compartmentId, vaultId: `ocid1.vault.oc1.us-ashburn-1.other${i}`, keyId }, 'shared-name', Buffer.from(`s${i}`).toString('base64'));
    for (let i = 0; i < 5; i++) store.upsert({ compartmentId, vaultId: emu.info.vaultId, keyId }, `filler-${i}`, Buffer.from('f').toString('base64'));
    emu.emulator.paging.maxPageSize = 1;
    const r = await resolver();
    const ambiguous = await r.resolve([spec('S', `oci-vault://${compartmentId}/shared-name`)]);
    assert.equal(ambiguous.failures[0]?.error.kind, 'invalid');
    assert.match(ambiguous.failures[0]!.error.message, /ambiguous.*3 vaults/);
    assert.equal((await emu.admin.stats()).byOperation.listSecrets, 3, 'one request per page');

    await emu.admin.resetStats();
    const found = await r.resolve([spec('F', `oci-vault://${compartmentId}/filler-3`)]);
    assert.equal(found.secrets[0]?.value, 'f');
    assert.deepEqual((await emu.admin.stats()).byOperation, { listSecrets: 1, getSecretBundle: 1 });

    const missing = await r.resolve([spec('M', `oci-vault://${compartmentId}/no-such-secret`)]);
    assert.equal(missing.failures[0]?.error.kind, 'not_found');
    emu.emulator.paging.maxPageSize = 3;
  });

  it('404 is final: exactly one request, requireAll throws exit 3 naming the secret', async () => {
    const report = await (await resolver()).resolve([spec('GITHUB_TOKEN', 'github-token'), spec('MISSING_ONE', 'does-not-exist')]);
    assert.equal((await emu.admin.stats()).byOperation.getSecretBundleByName, 2);
    const f = report.failures[0]!;
    assert.equal(f.error.kind, 'not_found');
    assert.equal(f.attempts, 1);
    assert.throws(
      () => requireAll(report),
      (e: ResolutionError) => e.exitCode === 3 && /MISSING_ONE \(does-not-exist\)/.test(e.message) && !/GITHUB_TOKEN/.test(e.message),
    );
  });

  it('optional failures warn, do not fail requireAll', async () => {
    const report = await (await resolver()).resolve([spec('OPT', 'nope', false), spec('GITHUB_TOKEN', 'github-token')]);
    assert.equal(report.failures.length, 1);
    requireAll(report);
    assert.match(report.warnings.join('\n'), /optional secret OPT \(nope\) left out/);
  });

  it('503, 503, then 200 → success after two retries', async () => {
    await emu.admin.faults({ status: 503, count: 2 });
    const report = await (await resolver()).resolve([spec('GITHUB_TOKEN', 'github-token')]);
    assert.equal(report.secrets[0]?.value, 'ghp_0123456789abcdef');
    assert.equal(report.secrets[0]?.attempts, 3);
    assert.equal(report.metrics.retries, 2);
    assert.equal((await emu.admin.stats()).requests, 3);
  });

  it('429 with Retry-After: 1 waits about a second, then succeeds', async () => {
    await emu.admin.faults({ status: 429, retryAfter: 1, count: 1 });
    const retries: number[] = [];
    const t0 = performance.now();
    const report = await (await resolver()).resolve([spec('GITHUB_TOKEN', 'github-token')], {
      onEvent: (e) => e.type === 'retry' && retries.push(e.delayMs),
    });
    const ms = performance.now() - t0;
    assert.equal(report.secrets[0]?.value, 'ghp_0123456789abcdef');
    assert.deepEqual(retries, [1000]);
    assert.ok(ms >= 990 && ms < 4000, `took ${ms} ms`);
    assert.equal((await emu.admin.stats()).requests, 2);
  });

  it('same reference for two variables is fetched once', async () => {
    const report = await (await resolver()).resolve([spec('A', 'api-key'), spec('B', 'api-key')]);
    assert.deepEqual(report.secrets.map((s) => [s.envVar, s.value]), [['A', 'k1'], ['B', 'k1']]);
    assert.equal((await emu.admin.stats()).requests, 1);
  });

  it('a bare name without vault.vault_id is a ConfigError (exit 2) before any request', async () => {
    const settings = { ...fx.settings, vault: { ...fx.settings.vault, vault_id: undefined } };
    const r = await resolver({ settings });
    await assert.rejects(r.resolve([spec('A', 'api-key')]), (e: ConfigError) => e instanceof ConfigError && e.exitCode === 2 && /vault\.vault_id/.test(e.message + e.hint));
    assert.equal((await emu.admin.stats()).requests, 0);
  });
});

describe('resolver parallelism', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  const names = Array.from({ length: 10 }, (_, i) => `par-${i}`);
  before(async () => {
    emu = await startTestEmulator({ seed: Object.fromEntries(names.map((n) => [n, `value-${n}`])), latencyMs: 300 });
    fx = await resolverFixture(emu.info, { resilience: { timeout_ms: 5000, concurrency: 10 } });
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });

  it('10 secrets at 300 ms latency resolve in < 2x the time of one', async () => {
    const r = await fx.resolver({ cache: null });
    await r.resolve([spec('WARM', names[0]!)]); // SDK loaded, connection pool warm
    // timing on a shared 2-core CI box: best of 3 tries, so another test file's CPU burst does not decide it
    const tries: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      let t0 = performance.now();
      const one = await r.resolve([spec('ONE', names[1]!)]);
      const oneMs = performance.now() - t0;
      t0 = performance.now();
      const ten = await r.resolve(names.map((n, i) => spec(`S${i}`, n)));
      const tenMs = performance.now() - t0;
      assert.equal(one.secrets.length, 1);
      assert.equal(ten.secrets.length, 10);
      tries.push(`one ${oneMs.toFixed(0)} ms, ten ${tenMs.toFixed(0)} ms`);
      if (tenMs < 2 * oneMs) return;
    }
    assert.fail(tries.join('; '));
  });
});
