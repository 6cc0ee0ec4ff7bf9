/**
 * Small helpers for the benchmark scripts (`bench/*.bench.mjs`, run together by `npm run bench`).
 *
 * A bench file is a plain ES module that, when run (`node bench/x.bench.mjs`), prints a human summary and,
 * as its **last stdout line**, `BENCH_JSON {"rows":[…]}` built with `report()`; bench/run-all.mjs collects
 * those rows into one table. Rows are `{ name, median_ms, p90_ms, min_ms, runs, target_ms?, note? }`.
 *
 * ```js
 * import { timeCommand, report, builtBinary } from './lib.mjs';
 * const row = await timeCommand('metadata', builtBinary(), ['docker-cli-plugin-metadata'], { runs: 40, targetMs: 25 });
 * report([row]);
 * ```
 * Timing is wall time from spawn to exit (node's child_process, measured with performance.now()), so it
 * includes fork/exec, like a user's shell would. Runs are sequential, after `warmup` untimed runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Median of numbers (mean of the two middle values for an even count). */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** p-th percentile (0–100), nearest-rank. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const p90 = (xs) => percentile(xs, 90);

/** Summary of a list of samples in ms. */
export function summarize(name, samples, extra = {}) {
  const r = (x) => Math.round(x * 10) / 10;
  return {
    name,
    median_ms: r(median(samples)),
    p90_ms: r(p90(samples)),
    min_ms: r(Math.min(...samples)),
    runs: samples.length,
    ...extra,
  };
}

/**
 * Spawns `cmd args` once, waits for exit; resolves wall ms. Rejects on a non-zero exit (unless `okCodes` has
 * it) so a broken command never produces a nice number.
 */
export function timeOnce(cmd, args, { env, cwd, input, okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // stdin is only a pipe when there is input: each extra pipe costs the harness ~1 ms per spawn.
    const stdio = [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'];
    const child = spawn(cmd, args, { env: env ?? process.env, cwd: cwd ?? os.tmpdir(), stdio });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (okCodes.includes(code)) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/**
 * Times `runs` sequential executions (after `warmup` untimed ones) and returns a summary row.
 * @param opts { runs = 40, warmup = 3, env, cwd, input, okCodes, targetMs, note }
 */
export async function timeCommand(name, cmd, args, opts = {}) {
  const { runs = 40, warmup = 3, targetMs, note, ...spawnOpts } = opts;
  for (let i = 0; i < warmup; i++) await timeOnce(cmd, args, spawnOpts);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await timeOnce(cmd, args, spawnOpts));
  return summarize(name, samples, {
    ...(targetMs !== undefined ? { target_ms: targetMs } : {}),
    ...(note ? { note } : {}),
  });
}

/**
 * Like timeCommand for several commands at once, run round-robin (a, b, c, a, b, c, …) so that load from other
 * processes on the machine hits all of them alike; use it when rows are compared with each other.
 * @param specs [{ name, cmd, args, targetMs?, note?, env?, cwd?, input?, okCodes? }]
 * @param opts { runs = 40, warmup = 3 }
 */
export async function timeInterleaved(specs, { runs = 40, warmup = 3 } = {}) {
  const spawnOpts = ({ env, cwd, input, okCodes }) => ({ env, cwd, input, okCodes });
  for (let i = 0; i < warmup; i++) for (const s of specs) await timeOnce(s.cmd, s.args, spawnOpts(s));
  const samples = specs.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, s] of specs.entries()) samples[k].push(await timeOnce(s.cmd, s.args, spawnOpts(s)));
  }
  return specs.map((s, k) =>
    summarize(s.name, samples[k], {
      ...(s.targetMs !== undefined ? { target_ms: s.targetMs } : {}),
      ...(s.note ? { note: s.note } : {}),
    }),
  );
}

/**
 * Builds a Bun "hello world" single binary with the same flags as ours (cached in the temp dir): the floor
 * any Bun-compiled plugin pays to start, so a row can be read as floor + our own cost.
 */
