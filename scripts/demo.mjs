#!/usr/bin/env node
/**
 * `npm run demo`: the whole story in ~10 s, with no OCI account and no download:
 *   1. builds the single binary if needed (scripts/build-binary.mjs skips an up-to-date build);
 *   2. starts the local OCI Vault emulator (`docker-vaultmcp dev vault`) seeded with a random demo token;
 *   3. installs the binary as a docker CLI plugin in a temp DOCKER_CONFIG;
 *   4. defines the `everything` service in a temp HOME (shadowing the built-in template) so it runs the locally
 *      installed @modelcontextprotocol/server-everything instead of `npx`;
 *   5. connects the MCP SDK client the way Claude/Cursor/VS Code do (`docker vaultmcp run everything …` over
 *      stdio), initializes, lists tools and calls `get-env` to show EVERYTHING_API_KEY arrived (as `[REDACTED:EVERYTHING_API_KEY]`: the leak guard replaces exactly the injected value);
 *   6. launches again to show the encrypted cache path, then `--test`;
 *   7. stops everything and removes the temp files. Exit 0 on success, 1 on any failure.
 * Without a docker CLI on PATH it runs the binary directly (same code path minus docker's argv/socket handling).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = path.resolve(import.meta.dirname, '..');
const BINARY = path.join(root, 'dist', 'docker-vaultmcp');
const EVERYTHING = path.join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s) => (color ? `\x1b[32m${s}\x1b[0m` : s);
let stepNo = 0;
const step = (title) => console.log(`\n${bold(`${++stepNo}. ${title}`)}`);
const say = (text) => console.log(`   ${text}`);

/** Same rule as src/core/mask.ts maskSecret: at most the first 4 characters, then the length. */
function mask(value) {
  const length = [...value].length;
  return length >= 16 && /^[\x21-\x7e]{4}/.test(value) ? `${value.slice(0, 4)}****(${length})` : `****(${length})`;
}

const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      /* best effort */
    }
  }
}

