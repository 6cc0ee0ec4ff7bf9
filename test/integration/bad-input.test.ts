/**
 * Bad input that used to reach "internal error" (issue 9, point 11): NUL characters in the server's argv, its
 * env_overrides or a secret value; an argv larger than the system allows (E2BIG); files nested thousands deep; zod
 * messages that said "Invalid input" without naming the field. Each is now a one-line error with exit 2.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runService } from '../../src/app/run/run.js';
import { parseServiceText } from '../../src/core/config/services/load.js';
import { loadSettings } from '../../src/core/config/settings/load.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { launch } from '../../src/core/launcher/launch.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture } from '../helpers/resolver-fixture.js';

let dir: string;
before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-bad-input-'))));
after(() => rm(dir, { recursive: true, force: true }));

const configError = (re: RegExp) => (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && re.test(e.message);
const usageError = (re: RegExp) => (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message);

describe('files', () => {
  it('a service or settings file nested 10 000 deep is a ConfigError, not a stack overflow', async () => {
    for (const text of ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), 'a: '.repeat(1) + '[' .repeat(100) + ']'.repeat(100)]) {
      assert.throws(() => parseServiceText(text, 'svc.yaml'), configError(/nested too deeply/));
    }
    const file = path.join(dir, 'deep.yaml');
    await writeFile(file, 'vault: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n', { mode: 0o600 });
    await assert.rejects(loadSettings({ env: {}, homeDir: dir, cwd: dir }, { configFile: file }), configError(/nested too deeply/));
  });

  it('a NUL in a path setting (a YAML escape) is a ConfigError naming the key; one that reaches the OS is still exit 2', async () => {
    const file = path.join(dir, 'nul.yaml');
    await writeFile(file, 'cache: { dir: "/tmp/a\\0b" }\n', { mode: 0o600 });
    await assert.rejects(loadSettings({ env: {}, homeDir: dir, cwd: dir }, { configFile: file }), configError(/'cache\.dir' must not contain a NUL character/));
    assert.throws(() => parseServiceText(JSON.stringify({ secrets: {}, target_command: ['x'], cwd: '/a\u0000' }), 'svc.json'), configError(/'cwd' must not contain a NUL/));
    const { renderError } = await import('../../src/cli/render-error.js');
    let out = '';
    const sink = new PassThrough().on('data', (b) => (out += b));
    const fsError = await import('node:fs/promises').then((fs) => fs.stat('/tmp/a\0b')).catch((e: unknown) => e);
    assert.equal(renderError(fsError, sink), 2);
    assert.match(out, /^Error: a path, argument or setting contains a NUL character/);
  });

  it('schema errors name the field and what was expected', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ secrets: { A: 5 }, target_command: ['x'] }, /'secrets\.A' Invalid input: expected string or object, received number/],
      [{ secrets: { A: { secret_name: 'x', version: '3' } }, target_command: ['x'] }, /'secrets\.A\.version' Invalid input: expected number or map, received string/],
      [{ secrets: { A: { secret_name: 'x', environment: { prod: 5 } } }, target_command: ['x'] }, /'secrets\.A\.environment\.prod' Invalid input: expected string/],
      [{ secrets: { 'bad-name': 'x' }, target_command: ['x'] }, /'secrets\.bad-name' must be a valid environment variable name/],
      [{ secrets: {}, target_command: ['x', 'a\u0000b'] }, /'target_command\.1' must not contain a NUL character/],
      [{ secrets: {}, target_command: ['x'], env_overrides: { A: 'a\u0000b' } }, /'env_overrides\.A' must not contain a NUL character/],
    ];
    for (const [def, re] of cases) {
      assert.throws(() => parseServiceText(JSON.stringify(def), 'svc.json'), (e: unknown) => e instanceof ConfigError && re.test(e.message) && !/Invalid input$/.test(e.message), JSON.stringify(def));
    }
  });
});

describe('the server command', () => {
  const io = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });

  it('a NUL in an argument or an environment value: exit 2 naming which, never the value', async () => {
    await assert.rejects(launch({ command: ['/bin/true', 'ok', 'a\0b'], env: { PATH: '/usr/bin:/bin' }, cwd: dir, ...io() }), usageError(/argument 2 of the server command contains a NUL/));
    await assert.rejects(
      launch({ command: ['/bin/true'], env: { PATH: '/usr/bin:/bin', TOKEN: 'sec\0ret-value' }, cwd: dir, ...io() }),
      (e: unknown) => usageError(/variable TOKEN contains a NUL/)(e) && !(e as Error).message.includes('ret-value'),
    );
  });

  it('an argv larger than the system allows (E2BIG): exit 2 with what to change', { skip: process.platform === 'win32' }, async () => {
    // Linux limits one argument to 128 KiB (MAX_ARG_STRLEN) and all of them to about a quarter of the stack limit
    const huge = Array.from({ length: 40 }, () => 'x'.repeat(120_000));
    await assert.rejects(launch({ command: ['/bin/true', ...huge], env: { PATH: '/usr/bin:/bin' }, cwd: dir, ...io(), watchdog: false }), usageError(/E2BIG/));
  });
});

describe('a secret value with a NUL byte', () => {
  let emu: TestEmulator;
  before(async () => (emu = await startTestEmulator({ seed: { 'binary-secret': 'ab\u0000cd-binary-value' } })));
  after(() => emu.close());

  it('run --test does not report it as resolved: exit 2 naming the variable, never the value', async () => {
    const fx = await resolverFixture(emu.info);
    try {
      const svc = path.join(fx.root, 'svc.json');
      await writeFile(svc, JSON.stringify({ secrets: { BIN: 'binary-secret' }, target_command: ['/bin/true'] }), { mode: 0o600 });
      const request = { service: svc, config: emu.info.resolverConfig, json: false, verbose: false, offline: false, refresh: false, extraArgs: [] };
      for (const test of [true, false]) {
        await assert.rejects(runService(fx.ctx, { ...request, test }), (e: unknown) =>
          usageError(/the value of BIN \(binary-secret\) contains a NUL byte/)(e) && !(e as Error).message.includes('binary-value'));
      }
    } finally {
      await fx.close();
    }
  });
});
