/**
 * Settings with `vault.vault_id` but no `vault.compartment_id` (what many users have), with the real OCI SDK
 * against the emulator, which pages every listing (3 items a page by default). Each case failed before the one
 * vault layer (src/core/vault): lookups fell back to reading the secret's value, so a secret pending deletion was
 * "not found", `versions`/`delete`/`restore` needed read-secret-bundles, and a new secret needed compartment_id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSecretAdmin, type SecretAdmin } from '../../src/app/secrets/index.js';
import type { AppContext } from '../../src/core/context.js';
import { VaultError } from '../../src/core/errors.js';
import type { Settings } from '../../src/core/config/settings/index.js';
import { adminFixture, type AdminFixture } from '../helpers/admin-fixture.js';
import { quietSdkRetryWarnings, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();

/** API operations that read a secret's value. */
const VALUE_READS = ['getSecretBundle', 'getSecretBundleByName', 'listSecretBundleVersions'];

describe('vault_id without compartment_id (emulator pages by default)', () => {
  let emu: TestEmulator;
  let admin: SecretAdmin;
  let settings: Settings;
  let ctx: AppContext;
  let fixture: AdminFixture;

  const valueReads = async () => {
    const ops = (await emu.admin.stats()).byOperation as Record<string, number>;
    return VALUE_READS.reduce((n, op) => n + (ops[op] ?? 0), 0);
  };

  before(async () => {
    emu = await startTestEmulator();
    fixture = await adminFixture(emu, 'vaultmcp-vault-only-', (s) => delete s.vault.compartment_id);
    ({ ctx, settings, admin } = fixture);
  });
  after(async () => {
    await emu?.close();
    await fixture?.cleanup();
  });

  it('upload of a new secret takes the compartment from the vault (GetVault)', async () => {
    const written = await admin.upload('only-vault-new', Buffer.from('v1'));
    assert.equal(written.created, true);
    assert.equal(written.secret.compartmentId, emu.info.compartmentId);
    assert.equal(written.secret.vaultId, emu.info.vaultId);
  });

  it('list pages through every secret of the vault', async () => {
    for (let i = 0; i < 7; i++) await admin.upload(`paged-${i}`, Buffer.from(`p${i}`));
    await emu.admin.resetStats();
    const names = (await admin.list()).map((s) => s.name).filter((n) => n.startsWith('paged-'));
    assert.deepEqual(names, Array.from({ length: 7 }, (_, i) => `paged-${i}`));
    assert.ok(((await emu.admin.stats()).byOperation.listSecrets ?? 0) >= 3, 'several pages were requested');
    assert.equal(await valueReads(), 0);
  });

  it('versions, delete and restore of a secret pending deletion work and never read a value', async () => {
    await admin.upload('doomed', Buffer.from('a'));
    await admin.upload('doomed', Buffer.from('b'));
    await emu.admin.resetStats();

    const { secret } = await admin.locate('doomed');
    const versions = await admin.versions(secret.id);
    assert.deepEqual(versions.map((v) => v.versionNumber), [1, 2]);
    const scheduled = await admin.scheduleDeletion(secret, 7);
    assert.equal(scheduled.state, 'PENDING_DELETION');

    // found although its value cannot be read any more (it used to be "not found", exit 3)
    const again = await admin.locate('doomed');
    assert.equal(again.secret.state, 'PENDING_DELETION');
    assert.ok(again.secret.timeOfDeletion);
    const restored = await admin.cancelDeletion(again.secret);
    assert.equal(restored.state, 'ACTIVE');
    assert.equal(await valueReads(), 0, 'metadata calls only');
  });

  it('a missing secret is not_found (exit 3) with our own message, also without compartment_id', async () => {
    await assert.rejects(admin.locate('no-such-secret'), (e: unknown) => e instanceof VaultError && e.kind === 'not_found' && e.exitCode === 3 && /'no-such-secret' not found/.test(e.message));
  });

  it('a vault OCID that does not exist is an error, not an empty vault', async () => {
    const wrong = await createSecretAdmin({ ...settings, vault: { ...settings.vault, vault_id: `${emu.info.vaultId}x` } }, ctx);
    await assert.rejects(wrong.list(), (e: unknown) => e instanceof VaultError && e.kind === 'not_found');
  });
});
