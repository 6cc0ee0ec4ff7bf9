/**
 * Resolver logic with fake SDK clients (no network): dedup, bounded concurrency, sources, stale serving, purge,
 * offline/refresh, events, metrics, requireAll. The same paths against the real SDK are in test/integration.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createSecretCache, scopeOf, type SecretCache } from '../../src/core/cache/secret-cache.js';
import type { AppContext } from '../../src/core/context.js';
import { ConfigError, ResolutionError } from '../../src/core/errors.js';
import type { VaultClients } from '../../src/core/vault/access.js';
import { formatSecretRef, parseSecretRef } from '../../src/core/vault/refs.js';
import { breakerKeyOf, createResolver, formatAge, requireAll, type ResolverEvent } from '../../src/core/resolve/resolver.js';
import type { Settings } from '../../src/core/config/settings/index.js';

const VAULT = 'ocid1.vault.oc1.x.vault1';
const spec = (envVar: string, text: string, required = true) => {
  const ref = parseSecretRef(text);
  return { envVar, ref, reference: formatSecretRef(ref), required };
};

/** Fake SDK: secrets by name; each call stays in flight for `turns` event-loop turns (no timers), so parallel calls overlap. */
function fakeClients(values: Record<string, string>, opts: { turns?: number; fail?: (name: string, n: number) => unknown } = {}) {
  const calls: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const counts = new Map<string, number>();
  const clients: Partial<VaultClients> = {
    secrets: async () =>
      ({
        getSecretBundleByName: async (req: { secretName: string; versionNumber?: number }) => {
          calls.push(req.secretName);
          const n = (counts.get(req.secretName) ?? 0) + 1;
          counts.set(req.secretName, n);
          peak = Math.max(peak, ++inFlight);
          try {
            for (let i = 0; i < (opts.turns ?? 1); i++) await new Promise((r) => setImmediate(r));
            const failure = opts.fail?.(req.secretName, n);
            if (failure) throw failure;
            const value = values[req.secretName];
            if (value === undefined) throw { statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound', message: 'raw sdk text with Authorization: Signature keyId=SECRET' };
            return { secretBundle: { secretId: `ocid1.vaultsecret.oc1.x.${req.secretName}`, versionNumber: 1, stages: ['CURRENT'], secretBundleContent: { contentType: 'BASE64', content: Buffer.from(value).toString('base64') } } };
          } finally {
            inFlight--;
          }
        },
      }) as never,
    vaults: async () => ({}) as never,
  };
  return { clients, calls, peak: () => peak };
}

describe('resolver with fake clients', () => {
  let root: string;
  let settings: Settings;
  let ctx: AppContext;
  let key: Buffer;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-resolver-unit-'));
    settings = {
      vault: { vault_id: VAULT, endpoint: 'http://127.0.0.1:1' },
      auth: { method: 'api_key', config_file: '/nonexistent', profile: 'DEFAULT' },
      cache: { enabled: true, dir: path.join(root, 'cache'), ttl: 60, max_stale: 3600 },
      resilience: { timeout_ms: 200, retries: 2, breaker_threshold: 1000, breaker_reset_ms: 60_000, concurrency: 3, deadline_ms: 30_000 },
    };
    ctx = { env: {}, cwd: root, homeDir: root, stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), now: Date.now };
    key = randomBytes(32);
  });
  after(() => rm(root, { recursive: true, force: true }));
  const cacheAt = (ageMs: number): SecretCache => createSecretCache({ dir: settings.cache.dir, key, keySource: 'env', scope: scopeOf(settings), now: () => Date.now() - ageMs });
  const resolver = (clients: Partial<VaultClients>, cache: SecretCache | null = null, s = settings) =>
    createResolver({ settings: s, ctx, cache, clients: async () => clients as VaultClients, resilience: { backoffBaseMs: 1, backoffMaxMs: 2 } });

  it('dedupes references, bounds concurrency, keeps spec order, emits events', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const fake = fakeClients(Object.fromEntries(names.map((n) => [n, `v-${n}`])), { turns: 5 });
    const events: ResolverEvent[] = [];
    const report = await (await resolver(fake.clients)).resolve([...names.map((n) => spec(n.toUpperCase(), n)), spec('A2', 'a')], { onEvent: (e) => events.push(e) });
    assert.deepEqual(report.secrets.map((s) => [s.envVar, s.value]), [...names.map((n) => [n.toUpperCase(), `v-${n}`]), ['A2', 'v-a']]);
    assert.equal(fake.calls.length, 6);
    assert.equal(fake.peak(), 3, 'resilience.concurrency');
    assert.equal(report.metrics.secretsFetched, 6);
    assert.equal(events.filter((e) => e.type === 'sdk_loaded').length, 1);
    assert.equal(events.filter((e) => e.type === 'resolved').length, 7);
  });

  it('final errors keep our message, never the SDK text; requireAll names each required failure', async () => {
    const report = await (await resolver(fakeClients({ ok: '1' }).clients)).resolve([spec('OK', 'ok'), spec('GONE', 'gone'), spec('OPT', 'opt', false)]);
    assert.deepEqual(report.failures.map((f) => [f.envVar, f.error.kind, f.attempts]), [['GONE', 'not_found', 1], ['OPT', 'not_found', 1]]);
    assert.ok(!JSON.stringify(report.failures.map((f) => f.error.message)).includes('Signature'));
    assert.throws(() => requireAll(report), (e: ResolutionError) => e.exitCode === 3 && e.failures.length === 1 && e.failures[0]!.envVar === 'GONE' && !!e.hint);
    assert.match(report.warnings.join(), /optional secret OPT \(opt\) left out/);
  });

  it('stale copy served on transient failure with a warning; purged on 404', async () => {
    await cacheAt(1800_000).put(parseSecretRef('flaky'), { value: 'old-flaky', secretId: 'ocid1.vaultsecret.oc1.x.flaky', versionNumber: 1 });
    await cacheAt(7200_000).put(parseSecretRef('revoked'), { value: 'old-revoked', secretId: 'ocid1.vaultsecret.oc1.x.revoked', versionNumber: 1 });
    const fake = fakeClients({}, { fail: (name) => (name === 'flaky' ? { statusCode: 503, serviceCode: 'ServiceUnavailable' } : undefined) });
    const events: ResolverEvent[] = [];
    const report = await (await resolver(fake.clients, cacheAt(0))).resolve([spec('F', 'flaky'), spec('R', 'revoked')], { onEvent: (e) => events.push(e) });
    assert.deepEqual(report.secrets.map((s) => [s.envVar, s.source, s.value, s.attempts]), [['F', 'stale', 'old-flaky', 1]]);
    assert.equal(report.failures[0]!.envVar, 'R');
    assert.match(report.warnings[0]!, /F \(flaky\) that is 30 min old: the vault failed \(503 ServiceUnavailable\)/);
    assert.equal(await cacheAt(0).get(parseSecretRef('revoked')), undefined);
    assert.ok(events.some((e) => e.type === 'purged' && e.reference === 'revoked'));
    assert.deepEqual({ ...report.metrics, totalMs: 0 }, { secretsFetched: 0, cacheHits: 0, cacheMisses: 2, staleServed: 1, retries: 0, breakerOpens: 0, totalMs: 0 });
  });

  it('fresh hit needs no clients at all; refresh bypasses it; offline never calls', async () => {
    await cacheAt(1000).put(parseSecretRef('fresh'), { value: 'cached-fresh', secretId: 'ocid1.vaultsecret.oc1.x.fresh', versionNumber: 1 });
    let loaded = 0;
    const fake = fakeClients({ fresh: 'vault-fresh' });
    const r = await createResolver({ settings, ctx, cache: cacheAt(0), clients: async () => (loaded++, fake.clients as VaultClients) });
    const hit = await r.resolve([spec('X', 'fresh')]);
    assert.deepEqual([hit.secrets[0]!.source, hit.secrets[0]!.value, loaded], ['cache', 'cached-fresh', 0]);
    const refreshed = await r.resolve([spec('X', 'fresh')], { refresh: true });
    assert.deepEqual([refreshed.secrets[0]!.source, refreshed.secrets[0]!.value, loaded], ['vault', 'vault-fresh', 1]);
    const offline = await r.resolve([spec('X', 'fresh'), spec('Y', 'never')], { offline: true });
    assert.deepEqual(offline.secrets.map((s) => s.source), ['cache']);
    assert.equal(offline.failures[0]!.error.exitCode, 3);
    assert.equal(fake.calls.length, 1);
  });

  it('bare names need vault.vault_id (ConfigError, exit 2)', async () => {
    const r = await resolver(fakeClients({}).clients, null, { ...settings, vault: {} });
    await assert.rejects(r.resolve([spec('A', 'a')]), (e: ConfigError) => e instanceof ConfigError && e.exitCode === 2);
    const ok = await r.resolve([]);
    assert.deepEqual(ok.secrets, []);
  });

  it('helpers', () => {
    assert.equal(formatAge(5_000), '5 s');
    assert.equal(formatAge(125_000), '2 min');
    assert.equal(formatAge(2 * 3600_000 + 5 * 60_000), '2 h 5 min');
    assert.equal(formatAge(3 * 86400_000), '3 d');
    assert.equal(breakerKeyOf(settings), 'http://127.0.0.1:1');
    assert.equal(breakerKeyOf({ ...settings, vault: { region: 'eu-frankfurt-1' } }), 'region:eu-frankfurt-1');
  });
});
