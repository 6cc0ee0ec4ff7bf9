#!/usr/bin/env node
/**
 * `npm run build:release`: the release files of `docker-vaultmcp` for every platform Docker runs on, built on
 * one Linux machine with Bun's cross-compilation (docs/packaging.md "Release build").
 *
 *   node scripts/build-release.mjs                          # all targets → dist/release/
 *   node scripts/build-release.mjs --target=linux-arm64 …   # some targets (linux-x64 linux-arm64 darwin-x64
 *                                                           #   darwin-arm64 windows-x64)
 *   node scripts/build-release.mjs --out=DIR                # another output directory (emptied first)
 *
 * For each target it writes, into the output directory (`<v>` = package.json version):
 *   docker-vaultmcp-<v>-<os>-<arch>[.exe]        the executable (os: linux, darwin, windows; arch: x64, arm64)
 *   docker-vaultmcp-<v>-<os>-<arch>.cdx.json     its CycloneDX 1.6 SBOM (@cyclonedx/cyclonedx-npm from the lock
 *                                                file, production dependencies, this target's keychain addon
 *                                                and Bun runtime only)
 *   docker-vaultmcp-<v>-<os>-<arch>.tar.gz|.zip  archive: `docker-vaultmcp[.exe]`, the SBOM and README.md,
 *                                                dated SOURCE_DATE_EPOCH (default: the last commit's time)
 * and `SHA256SUMS` (sha256sum format) over all of them.
 *
 * The keychain addon: Bun folds `process.platform`/`process.arch` at build time and embeds only the `.node`
 * file of the target's `@napi-rs/keyring-<platform>` package, if it is installed. `npm ci` installs only the
 * host's, so this script fetches the others with `npm pack` (the npm registry, the npm client's cache),
 * checks each tarball against the sha512 integrity recorded in package-lock.json and unpacks it into
 * node_modules/. After building, it checks that the target's `.node` file is inside the executable and no other
 * platform's is. Any failure (package not in the lock, integrity mismatch, addon not embedded) fails the build
 * with exit 1: a binary whose keychain fails at first use is never produced.
 *
 * macOS: darwin-arm64 must carry a valid (ad-hoc) signature, which Bun writes; the stale signature Bun leaves on
 * darwin-x64 is removed (scripts/macho.mjs), since macOS kills a process whose signed pages do not match.
 *
 * Needs: bun (devDependency), npm, tar, gzip, zip. Exit codes: 0 built · 1 a step failed · 2 usage.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkCodeSignature, removeCodeSignature } from './macho.mjs';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

/**
 * Release targets: Bun `--target`, the napi-rs platform package with its `.node` file, and the npm package Bun
 * takes the target's runtime from (for the SBOM).
 */
const RELEASE_TARGETS = {
  'linux-x64': { bun: 'bun-linux-x64', napi: 'linux-x64-gnu', runtime: '@oven/bun-linux-x64', exe: '' },
  'linux-arm64': { bun: 'bun-linux-arm64', napi: 'linux-arm64-gnu', runtime: '@oven/bun-linux-aarch64', exe: '' },
  'darwin-x64': { bun: 'bun-darwin-x64', napi: 'darwin-x64', runtime: '@oven/bun-darwin-x64', exe: '' },
  'darwin-arm64': { bun: 'bun-darwin-arm64', napi: 'darwin-arm64', runtime: '@oven/bun-darwin-aarch64', exe: '' },
  'windows-x64': { bun: 'bun-windows-x64', napi: 'win32-x64-msvc', runtime: '@oven/bun-windows-x64', exe: '.exe' },
};