export function bunFloorBinary() {
  const dir = path.join(os.tmpdir(), 'vaultmcp-bench-floor');
  const bin = path.join(dir, 'hello');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'hello.ts'), 'console.log("{}");\n');
    const r = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'bun'),
      ['build', 'hello.ts', '--compile', '--minify', '--bytecode', '--format=esm', '--no-compile-autoload-dotenv',
        '--no-compile-autoload-bunfig', '--outfile=hello'],
      { cwd: dir, stdio: 'ignore' },
    );
    if (r.status !== 0) throw new Error('cannot build the bun floor binary');
  }
  return bin;
}

/**
 * Cross-check with hyperfine (`-N`: no shell, so no harness cost beyond fork/exec), when it is installed
 * (Debian: hyperfine). Returns a row like timeCommand's, or undefined without hyperfine.
 * Arguments are joined with spaces (hyperfine splits them again), so they must not contain spaces.
 */
export function hyperfineCommand(name, cmd, args, { runs = 40, warmup = 3, env, targetMs, note } = {}) {
  if (spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-hyperfine-'));
  try {
    const out = path.join(dir, 'out.json');
    const r = spawnSync(
      'hyperfine',
      ['-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, [cmd, ...args].join(' ')],
      { env: env ?? process.env, cwd: os.tmpdir(), stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
    const times = JSON.parse(readFileSync(out, 'utf8')).results[0].times.map((t) => t * 1000);
    return summarize(name, times, {
      ...(targetMs !== undefined ? { target_ms: targetMs } : {}),
      ...(note ? { note } : {}),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Times an async function `runs` times (after `warmup`); for in-process benchmarks. */
export async function timeFn(name, fn, { runs = 40, warmup = 3, targetMs, note } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return summarize(name, samples, {
    ...(targetMs !== undefined ? { target_ms: targetMs } : {}),
    ...(note ? { note } : {}),
  });
}

/** Path of dist/docker-vaultmcp, building it first when missing or stale (the build skips if up to date). */
export function builtBinary() {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-binary.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bin = path.join(ROOT, 'dist', 'docker-vaultmcp');
  if (r.status !== 0 || !existsSync(bin)) throw new Error('cannot build dist/docker-vaultmcp');
  return bin;
}

/**
 * A temp DOCKER_CONFIG whose cli-plugins/docker-vaultmcp links to the built binary.
 * @returns {{ dir: string, env: NodeJS.ProcessEnv, cleanup: () => void }} env = process.env + DOCKER_CONFIG
 */
export function tempDockerConfig(bin = builtBinary()) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bench-docker-'));
  mkdirSync(path.join(dir, 'cli-plugins'));
  symlinkSync(bin, path.join(dir, 'cli-plugins', 'docker-vaultmcp'));
  writeFileSync(path.join(dir, 'config.json'), '{}\n');
  return { dir, env: { ...process.env, DOCKER_CONFIG: dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Versions for the results header. */
export function machineInfo() {
  const bun = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'bun'), ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const docker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: `${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model?.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    bun: bun || 'n/a',
    docker: docker || 'n/a',
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

/** Formats rows as a Markdown table. */
export function table(rows) {
  const head = '| benchmark | median ms | p90 ms | min ms | runs | target | ok |\n|---|---:|---:|---:|---:|---:|:-:|';
  const lines = rows.map((r) => {
    const ok = r.target_ms === undefined ? '' : r.median_ms <= r.target_ms ? 'yes' : '**no**';
    const target = r.target_ms === undefined ? '' : `≤ ${r.target_ms}`;
    return `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${r.median_ms} | ${r.p90_ms} | ${r.min_ms} | ${r.runs} | ${target} | ${ok} |`;
  });
  return [head, ...lines].join('\n');
}

/** Prints the rows (table for humans, then the BENCH_JSON line run-all.mjs reads). */
export function report(rows) {
  console.log(table(rows));
  console.log(`BENCH_JSON ${JSON.stringify({ rows })}`);
}

/**
 * Starts the built binary's `dev vault` emulator on a random loopback port with `seed` (name → value) in a state
 * dir under `work`. @returns its ready-line info (endpoint, resolverConfig, …) and `stop()`
 */
export async function startBinaryEmulator(bin, work, seed) {
  const seedFile = path.join(work, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(seed), { mode: 0o600 });
  const child = spawn(bin, ['dev', 'vault', '--port', '0', '--state-dir', path.join(work, 'vault'), '--seed', seedFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH, HOME: work },
  });
  const info = await new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`emulator exited ${c}`)));
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l)));
  });
  return { info, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}
