#!/usr/bin/env node
/**
 * `npm run check:reproducible [-- --target=linux-x64 …]`: builds the release twice from the same sources in two
 * different directories (different path lengths) and compares every output byte for byte.
 *
 * The sources are the working tree's tracked and untracked-but-not-ignored files (so it checks what you have,
 * committed or not; without git, every file outside node_modules, dist and dot-directories); node_modules is hard-linked from this checkout (same packages, no network). Both builds get
 * the same SOURCE_DATE_EPOCH. Prints one line per release file; for a file that differs, the first differing
 * offset and the printable text around it on both sides, which is what docs/packaging.md "Reproducibility"
 * explains. `--publish`: when identical, copy them to dist/release (what CI does: the release build and its
 * reproducibility check in one step). `--keep`: leave the two build directories for a closer look.
 * Exit codes: 0 identical · 1 a build failed or outputs differ · 2 usage.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const pass = args.filter((a) => a.startsWith('--target='));
const publish = args.includes('--publish');
if (args.some((a) => a !== '--keep' && a !== '--publish' && !a.startsWith('--target='))) {
  console.error('usage: check-reproducible.mjs [--keep] [--publish] [--target=NAME]…');
  process.exit(2);
}

function run(cmd, argv, opts) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    console.error(`check-reproducible: ${cmd} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return r.stdout;
}

const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, encoding: 'utf8' }).stdout?.trim() === 'true';
// Both builds must get the same dates; build-release.mjs itself falls back to the last commit's time, or 0.
const epoch = process.env.SOURCE_DATE_EPOCH ?? (inGit ? run('git', ['log', '-1', '--format=%ct'], { cwd: root }).trim() : '0');
/** Without git (a CI copy of the sources): every file except node_modules, dist and dot-directories. */
function walk(dir, rel = '') {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) return rel === '' && (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) ? [] : walk(dir, r);
    return e.isFile() ? [r] : [];
  });
}
const files = (inGit ? run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root }).split('\0') : walk(root))
  .filter((f) => f && existsSync(path.join(root, f)) && statSync(path.join(root, f)).isFile());

const base = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-repro-'));
const dirs = [path.join(base, 'a'), path.join(base, 'second-build-directory')];
try {
  for (const dir of dirs) {
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      copyFileSync(path.join(root, f), path.join(dir, f));
    }
    run('cp', ['-al', path.join(root, 'node_modules'), path.join(dir, 'node_modules')]);
    const t0 = performance.now();
    run(process.execPath, [path.join(dir, 'scripts', 'build-release.mjs'), ...pass], {
      cwd: dir,
      env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
    });
    console.log(`check-reproducible: built in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const [a, b] = dirs.map((d) => path.join(d, 'dist', 'release'));
  const names = [...new Set([...readdirSync(a), ...readdirSync(b)])].sort();
  let differ = 0;
  const printable = (buf) => buf.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  for (const name of names) {
    if (!existsSync(path.join(a, name)) || !existsSync(path.join(b, name))) {
      console.log(`DIFFERS   ${name}: only in one build`);
      differ++;
      continue;
    }
    const x = readFileSync(path.join(a, name));
    const y = readFileSync(path.join(b, name));
    if (x.equals(y)) {
      console.log(`identical ${name}`);
      continue;
    }
    differ++;
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) i++;
    const from = Math.max(0, i - 48);
    console.log(`DIFFERS   ${name}: sizes ${x.length} / ${y.length}, first difference at byte ${i}\n` +
      `  a: ${printable(x.subarray(from, i + 48))}\n  b: ${printable(y.subarray(from, i + 48))}`);
  }
  console.log(differ === 0 ? 'check-reproducible: all outputs are byte-identical' : `check-reproducible: ${differ} file(s) differ`);
  process.exitCode = differ === 0 ? 0 : 1;
  if (publish && differ === 0) {
    // CI: the checked files become dist/release (one build fewer than building it a third time)
    const dest = path.join(root, 'dist', 'release');
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    for (const name of names) copyFileSync(path.join(a, name), path.join(dest, name));
    run('chmod', ['-R', 'u+rwX,go+rX', dest]);
    for (const name of names.filter((n) => !/\.(json|gz|zip)$|SHA256SUMS/.test(n))) run('chmod', ['755', path.join(dest, name)]);
    console.log(`check-reproducible: published them to ${path.relative(process.cwd(), dest) || dest}`);
  }
} finally {
  if (keep) console.log(`check-reproducible: kept ${base}`);
  else rmSync(base, { recursive: true, force: true });
}
