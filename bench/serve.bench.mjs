#!/usr/bin/env node
/**
 * What `serve` adds per MCP message: the same server (test/fixtures/servers/fake-server.mjs mcp, which answers
 * in microseconds, so the difference is the transport) reached
 *   - over stdio directly (MCP SDK Client + StdioClientTransport)                          the baseline
 *   - through `docker vaultmcp serve` (MCP SDK Client + StreamableHTTPClientTransport, bearer token, loopback):
 *     HTTP POST → auth → the SDK's server transport → our bridge → the server's stdio, and back as SSE.
 *   - the same endpoint with a bare node:http keep-alive client (what `serve` costs without the TS SDK client's
 *     own overhead; the Docker gateway's client is Go)
 * Round trip of `tools/call`, sequential (latency per message: median/p90 of N calls after a warm-up), then
 * throughput with 8 calls in flight on one session (requests/s over M calls). `serve` runs from source through
 * tsx (`node --import tsx src/main.ts`): same JavaScript as the binary, no build needed; its start-up is not
 * measured. The vault is the emulator (`dev vault`), used only at start (secrets and token).
 * Usage: node bench/serve.bench.mjs [--runs=N] [--calls=M] [--binary]   (--binary: the built Bun binary serves)
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { builtBinary, median, report, ROOT, summarize } from './lib.mjs';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 300);
const calls = Number(process.argv.find((a) => a.startsWith('--calls='))?.slice(8) ?? 800);
const FAKE = path.join(ROOT, 'test/fixtures/servers/fake-server.mjs');
const TSX = import.meta.resolve('tsx');
const useBinary = process.argv.includes('--binary');
const bin = useBinary ? builtBinary() : undefined;
const src = (args) => (bin ? [bin, args] : [process.execPath, ['--import', TSX, path.join(ROOT, 'src/main.ts'), ...args]]);
const TOKEN = `bench-${'k'.repeat(40)}`;

async function firstLine(child, what) {
  return new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`${what} exited ${c}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
}

/** A bare node:http client for one MCP session: POST with the session header, read the SSE answer whole. */
async function rawClient(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const post = (body, sid) =>
    new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, 'mcp-protocol-version': '2025-06-18', ...(sid ? { 'mcp-session-id': sid } : {}) };
      const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
        let d = '';
        res.on('data', (b) => (d += b));
        res.on('end', () => (res.statusCode < 300 ? resolve({ sid: res.headers['mcp-session-id'], d }) : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const { sid } = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  let id = 1;
  return {
    call: () => post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'get-env', arguments: {} } }, sid),
    close: () => agent.destroy(),
  };
}

async function roundTrips(client, n) {
  const samples = [];
  for (let i = 0; i < n + 20; i++) {
    const t = performance.now();
    await client.callTool({ name: 'get-env', arguments: {} });
    if (i >= 20) samples.push(performance.now() - t);
  }
  return samples;
}

async function throughput(client, total, inFlight = 8) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await client.callTool({ name: 'get-env', arguments: {} });
    }),
  );
  return (total / (performance.now() - t)) * 1000;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-serve-'));
const env = { PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: path.join(work, 'config'), XDG_CACHE_HOME: path.join(work, 'cache') };
const [node, emuArgs] = src(['dev', 'vault', '--port', '0', '--state-dir', path.join(work, 'vault'), '--seed', path.join(work, 'seed.json')]);
writeFileSync(path.join(work, 'seed.json'), JSON.stringify({ 'bench-key': 'bench-value-123456', 'bench-token': TOKEN }), { mode: 0o600 });
const emu = spawn(node, emuArgs, { env, stdio: ['ignore', 'pipe', 'inherit'] });
const children = [emu];
try {
  const info = JSON.parse(await firstLine(emu, 'emulator'));
  const base = readFileSync(info.resolverConfig, 'utf8').replace(/^cache:[\s\S]*?(?=^\S|(?![\s\S]))/m, '');
  const config = path.join(work, 'resolver.yaml');
  writeFileSync(config, `${base}cache:\n  enabled: false\n`);
  const service = path.join(work, 'bench.json');
  writeFileSync(service, JSON.stringify({ secrets: { API_KEY: 'bench-key' }, target_command: [process.execPath, FAKE, 'mcp'] }));

  // baseline: stdio
  const stdio = new Client({ name: 'bench', version: '0' });
  await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [FAKE, 'mcp'], env: { PATH: process.env.PATH } }));
  const stdioSamples = await roundTrips(stdio, runs);
  const stdioRps = await throughput(stdio, calls);
  await stdio.close();

  // serve
  const [n2, serveArgs] = src(['serve', service, '--config', config, '--port', '0', '--token-secret', 'bench-token', '--max-sessions', '2']);
  const serve = spawn(n2, serveArgs, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(serve);
  const url = (await firstLine(serve, 'serve')).trim();
  const http = new Client({ name: 'bench', version: '0' });
  await http.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  const serveSamples = await roundTrips(http, runs);
  const serveRps = await throughput(http, calls);
  await http.close();

  // the same endpoint with a minimal keep-alive HTTP client: what serve itself costs, without the TS SDK client's
  const raw = await rawClient(url);
  const rawSamples = [];
  for (let i = 0; i < runs + 20; i++) {
    const t = performance.now();
    await raw.call();
    if (i >= 20) rawSamples.push(performance.now() - t);
  }
  let left = calls;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (left-- > 0) await raw.call();
  }));
  const rawRps = (calls / (performance.now() - t0)) * 1000;
  raw.close();

  const added = median(serveSamples) - median(stdioSamples);
  const r = (x) => Math.round(x);
  console.log(`stdio: ${r(stdioRps)} req/s with 8 in flight; serve: ${r(serveRps)} req/s; added per message (median): ${added.toFixed(2)} ms`);
  report([
    summarize('tools/call round trip, stdio direct', stdioSamples, { note: `${r(stdioRps)} req/s, 8 in flight` }),
    summarize(`tools/call round trip, through serve (HTTP+SSE, bearer${bin ? ', Bun binary' : ''})`, serveSamples, { note: `${r(serveRps)} req/s, 8 in flight; +${added.toFixed(2)} ms/message` }),
    summarize('the same endpoint, minimal HTTP client (keep-alive, no SDK)', rawSamples, { note: `${r(rawRps)} req/s, 8 in flight; +${(median(rawSamples) - median(stdioSamples)).toFixed(2)} ms/message` }),
  ]);
} finally {
  for (const c of children.reverse()) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((res) => c.once('exit', res));
    }
  }
  rmSync(work, { recursive: true, force: true });
}
