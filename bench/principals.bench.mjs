#!/usr/bin/env node
/**
 * Cold-launch cost of each auth method against api_key: the built binary's `run SERVICE --test --refresh` (no
 * cache read, so every launch builds its signer and reads the secret from the vault) against `dev vault
 * --principals`, round-robin, in a private network namespace (the SDK asks the metadata service at
 * 169.254.169.254:80). Per launch: api_key = one signed vault call; instance_principal = 3 metadata GETs + the
 * X.509 federation POST (a new RSA session key first) + the vault call; resource_principal = reading the RPST and
 * session key files; oke_workload_identity = a new session key + the HTTPS token request + the vault call.
 * bench/lib.mjs conventions: a summary on stderr, the last stdout line `BENCH_JSON {...}`.
 * Needs root (unshare -n, ip); otherwise it reports one row saying so.
 * Usage: node bench/principals.bench.mjs [--runs=N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');
if (!process.env.VAULTMCP_BENCH_NETNS) {
  const tools = spawnSync('sh', ['-c', 'command -v unshare && command -v ip'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0 || !tools) {
    const { report } = await import('./lib.mjs');
    report([{ name: 'skipped: needs root, unshare and ip (a private network namespace)', median_ms: NaN, p90_ms: NaN, min_ms: NaN, runs: 0 }]);
    process.exit(0);
  }
  // build first, outside the namespace (the build needs nothing from the network, but keep it out of the timing)
  const { builtBinary } = await import('./lib.mjs');
  builtBinary();
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && ip addr add 169.254.169.254/32 dev lo && exec "$0" --import tsx "$@"', process.execPath, here, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, VAULTMCP_BENCH_NETNS: '1' }, cwd: root },
  );
  process.exit(r.status ?? 1);
}

const consoleLog = console.log;
const { report, timeInterleaved } = await import('./lib.mjs');
const { randomBytes } = await import('node:crypto');
const { startVaultEmulator } = await import('../src/emulator/index.ts');

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 20);
const bin = path.join(root, 'dist', 'docker-vaultmcp');
const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-principals-'));
try {
  const emu = await startVaultEmulator({ port: 0, stateDir: path.join(dir, 'emu'), seed: { 'bench-secret': randomBytes(16).toString('hex') }, principals: {} });
  const p = emu.info.principals;
  const svc = path.join(dir, 'svc.json');
  writeFileSync(svc, JSON.stringify({ secrets: { BENCH: 'bench-secret' }, target_command: ['true'] }));
  const env = (extra = {}) => ({
    PATH: process.env.PATH,
    HOME: path.join(dir, 'home'),
    LANG: 'C',
    NO_COLOR: '1',
    VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64'),
    ...extra,
  });
  const spec = (name, config, extra) => ({ name, cmd: bin, args: ['run', svc, '--test', '--refresh', '--config', config], env: env(extra), cwd: dir });
  const before = { ...emu.stats.toJSON().byOperation };
  const rows = await timeInterleaved(
    [
      spec('api_key, cold launch (run --test --refresh)', emu.info.resolverConfig),
      spec('instance_principal, cold launch', p.resolverConfigs.instance_principal),
      spec('resource_principal (RPST v2.2 files), cold launch', p.resolverConfigs.resource_principal, p.resourcePrincipalEnv),
      spec('oke_workload_identity, cold launch', p.resolverConfigs.oke_workload_identity),
    ],
    { runs, warmup: 2 },
  );
  const after = emu.stats.toJSON().byOperation;
  const per = (op) => ((after[op] ?? 0) - (before[op] ?? 0)) / (runs + 2);
  const base = rows[0].median_ms;
  rows[0].note = 'baseline: one signed vault call';
  rows[1].note = `+${(rows[1].median_ms - base).toFixed(0)} ms vs api_key; per launch ${per('imds')} metadata GETs, ${per('federateX509')} federation POST`;
  rows[2].note = `+${(rows[2].median_ms - base).toFixed(0)} ms vs api_key; no extra round trip`;
  rows[3].note = `+${(rows[3].median_ms - base).toFixed(0)} ms vs api_key; ${per('getResourcePrincipalSessionToken')} HTTPS token request per launch`;
  await emu.close();
  for (const r of rows) process.stderr.write(`${r.name}: median ${r.median_ms} ms (p90 ${r.p90_ms}) ${r.note}\n`);
  console.log = consoleLog;
  report(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
