#!/usr/bin/env node
/**
 * The leak guard's cost, against the unguarded relay in the same run (`run --leak-guard off` vs the default
 * `redact`), with 20 guarded values (20 secrets of 40 characters from the emulator, cache on):
 * - throughput: the fixture server (test/fixtures/servers/leaky-server.mjs flood) writes N notifications of 1 KiB
 *   or 64 KiB (base64-looking text without a secret, the common case) as fast as the pipe takes them; MB/s from
 *   the request to the last message at the client; aim: guarded ≥ 50 % of unguarded;
 * - latency: request → 1 KiB response round trips, one at a time, alternating between a guarded and an unguarded
 *   session; p50/p99 added per message;
 * - RSS: peak resident set (VmHWM) of our `run` process after the throughput runs.
 * Runs the built binary (dist/docker-vaultmcp) directly, without docker in front.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { builtBinary, median, percentile, report, ROOT, summarize } from './lib.mjs';

const LEAKY = path.join(ROOT, 'test/fixtures/servers/leaky-server.mjs');
const argRuns = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);

const bin = process.env.BENCH_BIN ?? builtBinary();
const work = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-guard-'));
const seed = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`bench-key-${i}`, `tok_${randomBytes(18).toString('base64url')}`]));
writeFileSync(path.join(work, 'seed.json'), JSON.stringify(seed), { mode: 0o600 });
const emu = spawn(bin, ['dev', 'vault', '--port', '0', '--state-dir', path.join(work, 'vault'), '--seed', path.join(work, 'seed.json')], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { PATH: process.env.PATH, HOME: work },
});
const info = await new Promise((resolve, reject) => {
  emu.once('exit', (c) => reject(new Error(`emulator exited ${c}`)));
  createInterface({ input: emu.stdout }).once('line', (l) => resolve(JSON.parse(l)));
});

/** One `run` session: send requests, collect messages; resolves helpers. */
function session(guard) {
  const child = spawn(bin, ['run', path.join(work, 'flood.json'), '--config', path.join(work, 'resolver.yaml'), '--leak-guard', guard], {
    env: { PATH: process.env.PATH, HOME: work, VAULTMCP_CACHE_KEY: randomKey, XDG_STATE_HOME: path.join(work, 'state') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let waiting;
  let bytes = 0;
  let buffered = '';
  child.stdout.on('data', (b) => {
    bytes += b.length;
    if (!waiting) return;
    // the response for the awaited id (its start may be in the previous chunk's last bytes)
    const text = buffered + b.toString('latin1');
    buffered = text.slice(-64);
    if (text.includes(`"id":${waiting.id},`)) {
      const w = waiting;
      waiting = undefined;
      buffered = '';
      w.resolve();
    }
  });
  let nextId = 1;
  const request = (method, params) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting = { id, resolve };
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  return {
    request,
    bytes: () => bytes,
    peakRssKiB: () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN),
    close: () => new Promise((r) => (child.on('close', r), child.stdin.end())),
  };
}

const randomKey = randomBytes(32).toString('base64');
const base = readFileSync(info.resolverConfig, 'utf8').replace(/^cache:[\s\S]*?(?=^\S|(?![\s\S]))/m, '');
writeFileSync(path.join(work, 'resolver.yaml'), `${base}cache:\n  enabled: true\n  dir: ${path.join(work, 'cache')}\n  ttl: 86400\naudit:\n  file: false\n`);
writeFileSync(
  path.join(work, 'flood.json'),
  JSON.stringify({
    secrets: Object.fromEntries(Object.keys(seed).map((name, i) => [`BENCH_KEY_${i}`, name])),
    target_command: [process.execPath, LEAKY, 'flood'],
  }),
);

const rows = [];
const summary = {};
try {
  for (const [label, size, n] of [['1 KiB', 1024, 20_000], ['64 KiB', 64 * 1024, 600]]) {
    const mbps = { off: [], redact: [] };
    const times = { off: [], redact: [] };
    let rss = { off: 0, redact: 0 };
    for (let run = 0; run < argRuns; run++) {
      for (const guard of ['off', 'redact']) {
        const s = session(guard);
        await s.request('ping', { size: 16 }); // started, secrets resolved, warm
        const before = s.bytes();
        const t0 = performance.now();
        await s.request('flood', { n, size });
        const ms = performance.now() - t0;
        mbps[guard].push((s.bytes() - before) / 1e6 / (ms / 1000));
        times[guard].push(ms);
        rss[guard] = Math.max(rss[guard], s.peakRssKiB());
        await s.close();
      }
    }
    const ratio = median(mbps.redact) / median(mbps.off);
    summary[label] = { off: median(mbps.off), redact: median(mbps.redact), ratio, rss };
    const note = (g) => `${median(mbps[g]).toFixed(0)} MB/s, peak RSS ${(rss[g] / 1024).toFixed(0)} MiB`;
    rows.push(summarize(`throughput ${label} × ${n}, unguarded relay (baseline; ms for all)`, times.off, { note: note('off') }));
    rows.push(
      summarize(`throughput ${label} × ${n}, leak guard, 20 values (ms for all)`, times.redact, {
        note: `${note('redact')}; ${(ratio * 100).toFixed(0)} % of unguarded (aim ≥ 50 %)`,
      }),
    );
  }

  // both sessions open at once, requests alternating between them, so load from other processes hits both alike
  const rtt = { off: [], redact: [] };
  const sessions = { off: session('off'), redact: session('redact') };
  for (const g of ['off', 'redact']) await sessions[g].request('ping', { size: 16 });
  for (let i = 0; i < 1000; i++) {
    for (const g of i % 2 ? ['off', 'redact'] : ['redact', 'off']) {
      const t0 = performance.now();
      await sessions[g].request('ping', { size: 1024 });
      rtt[g].push(performance.now() - t0);
    }
  }
  for (const g of ['off', 'redact']) await sessions[g].close();
  const added = (p) => percentile(rtt.redact, p) - percentile(rtt.off, p);
  rows.push(summarize('1 KiB round trip, unguarded relay', rtt.off, { note: 'baseline' }));
  rows.push(
    summarize('1 KiB round trip, leak guard (20 values)', rtt.redact, {
      note: `added p50 ${(added(50) * 1000).toFixed(0)} µs, p99 ${(added(99) * 1000).toFixed(0)} µs per message`,
    }),
  );
  console.log(JSON.stringify(summary, null, 2));
  report(rows);
} finally {
  emu.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
