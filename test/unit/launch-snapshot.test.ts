/**
 * The launch snapshot (src/core/config/launch-snapshot.ts): used only for the same inputs, unchanged and trusted
 * source files, and the right key; anything else means the files are read again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  checkLaunchSnapshot,
  clearLaunchSnapshots,
  snapshotDir,
  snapshotInputs,
  sourceIdentities,
  writeLaunchSnapshot,
  type LaunchConfig,
  type SnapshotInputs,
} from '../../src/core/config/launch-snapshot.js';
import { SETTINGS_ENV_NAMES } from '../../src/core/config/settings/env-keys.js';

const EXE = { path: process.execPath, version: '9.9.9-test' };

describe('launch snapshot', () => {
  let root: string;
  let ctx: { env: Record<string, string>; homeDir: string; cwd: string };
  let configFile: string;
  let serviceFile: string;
  const key = randomBytes(32);
  const config = (command: string): LaunchConfig =>
    ({
      loaded: { settings: { vault: { vault_id: 'ocid1.vault.oc1..x' }, cache: { enabled: true } }, sources: {}, files: [configFile], warnings: [] },
      service: { name: 'svc', origin: serviceFile, source: 'path', secrets: {}, target_command: [command], environments: [] },
    }) as unknown as LaunchConfig;
  const inputs = (over: Partial<{ service: string; configFile: string }> = {}) => snapshotInputs(ctx, { service: serviceFile, configFile, ...over }, EXE);
  const save = async (i: SnapshotInputs, c: LaunchConfig, k = key) => writeLaunchSnapshot(i, sourceIdentities(i), c, k, 'env');

  before(() => {
    // a private directory of our own, not under the world-writable /tmp's own entries: trust checks pass
    root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-snapshot-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    const dir = mkdtempSync(path.join(root, 'case-'));
    ctx = { env: { XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache') }, homeDir: path.join(dir, 'home'), cwd: dir };
    mkdirSync(path.join(dir, 'project'), { mode: 0o700 });
    configFile = path.join(dir, 'project', 'resolver.yaml');
    serviceFile = path.join(dir, 'project', 'svc.json');
    writeFileSync(configFile, 'vault: {}\n', { mode: 0o600 });
    writeFileSync(serviceFile, '{"secrets":{},"target_command":["one"]}\n', { mode: 0o600 });
  });

  it('round trip: what was written is what a launch with the same inputs gets', async () => {
    const i = inputs();
    assert.equal(await save(i, config('one')), true);
    const checked = await checkLaunchSnapshot(inputs());
    assert.equal(checked?.keySource, 'env');
    assert.deepEqual(checked!.open(key), config('one'));
    assert.equal(path.dirname(i.file), snapshotDir(ctx));
    assert.equal(readFileSync(i.file, 'utf8').includes('"one"'), false, 'the configuration is encrypted');
  });

  it('another key opens nothing (a forged or foreign snapshot)', async () => {
    await save(inputs(), config('one'));
    assert.equal((await checkLaunchSnapshot(inputs()))!.open(randomBytes(32)), undefined);
  });

  it('the inputs name the snapshot: service, --config, settings variables, executable; relative paths as they resolve', () => {
    const base = inputs().digest;
    assert.equal(inputs().digest, base);
    assert.notEqual(inputs({ service: 'github' }).digest, base);
    assert.notEqual(inputs({ configFile: path.join(ctx.cwd, 'other.yaml') }).digest, base);
    // the working directory matters only where a relative path resolves against it
    assert.equal(snapshotInputs({ ...ctx, cwd: root }, { service: serviceFile, configFile }, EXE).digest, base);
    const rel = (cwd: string) => snapshotInputs({ ...ctx, cwd }, { service: 'p/svc.json', configFile: 'p/resolver.yaml' }, EXE).digest;
    assert.notEqual(rel(ctx.cwd), rel(root));
    assert.equal(rel(ctx.cwd), snapshotInputs(ctx, { service: path.join(ctx.cwd, 'p/svc.json'), configFile: path.join(ctx.cwd, 'p/resolver.yaml') }, EXE).digest);
    const cfgEnv = (cwd: string) => snapshotInputs({ ...ctx, cwd, env: { ...ctx.env, OCI_CONFIG_FILE: 'oci/config' } }, { service: serviceFile, configFile }, EXE).digest;
    assert.notEqual(cfgEnv(ctx.cwd), cfgEnv(root), 'a relative OCI_CONFIG_FILE names another file elsewhere');
    assert.notEqual(snapshotInputs({ ...ctx, env: { ...ctx.env, OCI_REGION: 'eu-frankfurt-1' } }, { service: serviceFile, configFile }, EXE).digest, base);
    assert.notEqual(snapshotInputs({ ...ctx, env: { ...ctx.env, OCI_VAULT_ENVIRONMENT: 'prod' } }, { service: serviceFile, configFile }, EXE).digest, base);
    assert.notEqual(snapshotInputs(ctx, { service: serviceFile, configFile }, { ...EXE, version: '9.9.10' }).digest, base);
    // variables that do not set settings do not matter
    assert.equal(snapshotInputs({ ...ctx, env: { ...ctx.env, TERM: 'xterm' } }, { service: serviceFile, configFile }, EXE).digest, base);
  });

  it('every environment variable the settings and service loaders read is an input (a new one must be added)', () => {
    const dir = path.join(import.meta.dirname, '..', '..', 'src', 'core', 'config');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('launch-snapshot.ts'));
    const names = new Set<string>(SETTINGS_ENV_NAMES);
    for (const f of files) for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
    assert.ok(names.has('XDG_CONFIG_HOME') && names.has('OCI_VAULT_ENVIRONMENT') && names.has('OCI_REGION'), [...names].join(' '));
    const base = inputs().digest;
    for (const name of names) {
      const changed = snapshotInputs({ ...ctx, env: { ...ctx.env, [name]: `${ctx.env[name] ?? ''}/x` } }, { service: serviceFile, configFile }, EXE).digest;
      assert.notEqual(changed, base, `${name} changes what the loaders read, so it must change the snapshot's name`);
    }
  });

  it('a service name covers every file it could be read from, and a new file there invalidates it', async () => {
    const i = inputs({ service: 'github' });
    assert.equal(i.sources.filter((s) => s.includes(`${path.sep}services${path.sep}github.`)).length, 6, 'user and system dirs × json, yaml, yml');
    await save(i, config('builtin'));
    assert.ok(await checkLaunchSnapshot(inputs({ service: 'github' })));
    mkdirSync(path.join(ctx.env.XDG_CONFIG_HOME!, 'oci-vault-mcp', 'services'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(ctx.env.XDG_CONFIG_HOME!, 'oci-vault-mcp', 'services', 'github.yaml'), 'target_command: [mine]\n', { mode: 0o600 });
    assert.equal(await checkLaunchSnapshot(inputs({ service: 'github' })), undefined);
  });

  it('any change to a source invalidates it: content, mtime, mode, replacement, a new higher-priority settings file', async () => {
    const changes: Array<[string, () => void]> = [
      ['content', () => writeFileSync(serviceFile, '{"secrets":{},"target_command":["two"]}\n')],
      ['same size, new content', () => writeFileSync(serviceFile, '{"secrets":{},"target_command":["owe"]}\n')],
      ['mtime only', () => utimesSync(serviceFile, new Date(), new Date(Date.now() + 5000))],
      ['mode only (ctime)', () => chmodSync(serviceFile, 0o400)],
      ['replaced by another file', () => {
        writeFileSync(`${serviceFile}.new`, readFileSync(serviceFile), { mode: 0o600 });
        renameSync(`${serviceFile}.new`, serviceFile);
      }],
      ['user resolver.yaml appears', () => {
        mkdirSync(path.join(ctx.env.XDG_CONFIG_HOME!, 'oci-vault-mcp'), { recursive: true, mode: 0o700 });
        writeFileSync(path.join(ctx.env.XDG_CONFIG_HOME!, 'oci-vault-mcp', 'resolver.yaml'), 'cache: { enabled: false }\n', { mode: 0o600 });
      }],
      ['--config deleted', () => rmSync(configFile)],
    ];
    for (const [what, change] of changes) {
      writeFileSync(configFile, 'vault: {}\n', { mode: 0o600 });
      writeFileSync(serviceFile, '{"secrets":{},"target_command":["one"]}\n', { mode: 0o600 });
      rmSync(path.join(ctx.env.XDG_CONFIG_HOME!, 'oci-vault-mcp', 'resolver.yaml'), { force: true });
      await save(inputs(), config('one'));
      assert.ok(await checkLaunchSnapshot(inputs()), `${what}: valid before the change`);
      change();
      assert.equal(await checkLaunchSnapshot(inputs()), undefined, `${what}: invalid after it`);
    }
  });

  it('a source that is no longer trusted (its directory became group-writable) invalidates it', async () => {
    await save(inputs(), config('one'));
    chmodSync(path.dirname(serviceFile), 0o770);
    try {
      assert.equal(await checkLaunchSnapshot(inputs()), undefined);
    } finally {
      chmodSync(path.dirname(serviceFile), 0o700);
    }
  });

  it('a file changed between reading the configuration and writing the snapshot: nothing is written', async () => {
    const i = inputs();
    const before = sourceIdentities(i);
    writeFileSync(serviceFile, '{"secrets":{},"target_command":["edited meanwhile"]}\n');
    assert.equal(await writeLaunchSnapshot(i, before, config('one'), key, 'env'), false);
    assert.equal(await checkLaunchSnapshot(inputs()), undefined);
  });

  it('tampering with the clear header or the body, or moving a snapshot to another name, is refused', async () => {
    const i = inputs();
    await save(i, config('one'));
    const text = readFileSync(i.file, 'utf8');
    writeFileSync(i.file, text.replace('"keySource":"env"', '"keySource":"keychain"'));
    const flipped = await checkLaunchSnapshot(inputs());
    assert.equal(flipped?.open(key), undefined, 'the header is authenticated');
    const [header, body] = text.split('\n');
    const raw = Buffer.from(body!, 'base64');
    raw[20] = raw[20]! ^ 1;
    writeFileSync(i.file, `${header}\n${raw.toString('base64')}\n`);
    assert.equal((await checkLaunchSnapshot(inputs()))?.open(key), undefined, 'the body is authenticated');
    // a genuine snapshot of other inputs, put under this name
    const other = inputs({ service: 'github' });
    await save(other, config('other'));
    writeFileSync(i.file, readFileSync(other.file));
    assert.equal(await checkLaunchSnapshot(inputs()), undefined);
  });

  it('a FIFO in the snapshot\'s place does not stall the launch', { skip: process.platform === 'win32' }, async () => {
    const i = inputs();
    mkdirSync(path.dirname(i.file), { recursive: true, mode: 0o700 });
    assert.equal(spawnSync('mkfifo', [i.file]).status, 0);
    assert.equal(await checkLaunchSnapshot(inputs()), undefined);
  });

  it('cache clear removes the snapshots', async () => {
    await save(inputs(), config('one'));
    await save(inputs({ service: 'github' }), config('two'));
    assert.equal(await clearLaunchSnapshots(ctx), 2);
    assert.deepEqual(readdirSync(snapshotDir(ctx)), []);
    assert.equal(await clearLaunchSnapshots(ctx), 0);
  });
});