async function main() {
  const t0 = performance.now();
  console.log(bold('docker vaultmcp demo: an MCP server gets its credential from (an emulated) OCI Vault'));

  step('Build the single binary');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-binary.mjs')], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0 || !existsSync(BINARY)) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  say(dim((build.stdout + build.stderr).trim().split('\n').pop() ?? ''));
  if (!existsSync(EVERYTHING)) throw new Error(`${EVERYTHING} is missing: run npm install`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-demo-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const home = path.join(work, 'home');
  mkdirSync(home, { recursive: true });

  step('Start the local OCI Vault emulator with one secret');
  const token = `demo_${randomBytes(18).toString('base64url')}`;
  const seedFile = path.join(work, 'seed.json');
  writeFileSync(seedFile, JSON.stringify({ 'everything-api-key': token }), { mode: 0o600 });
  const emulator = spawn(BINARY, ['dev', 'vault', '--port', '0', '--state-dir', path.join(work, 'vault'), '--seed', seedFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH, HOME: home },
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (emulator.exitCode !== null) return resolve();
        emulator.once('exit', resolve);
        emulator.kill('SIGTERM');
        setTimeout(() => emulator.kill('SIGKILL'), 3000).unref();
      }),
  );
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start within 20 s')), 20_000);
    emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
    createInterface({ input: emulator.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  say(`emulator at ${info.endpoint}, vault ${dim(info.vaultId.slice(0, 40) + '…')}`);
  say(`secret everything-api-key = ${mask(token)} ${dim('(the demo never prints a value)')}`);

  step('Install the plugin into a temp DOCKER_CONFIG');
  const dockerConfig = path.join(work, 'docker');
  mkdirSync(path.join(dockerConfig, 'cli-plugins'), { recursive: true });
  symlinkSync(BINARY, path.join(dockerConfig, 'cli-plugins', 'docker-vaultmcp'));
  writeFileSync(path.join(dockerConfig, 'config.json'), '{}\n');
  const haveDocker = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;
  say(haveDocker ? `${dockerConfig}/cli-plugins/docker-vaultmcp → dist/docker-vaultmcp` : 'no docker CLI on PATH: the client will start the binary directly');

  step('Define the "everything" service (user file, shadows the built-in template)');
  const servicesDir = path.join(home, '.config', 'oci-vault-mcp', 'services');
  mkdirSync(servicesDir, { recursive: true });
  const service = {
    description: 'server-everything from the local install (the demo never downloads)',
    secrets: { EVERYTHING_API_KEY: { secret_name: 'everything-api-key' } },
    target_command: ['node', EVERYTHING, 'stdio'],
  };
  writeFileSync(path.join(servicesDir, 'everything.json'), JSON.stringify(service, null, 2));
  say(`EVERYTHING_API_KEY ← everything-api-key; command: node …/server-everything/dist/index.js stdio`);

  const command = haveDocker ? 'docker' : BINARY;
  const baseArgs = haveDocker ? ['vaultmcp', 'run', 'everything'] : ['run', 'everything'];
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    DOCKER_CONFIG: dockerConfig,
    // a cache key without an OS keychain (headless demo machines); real installs keep it in the keychain
    VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64'),
  };

  async function connectAndCheck(label) {
    const args = [...baseArgs, '--config', info.resolverConfig];
    say(`${dim('$')} ${command} ${args.join(' ')}`);
    const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (b) => (stderr += b.toString()));
    const client = new Client({ name: 'vaultmcp-demo', version: '1.0.0' });
    const started = performance.now();
    await client.connect(transport);
    const initMs = performance.now() - started;
    const server = client.getServerVersion();
    say(`initialize → ${server?.name} ${server?.version} in ${initMs.toFixed(0)} ms (${label})`);
    const tools = await client.listTools();
    say(`tools/list → ${tools.tools.length} tools, including ${tools.tools.some((t) => t.name === 'get-env') ? 'get-env' : '(no get-env!)'}`);
    const result = await client.callTool({ name: 'get-env', arguments: {} });
    const serverEnv = JSON.parse(result.content[0].text);
    await client.close();
    // The leak guard (on by default) replaces exactly the injected value on its way back to the client, so seeing
    // the redaction label proves the server got the value, and that a tool could not hand it to the client.
    if (serverEnv.EVERYTHING_API_KEY !== '[REDACTED:EVERYTHING_API_KEY]') throw new Error(`EVERYTHING_API_KEY did not arrive (stderr: ${stderr.trim()})`);
    if (stderr.includes(token)) throw new Error('the token appeared on stderr');
    const ours = Object.keys(serverEnv).filter((k) => /^(OCI_|DOCKER_CLI_PLUGIN_|VAULTMCP_)/.test(k));
    if (ours.length) throw new Error(`our variables leaked to the server: ${ours.join(', ')}`);
    say(`get-env → ${green(`EVERYTHING_API_KEY=${serverEnv.EVERYTHING_API_KEY}`)}: the server has the value, the leak guard kept it from the client; the server saw ${Object.keys(serverEnv).length} variables: ${dim(Object.keys(serverEnv).sort().join(', '))}`);
    return initMs;
  }

  step('Connect an MCP client, as Claude/Cursor/VS Code would (secret read from the vault)');
  const coldMs = await connectAndCheck('secret fetched from the vault');

  step('Connect again (secret from the encrypted cache, no vault call)');
  const warmMs = await connectAndCheck('secret from the cache');

  step('Check a service without starting it: --test (values masked)');
  const test = spawnSync(command, [...baseArgs, '--config', info.resolverConfig, '--test'], { env, encoding: 'utf8' });
  for (const line of test.stderr.trim().split('\n')) say(dim(line));
  if (test.status !== 0) throw new Error(`--test exited ${test.status}`);
  if (test.stderr.includes(token) || test.stdout.includes(token)) throw new Error('--test printed the token');

  step('Stop everything');
  await cleanup();
  cleanups.length = 0;
  say('emulator stopped, temp DOCKER_CONFIG, HOME and vault state removed');
  console.log(
    `\n${green(bold('Demo OK'))} in ${((performance.now() - t0) / 1000).toFixed(1)} s: cold launch ${coldMs.toFixed(0)} ms, cached launch ${warmMs.toFixed(0)} ms to initialize.`,
  );
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(`\ndemo FAILED: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup();
  process.exit(1);
}
