/**
 * Security regressions found in review: values must not reach error messages through the user's own files
 * (zod/YAML messages quoting keys or source text), the emulator's admin API must not be reachable from web pages
 * (DNS rebinding, cross-site POSTs), files we write must not follow pre-planted links, and redaction must hide a
 * longer value that contains a shorter one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSecretCache } from '../../src/core/cache/secret-cache.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';
import { resolveExecutable } from '../../src/core/launcher/executable.js';
import { describeUnknownKeys, displayableKey, redactSecrets, safeYamlMessage } from '../../src/core/mask.js';
import { parseServiceText } from '../../src/core/config/services/load.js';
import { validate } from '../../src/core/config/settings/load.js';
import { settingsFileSchema } from '../../src/core/config/settings/schema.js';
import { lastStderrLine, verifyMcpServer } from '../../src/app/secrets/verify.js';
import { backupPath, writeResolverYaml } from '../../src/app/setup/resolver-file.js';
import { startVaultEmulator } from '../../src/emulator/index.js';
import { localRequest } from '../../src/emulator/server.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const TOKEN = 'ghp_R3alT0kenValue9xQ2mZ7pL4kW8vB1nC6dF0';
const leaks = (text: string) => text.includes(TOKEN) || text.includes(TOKEN.slice(4, 20));

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${(err as Error)?.constructor?.name}`);
    return `${err.message} ${err.hint ?? ''}`;
  }
  assert.fail('expected an error');
}

describe('security: config errors never quote a value pasted into a key or the YAML source', () => {
  const service = (extra: string) => `{"secrets": {"A": "a-name"}, "target_command": ["x"]${extra}}`;
  const cases: Array<[string, () => unknown]> = [
    ['service: token as a top-level key', () => parseServiceText(`{"${TOKEN}": 1, "secrets": {}, "target_command": ["x"]}`, 'svc.json')],
    ['service: token as a secrets key (not an env var name)', () => parseServiceText(`{"secrets": {"${TOKEN}!": "n"}, "target_command": ["x"]}`, 'svc.json')],
    ['service: token as an env_overrides key', () => parseServiceText(service(`, "env_overrides": {"${TOKEN} x": "v"}`), 'svc.json')],
    ['service: token pasted as a YAML alias', () => parseServiceText(`secrets: {A: *${TOKEN}}\ntarget_command: [x]\n`, 'svc.yaml')],
    ['service: token in an invalid escape', () => parseServiceText(`secrets: {A: "\\q${TOKEN}"}\ntarget_command: [x]\n`, 'svc.yaml')],
    ['service: token in a bad flow collection', () => parseServiceText(`secrets: [ ${TOKEN}: ] ]\n`, 'svc.yaml')],
    ['settings: token as a key in vault', () => validate(settingsFileSchema, { vault: { [TOKEN]: null } }, 'resolver.yaml')],
    ['settings: token as a top-level key', () => validate(settingsFileSchema, { [TOKEN]: null }, 'resolver.yaml')],
  ];
  for (const [name, fn] of cases) {
    it(name, () => {
      const text = messageOf(fn);
      assert.ok(!leaks(text), `the message quotes the value: ${text}`);
    });
  }

  it('an invalid secret reference (a value pasted where the name belongs) is not quoted', () => {
    const pasted = `${TOKEN}/+=!`;
    const text = messageOf(() => parseSecretRef(pasted));
    assert.ok(!leaks(text), text);
    assert.match(messageOf(() => parseSecretRef('oci-vault://nope')), /'oci-vault:\/\/nope'/);
  });

  it('still names ordinary misspelt keys', () => {
    assert.match(messageOf(() => validate(settingsFileSchema, { vault: { vaultid: 'x' } }, 'r.yaml')), /unknown key 'vault\.vaultid'/);
    assert.match(messageOf(() => parseServiceText(service(', "target_comand": ["y"]'), 'svc.json')), /unknown key 'target_comand'/);
    assert.equal(displayableKey('GITHUB_PERSONAL_ACCESS_TOKEN'), 'GITHUB_PERSONAL_ACCESS_TOKEN');
    assert.equal(displayableKey('breaker_reset_ms'), 'breaker_reset_ms');
    assert.equal(displayableKey(TOKEN), undefined);
    assert.equal(displayableKey('sk-live-abc!def'), undefined);
    assert.match(describeUnknownKeys('vault', ['vaultid', TOKEN]), /'vault\.vaultid' and 1 more in 'vault'/);
  });

  it('safeYamlMessage drops the source text yaml appends', () => {
    assert.equal(safeYamlMessage(`Unexpected scalar token in YAML stream: "${TOKEN}"`), 'Unexpected scalar token in YAML stream');
    assert.equal(safeYamlMessage(`Could not resolve tag: !${TOKEN}`), 'Could not resolve tag');
    assert.equal(safeYamlMessage(`Unexpected ${TOKEN} in flow map`), 'Unexpected token in flow map');
    assert.equal(safeYamlMessage('Implicit map keys need to be followed by map values at line 3, column 1:\n\nxx\n^'), 'Implicit map keys need to be followed by map values');
  });
});

describe('security: the cache trusts only a private directory', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-cache-'));
  });
  after(() => rm(root, { recursive: true, force: true }));
  const key = randomBytes(32);
  const ref = parseSecretRef('github-token');
  const cacheAt = (dir: string) => createSecretCache({ dir, key, keySource: 'env', scope: { endpoint: 'http://e', vaultId: 'v' }, now: Date.now });

  it('never re-modes a loose directory it did not create, and does not write into it', { skip: process.platform === 'win32' }, async () => {
    const dir = path.join(root, 'loose');
    await mkdir(dir);
    await chmod(dir, 0o777);
    assert.equal(await cacheAt(dir).put(ref, { value: TOKEN, secretId: 'ocid1.vaultsecret.x', versionNumber: 1 }), false);
    assert.equal((await stat(dir)).mode & 0o777, 0o777);
  });

  it('neither writes to nor reads from a directory another user owns', { skip: process.platform === 'win32' || process.getuid?.() !== 0 }, async () => {
    const good = path.join(root, 'good');
    await cacheAt(good).put(ref, { value: TOKEN, secretId: 'ocid1.vaultsecret.x', versionNumber: 1 });
    const foreign = path.join(root, 'foreign');
    await cp(good, foreign, { recursive: true });
    await chown(foreign, 65534, 65534); // e.g. a planted /tmp directory: its entries could be replayed old ones
    assert.equal(await cacheAt(foreign).get(ref), undefined);
    assert.equal(await cacheAt(foreign).put(ref, { value: TOKEN, secretId: 'ocid1.vaultsecret.x', versionNumber: 2 }), false);
    assert.equal((await cacheAt(good).get(ref))?.value, TOKEN);
  });
});

describe('security: redaction', () => {
  it('hides a longer value that contains a shorter one (longest first)', () => {
    const short = 'abcd1234';
    const long = 'PREFIXabcd1234SUFFIXlong';
    const out = redactSecrets(`token=${long}`, [short, long]);
    assert.ok(!out.includes('PREFIX') && !out.includes('SUFFIX'), out);
  });
});

describe('security: rotate --verify shows no fragment of a value from a cut stderr tail', () => {
  it('drops the cut first line of the tail', () => {
    const tail = `${TOKEN.slice(10)} leaked suffix\nerror: bad credentials\n`;
    assert.equal(lastStderrLine(tail, true), 'error: bad credentials');
    assert.equal(lastStderrLine(TOKEN.slice(10), true), '');
    assert.equal(lastStderrLine('only line\n', false), 'only line');
  });

  it('a server that echoes a long value on stderr, then exits, is reported without it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-verify-'));
    try {
      const script = path.join(dir, 'echo-server.mjs');
      // one stderr line longer than the kept tail, whose cut falls inside the value
      await writeFile(script, `process.stderr.write('x'.repeat(5000) + process.env.TOKEN + 'y'.repeat(4080) + '\\n'); process.exit(1);\n`);
      await assert.rejects(
        verifyMcpServer({ command: [process.execPath, script], env: { PATH: process.env.PATH ?? '', TOKEN }, cwd: dir, timeoutMs: 5000, secretValues: [TOKEN] }),
        (err: Error) => {
          assert.ok(!err.message.includes(TOKEN.slice(-15)), err.message);
          return true;
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('security: target_command lookup ignores relative PATH entries', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-path-'));
    await mkdir(path.join(dir, 'bin'));
    await writeFile(path.join(dir, 'bin', 'fake-server'), '#!/bin/sh\n', { mode: 0o755 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a PATH of "." or "bin" does not find a program in the current directory', { skip: process.platform === 'win32' }, () => {
    assert.throws(() => resolveExecutable('fake-server', { PATH: 'bin' }, dir), /command not found/);
    assert.throws(() => resolveExecutable('fake-server', { PATH: '.:bin' }, path.join(dir, 'bin')), /command not found/);
    assert.equal(resolveExecutable('fake-server', { PATH: path.join(dir, 'bin') }, '/'), path.join(dir, 'bin', 'fake-server'));
  });
});

describe('security: setup never overwrites an earlier backup or writes through a planted link', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-setup-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a second setup in the same second keeps the first backup', async () => {
    const file = path.join(dir, 'resolver.yaml');
    const now = new Date('2026-11-24T05:00:00Z');
    await writeFile(file, 'first: 1\n');
    await writeResolverYaml(file, 'second: 2\n', now);
    await writeResolverYaml(file, 'third: 3\n', now);
    const backups = (await readdir(dir)).filter((f) => f.startsWith('resolver.yaml.bak-')).sort();
    const contents = await Promise.all(backups.map((b) => readFile(path.join(dir, b), 'utf8')));
    assert.deepEqual(contents.sort(), ['first: 1\n', 'second: 2\n']);
    assert.equal(await readFile(file, 'utf8'), 'third: 3\n');
  });

  it('keeps a symlinked resolver.yaml a symlink and updates the file it points to', async () => {
    const sub = path.join(dir, 'dotfiles');
    await mkdir(sub);
    const real = path.join(sub, 'real-resolver.yaml');
    const link = path.join(dir, 'linked-resolver.yaml');
    await writeFile(real, 'old: 1\n');
    await symlink(real, link);
    await writeResolverYaml(link, 'new: 2\n', new Date('2026-11-24T07:00:00Z'));
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(real, 'utf8'), 'new: 2\n');
  });

  it('does not write the backup through a symlink planted at its name', async () => {
    const sub = path.join(dir, 'link');
    await mkdir(sub);
    const file = path.join(sub, 'resolver.yaml');
    const victim = path.join(dir, 'victim.txt');
    await writeFile(victim, 'precious\n');
    await writeFile(file, 'old: 1\n');
    const now = new Date('2026-11-24T06:00:00Z');
    await symlink(victim, backupPath(file, now));
    await writeResolverYaml(file, 'new: 1\n', now);
    assert.equal(await readFile(victim, 'utf8'), 'precious\n');
    assert.equal(await readFile(file, 'utf8'), 'new: 1\n');
  });
});

/** One raw HTTP request to the emulator with the given headers. */
function send(endpoint: string, method: string, p: string, headers: Record<string, string>, body?: string): Promise<number> {
  const url = new URL(p, endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('security: emulator refuses browser and rebinding requests', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'github-token': TOKEN } });
  });
  after(() => emu.close());

  it('serves local clients (loopback Host, no Origin)', async () => {
    assert.equal(await send(emu.info.endpoint, 'GET', '/_emulator/stats', {}), 200);
    const port = new URL(emu.info.endpoint).port;
    assert.equal(await send(emu.info.endpoint, 'GET', '/_emulator/stats', { host: `localhost:${port}` }), 200);
  });

  it('refuses a rebinding Host and a cross-site Origin, for admin and API alike', async () => {
    const key = JSON.stringify({ keyId: 'evil', publicKeyPem: 'x' });
    assert.equal(await send(emu.info.endpoint, 'POST', '/_emulator/keys', { host: 'attacker.example:80', 'content-type': 'text/plain' }, key), 403);
    assert.equal(await send(emu.info.endpoint, 'POST', '/_emulator/keys', { origin: 'https://attacker.example', 'content-type': 'text/plain' }, key), 403);
    assert.equal(await send(emu.info.endpoint, 'POST', '/_emulator/secrets', { origin: 'null' }, JSON.stringify({ name: 'github-token', value: 'x' })), 403);
    assert.equal(await send(emu.info.endpoint, 'GET', '/20190301/secretbundles/actions/getByName', { host: 'rebind.attacker.example' }), 403);
    assert.equal(emu.emulator.store.all().length, 1);
  });

  it('localRequest accepts loopback names only', () => {
    const ok = (host: string, origin?: string) => localRequest({ headers: { host, ...(origin ? { origin } : {}) } });
    assert.equal(ok('127.0.0.1:9443'), true);
    assert.equal(ok('[::1]:9443'), true);
    assert.equal(ok('localhost'), true);
    assert.equal(ok('127.0.0.1:9443', 'http://localhost:3000'), true);
    assert.equal(ok('127.0.0.1.attacker.example'), false);
    assert.equal(ok('localhost.attacker.example:9443'), false);
    assert.equal(ok(''), false);
  });
});

