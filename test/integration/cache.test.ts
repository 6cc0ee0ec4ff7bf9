/**
 * The encrypted cache with the resolver, against the emulator through the real OCI SDK: fresh hits without
 * vault calls (and without loading the SDK), refresh/offline, tampering, revalidation, revocation, 30 parallel
 * processes, and a scan proving no value reaches the disk or stderr in clear.
 */
import assert from 'node:assert/strict';
import { isAtomicTempName } from '../../src/core/atomic-file.js';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createSecretCache, openSecretCache, parseCacheKey, scopeOf } from '../../src/core/cache/secret-cache.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';
import type { Settings } from '../../src/core/config/settings/index.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, runResolveChild, spec, type ResolverFixture } from '../helpers/resolver-fixture.js';

quietSdkRetryWarnings();

const VALUES: Record<string, string> = {
  'github-token': 'ghp_CacheTestValue0123456789',
  'db-password': 'correct horse battery staple',
  'api-key': 'sk-live-ABCDEFGHIJKLMNOP',
};

/** Writes an entry for `text` as if fetched `ageMs` ago. */
async function seedEntry(fx: ResolverFixture, settings: Settings, text: string, value: string, ageMs: number, versionNumber = 1, secretId = 'ocid1.vaultsecret.oc1.us-ashburn-1.seeded') {
  const cache = createSecretCache({
    dir: settings.cache.dir,
    key: parseCacheKey(fx.ctx.env.VAULTMCP_CACHE_KEY!, 'VAULTMCP_CACHE_KEY'),
    keySource: 'env',
    scope: scopeOf(settings),
    now: () => Date.now() - ageMs,
  });
  assert.ok(await cache.put(parseSecretRef(text), { value, secretId, versionNumber }));
}

async function entryFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.entry'));
}

