/**
 * The fault matrix of docs/resolver-and-cache.md, row by row: each vault fault against no cache, a fresh cache
 * entry and a stale one, asserting the value and its source (or the exit-3 error kind) and the number of vault
 * requests the emulator saw. Then the circuit breaker shared across resolvers and processes.
 * Limits: timeout 800 ms (the hang row), 2 retries (3 requests), backoff 20–100 ms (test/helpers/resolver-fixture.ts).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSecretCache, parseCacheKey, scopeOf } from '../../src/core/cache/secret-cache.js';
import type { VaultFailureKind } from '../../src/core/errors.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';
import type { Settings } from '../../src/core/config/settings/index.js';
import type { FaultSpec } from '../../src/emulator/index.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, runResolveChild, spec, type ResolverFixture } from '../helpers/resolver-fixture.js';

quietSdkRetryWarnings();

const NAME = 'matrix-secret';
const VAULT_VALUE = 'value-from-the-vault-001';
const CACHED_VALUE = 'value-from-the-cache-002';

/** One row: the fault, the error kind it maps to, and whether it is transient (retried, stale allowed). */
interface Row {
  fault: string;
  inject?: FaultSpec;
  /** connection refused: point the resolver at a closed port instead of injecting */
  refused?: true;
  kind: VaultFailureKind;
  transient: boolean;
  /** minimum wall time of a transient row (Retry-After honoured), ms */
  minMs?: number;
}

// prettier-ignore
const MATRIX: Row[] = [
  { fault: '500 InternalServerError',        inject: { status: 500 },                 kind: 'server',    transient: true },
  { fault: '503 ServiceUnavailable',         inject: { status: 503 },                 kind: 'server',    transient: true },
  { fault: '429 TooManyRequests, Retry-After: 1', inject: { status: 429, retryAfter: 1 }, kind: 'throttled', transient: true, minMs: 2000 },
  { fault: 'hang past the timeout',          inject: { hang: true },                  kind: 'timeout',   transient: true },
  { fault: 'connection reset',               inject: { reset: true },                 kind: 'network',   transient: true },
  { fault: 'connection refused',             refused: true,                           kind: 'network',   transient: true },
  { fault: 'malformed JSON (200)',           inject: { malformed: true },             kind: 'network',   transient: true },
  { fault: '401 NotAuthenticated',           inject: { status: 401 },                 kind: 'auth',      transient: false },
  { fault: '403 NotAuthorized',              inject: { status: 403 },                 kind: 'forbidden', transient: false },
  { fault: '404 NotAuthorizedOrNotFound',    inject: { status: 404 },                 kind: 'not_found', transient: false },
];

type CacheState = 'none' | 'fresh' | 'stale';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('fault matrix', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  let refusedSettings: Settings;
  before(async () => {
    emu = await startTestEmulator({ seed: { [NAME]: VAULT_VALUE } });
    fx = await resolverFixture(emu.info, { resilience: { timeout_ms: 800 } });
    refusedSettings = { ...fx.settings, vault: { ...fx.settings.vault, endpoint: `http://127.0.0.1:${await closedPort()}` } };
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });

  for (const row of MATRIX) {
    for (const state of ['none', 'fresh', 'stale'] as CacheState[]) {
      it(`${row.fault} · ${state} cache`, async () => {
        const settings = row.refused ? refusedSettings : fx.settings;
        const key = parseCacheKey(fx.ctx.env.VAULTMCP_CACHE_KEY!, 'k');
        const cacheAt = (ageMs: number) => createSecretCache({ dir: settings.cache.dir, key, keySource: 'env', scope: scopeOf(settings), now: () => Date.now() - ageMs });
        const ref = parseSecretRef(NAME);
        await cacheAt(0).clear();
        if (state === 'fresh') await cacheAt(1000).put(ref, { value: CACHED_VALUE, secretId: 'ocid1.vaultsecret.oc1.x.cached', versionNumber: 1 });
        if (state === 'stale') await cacheAt(2 * 3600_000).put(ref, { value: CACHED_VALUE, secretId: 'ocid1.vaultsecret.oc1.x.cached', versionNumber: 1 });
        await emu.admin.clearFaults();
        await emu.admin.resetStats();
        if (row.inject) await emu.admin.faults(row.inject);

        const t0 = performance.now();
        const report = await (await fx.resolver({ settings })).resolve([spec('MATRIX_TOKEN', NAME)]);
        const ms = performance.now() - t0;
        const requests = (await emu.admin.stats()).requests;
        await emu.admin.clearFaults();

        const vaultRequests = row.refused ? 0 : row.transient ? 3 : 1;
        if (state === 'fresh') {
          assert.equal(report.secrets[0]?.source, 'cache');
          assert.equal(report.secrets[0]?.value, CACHED_VALUE);
          assert.equal(requests, 0);
          return;
        }
        // with a stale copy at hand a transient failure gets one attempt, no retries (stale-if-error)
        assert.equal(requests, state === 'stale' && row.transient && !row.refused ? 1 : vaultRequests, 'vault requests');
        if (row.minMs && state === 'none') assert.ok(ms >= row.minMs, `Retry-After honoured (${ms.toFixed(0)} ms)`);
        if (state === 'stale' && row.transient) {
          assert.equal(report.secrets[0]?.source, 'stale');
          assert.equal(report.secrets[0]?.value, CACHED_VALUE);
          assert.equal(report.metrics.staleServed, 1);
          assert.ok(ms < (row.kind === 'timeout' ? 800 + 700 : 1500), `stale served in ${ms.toFixed(0)} ms`);
          assert.match(report.warnings.join('\n'), new RegExp(`MATRIX_TOKEN \\(${NAME}\\) that is 2 h old`));
          return;
        }
        assert.equal(report.secrets.length, 0);
        const f = report.failures[0]!;
        assert.equal(f.error.kind, row.kind);
        assert.equal(f.error.exitCode, 3);
        assert.equal(f.attempts, row.transient ? 3 : 1);
        if (state === 'stale') assert.equal(await cacheAt(0).get(ref), undefined, 'a 401/403/404 purges the entry');
      });
    }
  }
});

