#!/usr/bin/env node
/**
 * `npm run bench [-- name-filter…] [--write]`: runs every `bench/*.bench.mjs` (one after another, so they do
 * not disturb each other), collects the `BENCH_JSON` line each prints (see bench/lib.mjs) and prints one
 * Markdown table with the machine header. `--write` also replaces the "Latest run" section of
 * bench/RESULTS.md with it (the rest of that file, the notes, is kept).
 * A bench file that fails is reported in the table and makes the exit code 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineInfo, table } from './lib.mjs';

const dir = import.meta.dirname;
const args = process.argv.slice(2);
const write = args.includes('--write');
const filters = args.filter((a) => !a.startsWith('--'));
const passOn = args.filter((a) => a.startsWith('--') && a !== '--write'); // e.g. --runs=10, for every bench file
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const info = machineInfo();
const rows = [];
let failed = false;
for (const file of files) {
  console.error(`bench: ${file} …`);
  const started = performance.now();
  const r = spawnSync(process.execPath, [path.join(dir, file), ...passOn], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const line = (r.stdout ?? '').split('\n').reverse().find((l) => l.startsWith('BENCH_JSON '));
  if (r.status !== 0 || !line) {
    failed = true;
    rows.push({ name: `${file}: FAILED (exit ${r.status ?? r.signal})`, median_ms: NaN, p90_ms: NaN, min_ms: NaN, runs: 0 });
    process.stderr.write(r.stdout ?? '');
    continue;
  }
  for (const row of JSON.parse(line.slice('BENCH_JSON '.length)).rows) rows.push({ ...row, name: `${file.replace(/\.bench\.mjs$/, '')}: ${row.name}` });
  console.error(`bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const header =
  `Date: ${info.date} · Machine: ${info.machine} · load average before: ${info.loadavg}\n` +
  `Node ${info.node} (runs the benchmarks) · Bun ${info.bun} (builds the binary) · ${info.docker}`;
const section = `${header}\n\n${table(rows)}\n`;
console.log(section);

if (write) {
  const file = path.join(dir, 'RESULTS.md');
  const start = '<!-- latest-run:start -->';
  const end = '<!-- latest-run:end -->';
  const old = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n## Latest run\n\n${start}\n${end}\n`;
  const next = old.includes(start) && old.includes(end)
    ? old.slice(0, old.indexOf(start) + start.length) + `\n${section}` + old.slice(old.indexOf(end))
    : `${old}\n## Latest run\n\n${start}\n${section}${end}\n`;
  writeFileSync(file, next);
  console.error(`bench: wrote ${path.relative(process.cwd(), file)}`);
}
process.exit(failed ? 1 : 0);
