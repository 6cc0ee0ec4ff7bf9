/**
 * The fast start of the built binary, end to end against the vault emulator: the launch snapshot (settings and
 * service from the snapshot once their files were read and checked; the files again after an edit; gone after
 * `cache clear`) and, with a real Secret Service (scripts/with-keyring.sh), the cache key's copy in the kernel
 * keyring (written by the binary's own keyctl(2) calls, visible in /proc/keys with its permissions and timeout).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheKeyCopyDescription } from '../../src/core/kernel-keyring.js';
import { REPO_ROOT, runBinary } from '../helpers/binary.js';
import { emulatorResolverYaml, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const FAKE = path.join(REPO_ROOT, 'test/fixtures/servers/fake-server.mjs');
const secretService = process.env.VAULTMCP_SECRET_SERVICE === '1';

describe('fast start: launch snapshot and kernel key copy (built binary)', () => {
  let emu: TestEmulator;
  let dir: string;
  let config: string;
  let service: string;
  let env: Record<string, string | undefined>;
  const run = (...args: string[]) => runBinary(['run', service, '--config', config, '--verbose', ...args], { env, hideRepo: false });
  const writeService = (mode: string) =>
    writeFileSync(service, JSON.stringify({ secrets: { TOKEN: 'snap-token' }, target_command: [process.execPath, FAKE, 'argv', mode] }), { mode: 0o600 });

  before(async () => {
    emu = await startTestEmulator({ seed: { 'snap-token': 'snapshot-e2e-value-0123456789' } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-snapshot-e2e-'));
    const home = path.join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    config = path.join(dir, 'resolver.yaml');
    writeFileSync(config, emulatorResolverYaml(emu.info, `cache: { enabled: true, dir: ${path.join(dir, 'cache')} }`), { mode: 0o600 });
    service = path.join(dir, 'svc.json');
    writeService('first');
    // without a Secret Service the cache key comes from the environment (the snapshot works the same)
    env = { HOME: home, ...(secretService ? {} : { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') }) };
  });
  after(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the files once, then starts from the snapshot; an edit is read again and its command runs', async () => {
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /settings and service read from their files/);
    assert.deepEqual(JSON.parse(first.stdout).argv, ['argv', 'first']);
    const snapshots = path.join(dir, 'home', '.cache', 'oci-vault-mcp', 'launch');
    assert.equal(existsSync(snapshots), true, 'a snapshot was written');

    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /settings and service from the launch snapshot/);
    assert.deepEqual(JSON.parse(second.stdout).argv, ['argv', 'first']);

    writeService('edited');
    const third = await run();
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /settings and service read from their files/);
    assert.deepEqual(JSON.parse(third.stdout).argv, ['argv', 'edited'], 'the edited command, not the remembered one');
  });

  it('cache clear removes the snapshots; the next start reads the files', async () => {
    await run();
    const cleared = await runBinary(['cache', 'clear', '--config', config], { env });
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /and \d+ launch snapshots?/);
    const next = await run();
    assert.match(next.stderr, /settings and service read from their files/);
  });

  it('the cache key\'s copy is in the kernel keyring: possessor-only, with an idle timeout', { skip: !secretService || process.platform !== 'linux' ? 'needs a Secret Service (scripts/with-keyring.sh) on Linux' : false }, async () => {
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    // this Secret Service's copy (copies of other sessions' keyrings may be listed too, some of them expired)
    const description = cacheKeyCopyDescription(process.getuid!(), process.env.DBUS_SESSION_BUS_ADDRESS!);
    const keys = readFileSync('/proc/keys', 'utf8').split('\n').filter((l) => l.includes(`${description}:`));
    assert.equal(keys.length, 1, 'a copy exists after a launch that read the keychain');
    for (const line of keys) {
      const [, , , timeout, perm] = line.trim().split(/\s+/);
      assert.equal(perm, '3f010000', line);
      assert.match(timeout!, /^\d+[smh]$/, `expires when idle: ${line}`);
    }
  });
});
