#!/usr/bin/env node
/**
 * Live rotation (`run --watch`): the gap in service a client sees while the secret rotates.
 * One MCP SDK client session drives a stream of `token-digest` calls (one at a time, back to back) through
 * `dist/docker-vaultmcp run --watch` to test/fixtures/servers/rotating-server.mjs; mid-stream the secret is rotated
 * with `secret rotate` and `run --reload PID` is sent. Rows:
 *   - steady-state call latency (median of the calls outside the switch windows)
 *   - the slowest call across each rotation (the gap the client sees with --watch)            target ≪ restart
 *   - a plain restart: close the session, start `run` again (no --watch), initialize, first call (what a client
 *     reconnect costs, the floor of any restart-based rotation such as Doppler's --watch or envconsul)
 * Usage: node bench/watch.bench.mjs [--runs=N]   (N rotations and N restarts, default 8)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { builtBinary, median, report, ROOT, startBinaryEmulator, summarize } from './lib.mjs';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 8);
const SERVER = path.join(ROOT, 'test/fixtures/servers/rotating-server.mjs');
const bin = builtBinary();
const work = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-watch-'));
const emu = await startBinaryEmulator(bin, work, { 'watch-token': 'bench-watch-token-0' });
try {
  const base = readFileSync(emu.info.resolverConfig, 'utf8').replace(/^cache:[\s\S]*?(?=^\S|(?![\s\S]))/m, '');
  const config = path.join(work, 'resolver.yaml');
  writeFileSync(config, `${base}cache:\n  enabled: false\n  dir: ${path.join(work, 'cache')}\nresilience:\n  retries: 0\n`);
  const service = path.join(work, 'rotating.json');
  writeFileSync(service, JSON.stringify({ secrets: { TOKEN: 'watch-token' }, target_command: [process.execPath, SERVER] }));
  const home = path.join(work, 'home');
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: home };
  const cli = (args, input) => {
    const r = spawnSync(bin, args, { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  };
  const connect = async (args) => {
    const transport = new StdioClientTransport({ command: bin, args, env, cwd: work, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (b) => (stderr += b));
    const client = new Client({ name: 'bench-watch', version: '0' });
    await client.connect(transport);
    return { client, transport, stderr: () => stderr };
  };
  // token-digest: which value the server has (get-token's answer is redacted by the leak guard, on by default)
  const call = async (client) => {
    const t0 = performance.now();
    const r = await client.callTool({ name: 'token-digest', arguments: {} });
    return { ms: performance.now() - t0, value: r.content[0].text };
  };
  const digest = (v) => createHash('sha256').update(v).digest('hex');

  // --watch: a call stream across each rotation
  const watched = await connect(['run', service, '--config', config, '--watch']);
  const steady = [];
  const gaps = [];
  for (let i = 1; i <= runs; i++) {
    for (let k = 0; k < 20; k++) steady.push((await call(watched.client)).ms);
    const value = `bench-watch-token-${i}`;
    cli(['secret', 'rotate', 'watch-token', '--config', config], value);
    const switches = watched.stderr().split('switched to the new server').length;
    cli(['run', '--reload', String(watched.transport.pid), '--config', config]);
    let worst = 0;
    // the calls between the signal and the first answer of the new server, and until the switch line is out
    // (bounded: a switch that never comes fails the bench instead of spinning)
    for (let k = 0; ; k++) {
      if (k > 100_000) throw new Error('no switch after 100 000 calls');
      const r = await call(watched.client);
      worst = Math.max(worst, r.ms);
      if (r.value === digest(value) && watched.stderr().split('switched to the new server').length > switches) break;
    }
    gaps.push(worst);
  }
  await watched.client.close();

  // plain restart: a new session each time
  const restarts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c = await connect(['run', service, '--config', config]);
    await call(c.client);
    restarts.push(performance.now() - t0);
    await c.client.close();
  }

  report([
    summarize('steady call through run --watch', steady),
    summarize('slowest call across a rotation (--watch)', gaps, { note: `vs restart: ${(median(restarts) / median(gaps)).toFixed(1)}× shorter` }),
    summarize('plain restart: new run + initialize + first call', restarts),
  ]);
} finally {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
