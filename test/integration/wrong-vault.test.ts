/**
 * A vault OCID that does not exist (issue 10 §3): `secret list` must not look like an empty vault, and the emulator
 * refuses CreateSecret in an unknown vault as OCI does (404 NotAuthorizedOrNotFound). Real OCI SDK, emulator on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VaultError } from '../../src/core/errors.js';
import { createSecretAdmin } from '../../src/app/secrets/index.js';
import { adminFixture, type AdminFixture } from '../helpers/admin-fixture.js';
import { quietSdkRetryWarnings, sdkClients, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();
const WRONG = 'ocid1.vault.oc1.us-ashburn-1.doesnotexist0000';

describe('a vault OCID that does not exist', () => {
  let emu: TestEmulator;
  let fixture: AdminFixture;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'some-secret': 'v' } });
    fixture = await adminFixture(emu, 'vaultmcp-wrong-vault-');
  });
  after(async () => {
    await emu?.close();
    await fixture?.cleanup();
  });

  const notAccessible = (e: unknown) =>
    e instanceof VaultError && e.exitCode === 3 && e.kind === 'not_found' && e.message.includes(`vault ${WRONG} does not exist or is not accessible`);

  it('secret list (compartment configured) says the vault does not exist, not "empty"', async () => {
    const admin = await createSecretAdmin(fixture.settings, fixture.ctx, { vaultId: WRONG });
    await assert.rejects(admin.list(), notAccessible);
  });
  it('secret list (vault only) says the same', async () => {
    const settings = structuredClone(fixture.settings);
    delete settings.vault.compartment_id;
    const admin = await createSecretAdmin(settings, fixture.ctx, { vaultId: WRONG });
    await assert.rejects(admin.list(), notAccessible);
  });
  it('the right vault still lists its secrets', async () => {
    assert.deepEqual((await fixture.admin.list()).map((s) => s.name), ['some-secret']);
  });
  it('the emulator refuses CreateSecret in an unknown vault with 404 NotAuthorizedOrNotFound', async () => {
    const c = await sdkClients(emu.info);
    await assert.rejects(
      c.vaults.createSecret({
        createSecretDetails: {
          compartmentId: emu.info.compartmentId,
          vaultId: WRONG,
          keyId: emu.info.keyId,
          secretName: 'x',
          secretContent: { contentType: 'BASE64', content: 'eA==' },
        } as never,
      }),
      (e: { statusCode?: number; serviceCode?: string }) => e.statusCode === 404 && e.serviceCode === 'NotAuthorizedOrNotFound',
    );
  });
  it('upload into an unknown vault names the vault', async () => {
    const admin = await createSecretAdmin(fixture.settings, fixture.ctx, { vaultId: WRONG });
    await assert.rejects(admin.upload('new-one', Buffer.from('v')), notAccessible);
  });
});
