#!/usr/bin/env node
/**
 * Resolver timings, in-process, real OCI SDK against the vault emulator on loopback (bench/lib.mjs conventions:
 * a summary on stderr, the last stdout line `BENCH_JSON {...}`):
 *   - 1 secret vs 10 secrets at 300 ms emulated latency, warm resolver, no cache: median of 5 each and the ratio
 *     (parallel resolution: target 10 ≤ 2 × 1)
 *   - fresh cache hit: `resolve()` of a cached secret (no vault call, no SDK), and createResolver + resolve
 *   - stale serve while the vault hangs, timeout_ms 300: target ≤ timeout + 100 ms
 *   - open circuit breaker (shared state file) in a new resolver: target < 200 ms
 * The TypeScript sources are loaded through tsx: this file re-runs itself with `--import tsx` when needed.
 * Usage: node bench/resolve.bench.mjs [--runs=N]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
if (!process.env.VAULTMCP_BENCH_TSX) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, VAULTMCP_BENCH_TSX: '1' },
    cwd: path.resolve(path.dirname(here), '..'),
  });
  process.exit(r.status ?? 1);
}

// the OCI SDK loader silences console.* (src/core/vault/sdk.ts); report() prints with console.log
const consoleLog = console.log;
const { median, report, summarize } = await import('./lib.mjs');
const { randomBytes } = await import('node:crypto');
const { startTestEmulator } = await import('../test/helpers/emulator.ts');
const { resolverFixture, spec } = await import('../test/helpers/resolver-fixture.ts');
const { createSecretCache, parseCacheKey, scopeOf } = await import('../src/core/cache/secret-cache.ts');
const { parseSecretRef } = await import('../src/core/vault/refs.ts');

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);
const log = (s) => process.stderr.write(`${s}\n`);
const rows = [];
const time = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

// --- parallelism at 300 ms latency
{
  const names = Array.from({ length: 10 }, (_, i) => `bench-${i}`);
  const emu = await startTestEmulator({ seed: Object.fromEntries(names.map((n) => [n, `v-${randomBytes(8).toString('hex')}`])), latencyMs: 300 });
  const fx = await resolverFixture(emu.info, { resilience: { timeout_ms: 5000, concurrency: 10 } });
  const r = await fx.resolver({ cache: null });
  await r.resolve([spec('WARM', names[0])]);
  const one = [];
  const ten = [];
  for (let i = 0; i < runs; i++) {
    one.push(await time(() => r.resolve([spec('ONE', names[i % 10])])));
    ten.push(await time(() => r.resolve(names.map((n, j) => spec(`S${j}`, n)))));
  }
  const ratio = median(ten) / median(one);
  rows.push(summarize('1 secret, 300 ms latency, warm, no cache', one));
  rows.push(summarize('10 secrets, 300 ms latency, warm, no cache', ten, { target_ms: Math.round(2 * median(one)), note: `ratio 10/1 = ${ratio.toFixed(2)} (target < 2)` }));
  log(`1 secret ${median(one).toFixed(0)} ms, 10 secrets ${median(ten).toFixed(0)} ms, ratio ${ratio.toFixed(2)}`);
  await r.close();
  await emu.close();
  await fx.close();
}

// --- cache hit, stale serve on hang, open breaker
{
  const emu = await startTestEmulator({ seed: { 'bench-token': 'ghp_bench0123456789' } });
  const fx = await resolverFixture(emu.info, { resilience: { timeout_ms: 300, retries: 2 } });
  const key = parseCacheKey(fx.ctx.env.VAULTMCP_CACHE_KEY, 'VAULTMCP_CACHE_KEY');
  const cacheAt = (ageMs) => createSecretCache({ dir: fx.cacheDir, key, keySource: 'env', scope: scopeOf(fx.settings), now: () => Date.now() - ageMs });

  const r = await fx.resolver();
  await r.resolve([spec('T', 'bench-token')]);
  const hit = [];
  const hitNew = [];
  for (let i = 0; i < Math.max(20, runs); i++) {
    hit.push(await time(async () => {
      const rep = await r.resolve([spec('T', 'bench-token')]);
      if (rep.secrets[0].source !== 'cache') throw new Error('expected a cache hit');
    }));
    hitNew.push(await time(async () => (await fx.resolver()).resolve([spec('T', 'bench-token')])));
  }
  rows.push(summarize('fresh cache hit: resolve()', hit));
  rows.push(summarize('fresh cache hit: createResolver + resolve()', hitNew));
  log(`cache hit ${median(hit).toFixed(2)} ms (resolve), ${median(hitNew).toFixed(2)} ms (new resolver)`);

  await emu.admin.faults({ hang: true });
  const stale = [];
  for (let i = 0; i < runs; i++) {
    await cacheAt(2 * 3600_000).put(parseSecretRef('bench-token'), { value: 'stale-copy', secretId: 'ocid1.vaultsecret.oc1.x.b', versionNumber: 1 });
    stale.push(await time(async () => {
      const rep = await (await fx.resolver()).resolve([spec('T', 'bench-token')]);
      if (rep.secrets[0]?.source !== 'stale') throw new Error('expected a stale serve');
    }));
  }
  rows.push(summarize('stale serve, vault hangs, timeout_ms 300', stale, { target_ms: 400 }));
  log(`stale serve while hanging ${median(stale).toFixed(0)} ms (timeout 300 ms)`);
  await emu.admin.clearFaults();

  // open breaker: a failing vault trips it; new resolvers then fail fast without a request
  const tripped = { ...fx.settings, resilience: { ...fx.settings.resilience, breaker_threshold: 3, retries: 2 } };
  await emu.admin.faults({ status: 500 });
  await (await fx.resolver({ settings: tripped, cache: null })).resolve([spec('T', 'bench-token')]);
  await emu.admin.resetStats();
  const open = [];
  for (let i = 0; i < Math.max(20, runs); i++) open.push(await time(async () => (await fx.resolver({ settings: tripped, cache: null })).resolve([spec('T', 'bench-token')])));
  const requests = (await emu.admin.stats()).requests;
  rows.push(summarize('open breaker, new resolver: fail fast', open, { target_ms: 200, note: `${requests} vault requests` }));
  log(`open breaker ${median(open).toFixed(2)} ms, ${requests} vault requests`);
  await emu.close();
  await fx.close();
}

console.log = consoleLog;
report(rows);
