#!/usr/bin/env node
/**
 * What the plugin adds to an MCP server's start: wall time from spawn to the `initialize` response, for the same
 * server started
 *   - directly (`node server.mjs`)                                               the baseline
 *   - through `docker vaultmcp run` (built binary, real docker CLI, temp DOCKER_CONFIG), one secret from the
 *     vault emulator on loopback with the cache disabled (vault path)                       target ≤ +60 ms
 *   - the same with the encrypted cache warm (cache-hit path, no vault call)                 target ≤ +40 ms
 *   - the binary called directly (no docker CLI in front), cache hit, to separate docker's own cost
 * Rows run round-robin (bench/lib.mjs timeInterleaved idea) so machine load hits them alike; 20 runs each after
 * 3 warm-ups. Two servers: the fixture MCP server (test/fixtures/servers/fake-server.mjs mcp: starts in a few
 * ms, so the difference is ours) and @modelcontextprotocol/server-everything (a real server; its own start-up
 * dominates). The ratio and added ms are printed per row; the added-ms rows carry the targets.
 *   - the floor (bench/floor/floor.ts, built here with our Bun flags): a Bun-compiled program that reads one
 *     file, AES-GCM-decrypts it with a key it gets for free and spawns the server with a two-way stdio relay:
 *     what any cache-hit launcher must pay. Every launch row's note gives its added ms over direct, its excess
 *     over the floor's added ms, and the ratio of the two ("×2.0 floor": twice the floor's cost)
 *   - the binary called directly, vault path (cache off), and with the cache on but `--refresh` (every secret read
 *     from the vault, everything else as on a cache hit): the latter's "cold minus cache hit, less one vault round
 *     trip" carries the target ≤ 10 ms. One vault round trip is one GetSecretBundleByName call through a warm OCI SDK
 *     client in Bun (bench/vault-call.mjs); the row also names the same request replayed without signing and a bare
 *     loopback HTTP round trip. The binary's RSS when the initialize answer arrives (it is relaying then), target
 *     ≤ 60 MB
 *   - the binary's cache hit with the cache key read from the OS keychain (when a Secret Service is there:
 *     run under scripts/with-keyring.sh), target ≤ floor + 8 ms
 * Usage: node bench/launch.bench.mjs [--runs=N] [--only-fixture] [--baseline-binary=PATH]… [--binary-only]
 *   --baseline-binary adds the cache-hit rows for another build (e.g. one from before a change, built with
 *   `node scripts/build-binary.mjs --outfile=PATH`), run round-robin with the others: before/after in one run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { builtBinary, median, report, ROOT, startBinaryEmulator, summarize, tempDockerConfig } from './lib.mjs';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 20);
const onlyFixture = process.argv.includes('--only-fixture');
// --baseline-binary=PATH, repeatable: each build gets its own cache-hit rows, labelled by its file name
const baselineBins = process.argv.filter((a) => a.startsWith('--baseline-binary=')).map((a) => path.resolve(a.slice(18)));
// --binary-only: the baseline builds get no rows through docker (lever comparisons: docker adds only noise)
const binaryOnly = process.argv.includes('--binary-only');
const warmup = 3;
const FAKE = path.join(ROOT, 'test/fixtures/servers/fake-server.mjs');
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
}) + '\n';

/** Resident set size of a live process in MB (Linux /proc), or NaN. */
function rssMb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * Spawns, sends initialize, resolves the ms until the response line; then closes stdin and waits for exit.
 * With `rss` (an array), pushes our process's RSS in MB at the moment the answer arrived (it is relaying then).
 */
