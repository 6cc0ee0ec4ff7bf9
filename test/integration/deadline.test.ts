/**
 * resilience.deadline_ms (issue 9, point 12): a hanging vault costs at most the overall deadline, not
 * timeout_ms × (retries + 1) plus backoff; then a stale copy is served or the resolution fails. The real SDK against
 * the emulator's hang fault; timeouts here are set so that without the deadline the run would take > 6 s.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, spec, type ResolverFixture } from '../helpers/resolver-fixture.js';

describe('resilience.deadline_ms', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'slow-secret': 'value-of-slow-secret' } });
    // without a deadline: 3 attempts × 2 s + backoff
    fx = await resolverFixture(emu.info, { resilience: { timeout_ms: 2000, retries: 2, deadline_ms: 400 } });
    // load the OCI SDK once: the deadline runs from the first vault request, and the timings below are the vault's
    const warm = await fx.resolver({ cache: null });
    await warm.resolve([spec('SLOW', 'slow-secret')]);
    await warm.close();
  });
  afterEach(() => emu.admin.clearFaults());
  after(async () => {
    await fx.close();
    await emu.close();
  });

  it('a hanging vault with no cached copy fails at the deadline with a timeout naming it', async () => {
    await emu.admin.faults({ hang: true });
    await emu.admin.resetStats();
    const resolver = await fx.resolver({ cache: null });
    const t0 = performance.now();
    const report = await resolver.resolve([spec('SLOW', 'slow-secret')]);
    const ms = performance.now() - t0;
    await resolver.close();
    assert.equal(report.secrets.length, 0);
    assert.equal(report.failures[0]?.error.kind, 'timeout');
    assert.match(report.failures[0]!.error.message, /within resilience\.deadline_ms \(400 ms\)/);
    assert.ok(ms < 1500, `gave up after ${Math.round(ms)} ms (timeout_ms is 2000)`);
    assert.equal((await emu.admin.stats()).requests, 1, 'no retry after the deadline');
  });

  it('with a stale cached copy, the copy is served at the deadline', async () => {
    const fill = await fx.resolver();
    assert.equal((await fill.resolve([spec('SLOW', 'slow-secret')])).secrets[0]?.source, 'vault');
    await fill.close();
    await emu.admin.faults({ hang: true });
    const resolver = await fx.resolver({ settings: { ...fx.settings, cache: { ...fx.settings.cache, ttl: 0 } } });
    const t0 = performance.now();
    const report = await resolver.resolve([spec('SLOW', 'slow-secret')]);
    const ms = performance.now() - t0;
    await resolver.close();
    assert.equal(report.secrets[0]?.source, 'stale');
    assert.equal(report.secrets[0]?.value, 'value-of-slow-secret');
    assert.ok(ms < 1500, `served after ${Math.round(ms)} ms (timeout_ms is 2000)`);
  });
});