function fail(msg) {
  console.error(`build-release: ${msg}`);
  process.exit(1);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

const sha = (algo, buf) => createHash(algo).update(buf).digest();

/** The `.node` file of a napi package inside node_modules, installed (and verified) if needed. */
function ensureAddon(napi) {
  const name = `@napi-rs/keyring-${napi}`;
  const dir = path.join(root, 'node_modules', '@napi-rs', `keyring-${napi}`);
  const nodeFile = path.join(dir, `keyring.${napi}.node`);
  const entry = lock.packages?.[`node_modules/${name}`];
  const version = lock.packages?.['node_modules/@napi-rs/keyring']?.version;
  if (!entry?.integrity || entry.version !== version) {
    fail(`${name}@${version} is not in package-lock.json: cannot verify it.\n  Try: npm install (refreshes the lock file)`);
  }
  const installed = existsSync(path.join(dir, 'package.json'))
    ? JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version
    : undefined;
  if (installed === version && existsSync(nodeFile)) return { name, version, nodeFile };

  const [algo, want] = entry.integrity.split('-');
  const cache = path.join(root, 'node_modules', '.cache', 'vaultmcp-release');
  mkdirSync(cache, { recursive: true });
  const out = JSON.parse(sh('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', cache], { cwd: cache }));
  const tgz = path.join(cache, out[0].filename);
  const got = sha(algo, readFileSync(tgz)).toString('base64');
  if (got !== want) {
    rmSync(tgz, { force: true });
    fail(`${name}@${version} from the registry does not match package-lock.json (${algo} ${got} ≠ ${want})`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  sh('tar', ['-xzf', tgz, '-C', dir, '--strip-components=1', '--no-same-owner']);
  rmSync(tgz, { force: true });
  if (!existsSync(nodeFile)) fail(`${name}@${version} has no ${path.basename(nodeFile)}`);
  console.log(`build-release: fetched ${name}@${version} (integrity checked against package-lock.json)`);
  return { name, version, nodeFile };
}

/** True when `needle` (a 256-byte window from the middle of a file) occurs in `hay`. */
function embeds(hay, file) {
  const buf = readFileSync(file);
  const at = Math.floor(buf.length / 2);
  return hay.indexOf(buf.subarray(at, at + 256)) !== -1;
}

/** CycloneDX SBOM of the production dependency tree, from package-lock.json (no node_modules walk). */
function baseSbom() {
  const cli = path.join(root, 'node_modules', '@cyclonedx', 'cyclonedx-npm', 'bin', 'cyclonedx-npm-cli.js');
  if (!existsSync(cli)) fail('@cyclonedx/cyclonedx-npm (devDependency) is missing: run npm ci first');
  const json = sh(process.execPath, [
    cli, '--package-lock-only', '--omit', 'dev', '--output-reproducible', '--spec-version', '1.6',
    '--output-format', 'JSON', '--output-file', '-', '--mc-type', 'application', 'package.json',
  ]);
  return JSON.parse(json);
}

/**
 * The SBOM of one target: the base tree without other platforms' keychain addons, plus the Bun runtime the
 * executable is made of. Returns the JSON text (stable key order, trailing newline).
 */
function targetSbom(base, name, t, bunVersion) {
  const bom = structuredClone(base);
  const ours = `@napi-rs/keyring-${t.napi}`;
  const isOtherAddon = (c) =>
    /^keyring-/.test(c.name) && c.group === '@napi-rs' && `@napi-rs/${c.name}` !== ours;
  const dropped = new Set();
  const walk = (list) =>
    (list ?? []).filter((c) => {
      if (isOtherAddon(c)) {
        dropped.add(c['bom-ref']);
        return false;
      }
      if (c.components) c.components = walk(c.components);
      return true;
    });
  bom.components = walk(bom.components);
  if (!bom.components.some((c) => c.group === '@napi-rs' && `@napi-rs/${c.name}` === ours)) {
    fail(`the SBOM has no ${ours}: is it in package-lock.json?`);
  }
  bom.dependencies = (bom.dependencies ?? [])
    .filter((d) => !dropped.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => !dropped.has(r)) }));
  const [group, rname] = t.runtime.split('/');
  bom.components.push({
    type: 'application',
    name: rname,
    group,
    version: bunVersion,
    description: 'Bun runtime the executable is built on (bun build --compile --target)',
    purl: `pkg:npm/${encodeURIComponent(group)}/${rname}@${bunVersion}`,
    'bom-ref': `${t.runtime}@${bunVersion}`,
    licenses: [{ license: { id: 'MIT' } }],
  });
  bom.metadata.component = {
    ...bom.metadata.component,
    name: 'docker-vaultmcp',
    version: pkg.version,
    properties: [...(bom.metadata.component?.properties ?? []), { name: 'vaultmcp:target', value: name }],
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}

function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? Number(r.stdout.trim()) : 0;
}

/** Reproducible archive of `stage/` (fixed order, owner and times): .tar.gz, or .zip for Windows. */
function archive(stage, outFile, epoch) {
  for (const f of readdirSync(stage)) utimesSync(path.join(stage, f), epoch, epoch);
  utimesSync(stage, epoch, epoch);
  if (outFile.endsWith('.zip')) {
    const names = readdirSync(stage).sort();
    // -X: no extra attributes (uid/gid, unix times); TZ=UTC: zip stores local DOS times.
    sh('zip', ['-X', '-q', '-9', outFile, ...names], { cwd: stage, env: { ...process.env, TZ: 'UTC' } });
  } else {
    const tar = spawnSync('tar', [
      '--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '--format=gnu',
      '--mode=go-w', '-C', stage, '-cf', '-', ...readdirSync(stage).sort(),
    ], { maxBuffer: 1024 * 1024 * 1024 });
    if (tar.status !== 0) fail(`tar failed: ${tar.stderr}`);
    const gz = spawnSync('gzip', ['-n', '-9'], { input: tar.stdout, maxBuffer: 1024 * 1024 * 1024 });
    if (gz.status !== 0) fail(`gzip failed: ${gz.stderr}`);
    writeFileSync(outFile, gz.stdout);
  }
}

