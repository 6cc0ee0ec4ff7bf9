/** The call profiles and cockatiel policies (src/core/vault/policy.ts), the pager, and the shared breaker file (src/core/vault/breaker-state.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBreakerState, readBreakerFile } from '../../src/core/vault/breaker-state.js';
import { VaultError } from '../../src/core/errors.js';
import { createVaultPolicies, type VaultPolicyOptions } from '../../src/core/vault/policy.js';
import { mapBounded } from '../../src/core/map-bounded.js';
import { listAll } from '../../src/core/vault/pager.js';
import { deferred } from '../helpers/wait.js';

const base: VaultPolicyOptions = { timeoutMs: 200, retries: 2, breakerThreshold: 100, breakerResetMs: 60_000, backoffBaseMs: 10, backoffMaxMs: 40, random: () => 0.5 };
const err = (kind: ConstructorParameters<typeof VaultError>[1]['kind'], extra: { status?: number; retryAfterMs?: number } = {}) => new VaultError(kind, { kind, ...extra });

describe('vault call policy', () => {
  it('retries transient failures up to `retries`, counting attempts and delays', async () => {
    const p = createVaultPolicies(base);
    const attempts: number[] = [];
    const delays: number[] = [];
    let n = 0;
    const value = await p.execute('read', async () => (++n < 3 ? Promise.reject(err('server', { status: 503 })) : 'ok'), {
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
      const p = createVaultPolicies(base);
      let n = 0;
      await assert.rejects(p.execute('read', async () => { n++; throw err(kind); }, { what: 'x' }), (e: VaultError) => e.kind === kind);
      assert.equal(n, 1);
    });
  }

  it('gives up after retries + 1 attempts with the last error', async () => {
    const p = createVaultPolicies(base);
    let n = 0;
    await assert.rejects(p.execute('read', async () => { n++; throw err('network'); }, { what: 'x' }), (e: VaultError) => e.kind === 'network');
    assert.equal(n, 3);
  });

  it('honours Retry-After, capped at retryAfterCapMs', async () => {
    const delays: number[] = [];
    const p = createVaultPolicies({ ...base, retryAfterCapMs: 50 });
    let n = 0;
    await p.execute('read', async () => (++n === 1 ? Promise.reject(err('throttled', { status: 429, retryAfterMs: 30 })) : n === 2 ? Promise.reject(err('throttled', { status: 429, retryAfterMs: 9000 })) : 'ok'), {
      what: 'x',
      onRetry: (r) => delays.push(r.delayMs),
    });
    assert.deepEqual(delays, [30, 50]);
  });

  it('times out each attempt, aborting its signal, and maps it to a transient timeout', async () => {
    const p = createVaultPolicies({ ...base, timeoutMs: 50, retries: 1 });
    const aborted: boolean[] = [];
    const t0 = performance.now();
    await assert.rejects(
      p.execute('read', (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => { aborted.push(true); reject(new Error('aborted')); })), { what: "secret 'a'" }),
      (e: VaultError) => e.kind === 'timeout' && e.transient && /timed out after 50 ms \(no answer\) for secret 'a'/.test(e.message),
    );
    assert.deepEqual(aborted, [true, true]);
    assert.ok(performance.now() - t0 < 400);
  });

  it('opens the breaker after consecutive transient failures and refuses without calling', async () => {
    const p = createVaultPolicies({ ...base, retries: 0, breakerThreshold: 2 });
    const changes: string[] = [];
    p.onBreakerChange((c) => changes.push(c.type));
    let calls = 0;
    const failing = async () => { calls++; throw err('server'); };
    await assert.rejects(p.execute('read', failing, { what: 'x' }));
    await assert.rejects(p.execute('read', failing, { what: 'x' }));
    assert.equal(p.breakerState, 'open');
    assert.ok(p.wouldRefuse());
    await assert.rejects(p.execute('read', failing, { what: "secret 'b'" }), (e: VaultError) => e.kind === 'breaker_open' && !e.transient && /secret 'b'/.test(e.message));
    assert.equal(calls, 2);
    assert.deepEqual(changes, ['failure', 'failure', 'open']);
  });

  it('stops retrying as soon as the breaker opens, keeping the real error', async () => {
    const p = createVaultPolicies({ ...base, retries: 5, breakerThreshold: 2 });
    let calls = 0;
    await assert.rejects(p.execute('read', async () => { calls++; throw err('server', { status: 500 }); }, { what: 'x' }), (e: VaultError) => e.kind === 'server');
    assert.equal(calls, 2);
  });

  it('404s do not count towards the breaker; a success resets the count', async () => {
    const p = createVaultPolicies({ ...base, retries: 0, breakerThreshold: 2 });
    await assert.rejects(p.execute('read', async () => { throw err('not_found'); }, { what: 'x' }));
    await assert.rejects(p.execute('read', async () => { throw err('server'); }, { what: 'x' }));
    await p.execute('read', async () => 1, { what: 'x' });
    await assert.rejects(p.execute('read', async () => { throw err('server'); }, { what: 'x' }));
    assert.equal(p.breakerState, 'closed');
  });

  it('a seeded open breaker refuses until the reset time; then one probe closes it (injected clock, no sleep)', async () => {
    let t = 1_000_000;
    const now = () => t;
    const opened = createVaultPolicies({ ...base, breakerResetMs: 100, now, initialBreaker: { state: 'open', failures: 5, openedAt: Date.now() } });
    assert.ok(opened.wouldRefuse());
    await assert.rejects(opened.execute('read', async () => 1, { what: 'x' }), (e: VaultError) => e.kind === 'breaker_open');
    // the same snapshot as another process sees it after the reset time
    const later = createVaultPolicies({ ...base, breakerResetMs: 100, now, initialBreaker: { state: 'open', failures: 5, openedAt: Date.now() - 150 } });
    t = Date.now();
    assert.equal(later.wouldRefuse(), false);
    const changes: string[] = [];
    later.onBreakerChange((c) => changes.push(c.type));
    assert.equal(await later.execute('read', async () => 'probe', { what: 'x' }), 'probe');
    assert.deepEqual(changes, ['half_open', 'success', 'closed']);
    assert.equal(later.breakerState, 'closed');
  });

  it('a seeded failure count opens on the next failure', async () => {
    const p = createVaultPolicies({ ...base, retries: 0, breakerThreshold: 3, initialBreaker: { state: 'closed', failures: 2 } });
    await assert.rejects(p.execute('read', async () => { throw err('timeout'); }, { what: 'x' }));
    assert.equal(p.breakerState, 'open');
  });
});

describe('mapBounded', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    // each item finishes only when released, in an order unlike the input's: results must still keep input order
    const gates = new Map([5, 1, 4, 2, 3, 0].map((x) => [x, deferred()]));
    const running = mapBounded([5, 1, 4, 2, 3, 0], 2, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await gates.get(x)!.promise;
      inFlight--;
      return x * 10;
    });
    for (const x of [1, 5, 2, 4, 0, 3]) {
      gates.get(x)!.resolve();
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await running, [50, 10, 40, 20, 30, 0]);
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

describe('call profiles', () => {
  const base: VaultPolicyOptions = { timeoutMs: 1000, retries: 3, breakerThreshold: 2, breakerResetMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 2 };

  it('write: one attempt even for a transient failure, and the breaker neither counts nor refuses it', async () => {
    const p = createVaultPolicies(base);
    let n = 0;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(p.execute('write', async () => { n++; throw err('server', { status: 503 }); }, { what: 'w' }), (e: VaultError) => e.kind === 'server');
    }
    assert.equal(n, 3, 'no retries');
    assert.equal(p.breakerState, 'closed');
  });

  it('readOnce: no retry, but failures count towards the breaker shared with read', async () => {
    const p = createVaultPolicies(base);
    let n = 0;
    await assert.rejects(p.execute('readOnce', async () => { n++; throw err('network'); }, { what: 'r' }));
    await assert.rejects(p.execute('readOnce', async () => { n++; throw err('network'); }, { what: 'r' }));
    assert.equal(n, 2);
    assert.equal(p.breakerState, 'open');
    await assert.rejects(p.execute('read', async () => 1, { what: "secret 'z'" }), (e: VaultError) => e.kind === 'breaker_open');
  });

  it('probe: its own short deadline, no retry, not refused by an open breaker', async () => {
    const p = createVaultPolicies({ ...base, probeTimeoutMs: 30, initialBreaker: { state: 'open', failures: 9, openedAt: Date.now() } });
    assert.equal(await p.execute('probe', async () => 'seen', { what: 'p' }), 'seen');
    let n = 0;
    await assert.rejects(
      p.execute('probe', (signal) => { n++; return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))); }, { what: 'the vault list' }),
      (e: VaultError) => e.kind === 'timeout' && /timed out after 30 ms \(no answer\) for the vault list/.test(e.message),
    );
    assert.equal(n, 1);
  });

  it('per-call hooks see their own attempts and retries, also with calls interleaved', async () => {
    const p = createVaultPolicies(base);
    const seen: Record<string, string[]> = { a: [], b: [] };
    const run = (name: 'a' | 'b', fails: number) => {
      let n = 0;
      return p.execute('read', async () => (++n <= fails ? Promise.reject(err('server', { status: 500 })) : name), {
        what: name,
        onAttempt: (i) => seen[name]!.push(`attempt ${i}`),
        onRetry: (r) => seen[name]!.push(`retry ${r.attempt} ${r.error.kind}`),
      });
    };
    assert.deepEqual(await Promise.all([run('a', 1), run('b', 0)]), ['a', 'b']);
    assert.deepEqual(seen.a, ['attempt 1', 'retry 1 server', 'attempt 2']);
    assert.deepEqual(seen.b, ['attempt 1']);
  });

  it('an outer cancel signal ends the call as a timeout', async () => {
    const p = createVaultPolicies(base);
    const ctl = new AbortController();
    const call = p.execute('read', (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))), { what: 'c', signal: ctl.signal });
    ctl.abort();
    await assert.rejects(call, (e: VaultError) => e.kind === 'timeout');
  });
});

describe('pager', () => {
  it('follows opc-next-page to the end, and refuses a repeated token instead of looping', async () => {
    const book: Record<string, { items: number[]; opcNextPage?: string }> = { '': { items: [1, 2], opcNextPage: 'p2' }, p2: { items: [3], opcNextPage: 'p3' }, p3: { items: [4] } };
    const asked: Array<string | undefined> = [];
    assert.deepEqual(await listAll(async (page) => (asked.push(page), book[page ?? '']!), 'numbers'), [1, 2, 3, 4]);
    assert.deepEqual(asked, [undefined, 'p2', 'p3']);
    const loop: Record<string, { items: number[]; opcNextPage?: string }> = { '': { items: [1], opcNextPage: 'a' }, a: { items: [2], opcNextPage: 'b' }, b: { items: [3], opcNextPage: 'a' } };
    await assert.rejects(listAll(async (page) => loop[page ?? '']!, 'secrets'), (e: VaultError) => e.kind === 'network' && /repeated a page token while listing secrets/.test(e.message));
  });
});
