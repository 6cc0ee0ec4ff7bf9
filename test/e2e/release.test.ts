/**
 * The release build (`npm run build:release`, scripts/build-release.mjs): every target's executable, SBOM,
 * archive and SHA256SUMS. Builds dist/release once when it is missing or older than the sources (CI builds it
 * in its own timed step first, see .ci/run), then checks:
 * - file format and CPU architecture of each executable (ELF / Mach-O / PE headers, parsed here);
 * - the embedded keychain addon is the target's own `@napi-rs/keyring-*` `.node` file and no other platform's;
 * - the darwin and windows bundles carry no Linux-only path (build machine paths, Linux addons, ldd, ld-linux
 *   beyond what the Bun runtime itself has; the few /proc paths that are there are known and runtime-guarded);
 * - archives, SBOMs (CycloneDX, from the lock file) and checksums;
 * - linux-arm64 under qemu-user (Debian qemu-user-static + libc6-arm64-cross, no binfmt needed): the metadata
 *   probe, --version, `run --test` (keychain-held cache key: second run is a cache hit) and a `run` with a real
 *   MCP client and server-everything, against the vault emulator.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO_ROOT, baseEnv, runHidden } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const CI = !!process.env.CI;
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const REL = path.join(REPO_ROOT, 'dist', 'release');
const V = pkg.version;

/** target → expected header facts, its napi package, and the Bun runtime file in Bun's cache. */
const TARGETS = {
  'linux-x64': { format: 'elf', arch: 'x64', napi: 'linux-x64-gnu', runtime: 'bun-linux-x64', exe: '' },
  'linux-arm64': { format: 'elf', arch: 'arm64', napi: 'linux-arm64-gnu', runtime: 'bun-linux-aarch64', exe: '' },
  'darwin-x64': { format: 'macho', arch: 'x64', napi: 'darwin-x64', runtime: 'bun-darwin-x64', exe: '' },
  'darwin-arm64': { format: 'macho', arch: 'arm64', napi: 'darwin-arm64', runtime: 'bun-darwin-aarch64', exe: '' },
  'windows-x64': { format: 'pe', arch: 'x64', napi: 'win32-x64-msvc', runtime: 'bun-windows-x64', exe: '.exe' },
} as const;
type Target = keyof typeof TARGETS;
const exeName = (t: Target) => `docker-vaultmcp-${V}-${t}${TARGETS[t].exe}`;
const addonFile = (t: Target) => path.join(REPO_ROOT, 'node_modules', '@napi-rs', `keyring-${TARGETS[t].napi}`, `keyring.${TARGETS[t].napi}.node`);

/** Newest mtime below the inputs of the release build. */
function newestInput(): number {
  const walk = (p: string): number => {
    if (!existsSync(p)) return 0;
    const st = statSync(p);
    if (!st.isDirectory()) return st.mtimeMs;
    return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => walk(path.join(p, n))));
  };
  return Math.max(...['src', 'configs', 'package.json', 'package-lock.json', 'README.md', 'scripts/build-binary.mjs', 'scripts/build-release.mjs'].map((p) => walk(path.join(REPO_ROOT, p))));
}

/** Format and architecture from the executable's header. */
function header(file: string): { format: string; arch: string } {
  const b = readFileSync(file).subarray(0, 4096);
  if (b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b.readUInt16LE(18);
    return { format: 'elf', arch: machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : `machine 0x${machine.toString(16)}` };
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4);
    return { format: 'macho', arch: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : `cpu 0x${cpu.toString(16)}` };
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    assert.equal(b.toString('latin1', pe, pe + 4), 'PE\0\0');
    const machine = b.readUInt16LE(pe + 4);
    return { format: 'pe', arch: machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : `machine 0x${machine.toString(16)}` };
  }
  return { format: 'unknown', arch: 'unknown' };
}

/** True when a 256-byte window from the middle of `file` occurs in `hay`. */
function embeds(hay: Buffer, file: string): boolean {
  const buf = readFileSync(file);
  const at = Math.floor(buf.length / 2);
  return hay.includes(buf.subarray(at, at + 256));
}

