/**
 * Secrets as private in-memory files:
 * - materialiseSecretFiles: 0600 (or the declared owner-only mode) files in a private 0700 directory, refusal of
 *   a disk-backed place unless allowed, the sweep of a SIGKILLed run's leftovers;
 * - the real CLI (`run`, bundled) with `file: true` and `--secret-file` against the emulator: the file is there
 *   with 0600 while the server runs and gone after every exit path (SIGTERM, SIGINT, SIGHUP to us, the server
 *   crashing, stdin EOF); after a SIGKILL of `run`, the next start sweeps the leftover.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { materialiseSecretFiles, sweepLeftovers } from '../../src/core/launcher/secret-files.js';
import { ConfigError } from '../../src/core/errors.js';
import { cliBundle } from '../helpers/cli-bundle.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LEAKY = path.join(ROOT, 'test/fixtures/servers/leaky-server.mjs');
const VALUE = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIE${Math.random().toString(36).slice(2)}\\n"}`;
const onTmpfs = existsSync('/dev/shm');

describe('materialiseSecretFiles', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-files-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a disk-backed directory unless allow_disk_files, then writes owner-only files in a 0700 directory', async () => {
    const roots = [{ root: path.join(dir, 'mem', 'vaultmcp'), parent: path.join(dir, 'mem') }];
    const files = [
      { envVar: 'KEY_FILE', value: VALUE, mode: 0o600, name: 'key.json' },
      { envVar: 'RO_FILE', value: 'read-only-value', mode: 0o400, name: 'RO_FILE' },
    ];
    await assert.rejects(
      materialiseSecretFiles(files, { env: {}, allowDisk: false, roots, memoryBacked: () => false, diskRoot: path.join(dir, 'disk') }),
      (err: unknown) => err instanceof ConfigError && err.exitCode === 2 && /allow_disk_files/.test(err.hint ?? ''),
    );
    assert.ok(!existsSync(path.join(dir, 'disk')), 'nothing written on refusal');
    const made = await materialiseSecretFiles(files, { env: {}, allowDisk: true, roots, memoryBacked: () => false, diskRoot: path.join(dir, 'disk') });
    assert.equal(made.diskBacked, true);
    assert.equal(statSync(made.dir).mode & 0o777, 0o700);
    assert.equal(statSync(made.paths.KEY_FILE!).mode & 0o777, 0o600);
    assert.equal(statSync(made.paths.RO_FILE!).mode & 0o777, 0o400);
    assert.equal(readFileSync(made.paths.KEY_FILE!, 'utf8'), VALUE);
    assert.equal(path.basename(made.paths.KEY_FILE!), 'key.json');
    await made.remove();
    assert.ok(!existsSync(made.dir));
  });

  it('uses a memory-backed root first and sweeps directories of dead runs, not of live ones', async () => {
    const root = path.join(dir, 'runtime', 'vaultmcp');
    mkdirSync(path.join(root, 'run-999999-abcdef'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(root, 'run-999999-abcdef', 'LEFT'), 'x');
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    mkdirSync(path.join(root, `run-${live.pid}-012345`), { mode: 0o700 });
    try {
      const made = await materialiseSecretFiles([{ envVar: 'A', value: 'value-a', mode: 0o600, name: 'A' }], {
        env: {},
        allowDisk: false,
        roots: [{ root, parent: path.join(dir, 'runtime') }],
        memoryBacked: (d) => d === path.join(dir, 'runtime'),
      });
      assert.equal(made.diskBacked, false);
      assert.equal(made.swept, 1);
      assert.ok(!existsSync(path.join(root, 'run-999999-abcdef')));
      assert.ok(existsSync(path.join(root, `run-${live.pid}-012345`)));
      assert.equal(path.dirname(made.dir), root);
      made.removeSync();
      assert.ok(!existsSync(made.dir));
      assert.equal(await sweepLeftovers(root), 0);
    } finally {
      live.kill();
    }
  });
});

describe('file secrets through `run`: present while the server runs, gone after every exit path', { skip: onTmpfs ? false : 'no /dev/shm' }, () => {
  let emu: TestEmulator;
  let dir: string;
  let runtime: string;
  let config: string;
  let env: Record<string, string>;

  before(async () => {
    emu = await startTestEmulator({ seed: { 'gcp-key': VALUE } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-files-run-'));
    runtime = mkdtempSync('/dev/shm/vaultmcp-test-runtime-');
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'audit: { file: false }'));
    writeFileSync(
      path.join(dir, 'gcp.json'),
      JSON.stringify({
        secrets: { GOOGLE_APPLICATION_CREDENTIALS: { secret_name: 'gcp-key', file: true, file_name: 'sa.json' } },
        target_command: [process.execPath, LEAKY, 'files', 'GOOGLE_APPLICATION_CREDENTIALS'],
      }),
    );
    writeFileSync(path.join(dir, 'plain.json'), JSON.stringify({ target_command: [process.execPath, LEAKY, 'files', 'KUBECONFIG'] }));
    env = { PATH: process.env.PATH ?? '/usr/bin', HOME: path.join(dir, 'home'), XDG_RUNTIME_DIR: runtime };
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (runtime) rmSync(runtime, { recursive: true, force: true });
  });

  /** Starts `run`, waits for the server's ready line; returns the process, the file path and stderr so far. */
  async function start(args: string[]): Promise<{ p: ChildProcessWithoutNullStreams; file: string; stderr: () => string; closed: Promise<number | null> }> {
    const p = spawn(process.execPath, [cliBundle(), 'run', ...args, '--config', config], { env });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b));
    const closed = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    const file = await new Promise<string>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (b: Buffer) => {
        out += b;
        const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
        if (line) resolve((JSON.parse(line) as { path: string }).path);
      });
      p.on('close', (code) => reject(new Error(`run exited ${code} before the server was ready: ${stderr}`)));
    });
    return { p, file, stderr: () => stderr, closed };
  }

  function assertPrivateFile(file: string) {
    assert.ok(file.startsWith(path.join(runtime, 'vaultmcp') + path.sep), file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8'), VALUE);
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} to run`, async () => {
      const r = await start([path.join(dir, 'gcp.json')]);
      assertPrivateFile(r.file);
      assert.equal(path.basename(r.file), 'sa.json');
      r.p.kill(signal);
      assert.equal(await r.closed, 0, r.stderr());
      assert.ok(!existsSync(path.dirname(r.file)), 'directory removed');
    });
  }

  it('the server crashing', async () => {
    const r = await start([path.join(dir, 'gcp.json')]);
    assertPrivateFile(r.file);
    r.p.stdin.write('crash\n');
    assert.equal(await r.closed, 3);
    assert.ok(!existsSync(path.dirname(r.file)));
  });

  it('stdin EOF (the client went away), with --secret-file VAR=REF', async () => {
    const r = await start([path.join(dir, 'plain.json'), '--secret-file', 'KUBECONFIG=gcp-key']);
    assertPrivateFile(r.file);
    assert.equal(path.basename(r.file), 'KUBECONFIG');
    r.p.stdin.end();
    assert.equal(await r.closed, 0);
    assert.ok(!existsSync(path.dirname(r.file)));
  });

  it('SIGKILL leaves the directory; the next start sweeps it', async () => {
    const killed = await start([path.join(dir, 'gcp.json')]);
    killed.p.kill('SIGKILL');
    await killed.closed;
    assert.ok(existsSync(killed.file), 'a SIGKILLed run cannot clean up');
    const next = await start([path.join(dir, 'gcp.json')]);
    assert.ok(!existsSync(path.dirname(killed.file)), 'swept at the next start');
    assert.match(next.stderr(), /removed 1 file-secret directory left by runs that were killed/);
    next.p.stdin.end();
    await next.closed;
  });

  it('--secret-file with a malformed argument is a usage error (exit 2)', async () => {
    const p = spawn(process.execPath, [cliBundle(), 'run', path.join(dir, 'plain.json'), '--secret-file', 'no-equals', '--config', config], { env });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--secret-file takes VAR=REF/);
  });
});