function timeInitialize(cmd, args, env, rss) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, cwd: os.tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let ms;
    child.stderr.on('data', (b) => (stderr += b));
    child.stdin.on('error', () => {});
    child.stdin.write(INIT);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no initialize response in 30 s from ${cmd} ${args.join(' ')}: ${stderr.slice(0, 500)}`));
    }, 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (ms !== undefined) return;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.id !== 1) return;
      ms = performance.now() - started;
      if (rss) rss.push(rssMb(child.pid));
      if (!msg.result) {
        clearTimeout(timer);
        reject(new Error(`initialize failed: ${line.slice(0, 300)}`));
      }
      child.stdin.end();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ms === undefined) reject(new Error(`${cmd} ${args.join(' ')} exited ${code} before answering: ${stderr.slice(0, 500)}`));
      else resolve(ms);
    });
  });
}

/**
 * Steady-state relay cost: starts the fixture server once, sends `count` sequential requests (each waits for
 * its response) and returns the per-message round-trip samples in ms.
 */
function timeRoundTrips(cmd, args, env, count) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: os.tmpdir(), stdio: ['pipe', 'pipe', 'ignore'] });
    const samples = [];
    let id = 1;
    let sentAt = 0;
    const send = () => {
      sentAt = performance.now();
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method: id === 1 ? 'initialize' : 'ping', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'b', version: '0' } } }) + '\n');
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.id !== id) return;
      if (id > 1) samples.push(performance.now() - sentAt); // the first is start-up, measured elsewhere
      if (id++ > count) return child.stdin.end();
      send();
    });
    child.on('error', reject);
    child.on('close', () => (samples.length === count ? resolve(samples) : reject(new Error(`${cmd}: only ${samples.length} round trips`))));
    send();
  });
}

/** Builds bench/floor/floor.ts with the flags of scripts/build-binary.mjs into `dir`; returns its path. */
function buildFloor(dir) {
  const out = path.join(dir, 'floor');
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'bun'), [
    'build', path.join(ROOT, 'bench', 'floor', 'floor.ts'), '--compile', '--minify', '--bytecode', '--format=esm',
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', `--outfile=${out}`,
  ], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('cannot build the floor program');
  return out;
}

/** The OCI config file and vault OCID of the emulator's generated resolver.yaml. */
function emulatorSettings(info) {
  const yamlText = readFileSync(info.resolverConfig, 'utf8');
  return { configFile: /config_file:\s*(\S+)/.exec(yamlText)?.[1], vaultId: /vault_id:\s*(\S+)/.exec(yamlText)?.[1] };
}

/**
 * `count` vault round trips: the same GetSecretBundleByName request the binary makes, signed once by the OCI SDK's
 * own request signer (oci-common DefaultRequestSigner, from the emulator's OCI config) and sent again and again on
 * fresh connections (the emulator, like OCI, accepts a signature within its date window): network plus the vault's
 * own work (signature check, lookup, answer), no client-side signing or parsing. ms each.
 */
async function vaultRoundTrips(info, secretName, count) {
  const common = await import('oci-common');
  const { configFile, vaultId } = emulatorSettings(info);
  const provider = new common.ConfigFileAuthenticationDetailsProvider(configFile, 'DEFAULT');
  const url = `${info.endpoint}/20190301/secretbundles/actions/getByName?secretName=${encodeURIComponent(secretName)}&vaultId=${encodeURIComponent(vaultId)}`;
  const request = { uri: url, method: 'POST', headers: new Headers() };
  await new common.DefaultRequestSigner(provider).signHttpRequest(request);
  const headers = Object.fromEntries(request.headers.entries());
  const http = await import('node:http');
  const out = [];
  for (let i = 0; i < count + 3; i++) {
    const t = performance.now();
    const status = await new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode)));
      req.on('error', reject);
      req.end();
    });
    if (status !== 200) throw new Error(`vault round trip: HTTP ${status}`);
    if (i >= 3) out.push(performance.now() - t);
  }
  return out;
}

/**
 * `count` GetSecretBundleByName calls through a warm OCI SDK client in Bun, the binary's runtime (bench/vault-call.mjs):
 * one vault round trip as a client makes it, signing and parsing included. ms each.
 */
function warmVaultCalls(info, secretName, count) {
  const args = { endpoint: info.endpoint, ...emulatorSettings(info), secretName, count };
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'bun'), [path.join(ROOT, 'bench', 'vault-call.mjs'), JSON.stringify(args)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/vault-call.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()).ms;
}

/** `count` fresh-connection HTTP round trips to the emulator's admin stats endpoint, ms each. */
async function loopbackRtts(endpoint, count) {
  const http = await import('node:http');
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await new Promise((resolve, reject) => http.get(`${endpoint}/_emulator/stats`, { agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject));
    out.push(performance.now() - t);
  }
  return out;
}

const bin = builtBinary();
const work = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-launch-'));
const dc = tempDockerConfig(bin);
const baselineDcs = baselineBins.map((b) => tempDockerConfig(b));
const emu = await startBinaryEmulator(bin, work, { 'bench-api-key': `bench_${randomBytes(16).toString('hex')}` });
try {
  const base = readFileSync(emu.info.resolverConfig, 'utf8').replace(/^cache:[\s\S]*?(?=^\S|(?![\s\S]))/m, '');
  const noCache = path.join(work, 'no-cache.yaml');
  writeFileSync(noCache, `${base}cache:\n  enabled: false\nresilience:\n  retries: 0\n`);
  const withCache = path.join(work, 'cache.yaml');
  writeFileSync(withCache, `${base}cache:\n  enabled: true\n  dir: ${path.join(work, 'cache')}\n  ttl: 86400\n`);
  const home = path.join(work, 'home');
  mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    DOCKER_CONFIG: dc.dir,
    VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64'),
  };

  // The floor's input: the secret AES-256-GCM-encrypted in one file (IV | ciphertext | tag), key in its env.
  const floorBin = buildFloor(work);
  const floorKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', floorKey, iv);
  const floorFile = path.join(work, 'floor.bin');
  writeFileSync(floorFile, Buffer.concat([iv, cipher.update('bench_floor_value_0123456789abcdef'), cipher.final(), cipher.getAuthTag()]));
  const floorEnv = { ...env, FLOOR_KEY: floorKey.toString('base64') };
  // Cache key from the OS keychain: only with a Secret Service (scripts/with-keyring.sh sets this); its own
  // cache dir, since entries are encrypted with a different key.
  const keychain = process.env.VAULTMCP_SECRET_SERVICE === '1';
  const kcCache = path.join(work, 'cache-kc.yaml');
  writeFileSync(kcCache, `${base}cache:\n  enabled: true\n  dir: ${path.join(work, 'cache-kc')}\n  ttl: 86400\n`);
  const kcEnv = { ...env, VAULTMCP_CACHE_KEY: undefined, ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}) };
  if (!keychain) console.error('launch: no Secret Service (run under scripts/with-keyring.sh): keychain rows left out');

  const servers = [{ label: 'fixture server', argv: [process.execPath, FAKE, 'mcp'] }];
  if (!onlyFixture) servers.push({ label: 'server-everything', argv: [process.execPath, EVERYTHING, 'stdio'] });

  const rows = [];
  for (const server of servers) {
    const service = path.join(work, `${server.label.replace(/\W+/g, '-')}.json`);
    writeFileSync(service, JSON.stringify({ secrets: { BENCH_API_KEY: 'bench-api-key' }, target_command: server.argv }));
    const specs = [
      { name: `${server.label}: direct`, cmd: server.argv[0], args: server.argv.slice(1) },
      { name: `${server.label}: docker vaultmcp run, vault (cache off)`, cmd: 'docker', args: ['vaultmcp', 'run', service, '--config', noCache], targetAdded: 60 },
      { name: `${server.label}: docker vaultmcp run, cache hit`, cmd: 'docker', args: ['vaultmcp', 'run', service, '--config', withCache], targetAdded: 40 },
      { name: `${server.label}: binary run (no docker CLI), cache hit`, cmd: bin, args: ['run', service, '--config', withCache], rss: true, hit: true },
      { name: `${server.label}: binary run (no docker CLI), vault (cache off)`, cmd: bin, args: ['run', service, '--config', noCache] },
      // cold resolution on the same footing as the hit (cache on, same settings and launch snapshot), but every
      // secret read from the vault: what a cache miss costs
      { name: `${server.label}: binary run (no docker CLI), cache on, --refresh (read from the vault)`, cmd: bin, args: ['run', service, '--config', withCache, '--refresh'], cold: true },
      { name: `${server.label}: floor (Bun program: file + AES-GCM + relay)`, cmd: floorBin, args: [floorFile, 'BENCH_API_KEY', ...server.argv], env: floorEnv, floor: true },
    ];
    if (keychain) {
      specs.push({ name: `${server.label}: binary run, cache hit, key from the OS keychain`, cmd: bin, args: ['run', service, '--config', kcCache], env: kcEnv, targetOverFloor: 8 });
    }
    for (const [i, b] of baselineBins.entries()) {
      const tag = `[${path.basename(b)}]`;
      if (!binaryOnly) specs.push({ name: `${server.label}: docker vaultmcp run, cache hit ${tag}`, cmd: 'docker', args: ['vaultmcp', 'run', service, '--config', withCache], env: { ...env, DOCKER_CONFIG: baselineDcs[i].dir } });
      specs.push({ name: `${server.label}: binary run (no docker CLI), cache hit ${tag}`, cmd: b, args: ['run', service, '--config', withCache] });
      if (keychain) specs.push({ name: `${server.label}: binary run, cache hit, key from the OS keychain ${tag}`, cmd: b, args: ['run', service, '--config', kcCache], env: kcEnv });
    }
    for (let i = 0; i < warmup; i++) for (const s of specs) await timeInitialize(s.cmd, s.args, s.env ?? env);
    const samples = specs.map(() => []);
    const rss = specs.map(() => []);
    for (let i = 0; i < runs; i++) for (const [k, s] of specs.entries()) samples[k].push(await timeInitialize(s.cmd, s.args, s.env ?? env, s.rss ? rss[k] : undefined));
    const direct = median(samples[0]);
    const floorAdded = median(samples[specs.findIndex((s) => s.floor)]) - direct;
    for (const [k, s] of specs.entries()) {
      const m = median(samples[k]);
      const added = m - direct;
      const note = k === 0
        ? 'baseline'
        : s.floor
          ? `+${added.toFixed(1)} ms over direct: the floor`
          : `+${added.toFixed(1)} ms over direct, floor ${added >= floorAdded ? '+' : '−'}${Math.abs(added - floorAdded).toFixed(1)} ms, ×${(added / floorAdded).toFixed(1)} floor`;
      rows.push(summarize(s.name, samples[k], { note }));
      if (s.targetAdded !== undefined) {
        rows.push({ ...summarize(`${s.name}: added over direct`, samples[k].map((x) => x - direct)), target_ms: s.targetAdded });
      }
      if (s.rss) rows.push({ ...summarize(`${s.name}: RSS while relaying, MB (not ms)`, rss[k]), target_ms: 60 });
      if (s.cold) {
        // cold = cache hit + one vault round trip (+ signing, decoding); target: at most RTT + 10 ms over the hit
        const hit = samples[specs.findIndex((x) => x.hit)];
        const loopback = median(await loopbackRtts(emu.info.endpoint, 20));
        const replay = median(await vaultRoundTrips(emu.info, 'bench-api-key', 20));
        const call = median(warmVaultCalls(emu.info, 'bench-api-key', 20));
        rows.push({
          ...summarize(
            `${s.name}: cold minus cache hit, less one vault round trip (a warm SDK client's GetSecretBundleByName: ${call.toFixed(1)} ms; the same request replayed without signing: ${replay.toFixed(1)} ms; a bare loopback HTTP round trip: ${loopback.toFixed(1)} ms)`,
            samples[k].map((x) => x - median(hit) - call),
          ),
          target_ms: 10,
        });
      }
      if (s.targetOverFloor !== undefined) {
        // per-sample excess over the floor's median: the target "adds at most floor + 8 ms"
        rows.push({ ...summarize(`${s.name}: over the floor`, samples[k].map((x) => x - direct - floorAdded)), target_ms: s.targetOverFloor });
      }
    }
  }

  // Relay cost once running: per-message round trip through the plugin vs direct (fixture server).
  const service = path.join(work, 'fixture-server.json');
  const direct = await timeRoundTrips(process.execPath, [FAKE, 'mcp'], env, 500);
  const relayed = await timeRoundTrips('docker', ['vaultmcp', 'run', service, '--config', withCache], env, 500);
  const added = median(relayed) - median(direct);
  rows.push(summarize('fixture server: message round trip, direct', direct, { note: 'baseline' }));
  rows.push(summarize('fixture server: message round trip, through the plugin', relayed, { note: `+${(added * 1000).toFixed(0)} µs per message` }));
  report(rows);
} finally {
  await emu.stop();
  dc.cleanup();
  for (const d of baselineDcs) d.cleanup();
  rmSync(work, { recursive: true, force: true });
}