function count(hay: Buffer, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

before(() => {
  // the addons the executables are compared with: a release built elsewhere (check:reproducible's copies) fetched
  // them into its own node_modules, not this one
  if ((Object.keys(TARGETS) as Target[]).some((t) => !existsSync(addonFile(t)))) {
    const f = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-release.mjs'), '--fetch-addons'], { encoding: 'utf8', timeout: 5 * 60_000 });
    assert.equal(f.status, 0, `fetching the keychain addons failed:\n${f.stdout}${f.stderr}`);
  }
  const sums = path.join(REL, 'SHA256SUMS');
  if (existsSync(sums) && statSync(sums).mtimeMs > newestInput()) return;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-release.mjs')], { encoding: 'utf8', timeout: 15 * 60_000 });
  assert.equal(r.status, 0, `build-release failed:\n${r.stdout}${r.stderr}`);
}, { timeout: 15 * 60_000 }); // all five targets; CI builds them beforehand (.ci/run)

describe('release files', () => {
  it('every target has executable, SBOM and archive, and SHA256SUMS lists each with its hash', () => {
    const expected = (Object.keys(TARGETS) as Target[]).flatMap((t) => [
      exeName(t), `docker-vaultmcp-${V}-${t}.cdx.json`, `docker-vaultmcp-${V}-${t}${TARGETS[t].exe ? '.zip' : '.tar.gz'}`,
    ]);
    assert.deepEqual(readdirSync(REL).sort(), [...expected, 'SHA256SUMS'].sort());
    const lines = readFileSync(path.join(REL, 'SHA256SUMS'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split('  ')[1]).sort(), expected.sort());
    for (const line of lines) {
      const [hash, name] = line.split('  ');
      assert.equal(createHash('sha256').update(readFileSync(path.join(REL, name!))).digest('hex'), hash, name);
    }
    for (const t of Object.keys(TARGETS) as Target[]) assert.ok(statSync(path.join(REL, exeName(t))).mode & 0o100, `${t} is executable`);
  });

  it('each executable has its target\'s file format and CPU architecture', () => {
    for (const t of Object.keys(TARGETS) as Target[]) {
      assert.deepEqual(header(path.join(REL, exeName(t))), { format: TARGETS[t].format, arch: TARGETS[t].arch }, t);
    }
    // Windows: no (stale) Authenticode signature carried over from the runtime: the PE security directory is empty
    const pe = readFileSync(path.join(REL, exeName('windows-x64'))).subarray(0, 4096);
    const opt = pe.readUInt32LE(0x3c) + 24;
    assert.equal(pe.readUInt16LE(opt), 0x20b, 'PE32+');
    assert.equal(pe.readUInt16LE(opt + 68), 3, 'console subsystem (docker reads its stdout)');
    assert.equal(pe.readUInt32LE(opt + 112 + 4 * 8 + 4), 0, 'no certificate table');
  });

  it('macOS: darwin-arm64 carries a valid ad-hoc signature, darwin-x64 none or a valid one (never a stale one)', async () => {
    const { checkCodeSignature } = await import('../../scripts/macho.mjs');
    const arm = checkCodeSignature(readFileSync(path.join(REL, exeName('darwin-arm64'))));
    assert.deepEqual(arm, { signed: true, valid: true, badPages: 0 });
    const x64 = checkCodeSignature(readFileSync(path.join(REL, exeName('darwin-x64'))));
    assert.ok(!x64.signed || x64.valid, `darwin-x64 signature: ${JSON.stringify(x64)}`);
    // the raw Bun output for darwin-x64 has the stale signature this guards against
    const runtime = checkCodeSignature(readFileSync(path.join(process.env.BUN_INSTALL_CACHE_DIR || path.join(os.homedir(), '.bun', 'install', 'cache'), `bun-darwin-x64-v${JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/bun/package.json'), 'utf8')).version}`)));
    assert.deepEqual(runtime, { signed: true, valid: true, badPages: 0 }, 'the checker accepts an intact signature');
  });

  it('each executable embeds its own platform\'s keychain addon and no other', () => {
    for (const t of Object.keys(TARGETS) as Target[]) {
      const bin = readFileSync(path.join(REL, exeName(t)));
      for (const other of Object.keys(TARGETS) as Target[]) {
        assert.equal(embeds(bin, addonFile(other)), other === t, `${t} ${other === t ? 'lacks its own' : 'embeds the'} ${TARGETS[other].napi} addon`);
      }
    }
  });

  it('the darwin and windows bundles carry no Linux-only or build-machine path', () => {
    const cache = process.env.BUN_INSTALL_CACHE_DIR || path.join(os.homedir(), '.bun', 'install', 'cache');
    const bunVersion = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/bun/package.json'), 'utf8')).version as string;
    // Runtime-guarded probes of ink/terminal-size and is-wsl/is-docker (they check process.platform first).
    const knownProc = ['/proc/self/cgroup', '/proc/self/stat', '/proc/sys/fs/binfmt_misc/WSLInterop', '/proc/version'];
    for (const t of ['darwin-x64', 'darwin-arm64', 'windows-x64'] as const) {
      const bin = readFileSync(path.join(REL, exeName(t)));
      const runtimeFile = path.join(cache, `${TARGETS[t].runtime}-v${bunVersion}`);
      assert.ok(existsSync(runtimeFile), `Bun's ${t} runtime is not at ${runtimeFile}`);
      const runtime = readFileSync(runtimeFile);
      for (const marker of [REPO_ROOT, '/usr/bin/ldd', 'ld-linux', 'keyring.linux', '/run/user/', 'libsecret', '/home/']) {
        assert.ok(count(bin, marker) <= count(runtime, marker), `${t}: the bundle has ${JSON.stringify(marker)}`);
      }
      const proc = new Set(bin.toString('latin1').match(/\/proc\/[A-Za-z0-9_/.-]+/g) ?? []);
      for (const p of proc) assert.ok(knownProc.includes(p), `${t}: new Linux-only path ${p} in the bundle`);
    }
  });

  it('archives hold the executable, its SBOM and the README, owned by root, dated alike', () => {
    for (const t of Object.keys(TARGETS) as Target[]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-release-test-'));
      try {
        const stem = `docker-vaultmcp-${V}-${t}`;
        const exe = `docker-vaultmcp${TARGETS[t].exe}`;
        if (TARGETS[t].exe) {
          const l = spawnSync('unzip', ['-Z', '-T', path.join(REL, `${stem}.zip`)], { encoding: 'utf8' });
          assert.equal(l.status, 0, l.stderr);
          const rows = l.stdout.trim().split('\n').filter((x) => x.startsWith('-'));
          assert.deepEqual(rows.map((x) => x.split(/\s+/).pop()).sort(), ['README.md', 'docker-vaultmcp.cdx.json', exe].sort());
          assert.equal(new Set(rows.map((x) => x.split(/\s+/).slice(-2, -1)[0])).size, 1, 'one date for all');
          assert.equal(spawnSync('unzip', ['-q', path.join(REL, `${stem}.zip`), '-d', dir]).status, 0);
        } else {
          const l = spawnSync('tar', ['-tvzf', path.join(REL, `${stem}.tar.gz`)], { encoding: 'utf8' });
          assert.equal(l.status, 0, l.stderr);
          const rows = l.stdout.trim().split('\n');
          assert.deepEqual(rows.map((r) => r.split(/\s+/).pop()).sort(), ['README.md', 'docker-vaultmcp.cdx.json', exe].sort());
          for (const r of rows) assert.match(r, /^-rwx?r-xr-x 0\/0 |^-rw-r--r-- 0\/0 /, r);
          assert.equal(new Set(rows.map((r) => r.split(/\s+/).slice(3, 5).join(' '))).size, 1, 'one date for all');
          assert.equal(spawnSync('tar', ['-xzf', path.join(REL, `${stem}.tar.gz`), '-C', dir]).status, 0);
        }
        assert.ok(readFileSync(path.join(dir, exe)).equals(readFileSync(path.join(REL, exeName(t)))), `${t}: archived executable`);
        assert.ok(statSync(path.join(dir, exe)).mode & 0o100, `${t}: archived executable keeps its x bit`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('SBOMs: CycloneDX 1.6 of the production dependencies, the target\'s own addon and Bun runtime', () => {
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    for (const t of Object.keys(TARGETS) as Target[]) {
      const bom = JSON.parse(readFileSync(path.join(REL, `docker-vaultmcp-${V}-${t}.cdx.json`), 'utf8'));
      assert.equal(bom.bomFormat, 'CycloneDX');
      assert.equal(bom.specVersion, '1.6');
      assert.equal(bom.metadata.component.name, 'docker-vaultmcp');
      assert.equal(bom.metadata.component.version, V);
      const flat: Array<{ name: string; group?: string; version: string; purl?: string }> = [];
      const walk = (cs: typeof flat & Array<{ components?: typeof flat }>) => cs?.forEach((c) => (flat.push(c), walk((c as { components?: never }).components ?? [])));
      walk(bom.components);
      const full = (c: { name: string; group?: string }) => (c.group ? `${c.group}/${c.name}` : c.name);
      const names = new Set(flat.map(full));
      for (const dep of ['oci-common', 'oci-secrets', '@oclif/core', 'ink', 'yaml', 'zod', '@napi-rs/keyring']) assert.ok(names.has(dep), `${t}: ${dep}`);
      assert.ok(names.has(`@napi-rs/keyring-${TARGETS[t].napi}`), `${t}: own addon`);
      assert.equal([...names].filter((n) => n.startsWith('@napi-rs/keyring-')).length, 1, `${t}: only its own addon`);
      assert.ok(names.has(`@oven/${TARGETS[t].runtime}`), `${t}: Bun runtime`);
      for (const dev of ['typescript', 'tsx', 'bun', '@cyclonedx/cyclonedx-npm']) assert.ok(!names.has(dev), `${t}: devDependency ${dev}`);
      const oci = flat.find((c) => full(c) === 'oci-common')!;
      assert.equal(oci.version, lock.packages['node_modules/oci-common'].version, 'versions come from the lock file');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).stdout.trim();
const qemuSkip = !qemu || !existsSync('/usr/aarch64-linux-gnu/lib/libgcc_s.so.1') ? 'needs qemu-user-static, libc6-arm64-cross and libgcc-s1-arm64-cross (apt)' : false;

describe('linux-arm64 executable under qemu-user', { skip: CI ? false : qemuSkip }, () => {
  const ARM = path.join(REL, exeName('linux-arm64'));
  const SECRET = `arm-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  const qenv = { QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' };
  let emu: TestEmulator;
  let dir: string;
  let config: string;
  const keyEnv: Record<string, string> = process.env.VAULTMCP_SECRET_SERVICE === '1' ? {} : { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') };

  before(async () => {
    emu = await startTestEmulator({ seed: { 'arm-api-key': SECRET } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-arm64-'));
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, `cache: { enabled: true, dir: ${JSON.stringify(path.join(dir, 'cache'))} }`));
    writeFileSync(path.join(dir, 'everything.json'), JSON.stringify({
      secrets: { EVERYTHING_API_KEY: 'arm-api-key' }, target_command: [process.execPath, EVERYTHING, 'stdio'],
    }));
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the metadata probe and --version as linux-arm64', async () => {
    const meta = await runHidden(qemu, [ARM, 'docker-cli-plugin-metadata'], { env: qenv, timeoutMs: 60_000 });
    assert.equal(meta.code, 0, meta.stderr);
    assert.equal(JSON.parse(meta.stdout).Version, V);
    const ver = await runHidden(qemu, [ARM, '--version'], { env: qenv, timeoutMs: 60_000 });
    assert.equal(ver.code, 0, ver.stderr);
    assert.match(ver.stdout, new RegExp(`^docker-vaultmcp/${V.replaceAll('.', '\\.')} linux-arm64 `));
  });

  const runTest = async () => {
    const args = [ARM, 'run', path.join(dir, 'everything.json'), '--config', config, '--test', '--json'];
    const r = await runHidden(qemu, args, { env: { ...qenv, ...keyEnv }, timeoutMs: 90_000, hideRepo: false });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'the value is masked');
    return JSON.parse(r.stdout) as { ok: boolean; secrets: Array<{ source: string }>; warnings: string[] };
  };

  it('run --test resolves the secret from the emulator', async () => {
    const r = await runTest();
    assert.equal(r.ok, true);
    assert.equal(r.secrets[0]!.source, 'vault');
  });

  it('run: a real MCP client gets server-everything with the secret injected', async () => {
    const transport = new StdioClientTransport({
      command: qemu,
      args: [ARM, 'run', path.join(dir, 'everything.json'), '--config', config, '--leak-guard', 'off'],
      env: { ...baseEnv(), ...qenv, ...keyEnv },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const client = new Client({ name: 'vaultmcp-arm64', version: '0.0.0' });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ text: string }> };
      assert.equal(JSON.parse(r.content[0]!.text).EVERYTHING_API_KEY, SECRET);
    } finally {
      await client.close();
    }
    assert.ok(!stderr.includes(SECRET));
  });

  it('run --test afterwards: a cache hit, the cache key read from the keychain', async () => {
    const r = await runTest();
    assert.equal(r.secrets[0]!.source, 'cache', JSON.stringify(r));
    assert.deepEqual(r.warnings, []);
  });
});