describe('security: emulator state directory', () => {
  it('refuses a state directory others can write to', { skip: process.platform === 'win32' }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-emu-'));
    try {
      await chmod(dir, 0o777);
      await assert.rejects(startVaultEmulator({ port: 0, stateDir: dir }), /only you can write/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('replaces a link planted at a file it writes instead of writing through it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-emu-'));
    const victim = path.join(dir, '..', `victim-${path.basename(dir)}.txt`);
    try {
      await writeFile(victim, 'precious\n');
      await symlink(victim, path.join(dir, 'resolver.yaml'));
      await symlink(victim, path.join(dir, 'oci_api_key_public.pem'));
      const emu = await startVaultEmulator({ port: 0, stateDir: dir });
      await emu.close();
      assert.equal(await readFile(victim, 'utf8'), 'precious\n');
      assert.ok(!(await lstat(path.join(dir, 'resolver.yaml'))).isSymbolicLink());
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(victim, { force: true });
    }
  });
});

describe('security: emulator state errors do not quote state.json', () => {
  it('a corrupt state.json is reported without its content', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-sec-state-'));
    try {
      await writeFile(path.join(dir, 'state.json'), `{"secrets": [{"value": "${TOKEN}" ]}`);
      await assert.rejects(startVaultEmulator({ port: 0, stateDir: dir, persist: true }), (err: Error) => {
        assert.ok(!leaks(err.message), err.message);
        assert.match(err.message, /not valid JSON/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
