/**
 * src/core/secret-admin with the real OCI SDK against the emulator (in process): stage transitions of upload /
 * promote, ListSecrets through several pages, version deletion rules as the vault enforces them, and verified
 * rotation (MCP SDK client over stdio) with rollback.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/core/context.js';
import { UsageError, VaultError } from '../../src/core/errors.js';
import { rotateVerified, RolledBackError, verifyMcpServer, VerificationError, type SecretAdmin } from '../../src/app/secrets/index.js';
import type { ServiceDefinition } from '../../src/core/config/services/index.js';
import { selectEnvironment } from '../../src/core/config/services/index.js';
import type { Settings } from '../../src/core/config/settings/index.js';
import { adminFixture, type AdminFixture } from '../helpers/admin-fixture.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();

const FAKE = path.resolve(import.meta.dirname, '../fixtures/servers/fake-server.mjs');

describe('secret-admin against the emulator', () => {
  let emu: TestEmulator;
  let admin: SecretAdmin;
  let settings: Settings;
  let ctx: AppContext;
  let fixture: AdminFixture;

  before(async () => {
    emu = await startTestEmulator();
    fixture = await adminFixture(emu, 'vaultmcp-secret-admin-');
    ({ ctx, settings, admin } = fixture);
  });
  after(async () => {
    await emu?.close();
    await fixture?.cleanup();
  });

  it('upload creates, uploads again add CURRENT versions, promote rolls back', async () => {
    const a = await admin.upload('stage-test', Buffer.from('one'));
    assert.equal(a.created, true);
    const b = await admin.upload('stage-test', Buffer.from('two'));
    assert.deepEqual([b.created, b.versionNumber, b.previousVersionNumber], [false, 2, 1]);
    await admin.upload('stage-test', Buffer.from('three'));
    const stages = async () => Object.fromEntries((await admin.versions(a.secret.id)).map((v) => [v.versionNumber, [...v.stages].sort().join(',')]));
    assert.deepEqual(await stages(), { 1: 'DEPRECATED', 2: 'PREVIOUS', 3: 'CURRENT,LATEST' });
    await admin.promote(a.secret.id, 2);
    assert.deepEqual(await stages(), { 1: 'DEPRECATED', 2: 'CURRENT', 3: 'LATEST,PREVIOUS' });
    assert.equal((await admin.readValue(a.secret.id)).bytes.toString(), 'two');
    assert.equal((await admin.readValue(a.secret.id, { stage: 'PREVIOUS' })).bytes.toString(), 'three');
  });

  it('list reads every page (more than 100 secrets)', async () => {
    for (let i = 0; i < 105; i++) await emu.admin.putSecret(`page-${String(i).padStart(3, '0')}`, `v${i}`);
    const all = await admin.list({ concurrency: 16 });
    const pages = all.filter((s) => s.name.startsWith('page-'));
    assert.equal(pages.length, 105);
    assert.ok(pages.every((s) => s.currentVersionNumber === 1 && s.state === 'ACTIVE'));
  });

  it('version deletion: DEPRECATED only, explained before the vault is asked; restore cancels', async () => {
    const { secret } = await admin.locate('stage-test');
    await assert.rejects(admin.scheduleVersionDeletion(secret, 2, 30), (e: unknown) => e instanceof UsageError && /CURRENT/.test(e.message));
    const v = await admin.scheduleVersionDeletion(secret, 1, 3);
    assert.ok(v.timeOfDeletion);
    await assert.rejects(admin.readValue(secret.id, { versionNumber: 1 }), (e: unknown) => e instanceof VaultError && e.kind === 'not_found');
    const back = await admin.cancelVersionDeletion(secret, 1);
    assert.equal(back.timeOfDeletion, undefined);
    assert.equal((await admin.readValue(secret.id, { versionNumber: 1 })).bytes.toString(), 'one');
  });

  it('a whole secret: pending deletion is found by name, refuses new versions, restores', async () => {
    await admin.upload('doomed', Buffer.from('x'));
    const { secret } = await admin.locate('doomed');
    const pending = await admin.scheduleDeletion(secret, 1);
    assert.equal(pending.state, 'PENDING_DELETION');
    const found = await admin.findByName('doomed');
    assert.equal(found?.state, 'PENDING_DELETION');
    await assert.rejects(admin.prepareUpload('doomed'), /scheduled for deletion/);
    assert.equal((await admin.cancelDeletion(found!)).state, 'ACTIVE');
  });

  it('verifyMcpServer: passes a real MCP handshake; reports a dead server without leaking values', async () => {
    const ok = await verifyMcpServer({ command: [process.execPath, FAKE, 'mcp'], env: { PATH: process.env.PATH ?? '' }, cwd: process.cwd(), secretValues: [] });
    assert.equal(ok.tools, 1);
    assert.equal(ok.serverName, 'fake');
    await assert.rejects(
      verifyMcpServer({ command: ['sh', '-c', 'echo "boom with s3cr3t-value" >&2; exit 1'], env: { PATH: process.env.PATH ?? '' }, cwd: process.cwd(), secretValues: ['s3cr3t-value'] }),
      (e: unknown) => e instanceof VerificationError && /exited before answering/.test(e.message) && /boom/.test(e.message) && !e.message.includes('s3cr3t-value'),
    );
    await assert.rejects(verifyMcpServer({ command: ['/nonexistent/server'], env: {}, cwd: process.cwd(), secretValues: [] }), /not found|exited/);
    await assert.rejects(
      verifyMcpServer({ command: [process.execPath, FAKE, 'echo'], env: {}, cwd: process.cwd(), secretValues: [], timeoutMs: 800 }),
      (e: unknown) => e instanceof VerificationError,
    );
  });

  it('rotateVerified rolls back when the server fails and keeps the new version when it works', async () => {
    const first = await admin.upload('verified', Buffer.from('v1-value'));
    const service = (cmd: string[]): ServiceDefinition => ({
      name: 'svc',
      origin: 'test',
      source: 'path',
      secrets: { TOKEN: 'verified' },
      target_command: cmd,
      env_overrides: {},
      passthrough_env: [],
      environments: [],
    });
    const run = (cmd: string[], value: string) => {
      const svc = service(cmd);
      const sel = selectEnvironment(svc, undefined);
      return rotateVerified({ admin, ctx, secret: first.secret, bytes: Buffer.from(value), service: svc, specs: sel.specs, overrides: {}, defaultVaultId: settings.vault.vault_id, resolveOthers: async () => ({}), timeoutMs: 10_000 });
    };
    await assert.rejects(run(['sh', '-c', 'exit 1'], 'v2-bad'), (e: unknown) => e instanceof RolledBackError && e.restoredVersion === 1 && e.failedVersion === 2 && e.exitCode === 1);
    assert.equal((await admin.readValue(first.secret.id)).bytes.toString(), 'v1-value');
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 300);
    const hung = service(['sh', '-c', 'sleep 30']);
    await assert.rejects(
      rotateVerified({ admin, ctx, secret: first.secret, bytes: Buffer.from('v2b'), service: hung, specs: selectEnvironment(hung, undefined).specs, overrides: {}, defaultVaultId: settings.vault.vault_id, resolveOthers: async () => ({}), timeoutMs: 10_000, signal: interrupt.signal }),
      (e: unknown) => e instanceof RolledBackError && /interrupted/.test(e.message) && e.restoredVersion === 1,
    );
    assert.equal((await admin.readValue(first.secret.id)).bytes.toString(), 'v1-value');
    const ok = await run([process.execPath, FAKE, 'mcp'], 'v3-good');
    assert.equal(ok.versionNumber, 4);
    assert.equal(ok.verify.tools, 1);
    assert.equal((await admin.readValue(first.secret.id)).bytes.toString(), 'v3-good');
  });
});
