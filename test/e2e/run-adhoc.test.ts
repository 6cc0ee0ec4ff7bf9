/**
 * `run [--secret VAR=REF]… [--env-file FILE] -- COMMAND` and `service add` through the built binary, secrets from the
 * vault emulator: same resolution, all-or-nothing and launcher rules as a service run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, runBinary } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const FAKE = path.join(REPO_ROOT, 'test/fixtures/servers/fake-server.mjs');
const TOKEN = `tok-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
const DB = `db-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

describe('run -- COMMAND and service add (built binary)', () => {
  let emu: TestEmulator;
  let dir: string;
  let config: string;
  let env: Record<string, string>;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'api-token': TOKEN, 'db-password': DB } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-adhoc-e2e-'));
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'resilience: { retries: 0 }'));
    mkdirSync(path.join(dir, 'home'));
    env = { HOME: path.join(dir, 'home') };
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const childEnv = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!).env as Record<string, string>;

  it('--secret and --env-file: references resolved, literals passed, nothing of the value in our output', async () => {
    writeFileSync(path.join(dir, '.env'), `DB_PASSWORD=vault:db-password\nLOG_LEVEL=debug\n# c\nAPI_URL="https://example.invalid/api"\n`);
    const r = await runBinary(['run', '--config', config, '--leak-guard', 'off', '--secret', 'API_TOKEN=api-token', '--env-file', '.env', '--', process.execPath, FAKE, 'env'], {
      env,
      cwd: dir,
      hideRepo: false,
    });
    assert.equal(r.code, 0, r.stderr);
    const got = childEnv(r.stdout);
    assert.equal(got.API_TOKEN, TOKEN);
    assert.equal(got.DB_PASSWORD, DB);
    assert.equal(got.LOG_LEVEL, 'debug');
    assert.equal(got.API_URL, 'https://example.invalid/api');
    assert.ok(!r.stderr.includes(TOKEN) && !r.stderr.includes(DB));
  });

  it('runs in a private empty directory like a service, or where it was started with --cwd inherit', async () => {
    const priv = await runBinary(['run', '--config', config, '--', 'sh', '-c', 'pwd; ls -A | wc -l'], { env, cwd: dir });
    assert.equal(priv.code, 0, priv.stderr);
    const [where, count] = priv.stdout.trim().split('\n');
    assert.notEqual(where, dir);
    assert.equal(count!.trim(), '0');
    const here = await runBinary(['run', '--config', config, '--cwd', 'inherit', '--', 'sh', '-c', 'pwd'], { env, cwd: dir });
    assert.equal(here.stdout.trim(), dir, here.stderr);
  });

  it('all or nothing: one missing secret and the command is not started (exit 3, naming it)', async () => {
    const marker = path.join(dir, 'started');
    const r = await runBinary(['run', '--config', config, '--secret', 'A=api-token', '--secret', 'B=no-such-secret', '--', 'sh', '-c', `touch ${marker}`], { env, cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /B \(no-such-secret\)/);
    assert.throws(() => readFileSync(marker));
  });

  it('--test resolves and reports masked values without starting the command', async () => {
    const r = await runBinary(['run', '--config', config, '--secret', 'A=vault:api-token', '--test', '--json', '--', 'false'], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(TOKEN));
    assert.match(r.stdout, /"A"/);
  });

  it('usage errors: --secret with a service, no command, a bad assignment', async () => {
    for (const [args, re] of [
      [['run', 'everything', '--secret', 'A=b'], /--secret and --env-file are for `run -- COMMAND`/],
      [['run', '--secret', 'A=b'], /missing argument SERVICE/],
      [['run', '--secret', 'A', '--', 'true'], /VAR=VALUE/],
    ] as const) {
      const r = await runBinary([args[0], '--config', config, ...args.slice(1)], { env, cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  it('service add writes a definition that run uses; refuses to overwrite without --force', async () => {
    const add = await runBinary(['service', 'add', 'my-api', '--secret', 'API_TOKEN=vault:api-token', '--env-override', 'MODE=x', '--description', 'mine', '--', process.execPath, FAKE, 'env'], { env });
    assert.equal(add.code, 0, add.stderr);
    const file = path.join(dir, 'home', '.config', 'oci-vault-mcp', 'services', 'my-api.json');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      description: 'mine',
      secrets: { API_TOKEN: 'api-token' },
      target_command: [process.execPath, FAKE, 'env'],
      env_overrides: { MODE: 'x' },
    });
    const run = await runBinary(['run', 'my-api', '--config', config, '--leak-guard', 'off'], { env, hideRepo: false });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(childEnv(run.stdout).API_TOKEN, TOKEN);
    assert.equal(childEnv(run.stdout).MODE, 'x');
    const again = await runBinary(['service', 'add', 'my-api', '--', 'true'], { env });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    assert.equal((await runBinary(['service', 'add', 'my-api', '--force', '--', 'true'], { env })).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { secrets: {}, target_command: ['true'] });
  });
});
