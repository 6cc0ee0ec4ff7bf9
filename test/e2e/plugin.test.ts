/**
 * The built single binary as a Docker CLI plugin: metadata, help, version, argv handling and exit codes,
 * directly and through the real docker CLI (no daemon needed) with a temp DOCKER_CONFIG. Every process runs
 * with the repository hidden (see test/helpers/binary.ts), from an empty temp cwd.
 * Only packaging behaviour is tested here; commands are tested by their owners.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  REPO_ROOT,
  type DockerConfig,
  dockerAvailable,
  makeDockerConfig,
  repoHidden,
  runBinary,
  runDocker,
} from '../helpers/binary.js';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const CI = !!process.env.CI;
const VERSION_LINE = new RegExp(`^docker-vaultmcp/${pkg.version.replace(/\./g, '\\.')} `);
// Environment docker gives a plugin, for direct calls that pretend to come from docker.
const FROM_DOCKER = { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' };

describe('binary, called directly', () => {
  it('runs with the repository out of reach (CI requires it)', { skip: !CI && !repoHidden() && 'needs root and unshare' }, () => {
    assert.ok(repoHidden(), 'CI must run the binary with node_modules hidden (root + unshare -m)');
  });

  it('answers the metadata probe with JSON only', async () => {
    const r = await runBinary(['docker-cli-plugin-metadata']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.endsWith('}\n'));
    const meta = JSON.parse(r.stdout);
    assert.equal(meta.SchemaVersion, '0.1.0');
    assert.equal(meta.Version, pkg.version);
    assert.ok(meta.Vendor);
  });

  it('--version, -v and version print the version', async () => {
    for (const args of [['--version'], ['-v'], ['version']]) {
      const r = await runBinary(args);
      assert.equal(r.code, 0, `${args}: ${r.stderr}`);
      assert.match(r.stdout, VERSION_LINE, args.join(' '));
    }
  });

  it('the --version fast path (src/main.ts) prints exactly what oclif prints', async () => {
    const fast = await runBinary(['--version']);
    const oclif = await runBinary(['--version', 'x']); // not the exact fast-path argv: goes through oclif
    assert.equal(oclif.code, 0, oclif.stderr);
    assert.equal(fast.stdout, oclif.stdout);
  });

  it('--help lists commands and topics under `docker vaultmcp`', async () => {
    const r = await runBinary(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\$ docker vaultmcp \[COMMAND\]/);
    for (const word of ['run', 'doctor', 'secret', 'service', 'cache']) assert.match(r.stdout, new RegExp(`^  ${word} `, 'm'));
  });

  it('no arguments prints help and exits 0', async () => {
    const r = await runBinary([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /USAGE/);
  });

  it('`help <topic>` and `-h` are help', async () => {
    const topic = await runBinary(['help', 'secret']);
    assert.equal(topic.code, 0, topic.stderr);
    assert.match(topic.stdout, /\$ docker vaultmcp secret COMMAND/);
    const short = await runBinary(['-h']);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /USAGE/);
  });

  it('an unknown command exits 2 with a one-line error on stderr', async () => {
    const r = await runBinary(['no-such-command']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "Error: unknown command 'no-such-command'\n  Try: docker vaultmcp --help\n");
  });

  it('an unknown subcommand of a topic names it with spaces and points at the topic help', async () => {
    const r = await runBinary(['secret', 'no-such']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "Error: unknown command 'secret no-such'\n  Try: docker vaultmcp secret --help\n");
  });

  it('an unknown flag exits 2', async () => {
    const r = await runBinary(['doctor', '--no-such-flag']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, 'Error: unknown flag --no-such-flag\n  Try: docker vaultmcp doctor --help\n');
  });

  it('ignores .env and bunfig.toml in the current directory', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-cwd-'));
    try {
      writeFileSync(path.join(cwd, '.env'), 'DEBUG=*\n'); // would make oclif print debug lines on stderr
      writeFileSync(path.join(cwd, 'preload.js'), 'console.error("PRELOADED")\n');
      writeFileSync(path.join(cwd, 'bunfig.toml'), 'preload = ["./preload.js"]\n');
      const r = await runBinary(['--version'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, VERSION_LINE);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('as a plugin child, strips docker global flags and the plugin name', async () => {
    const r = await runBinary(['--log-level', 'warn', '--context', 'default', 'vaultmcp', '--version'], { env: FROM_DOCKER });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, VERSION_LINE);
  });

  it('as a plugin child, answers shell completion', async () => {
    const r = await runBinary(['__complete', 'vaultmcp', 'se'], { env: FROM_DOCKER });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'secret\nserve\nservice\nsetup\n:4\n');
  });
});

const noDocker = !dockerAvailable();
describe('through the docker CLI', { skip: noDocker && !CI && 'no docker CLI on PATH' }, () => {
  let dc: DockerConfig;
  before(() => {
    assert.ok(!noDocker, 'CI needs the docker CLI (see .ci/run)');
    dc = makeDockerConfig();
  });
  after(() => dc?.cleanup());
  const docker = (args: string[], env: Record<string, string> = {}) => runDocker(args, { env: { ...dc.env, ...env } });

  it('docker --help lists vaultmcp* with its short description', async () => {
    const r = await docker(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}vaultmcp\* +Run MCP servers with credentials from OCI Vault$/m);
    assert.doesNotMatch(r.stdout, /Invalid Plugins/);
  });

  it('docker info shows the plugin as valid', async () => {
    const r = await docker(['info', '--format', '{{json .ClientInfo.Plugins}}']);
    // No daemon here: docker may still print the client part and complain about the server on stderr.
    const plugins = JSON.parse(r.stdout.trim().split('\n')[0]!) as Array<Record<string, unknown>>;
    const ours = plugins.find((p) => p.Name === 'vaultmcp');
    assert.ok(ours, r.stdout);
    assert.equal(ours.Err, undefined);
    assert.equal(ours.Version, pkg.version);
    assert.equal(ours.Path, path.join(dc.dir, 'cli-plugins', 'docker-vaultmcp'));
  });

  it('docker vaultmcp --version', async () => {
    const r = await docker(['vaultmcp', '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, VERSION_LINE);
  });

  for (const flags of [['--log-level', 'warn'], ['--context', 'default'], ['-l', 'info'], ['--debug'], ['--log-level=error', '-D']]) {
    it(`docker ${flags.join(' ')} vaultmcp --version`, async () => {
      const r = await docker([...flags, 'vaultmcp', '--version']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, VERSION_LINE);
    });
  }

  it('docker --config DIR vaultmcp --version (config dir from the flag, not DOCKER_CONFIG)', async () => {
    const r = await runDocker(['--config', dc.dir, 'vaultmcp', '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, VERSION_LINE);
  });

  it('docker vaultmcp --help and docker help vaultmcp', async () => {
    for (const args of [['vaultmcp', '--help'], ['help', 'vaultmcp'], ['vaultmcp']]) {
      const r = await docker(args);
      assert.equal(r.code, 0, `${args}: ${r.stderr}`);
      assert.match(r.stdout, /\$ docker vaultmcp \[COMMAND\]/, args.join(' '));
    }
  });

  it('docker help vaultmcp secret and docker vaultmcp help secret', async () => {
    for (const args of [['help', 'vaultmcp', 'secret'], ['vaultmcp', 'help', 'secret']]) {
      const r = await docker(args);
      assert.equal(r.code, 0, `${args}: ${r.stderr}`);
      assert.match(r.stdout, /\$ docker vaultmcp secret COMMAND/, args.join(' '));
    }
  });

  it('an unknown command exits 2 through docker', async () => {
    const r = await docker(['vaultmcp', 'no-such-command']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'no-such-command'/);
  });

  it('the exit code passes through with global flags too', async () => {
    const r = await docker(['-l', 'warn', 'vaultmcp', 'doctor', '--no-such-flag']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
  });

  it('docker stopped without a TTY (MCP client case) stops the plugin through the plugin socket', async () => {
    // Docker does not forward SIGTERM to a plugin when its stdout is not a TTY: it closes the
    // DOCKER_CLI_PLUGIN_SOCKET, and src/main.ts turns that EOF into our SIGTERM handling.
    // `dev vault` is used only because it runs until stopped.
    const r = await runDocker(['vaultmcp', 'dev', 'vault', '--port', '0'], {
      env: dc.env,
      timeoutMs: 30_000,
      onSpawn: (child) => {
        child.stdout.once('data', () => setTimeout(() => child.kill('SIGTERM'), 200));
      },
    });
    assert.notEqual(r.stdout, '', r.stderr);
    assert.equal(r.signal, null, 'docker waits for the plugin and exits with its code');
    assert.ok(r.code === 0 || r.code === 130 || r.code === 143, `exit ${r.code}: ${r.stderr}`);
  });

  it('shell completion through docker', async () => {
    const r = await docker(['__complete', 'vaultmcp', 'secret', 'l']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^list\n/m);
  });
});

describe('npm run install-plugin', { skip: noDocker && !CI && 'no docker CLI on PATH' }, () => {
  const script = path.join(REPO_ROOT, 'scripts', 'install-plugin.mjs');
  const install = (dir: string, ...args: string[]) =>
    spawnSync(process.execPath, [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_CONFIG: dir, VAULTMCP_SKIP_BUILD: '1' },
      timeout: 60_000,
    });

  it('installs 0755, refuses a foreign plugin (exit 2) unless --force', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-install-'));
    try {
      const first = install(dir);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /docker vaultmcp --version → docker-vaultmcp\//);
      const target = path.join(dir, 'cli-plugins', 'docker-vaultmcp');
      assert.equal(spawnSync('stat', ['-c', '%a', target], { encoding: 'utf8' }).stdout.trim(), '755');
      assert.equal(install(dir).status, 0, 'reinstalling our own plugin is fine');

      writeFileSync(target, '#!/bin/sh\necho \'{"SchemaVersion":"0.1.0","Vendor":"Someone else"}\'\n', { mode: 0o755 });
      const refused = install(dir);
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /refusing to replace .*Someone else/);
      assert.match(readFileSync(target, 'utf8'), /Someone else/, 'the foreign plugin is untouched');

      const forced = install(dir, '--force');
      assert.equal(forced.status, 0, forced.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