describe('circuit breaker shared across resolvers and processes', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  before(async () => {
    emu = await startTestEmulator({ seed: { [NAME]: VAULT_VALUE, other: 'other-value-123' } });
    fx = await resolverFixture(emu.info, { resilience: { breaker_threshold: 3, retries: 2, breaker_reset_ms: 60_000 } });
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });

  it('opens after the threshold; a new resolver and a new process then fail fast with no request', async () => {
    await emu.admin.faults({ status: 500 });
    const events: string[] = [];
    const first = await (await fx.resolver({ cache: null })).resolve([spec('MATRIX_TOKEN', NAME)], { onEvent: (e) => e.type === 'breaker' && events.push(e.state) });
    assert.equal(first.failures[0]?.error.kind, 'server');
    assert.deepEqual(events, ['open']);
    assert.equal(first.metrics.breakerOpens, 1);
    const state = JSON.parse(await readFile(path.join(fx.cacheDir, 'breaker.json'), 'utf8'));
    assert.equal(Object.values(state.breakers as Record<string, { state: string }>)[0]!.state, 'open');

    await emu.admin.resetStats();
    const t0 = performance.now();
    const second = await (await fx.resolver({ cache: null })).resolve([spec('MATRIX_TOKEN', NAME), spec('OTHER', 'other')]);
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `${ms} ms`);
    assert.deepEqual(second.failures.map((f) => f.error.kind), ['breaker_open', 'breaker_open']);
    assert.equal(second.failures[0]!.attempts, 0);

    // stale copies are served while it is open
    const key = parseCacheKey(fx.ctx.env.VAULTMCP_CACHE_KEY!, 'k');
    await createSecretCache({ dir: fx.cacheDir, key, keySource: 'env', scope: scopeOf(fx.settings), now: () => Date.now() - 7200_000 }).put(parseSecretRef(NAME), {
      value: CACHED_VALUE,
      secretId: 'ocid1.vaultsecret.oc1.x.cached',
      versionNumber: 1,
    });
    const t1 = performance.now();
    const stale = await (await fx.resolver()).resolve([spec('MATRIX_TOKEN', NAME)]);
    assert.ok(performance.now() - t1 < 200);
    assert.equal(stale.secrets[0]?.source, 'stale');
    assert.match(stale.warnings[0]!, /circuit breaker is open/);

    const child = await runResolveChild(emu.info.resolverConfig, [`OTHER=other`], {
      ...fx.ctx.env,
      CHILD_CACHE: JSON.stringify({ dir: fx.cacheDir }),
      CHILD_RESILIENCE: JSON.stringify(fx.settings.resilience),
    });
    assert.deepEqual(child.failures, [{ envVar: 'OTHER', kind: 'breaker_open' }]);
    assert.ok(child.ms < 200, `child resolved in ${child.ms} ms`);
    assert.deepEqual(child.ociModules, [], 'an open breaker does not even load the SDK');
    assert.equal((await emu.admin.stats()).requests, 0);
  });

  it('after breaker_reset_ms one probe goes through and closes it', async () => {
    const settings = { ...fx.settings, resilience: { ...fx.settings.resilience, breaker_reset_ms: 300 } };
    await emu.admin.clearFaults();
    // the reset time passes: the shared breaker state says it opened 350 ms ago (what another process would see)
    const file = path.join(fx.cacheDir, 'breaker.json');
    const before = JSON.parse(await readFile(file, 'utf8')) as { breakers: Record<string, { openedAt?: number }> };
    for (const b of Object.values(before.breakers)) if (b.openedAt !== undefined) b.openedAt = Date.now() - 350;
    await writeFile(file, JSON.stringify(before));
    await emu.admin.resetStats();
    const events: string[] = [];
    const report = await (await fx.resolver({ settings, cache: null })).resolve([spec('OTHER', 'other')], { onEvent: (e) => e.type === 'breaker' && events.push(e.state) });
    assert.equal(report.secrets[0]?.value, 'other-value-123');
    assert.deepEqual(events, ['half_open', 'closed']);
    assert.equal((await emu.admin.stats()).requests, 1);
    const state = JSON.parse(await readFile(path.join(fx.cacheDir, 'breaker.json'), 'utf8'));
    assert.deepEqual(Object.values(state.breakers as Record<string, { state: string; failures: number }>).map((b) => [b.state, b.failures]), [['closed', 0]]);
  });

  it('failures of separate launches add up in the shared file', async () => {
    const settings = { ...fx.settings, resilience: { ...fx.settings.resilience, retries: 0, breaker_threshold: 3 } };
    await emu.admin.faults({ status: 503 });
    for (let i = 0; i < 3; i++) {
      const r = await (await fx.resolver({ settings, cache: null })).resolve([spec('OTHER', 'other')]);
      assert.equal(r.failures[0]?.error.kind, 'server', `launch ${i + 1}`);
    }
    await emu.admin.resetStats();
    const fourth = await (await fx.resolver({ settings, cache: null })).resolve([spec('OTHER', 'other')]);
    assert.equal(fourth.failures[0]?.error.kind, 'breaker_open');
    assert.equal((await emu.admin.stats()).requests, 0);
    await emu.admin.clearFaults();
  });
});
