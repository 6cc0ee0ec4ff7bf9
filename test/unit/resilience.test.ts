/** The cockatiel policy (src/core/resilience.ts) and the shared breaker file (src/core/breaker-state.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBreakerState, readBreakerFile } from '../../src/core/vault/breaker-state.js';
import { VaultError } from '../../src/core/errors.js';
import { createVaultCallPolicy, mapBounded, type ResilienceOptions } from '../../src/core/resilience.js';

const base: ResilienceOptions = { timeoutMs: 200, retries: 2, breakerThreshold: 100, breakerResetMs: 60_000, backoffBaseMs: 10, backoffMaxMs: 40, random: () => 0.5 };
const err = (kind: ConstructorParameters<typeof VaultError>[1]['kind'], extra: { status?: number; retryAfterMs?: number } = {}) => new VaultError(kind, { kind, ...extra });

describe('vault call policy', () => {
  it('retries transient failures up to `retries`, counting attempts and delays', async () => {
    const p = createVaultCallPolicy(base);
    const attempts: number[] = [];
    const delays: number[] = [];
    let n = 0;
    const value = await p.execute(async () => (++n < 3 ? Promise.reject(err('server', { status: 503 })) : 'ok'), {
      what: 'x',
      onAttempt: (a) => attempts.push(a),
      onRetry: (r) => delays.push(r.delayMs),
    });
    assert.equal(value, 'ok');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(delays, [8, 15], 'equal jitter: half fixed + half random (random pinned to 0.5)');
  });

  for (const kind of ['auth', 'forbidden', 'not_found', 'invalid', 'config'] as const) {
    it(`${kind} is final: one attempt`, async () => {
      const p = createVaultCallPolicy(base);
      let n = 0;
      await assert.rejects(p.execute(async () => { n++; throw err(kind); }, { what: 'x' }), (e: VaultError) => e.kind === kind);
      assert.equal(n, 1);
    });
  }

  it('gives up after retries + 1 attempts with the last error', async () => {
    const p = createVaultCallPolicy(base);
    let n = 0;
    await assert.rejects(p.execute(async () => { n++; throw err('network'); }, { what: 'x' }), (e: VaultError) => e.kind === 'network');
    assert.equal(n, 3);
  });

  it('honours Retry-After, capped at retryAfterCapMs', async () => {
    const delays: number[] = [];
    const p = createVaultCallPolicy({ ...base, retryAfterCapMs: 50 });
    let n = 0;
    await p.execute(async () => (++n === 1 ? Promise.reject(err('throttled', { status: 429, retryAfterMs: 30 })) : n === 2 ? Promise.reject(err('throttled', { status: 429, retryAfterMs: 9000 })) : 'ok'), {
      what: 'x',
      onRetry: (r) => delays.push(r.delayMs),
    });
    assert.deepEqual(delays, [30, 50]);
  });

  it('times out each attempt, aborting its signal, and maps it to a transient timeout', async () => {
    const p = createVaultCallPolicy({ ...base, timeoutMs: 50, retries: 1 });
    const aborted: boolean[] = [];
    const t0 = performance.now();
    await assert.rejects(
      p.execute((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => { aborted.push(true); reject(new Error('aborted')); })), { what: "secret 'a'" }),
      (e: VaultError) => e.kind === 'timeout' && e.transient && /within 50 ms for secret 'a'/.test(e.message),
    );
    assert.deepEqual(aborted, [true, true]);
    assert.ok(performance.now() - t0 < 400);
  });

  it('opens the breaker after consecutive transient failures and refuses without calling', async () => {
    const p = createVaultCallPolicy({ ...base, retries: 0, breakerThreshold: 2 });
    const changes: string[] = [];
    p.onBreakerChange((c) => changes.push(c.type));
    let calls = 0;
    const failing = async () => { calls++; throw err('server'); };
    await assert.rejects(p.execute(failing, { what: 'x' }));
    await assert.rejects(p.execute(failing, { what: 'x' }));
    assert.equal(p.breakerState, 'open');
    assert.ok(p.wouldRefuse());
    await assert.rejects(p.execute(failing, { what: "secret 'b'" }), (e: VaultError) => e.kind === 'breaker_open' && !e.transient && /secret 'b'/.test(e.message));
    assert.equal(calls, 2);
    assert.deepEqual(changes, ['failure', 'failure', 'open']);
  });

  it('stops retrying as soon as the breaker opens, keeping the real error', async () => {
    const p = createVaultCallPolicy({ ...base, retries: 5, breakerThreshold: 2 });
    let calls = 0;
    await assert.rejects(p.execute(async () => { calls++; throw err('server', { status: 500 }); }, { what: 'x' }), (e: VaultError) => e.kind === 'server');
    assert.equal(calls, 2);
  });

  it('404s do not count towards the breaker; a success resets the count', async () => {
    const p = createVaultCallPolicy({ ...base, retries: 0, breakerThreshold: 2 });
    await assert.rejects(p.execute(async () => { throw err('not_found'); }, { what: 'x' }));
    await assert.rejects(p.execute(async () => { throw err('server'); }, { what: 'x' }));
    await p.execute(async () => 1, { what: 'x' });
    await assert.rejects(p.execute(async () => { throw err('server'); }, { what: 'x' }));
    assert.equal(p.breakerState, 'closed');
  });

  it('a seeded open breaker refuses; after the reset time one probe closes it', async () => {
    const p = createVaultCallPolicy({ ...base, breakerResetMs: 100, initialBreaker: { state: 'open', failures: 5, openedAt: Date.now() } });
    assert.ok(p.wouldRefuse());
    await assert.rejects(p.execute(async () => 1, { what: 'x' }), (e: VaultError) => e.kind === 'breaker_open');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(p.wouldRefuse(), false);
    const changes: string[] = [];
    p.onBreakerChange((c) => changes.push(c.type));
    assert.equal(await p.execute(async () => 'probe', { what: 'x' }), 'probe');
    assert.deepEqual(changes, ['half_open', 'success', 'closed']);
    assert.equal(p.breakerState, 'closed');
  });

  it('a seeded failure count opens on the next failure', async () => {
    const p = createVaultCallPolicy({ ...base, retries: 0, breakerThreshold: 3, initialBreaker: { state: 'closed', failures: 2 } });
    await assert.rejects(p.execute(async () => { throw err('timeout'); }, { what: 'x' }));
    assert.equal(p.breakerState, 'open');
  });
});

describe('mapBounded', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, x * 3));
      inFlight--;
      return x * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
    assert.deepEqual(await mapBounded([], 4, async (x) => x), []);
  });
});

describe('shared breaker state file', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-breaker-'))));
  after(() => rm(dir, { recursive: true, force: true }));
  const opts = { threshold: 3, resetMs: 1000, probeLeaseMs: 200 };

  it('failures add up across stores and open at the threshold; success clears only a closed count', async () => {
    const file = path.join(dir, 'a.json');
    let t = 1_000_000;
    const now = () => t;
    const a = openBreakerState(file, 'ep', { ...opts, now });
    const b = openBreakerState(file, 'ep', { ...opts, now });
    a.record({ type: 'failure' });
    await a.flush();
    b.record({ type: 'failure' });
    await b.flush();
    assert.deepEqual(await a.load(), { state: 'closed', failures: 2 });
    b.record({ type: 'success' });
    await b.flush();
    assert.deepEqual(await a.load(), { state: 'closed', failures: 0 });
    for (let i = 0; i < 3; i++) a.record({ type: 'failure' });
    await a.flush();
    assert.deepEqual(await b.load(), { state: 'open', failures: 3, openedAt: t });
    b.record({ type: 'success' }); // a racing success does not close another process's open breaker
    await b.flush();
    assert.equal((await b.load())?.state, 'open');
    t += 100;
    b.record({ type: 'half_open' });
    await b.flush();
    assert.equal((await a.load())?.openedAt, t - 1000 + 200, 'the probe holds the others off for the lease');
    b.record({ type: 'closed' });
    await b.flush();
    assert.deepEqual(await a.load(), { state: 'closed', failures: 0 });
  });

  it('keys are independent; corrupt or foreign files read as closed', async () => {
    const file = path.join(dir, 'b.json');
    const x = openBreakerState(file, 'x', opts);
    x.record({ type: 'open', openedAt: 5 });
    await x.flush();
    assert.equal(await openBreakerState(file, 'y', opts).load(), undefined);
    for (const junk of ['', '{', '[]', '{"version":2,"breakers":{}}', '{"version":1,"breakers":{"x":{"state":"weird","failures":1}}}']) {
      await writeFile(file, junk);
      assert.equal(await x.load(), undefined, junk);
    }
    x.record({ type: 'failure' });
    await x.flush();
    assert.equal((await readBreakerFile(file)).breakers.x?.failures, 1);
    assert.doesNotMatch(await readFile(file, 'utf8'), /tmp/);
  });
});