describe('cache with the resolver', () => {
  let emu: TestEmulator;
  let fx: ResolverFixture;
  const stderrLines: string[] = [];
  before(async () => {
    emu = await startTestEmulator({ seed: VALUES });
    fx = await resolverFixture(emu.info);
  });
  after(async () => {
    await emu.close();
    await fx.close();
  });
  beforeEach(async () => {
    await emu.admin.clearFaults();
    await emu.admin.resetStats();
    const cache = await openSecretCache(fx.settings, fx.ctx);
    await cache!.clear();
  });
  const collect = (w: string[]) => stderrLines.push(...w);

  it('vault → cache; the next resolve is a fresh hit with no request', async () => {
    const r = await fx.resolver();
    const first = await r.resolve([spec('GITHUB_TOKEN', 'github-token')]);
    assert.equal(first.secrets[0]!.source, 'vault');
    assert.equal(first.metrics.cacheMisses, 1);
    const second = await r.resolve([spec('GITHUB_TOKEN', 'github-token')]);
    collect([...first.warnings, ...second.warnings]);
    const s = second.secrets[0]!;
    assert.equal(s.source, 'cache');
    assert.equal(s.value, VALUES['github-token']);
    assert.equal(s.attempts, 0);
    assert.equal(s.versionNumber, 1);
    assert.ok(s.ageMs !== undefined && s.ageMs < 5000);
    assert.equal(second.metrics.cacheHits, 1);
    assert.equal((await emu.admin.stats()).requests, 1);
  });

  it('entry files: 0600 in a 0700 dir, HMAC names, no temp files, nothing in clear', async () => {
    const r = await fx.resolver();
    await r.resolve([spec('A', 'github-token'), spec('B', 'db-password')]);
    assert.equal((await stat(fx.cacheDir)).mode & 0o777, 0o700);
    const files = await readdir(fx.cacheDir);
    assert.ok(!files.some(isAtomicTempName), files.join(','));
    const entries = files.filter((f) => f.endsWith('.entry'));
    assert.equal(entries.length, 2);
    for (const f of entries) {
      assert.match(f, /^[0-9a-f]{64}\.entry$/);
      assert.equal((await stat(path.join(fx.cacheDir, f))).mode & 0o777, 0o600);
      const text = await readFile(path.join(fx.cacheDir, f), 'utf8');
      for (const needle of ['github-token', 'db-password', VALUES['github-token']!, VALUES['db-password']!]) assert.ok(!text.includes(needle));
    }
  });

  it('a fresh hit in a new process loads no OCI SDK module and makes no request', async () => {
    await (await fx.resolver()).resolve([spec('GITHUB_TOKEN', 'github-token')]);
    await emu.admin.resetStats();
    const child = await runResolveChild(emu.info.resolverConfig, ['GITHUB_TOKEN=github-token'], { ...fx.ctx.env, CHILD_CACHE: JSON.stringify({ dir: fx.cacheDir }) });
    assert.equal(child.ok, true, child.stderr);
    assert.equal(child.secrets[0]!.source, 'cache');
    assert.deepEqual(child.ociModules, []);
    assert.equal((await emu.admin.stats()).requests, 0);
  });

  it('refresh skips the cache read but writes the new version', async () => {
    const r = await fx.resolver();
    await r.resolve([spec('K', 'api-key')]);
    await emu.admin.putSecret('api-key', 'sk-live-ROTATED-0001');
    const refreshed = await r.resolve([spec('K', 'api-key')], { refresh: true });
    assert.equal(refreshed.secrets[0]!.source, 'vault');
    assert.equal(refreshed.secrets[0]!.versionNumber, 2);
    const cached = await r.resolve([spec('K', 'api-key')]);
    assert.equal(cached.secrets[0]!.source, 'cache');
    assert.equal(cached.secrets[0]!.value, 'sk-live-ROTATED-0001');
    await emu.admin.putSecret('api-key', VALUES['api-key']!);
  });

  it('offline: fresh → cache, older → stale with a warning, absent → exit 3; no request', async () => {
    await seedEntry(fx, fx.settings, 'github-token', 'fresh-copy-1234', 1000);
    await seedEntry(fx, fx.settings, 'db-password', 'old-copy-5678', 2 * 3600_000);
    await seedEntry(fx, fx.settings, 'api-key', 'ancient-copy-90', 3 * 86400_000);
    const r = await fx.resolver();
    const report = await r.resolve([spec('G', 'github-token'), spec('D', 'db-password'), spec('A', 'api-key'), spec('N', 'never-cached')], { offline: true });
    collect(report.warnings);
    assert.deepEqual(report.secrets.map((s) => [s.envVar, s.source, s.value]), [['G', 'cache', 'fresh-copy-1234'], ['D', 'stale', 'old-copy-5678']]);
    assert.deepEqual(report.failures.map((f) => [f.envVar, f.error.exitCode, /offline/.test(f.error.message)]), [['A', 3, true], ['N', 3, true]]);
    assert.match(report.warnings.join('\n'), /D \(db-password\).*2 h old.*offline/);
    assert.equal(report.metrics.staleServed, 1);
    assert.equal((await emu.admin.stats()).requests, 0);
  });

  it('tampered, re-keyed, swapped or unknown-format entries are misses, never crashes', async () => {
    const r = await fx.resolver();
    await r.resolve([spec('A', 'github-token'), spec('B', 'db-password')]);
    const [f1, f2] = await entryFiles(fx.cacheDir);
    const p1 = path.join(fx.cacheDir, f1!);
    const p2 = path.join(fx.cacheDir, f2!);
    const doc = JSON.parse(await readFile(p1, 'utf8'));
    // flip one ciphertext byte
    const ct = Buffer.from(doc.ct, 'base64');
    ct[0] = ct[0]! ^ 1;
    await writeFile(p1, JSON.stringify({ ...doc, ct: ct.toString('base64') }));
    // move entry 1's original content under entry 2's name
    await writeFile(p2, JSON.stringify(doc));
    await emu.admin.resetStats();
    const again = await r.resolve([spec('A', 'github-token'), spec('B', 'db-password')]);
    assert.deepEqual(again.secrets.map((s) => s.source), ['vault', 'vault']);
    assert.equal((await emu.admin.stats()).requests, 2);
    for (const junk of ['', 'not json', JSON.stringify({ ...doc, v: 2 }), JSON.stringify({ ...doc, t: doc.t - 1 })]) {
      await writeFile(p1, junk);
      await writeFile(p2, junk);
      const rep = await r.resolve([spec('A', 'github-token'), spec('B', 'db-password')]);
      assert.equal(rep.failures.length, 0);
    }
    // another key: every entry is a miss
    const other = await fx.resolver({ cache: createSecretCache({ dir: fx.cacheDir, key: Buffer.alloc(32, 7), keySource: 'env', scope: scopeOf(fx.settings), now: Date.now }) });
    const rekeyed = await other.resolve([spec('A', 'github-token')]);
    assert.equal(rekeyed.secrets[0]!.source, 'vault');
  });

  it('compartment references cache the name → OCID lookup', async () => {
    const ttl0 = { ...fx.settings, cache: { ...fx.settings.cache, ttl: 0 } };
    const r = await fx.resolver({ settings: ttl0 });
    const ref = `oci-vault://${emu.info.compartmentId}/db-password`;
    await r.resolve([spec('D', ref)]);
    assert.deepEqual((await emu.admin.stats()).byOperation, { listSecrets: 1, getSecretBundle: 1 });
    await emu.admin.resetStats();
    const again = await r.resolve([spec('D', ref)]);
    assert.equal(again.secrets[0]!.source, 'vault');
    assert.deepEqual((await emu.admin.stats()).byOperation, { getSecretBundle: 1 });
  });

  it('revalidate: a new version is written to the cache and noted; the served copy is unchanged', async () => {
    const r = await fx.resolver();
    await r.resolve([spec('K', 'api-key')]);
    const served = await r.resolve([spec('K', 'api-key')]);
    assert.equal(served.secrets[0]!.source, 'cache');
    const { versionNumber } = await emu.admin.putSecret('api-key', 'sk-live-NEXT-VERSION');
    const notes: string[] = [];
    await r.revalidate(served, (m) => notes.push(m));
    collect(notes);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, new RegExp(`K \\(api-key\\) changed to version ${versionNumber} in the vault; the running server keeps version ${versionNumber - 1} until restarted`));
    const next = await r.resolve([spec('K', 'api-key')]);
    assert.equal(next.secrets[0]!.source, 'cache');
    assert.equal(next.secrets[0]!.value, 'sk-live-NEXT-VERSION');
    await emu.admin.putSecret('api-key', VALUES['api-key']!);

    // with the vault down it notes nothing and does not throw
    await emu.admin.faults({ status: 503 });
    const quiet: string[] = [];
    await r.revalidate(next, (m) => quiet.push(m));
    assert.deepEqual(quiet, []);
  });

  it('revocation: a deleted secret fails (exit 3), its entry is purged, and a later outage does not resurrect it', async () => {
    await emu.admin.putSecret('short-lived', 'temporary-credential-42');
    const ttl0 = { ...fx.settings, cache: { ...fx.settings.cache, ttl: 0 } };
    const r = await fx.resolver({ settings: ttl0 });
    const ok = await r.resolve([spec('T', 'short-lived')]);
    assert.equal(ok.secrets[0]!.source, 'vault');
    assert.equal((await entryFiles(fx.cacheDir)).length, 1);

    await emu.admin.deleteSecret('short-lived');
    await emu.admin.resetStats();
    const gone = await r.resolve([spec('T', 'short-lived')]);
    assert.equal(gone.failures[0]!.error.kind, 'not_found');
    assert.equal(gone.failures[0]!.error.exitCode, 3);
    assert.equal((await emu.admin.stats()).requests, 1);
    assert.equal((await entryFiles(fx.cacheDir)).length, 0, 'entry purged');

    await emu.admin.faults({ status: 503 });
    const down = await r.resolve([spec('T', 'short-lived')]);
    assert.equal(down.secrets.length, 0);
    assert.equal(down.failures[0]!.error.kind, 'server');
  });

  it('purgeSecret, entries and clear(refs)', async () => {
    const r = await fx.resolver();
    const rep = await r.resolve([spec('A', 'github-token'), spec('B', 'db-password'), spec('C', 'api-key'), spec('C1', 'api-key?version=1')]);
    const cache = (await openSecretCache(fx.settings, fx.ctx))!;
    const rows = await cache.entries({ names: true });
    assert.deepEqual(rows.map((e) => e.reference).sort(), ['api-key', 'api-key?version=1', 'db-password', 'github-token']);
    assert.ok(rows.every((e) => e.valid && e.bytes > 0 && e.versionNumber >= 1));
    assert.ok((await cache.entries()).every((e) => e.reference === undefined));
    assert.equal(await cache.purgeSecret({ name: 'api-key' }), 2);
    assert.equal(await cache.purgeSecret({ secretId: rep.secrets[0]!.secretId! }), 1);
    assert.equal(await cache.clear({ refs: [parseSecretRef('db-password'), parseSecretRef('nothing-here')] }), 1);
    assert.equal((await cache.entries()).length, 0);
  });

  it('cache.enabled false writes nothing; a malformed VAULTMCP_CACHE_KEY is a ConfigError (exit 2)', async () => {
    const off = { ...fx.settings, cache: { ...fx.settings.cache, enabled: false } };
    const r = await fx.resolver({ settings: off, cache: undefined });
    const rep = await r.resolve([spec('A', 'github-token')]);
    assert.equal(rep.secrets[0]!.source, 'vault');
    assert.equal((await entryFiles(fx.cacheDir)).length, 0);
    for (const bad of ['c2hvcnQ=', '!!!not-base64!!!', Buffer.alloc(33).toString('base64')]) {
      await assert.rejects(openSecretCache(fx.settings, { env: { VAULTMCP_CACHE_KEY: bad }, now: Date.now }), (e: ConfigError) => e instanceof ConfigError && e.exitCode === 2 && /32 bytes/.test(e.message));
    }
  });

  it('cache status --json --names and cache clear SERVICE (CLI)', async () => {
    const { spawn } = await import('node:child_process');
    const cfg = path.join(fx.root, 'cli-resolver.yaml');
    await writeFile(cfg, (await readFile(emu.info.resolverConfig, 'utf8')).replace(/dir: .*/, `dir: ${fx.cacheDir}`));
    const root = path.resolve(import.meta.dirname, '../..');
    const cli = (args: string[]) =>
      new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts'), ...args, '--config', cfg], { env: fx.ctx.env, cwd: root });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('close', (code) => resolve({ out, err, code }));
      });
    await (await fx.resolver()).resolve([spec('GITHUB_PERSONAL_ACCESS_TOKEN', 'github-token'), spec('K', 'api-key')]);
    const status = await cli(['cache', 'status', '--json', '--names']);
    assert.equal(status.code, 0, status.err);
    const doc = JSON.parse(status.out);
    assert.equal(doc.key, 'env');
    assert.deepEqual(doc.entries.map((e: { reference: string }) => e.reference).sort(), ['api-key', 'github-token']);
    assert.ok(doc.entries.every((e: { valid: boolean; state: string }) => e.valid && e.state === 'fresh'));
    for (const v of Object.values(VALUES)) assert.ok(!status.out.includes(v));
    const cleared = await cli(['cache', 'clear', 'github']);
    assert.equal(cleared.code, 0, cleared.err);
    assert.match(cleared.out, /removed 1 cache entry of github/);
    const cache = (await openSecretCache(fx.settings, fx.ctx))!;
    assert.deepEqual((await cache.entries({ names: true })).map((e) => e.reference), ['api-key']);
    stderrLines.push(status.err, cleared.err, status.out, cleared.out);
  });

  it('30 simultaneous cold launches in separate processes all succeed and leave only valid entries', async () => {
    const refs = ['GITHUB_TOKEN=github-token', 'DB=db-password', 'KEY=api-key'];
    const env = { ...fx.ctx.env, CHILD_CACHE: JSON.stringify({ dir: fx.cacheDir }) };
    const results = await Promise.all(Array.from({ length: 30 }, () => runResolveChild(emu.info.resolverConfig, refs, env)));
    for (const r of results) {
      assert.equal(r.ok, true, r.stderr);
      assert.equal(r.code, 0);
      assert.equal(r.secrets.length, 3);
      stderrLines.push(r.stderr, ...r.warnings);
    }
    const files = await readdir(fx.cacheDir);
    assert.deepEqual(files.filter(isAtomicTempName), []);
    const cache = (await openSecretCache(fx.settings, fx.ctx))!;
    const rows = await cache.entries({ names: true });
    assert.equal(rows.length, 3);
    assert.ok(rows.every((e) => e.valid));
  });

  it('zero plaintext: no value or its base64 under the cache dir, config dirs or captured stderr', async () => {
    const needles = [...Object.values(VALUES), 'sk-live-ROTATED-0001', 'sk-live-NEXT-VERSION', 'temporary-credential-42', 'fresh-copy-1234', 'old-copy-5678'];
    const forms = needles.flatMap((v) => [v, Buffer.from(v).toString('base64')]);
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk(fx.root);
    assert.ok(files.length > 0);
    for (const f of files) {
      const text = await readFile(f, 'latin1');
      for (const n of forms) assert.ok(!text.includes(n), `${f} contains a secret`);
    }
    const captured = stderrLines.join('\n') + fx.stderr();
    for (const n of forms) assert.ok(!captured.includes(n), 'stderr contains a secret');
  });
});
