/**
 * Expired session tokens (issue 10 §4), for real: the emulator refuses an expired `ST$<token>` with 401 as OCI does;
 * the resolver (run, secret commands) names `oci session refresh`/`authenticate` instead of the API-key advice; doctor
 * reads the token's JWT expiry. Real OCI SDK against the emulator on loopback.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runDoctor } from '../../src/app/doctor/index.js';
import { VaultError } from '../../src/core/errors.js';
import { keyFingerprint } from '../../src/emulator/index.js';
import type { AppContext } from '../../src/core/context.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { resolverFixture, spec } from '../helpers/resolver-fixture.js';

quietSdkRetryWarnings();

/** A JWT as `oci session authenticate` writes (payload claims only matter here; the vault maps it to a key). */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'ocid1.user.oc1..u', jti: randomBytes(6).toString('hex'), ...claims })}.${randomBytes(16).toString('base64url')}`;
}

describe('session_token auth with an expired token', () => {
  let emu: TestEmulator;
  let dir: string;
  let keyFile: string;
  let publicPem: string;
  let fingerprint: string;
  const now = Math.floor(Date.now() / 1000);

  before(async () => {
    emu = await startTestEmulator({ seed: { 'st-secret': 'value-st' } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-st-'));
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyFile = path.join(dir, 'session.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    fingerprint = keyFingerprint(publicKey);
  });
  after(async () => {
    await emu?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a SESSION profile whose token file holds `token` (trusted by the emulator) and returns the config file. */
  async function profileWith(name: string, token: string): Promise<string> {
    await emu.admin.registerKey(`ST$${token}`, publicPem);
    const tokenFile = path.join(dir, `${name}.token`);
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const file = path.join(dir, `${name}.config`);
    await writeFile(file, ['[SESSION]', `tenancy=${emu.info.tenancyId}`, `fingerprint=${fingerprint}`, `key_file=${keyFile}`, `security_token_file=${tokenFile}`, `region=${emu.info.region}`, ''].join('\n'), { mode: 0o600 });
    return file;
  }

  async function resolveWith(configFile: string): Promise<string> {
    const fx = await resolverFixture(emu.info);
    try {
      const resolver = await fx.resolver({ settings: { ...fx.settings, auth: { method: 'session_token', config_file: configFile, profile: 'SESSION' } } });
      const report = await resolver.resolve([spec('TOKEN', 'st-secret')]);
      await resolver.close();
      if (report.failures.length) throw report.failures[0]!.error;
      return report.secrets[0]!.value;
    } finally {
      await fx.close();
    }
  }

  it('a token within its exp is accepted', async () => {
    assert.equal(await resolveWith(await profileWith('valid', jwt({ exp: now + 3600, sess_exp: now + 86400 }))), 'value-st');
  });

  it('an expired token: 401 from the emulator; the error says when it expired and names `oci session refresh`', async () => {
    const file = await profileWith('refreshable', jwt({ exp: now - 60, sess_exp: now + 3600 }));
    await assert.rejects(resolveWith(file), (e: unknown) => {
      assert.ok(e instanceof VaultError, String(e));
      assert.equal(e.kind, 'auth');
      assert.equal(e.status, 401);
      assert.match(e.message, /session token of profile SESSION expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
      assert.match(e.hint!, /oci session refresh --profile SESSION/);
      assert.doesNotMatch(e.hint!, /API key|fingerprint/);
      return true;
    });
  });

  it('a session past sess_exp: `oci session authenticate`', async () => {
    const file = await profileWith('over', jwt({ exp: now - 60, sess_exp: now - 30 }));
    await assert.rejects(resolveWith(file), (e: unknown) => e instanceof VaultError && /^run `oci session authenticate --profile-name SESSION`/.test(e.hint!));
  });

  it('doctor: session-token fails with "expired at" and the fix; the auth check gives the same hint', async () => {
    const file = await profileWith('doctor', jwt({ exp: now - 120, sess_exp: now + 3600 }));
    const resolverYaml = path.join(dir, 'resolver.yaml');
    await writeFile(
      resolverYaml,
      `vault: { region: ${emu.info.region}, vault_id: ${emu.info.vaultId}, compartment_id: ${emu.info.compartmentId}, endpoint: ${emu.info.endpoint} }\n` +
        `auth: { method: session_token, config_file: ${file}, profile: SESSION }\ncache: { enabled: false }\n`,
    );
    const home = path.join(dir, 'home');
    const ctx: AppContext = { env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'c'), PATH: process.env.PATH }, cwd: dir, homeDir: home, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: Date.now };
    const report = await runDoctor(ctx, { configFile: resolverYaml, timeoutMs: 8000 });
    const st = report.checks.find((c) => c.id === 'session-token')!;
    assert.equal(st.status, 'fail', JSON.stringify(st));
    assert.match(st.detail, /session token of profile SESSION expired at/);
    assert.match(st.hint ?? '', /oci session refresh --profile SESSION/);
    const auth = report.checks.find((c) => c.id === 'auth')!;
    assert.equal(auth.status, 'fail');
    assert.match(auth.hint ?? '', /oci session refresh --profile SESSION/);
  });
});
