/**
 * Where `run` gets its settings and service definition (src/app/run/launch-config.ts through planRun): the files
 * the first time, the launch snapshot afterwards, the files again once one of them changed; the snapshot's key is
 * the cache key (VAULTMCP_CACHE_KEY, or the keychain's, read once and handed on to the cache).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { planRun } from '../../src/app/run/plan.js';
import type { SnapshotAccess } from '../../src/app/run/launch-config.js';
import type { AppContext } from '../../src/core/context.js';

describe('launch configuration: files, then the launch snapshot', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-launch-config-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let ctx: AppContext;
  let configFile: string;
  let serviceFile: string;
  let keychainReads: number;
  let keychainValue: string | undefined;
  const access: SnapshotAccess = {
    executable: { path: process.execPath, version: '0.0.0-test' },
    readKeychainKey: async () => {
      keychainReads++;
      return keychainValue;
    },
  };
  const writeService = (command: string[]) => writeFileSync(serviceFile, JSON.stringify({ secrets: { TOKEN: 'token' }, target_command: command }), { mode: 0o600 });
  const plan = (env: Record<string, string | undefined> = {}) =>
    planRun({ ...ctx, env: { ...ctx.env, ...env } }, { service: serviceFile, config: configFile }, { snapshot: access });

  beforeEach(() => {
    const dir = mkdtempSync(path.join(root, 'case-'));
    const streams = () => new PassThrough();
    ctx = {
      env: { PATH: process.env.PATH, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache'), XDG_STATE_HOME: path.join(dir, 'state'), VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64') },
      cwd: dir,
      homeDir: path.join(dir, 'home'),
      stdin: streams(),
      stdout: streams(),
      stderr: streams(),
      now: () => Date.now(),
    };
    mkdirSync(path.join(dir, 'p'), { mode: 0o700 });
    configFile = path.join(dir, 'p', 'resolver.yaml');
    serviceFile = path.join(dir, 'p', 'svc.json');
    writeFileSync(configFile, 'vault:\n  vault_id: ocid1.vault.oc1.iad.aaaa\n  region: us-ashburn-1\ncache:\n  enabled: true\n', { mode: 0o600 });
    writeService([process.execPath, '--version']);
    keychainReads = 0;
    keychainValue = undefined;
  });

  it('first launch reads the files and remembers them; the next one gets the same plan from the snapshot', async () => {
    const first = await plan();
    assert.equal(first.config.fromSnapshot, false);
    await first.config.remember!(undefined);
    const second = await plan();
    assert.equal(second.config.fromSnapshot, true);
    assert.deepEqual(second.settings, first.settings);
    assert.deepEqual(second.service, first.service);
    assert.deepEqual(second.command, first.command);
    assert.deepEqual(second.selection, first.selection);
    assert.equal(second.executable, first.executable);
    assert.equal(keychainReads, 0, 'VAULTMCP_CACHE_KEY is the key: the keychain is not asked');
  });

  it('an edited service file is read again, and its new command is the one that runs', async () => {
    await (await plan()).config.remember!(undefined);
    writeService([process.execPath, '--print', '1']);
    const next = await plan();
    assert.equal(next.config.fromSnapshot, false);
    assert.deepEqual(next.command, [process.execPath, '--print', '1']);
  });

  it('a different cache key (rotated VAULTMCP_CACHE_KEY) cannot open it: the files are read', async () => {
    await (await plan()).config.remember!(undefined);
    const next = await plan({ VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64') });
    assert.equal(next.config.fromSnapshot, false);
  });

  it('with the key in the keychain: written with the keychain\'s answer; the next launch reads the keychain once and hands the answer on', async () => {
    const key = randomBytes(32).toString('base64');
    const first = await plan({ VAULTMCP_CACHE_KEY: undefined });
    assert.equal(first.config.fromSnapshot, false);
    await first.config.remember!(Promise.resolve(key));
    keychainValue = key;
    let handedOn: Promise<string | undefined> | undefined;
    const second = await planRun({ ...ctx, env: { ...ctx.env, VAULTMCP_CACHE_KEY: undefined } }, { service: serviceFile, config: configFile }, {
      snapshot: access,
      onSettings: (_loaded, known) => (handedOn = known?.keychainAnswer),
    });
    assert.equal(second.config.fromSnapshot, true);
    assert.equal(keychainReads, 1);
    assert.equal(await handedOn, key, 'the cache gets the answer instead of a second keychain read');
    // the keychain no longer has that key: nothing is opened, the files decide
    keychainValue = randomBytes(32).toString('base64');
    assert.equal((await plan({ VAULTMCP_CACHE_KEY: undefined })).config.fromSnapshot, false);
  });

  it('nothing is remembered when the cache is off (no key is read for it), nor for `run -- COMMAND`', async () => {
    writeFileSync(configFile, 'vault:\n  vault_id: ocid1.vault.oc1.iad.aaaa\n  region: us-ashburn-1\ncache:\n  enabled: false\n', { mode: 0o600 });
    await (await plan()).config.remember!(undefined);
    assert.equal((await plan()).config.fromSnapshot, false);
    const adhoc = await planRun(ctx, { service: 'adhoc', config: configFile, command: [process.execPath, '--version'], secrets: ['TOKEN=token'] }, { snapshot: access });
    assert.equal(adhoc.config.remember, undefined);
  });
});
