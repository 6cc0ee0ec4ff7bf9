/**
 * Auth methods of src/core/vault/auth.ts against the signature-verifying emulator with the real OCI SDK:
 * api_key with a plain and an encrypted key (passphrase from the profile, the keychain lookup, or missing),
 * session_token (token file with a trailing newline, as editors leave it), unknown profiles, and
 * resource_principal without its environment. Instance principals are not exercised: they call the instance
 * metadata service at 169.254.169.254, which tests must never contact.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, VaultError } from '../../src/core/errors.js';
import { createOciAuth } from '../../src/core/vault/auth.js';
import type { Settings } from '../../src/core/config/settings/index.js';
import { keyFingerprint } from '../../src/emulator/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, spec } from '../helpers/resolver-fixture.js';

/** The environment auth is given: none of the process's variables, a real home directory. */
const authEnv = () => ({ env: {}, homeDir: os.homedir() });

describe('OCI auth methods against the emulator', () => {
  let emu: TestEmulator;
  let dir: string;
  const value = `auth-test-${randomBytes(8).toString('hex')}`;

  before(async () => {
    emu = await startTestEmulator({ seed: { 'auth-secret': value } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-auth-'));
  });
  after(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A new RSA key pair trusted by the emulator under `tenancy/user/fingerprint`; returns the profile lines. */
  async function trustedKey(name: string, passphrase?: string): Promise<{ keyFile: string; fingerprint: string; user: string }> {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export(
      passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' },
    ) as string;
    const keyFile = path.join(dir, `${name}.pem`);
    await writeFile(keyFile, pem, { mode: 0o600 });
    const fingerprint = keyFingerprint(publicKey);
    const user = `ocid1.user.oc1..${name}${randomBytes(4).toString('hex')}`;
    await emu.admin.registerKey(`${emu.info.tenancyId}/${user}/${fingerprint}`, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    return { keyFile, fingerprint, user };
  }

  async function configFile(name: string, lines: string[]): Promise<string> {
    const file = path.join(dir, `${name}.config`);
    await writeFile(file, lines.join('\n') + '\n', { mode: 0o600 });
    return file;
  }

  /** Resolves `auth-secret` through the resolver (real SDK) with these auth settings; throws its error. */
  async function resolveWith(auth: Settings['auth']): Promise<string> {
    const fx = await resolverFixture(emu.info);
    try {
      const resolver = await fx.resolver({ settings: { ...fx.settings, auth } });
      const report = await resolver.resolve([spec('TOKEN', 'auth-secret')]);
      await resolver.close();
      if (report.failures.length) throw report.failures[0]!.error;
      return report.secrets[0]!.value;
    } finally {
      await fx.close();
    }
  }

  it('api_key with an encrypted key and pass_phrase in the profile signs valid requests', async () => {
    const k = await trustedKey('enc', 'correct horse');
    const file = await configFile('enc', [
      '[DEFAULT]',
      `tenancy=${emu.info.tenancyId}`,
      `region=${emu.info.region}`,
      '[ENC]',
      `user=${k.user}`,
      `fingerprint=${k.fingerprint}`,
      `key_file=${k.keyFile}`,
      'pass_phrase=correct horse',
    ]);
    assert.equal(await resolveWith({ method: 'api_key', config_file: file, profile: 'ENC' }), value);
  });

  it('an encrypted key without a passphrase is a ConfigError (exit 2) with the fix; the keychain lookup supplies it', async () => {
    const k = await trustedKey('nopass', 'from keychain');
    const file = await configFile('nopass', [
      '[DEFAULT]',
      `tenancy=${emu.info.tenancyId}`,
      `user=${k.user}`,
      `fingerprint=${k.fingerprint}`,
      `key_file=${k.keyFile}`,
      `region=${emu.info.region}`,
    ]);
    const settings = {
      vault: { endpoint: emu.info.endpoint },
      auth: { method: 'api_key', config_file: file, profile: 'DEFAULT' },
    } as Settings;
    try {
      // auth reads OCI_CLI_PASSPHRASE from the environment it is given, never from process.env
      await assert.rejects(createOciAuth(settings, { env: { ...process.env, OCI_CLI_PASSPHRASE: undefined }, homeDir: os.homedir() }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /encrypted and no passphrase/);
        assert.match(err.hint ?? '', /keychain|pass_phrase/);
        return true;
      });
    } finally {
      // nothing to restore: process.env was not touched
    }
    const asked: string[] = [];
    const auth = await createOciAuth(settings, authEnv(), async (profile) => {
      asked.push(profile);
      return 'from keychain';
    });
    assert.deepEqual(asked, ['DEFAULT']);
    assert.equal(auth.provider.getPassphrase(), 'from keychain');
  });

  it('a wrong passphrase is a ConfigError (exit 2) naming the key file and the passphrase source, whatever the source', async () => {
    const k = await trustedKey('wrongpass', 'the right one');
    const lines = ['[DEFAULT]', `tenancy=${emu.info.tenancyId}`, `user=${k.user}`, `fingerprint=${k.fingerprint}`, `key_file=${k.keyFile}`, `region=${emu.info.region}`];
    const plain = await configFile('wrongpass', lines);
    const inProfile = await configFile('wrongpass-profile', [...lines, 'pass_phrase=not it']);
    const settings = (file: string) => ({ vault: { endpoint: emu.info.endpoint }, auth: { method: 'api_key', config_file: file, profile: 'DEFAULT' } }) as Settings;
    const wrong = (source: RegExp) => (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, source);
      assert.ok(err.message.includes(k.keyFile), err.message);
      assert.doesNotMatch(err.message + (err.hint ?? ''), /not it|wrong one|\n/);
      return true;
    };
    await assert.rejects(createOciAuth(settings(plain), { env: { OCI_CLI_PASSPHRASE: 'wrong one' }, homeDir: os.homedir() }), wrong(/passphrase from OCI_CLI_PASSPHRASE does not decrypt/));
    await assert.rejects(createOciAuth(settings(plain), authEnv(), async () => 'wrong one'), wrong(/passphrase from the OS keychain/));
    await assert.rejects(createOciAuth(settings(inProfile), authEnv()), wrong(/passphrase from pass_phrase in \[DEFAULT\]/));
    await createOciAuth(settings(plain), { env: { OCI_CLI_PASSPHRASE: 'the right one' }, homeDir: os.homedir() });
  });

  it('a wrong passphrase never serves a stale cached copy: it is not a vault failure', async () => {
    const k = await trustedKey('stale', 'right');
    const lines = ['[DEFAULT]', `tenancy=${emu.info.tenancyId}`, `user=${k.user}`, `fingerprint=${k.fingerprint}`, `key_file=${k.keyFile}`, `region=${emu.info.region}`];
    const right = await configFile('stale-right', [...lines, 'pass_phrase=right']);
    const wrongFile = await configFile('stale-wrong', [...lines, 'pass_phrase=wrong']);
    const fx = await resolverFixture(emu.info, { cache: { ttl: 0 } });
    try {
      const first = await fx.resolver({ settings: { ...fx.settings, cache: { ...fx.settings.cache, ttl: 0 }, auth: { method: 'api_key', config_file: right, profile: 'DEFAULT' } } });
      assert.equal((await first.resolve([spec('TOKEN', 'auth-secret')])).secrets[0]?.value, value);
      await first.close();
      const second = await fx.resolver({ settings: { ...fx.settings, cache: { ...fx.settings.cache, ttl: 0 }, auth: { method: 'api_key', config_file: wrongFile, profile: 'DEFAULT' } } });
      await assert.rejects(second.resolve([spec('TOKEN', 'auth-secret')]), (err: unknown) => err instanceof ConfigError && /does not decrypt/.test(err.message));
      await second.close();
    } finally {
      await fx.close();
    }
  });

  it('session_token signs as ST$<token>; a trailing newline in the token file is tolerated', async () => {
    const k = await trustedKey('session');
    const token = `session-${randomBytes(12).toString('hex')}`;
    const publicKey = createPublicKey(readFileSync(k.keyFile, 'utf8'));
    await emu.admin.registerKey(`ST$${token}`, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, token + '\n', { mode: 0o600 });
    const file = await configFile('session', [
      '[SESSION]',
      `tenancy=${emu.info.tenancyId}`,
      `fingerprint=${k.fingerprint}`,
      `key_file=${k.keyFile}`,
      `security_token_file=${tokenFile}`,
      `region=${emu.info.region}`,
    ]);
    assert.equal(await resolveWith({ method: 'session_token', config_file: file, profile: 'SESSION' }), value);
    // a token the vault does not know is rejected: 401 NotAuthenticated → VaultError kind auth, exit 3
    await writeFile(tokenFile, 'not-a-known-token', { mode: 0o600 });
    await assert.rejects(resolveWith({ method: 'session_token', config_file: file, profile: 'SESSION' }), (err: unknown) => {
      assert.ok(err instanceof VaultError, String(err));
      assert.equal(err.kind, 'auth');
      assert.equal(err.exitCode, 3);
      assert.doesNotMatch(err.message, /not-a-known-token/);
      return true;
    });
  });

  it('an unknown profile names the profiles that exist', async () => {
    const file = await configFile('profiles', ['[DEFAULT]', 'tenancy=x', '[WORK]', 'user=y']);
    await assert.rejects(
      createOciAuth({ vault: {}, auth: { method: 'api_key', config_file: file, profile: 'NOPE' } } as unknown as Settings, authEnv()),
      (err: unknown) => err instanceof ConfigError && /no profile named \[NOPE\]/.test(err.message) && /DEFAULT, WORK/.test(err.hint ?? ''),
    );
  });

  it('resource_principal without its environment fails with exit 3 and the variables to set', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('OCI_RESOURCE_PRINCIPAL')) delete process.env[k];
    try {
      await assert.rejects(
        createOciAuth({ vault: { region: 'us-ashburn-1' }, auth: { method: 'resource_principal', config_file: '/nonexistent', profile: 'DEFAULT' } } as unknown as Settings, authEnv()),
        (err: unknown) => err instanceof VaultError && err.exitCode === 3 && /OCI_RESOURCE_PRINCIPAL/.test(err.hint ?? ''),
      );
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
