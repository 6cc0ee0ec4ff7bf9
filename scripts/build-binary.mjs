#!/usr/bin/env node
/**
 * `npm run build:binary`: builds the single self-contained executable `dist/docker-vaultmcp` with Bun.
 *
 *   node scripts/build-binary.mjs                 # host build, skipped when dist/ is newer than every input
 *   node scripts/build-binary.mjs --force         # rebuild anyway
 *   node scripts/build-binary.mjs --target=bun-darwin-arm64 [--target=…]   # cross-compile (see docs/packaging.md)
 *   node scripts/build-binary.mjs --outfile=/tmp/x  # host build to another path (always rebuilds)
 *   node scripts/build-binary.mjs --target=bun-linux-arm64 --outfile=/tmp/y   # one cross target to a path
 * A cross build fails (exit 1) when the target's `@napi-rs/keyring-*` package is not installed: `npm run
 * build:release` (scripts/build-release.mjs) fetches and verifies those from the npm registry first.
 *
 * The build runs `bun scripts/bun-compile.mjs` (Bun.build, the JavaScript API of `bun build`, with the options of
 * the flags below and one bundler plugin that makes three modules of the OCI SDK load on first use).
 * Why each flag (see docs/packaging.md and ../shared/reference/packaging.md):
 *   --compile --minify --bytecode   one ELF/Mach-O/PE file; bytecode halves start-up (29 ms vs 96 ms `--help`)
 *   --format=esm                    --bytecode with the default CJS output fails on top-level await (yoga, ink)
 *   --splitting                     every `await import()` becomes its own chunk inside the binary, loaded only
 *                                   when reached: the metadata probe (src/main.ts) no longer loads the whole
 *                                   bundle (measured 66 → 36 ms under load, equal to a Bun hello-world)
 *   --no-compile-autoload-*         a compiled Bun binary would otherwise read .env, bunfig.toml (and, if asked,
 *                                   tsconfig.json / package.json) from the user's current directory
 * `react-devtools-core` (imported by ink's devtools) is aliased to src/stubs/react-devtools-core.ts through the
 * tsconfig `paths` entry, which `bun build` honours (the package is not installed, so the build would fail
 * with "Could not resolve" otherwise).
 *
 * The host build ends with a smoke check: the new file must answer `docker-cli-plugin-metadata` with valid JSON
 * and `--version` with our version, else the build fails and the old binary is kept.
 * Output is written to a temp file next to the target and renamed over it, so a running test never sees a
 * half-written binary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const DIST = path.join(root, 'dist');
const HOST_OUT = path.join(DIST, 'docker-vaultmcp');
/** Inputs whose change makes the binary stale. */
const INPUTS = ['src', 'configs', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build-binary.mjs', 'scripts/bun-compile.mjs'];
/** Targets Bun can cross-compile to from Linux (the runtimes come from the npm registry). */
const TARGETS = {
  'bun-linux-x64': ['linux', 'x64', 'gnu'],
  'bun-linux-x64-baseline': ['linux', 'x64', 'gnu'],
  'bun-linux-x64-musl': ['linux', 'x64', 'musl'],
  'bun-linux-arm64': ['linux', 'arm64', 'gnu'],
  'bun-linux-arm64-musl': ['linux', 'arm64', 'musl'],
  'bun-darwin-x64': ['darwin', 'x64'],
  'bun-darwin-arm64': ['darwin', 'arm64'],
  'bun-windows-x64': ['win32', 'x64', 'msvc'],
};

const args = process.argv.slice(2);
const force = args.includes('--force');
const targets = args.filter((a) => a.startsWith('--target=')).map((a) => a.slice('--target='.length));
const outfileArg = args.find((a) => a.startsWith('--outfile='))?.slice('--outfile='.length);
const unknown = args.filter((a) => a !== '--force' && !a.startsWith('--target=') && !a.startsWith('--outfile='));
if (unknown.length > 0 || args.includes('--help')) {
  console.error(`usage: build-binary.mjs [--force] [--outfile=PATH] [--target=${Object.keys(TARGETS).join('|')}]…`);
  process.exit(2);
}
for (const t of targets) {
  if (!TARGETS[t]) {
    console.error(`build-binary: unknown target ${t}; one of ${Object.keys(TARGETS).join(', ')}`);
    process.exit(2);
  }
}

/** Newest mtime (ms) of a file or of any file below a directory; 0 if it does not exist. */
function newestMtime(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file changes the directory's mtime
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function bunPath() {
  const local = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
  return existsSync(local) ? local : 'bun';
}

/** The napi package bun must find to embed the keychain addon for a target (packaging.md gotcha 12). */
function keyringPackage(target) {
  const [platform, arch, abi] = TARGETS[target];
  return `@napi-rs/keyring-${platform}-${arch}${abi ? `-${abi}` : ''}`;
}

function keyringVersion() {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules/@napi-rs/keyring/package.json'), 'utf8')).version;
  } catch {
    return '<the version of @napi-rs/keyring>';
  }
}

function build(outfile, target) {
  mkdirSync(path.dirname(outfile), { recursive: true });
  // Bun records the output's file name as the entry module's name (/$bunfs/root/<name>) inside the executable,
  // so the temp file gets a fixed name, in a temp directory next to the target: the bytes do not depend on
  // the pid or on the final name (docs/packaging.md "Reproducibility").
  const tmpDir = path.join(path.dirname(outfile), `.build-${path.basename(outfile)}-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir);
  const tmp = path.join(tmpDir, `docker-vaultmcp${target?.startsWith('bun-windows') ? '.exe' : ''}`);
  // scripts/bun-compile.mjs runs Bun.build with the options of the flags above (the JavaScript API, for its plugin)
  const options = {
    outfile: tmp,
    ...(target ? { target } : {}),
    // JIT tier-up thresholds ×10 at start: a launch is one-shot code, and JIT threads compiling it compete with
    // the MCP server's start for 2 cores; `run` restores the normal policy once the server has answered
    // (src/cli/run-command.ts). Measured in bench/RESULTS.md "Launch floor". VAULTMCP_JIT_POLICY overrides it
    // (bench experiments; 1 = Bun's default).
    jitPolicy: Number(process.env.VAULTMCP_JIT_POLICY || '10'),
  };
  const cmd = ['scripts/bun-compile.mjs', JSON.stringify(options)];
  const started = performance.now();
  const r = spawnSync(bunPath(), cmd, { cwd: root, encoding: 'utf8' });
  const ms = Math.round(performance.now() - started);
  // Bun may append .exe for Windows targets.
  const produced = existsSync(tmp) ? tmp : existsSync(`${tmp}.exe`) ? `${tmp}.exe` : undefined;
  if (r.status !== 0 || !produced) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    if (r.error) console.error(`build-binary: cannot run bun: ${r.error.message}`);
    rmSync(tmpDir, { recursive: true, force: true });
    console.error(`build-binary: bun build failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  return { tmp: produced, ms };
}

/** Runs the fresh binary once: metadata JSON and --version must be right. Returns an error text or ''. */
function smokeCheck(file) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', TMPDIR: process.env.TMPDIR ?? '/tmp' };
  const meta = spawnSync(file, ['docker-cli-plugin-metadata'], { encoding: 'utf8', cwd: '/', env, timeout: 20_000 });
  if (meta.status !== 0) return `metadata probe exited ${meta.status ?? meta.signal}: ${meta.stderr}`;
  let parsed;
  try {
    parsed = JSON.parse(meta.stdout);
  } catch {
    return `metadata probe printed no JSON: ${JSON.stringify(meta.stdout.slice(0, 200))}`;
  }
  if (parsed.SchemaVersion !== '0.1.0' || !parsed.Vendor || parsed.Version !== pkg.version) {
    return `metadata probe printed unexpected metadata: ${meta.stdout}`;
  }
  const ver = spawnSync(file, ['--version'], { encoding: 'utf8', cwd: '/', env, timeout: 20_000 });
  if (ver.status !== 0 || !ver.stdout.includes(pkg.version)) {
    return `--version exited ${ver.status ?? ver.signal}: ${ver.stdout}${ver.stderr}`;
  }
  return '';
}

const mb = (file) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`;

if (targets.length === 0) {
  const outfile = outfileArg ? path.resolve(outfileArg) : HOST_OUT;
  if (!force && !outfileArg && existsSync(outfile)) {
    const built = statSync(outfile).mtimeMs;
    const newest = Math.max(...INPUTS.map((p) => newestMtime(path.join(root, p))));
    if (built > newest) {
      console.log(`build-binary: ${path.relative(root, outfile)} is up to date`);
      process.exit(0);
    }
  }
  const startedAt = new Date();
  const { tmp, ms } = build(outfile);
  chmodSync(tmp, 0o755);
  // Date the binary by the start of the build: a source edited while bun was running makes it stale.
  utimesSync(tmp, startedAt, startedAt);
  const problem = smokeCheck(tmp);
  if (problem) {
    rmSync(path.dirname(tmp), { recursive: true, force: true });
    console.error(`build-binary: the new binary is broken, kept the old one: ${problem}`);
    process.exit(1);
  }
  renameSync(tmp, outfile);
  rmSync(path.dirname(tmp), { recursive: true, force: true });
  console.log(`build-binary: built ${path.relative(root, outfile)} (${mb(outfile)}) in ${ms} ms`);
} else {
  for (const target of targets) {
    const addon = keyringPackage(target);
    if (!existsSync(path.join(root, 'node_modules', ...addon.split('/'), 'package.json'))) {
      // Bun would build a binary whose keychain fails at first use: never produce one.
      console.error(
        `build-binary: ${addon} is not installed, so the ${target} binary would have no keychain addon.\n` +
          `  Try: npm run build:release (fetches and verifies it), or npm i --no-save --force ${addon}@${keyringVersion()}`,
      );
      process.exit(1);
    }
    const suffix = target.startsWith('bun-windows') ? '.exe' : '';
    const outfile = outfileArg && targets.length === 1
      ? path.resolve(outfileArg)
      : path.join(DIST, `docker-vaultmcp-${target.replace(/^bun-/, '')}${suffix}`);
    const { tmp, ms } = build(outfile, target);
    if (target.startsWith('bun-windows')) rmSync(outfile, { force: true }); // rename over an existing file
    renameSync(tmp, outfile);
    rmSync(path.dirname(tmp), { recursive: true, force: true });
    console.log(`build-binary: built ${path.relative(root, outfile)} (${mb(outfile)}) for ${target} in ${ms} ms`);
  }
}