// ---- main ----
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--fetch-addons') {
  // only make sure every target's keychain addon is in node_modules, verified against the lock file (the release
  // test compares executables with them; a build in another directory, e.g. check-reproducible, fetches its own)
  for (const t of Object.values(RELEASE_TARGETS)) ensureAddon(t.napi);
  process.exit(0);
}
const wanted = args.filter((a) => a.startsWith('--target=')).map((a) => a.slice(9));
const outArg = args.find((a) => a.startsWith('--out='))?.slice(6);
const bad = args.filter((a) => !a.startsWith('--target=') && !a.startsWith('--out='));
for (const w of wanted) if (!RELEASE_TARGETS[w]) bad.push(w);
if (bad.length > 0) {
  console.error(`usage: build-release.mjs [--out=DIR] [--target=${Object.keys(RELEASE_TARGETS).join('|')}]…` +
    (bad.length ? `\n  not understood: ${bad.join(' ')}` : ''));
  process.exit(2);
}
const names = wanted.length > 0 ? [...new Set(wanted)] : Object.keys(RELEASE_TARGETS);
const outDir = path.resolve(outArg ?? path.join(root, 'dist', 'release'));
const epoch = sourceDateEpoch();
const bunVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'bun', 'package.json'), 'utf8')).version;
const started = performance.now();

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const addons = Object.fromEntries(Object.entries(RELEASE_TARGETS).map(([n, t]) => [n, ensureAddon(t.napi)]));
const base = baseSbom();
const files = [];
for (const name of names) {
  const t = RELEASE_TARGETS[name];
  const stem = `docker-vaultmcp-${pkg.version}-${name}`;
  const exeFile = path.join(outDir, `${stem}${t.exe}`);
  const t0 = performance.now();
  sh(process.execPath, [path.join(root, 'scripts', 'build-binary.mjs'), `--target=${t.bun}`, `--outfile=${exeFile}`]);
  let bin = readFileSync(exeFile);
  if (name.startsWith('darwin-')) {
    // Apple Silicon runs only validly signed code; Bun ad-hoc signs darwin-arm64 itself. For darwin-x64 it
    // leaves the runtime's stale signature, which macOS enforces: remove it (scripts/macho.mjs).
    let cs = checkCodeSignature(bin);
    if (cs.signed && !cs.valid && name === 'darwin-x64') {
      bin = removeCodeSignature(bin);
      writeFileSync(exeFile, bin);
      cs = checkCodeSignature(bin);
      console.log(`build-release: removed the stale code signature Bun left on ${stem}`);
    }
    if (name === 'darwin-arm64' ? !cs.valid : cs.signed && !cs.valid) {
      fail(`${stem} has ${cs.signed ? `an invalid code signature (${cs.badPages} pages differ)` : 'no code signature'}: macOS would kill it`);
    }
  }
  if (!embeds(bin, addons[name].nodeFile)) fail(`${stem}${t.exe} does not embed ${addons[name].name}: not shipped`);
  for (const [other, a] of Object.entries(addons)) {
    if (other !== name && embeds(bin, a.nodeFile)) fail(`${stem}${t.exe} embeds ${a.name}, not its own addon`);
  }
  const sbomFile = path.join(outDir, `${stem}.cdx.json`);
  writeFileSync(sbomFile, targetSbom(base, name, t, bunVersion));

  const stage = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-release-'));
  try {
    copyFileSync(exeFile, path.join(stage, `docker-vaultmcp${t.exe}`));
    copyFileSync(sbomFile, path.join(stage, 'docker-vaultmcp.cdx.json'));
    copyFileSync(path.join(root, 'README.md'), path.join(stage, 'README.md'));
    const archiveFile = path.join(outDir, `${stem}${t.exe ? '.zip' : '.tar.gz'}`);
    archive(stage, archiveFile, epoch);
    files.push(exeFile, sbomFile, archiveFile);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const mb = (bin.length / 1024 / 1024).toFixed(1);
  console.log(`build-release: ${stem}${t.exe} (${mb} MB, ${addons[name].name}) in ${Math.round(performance.now() - t0)} ms`);
}

const sums = files
  .map((f) => path.basename(f))
  .sort()
  .map((f) => `${sha('sha256', readFileSync(path.join(outDir, f))).toString('hex')}  ${f}`)
  .join('\n');
writeFileSync(path.join(outDir, 'SHA256SUMS'), `${sums}\n`);
console.log(`build-release: ${files.length} files + SHA256SUMS in ${path.relative(process.cwd(), outDir) || '.'} ` +
  `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
