/**
 * Identity and KMS slice of the emulator (used by setup and doctor) through oci-identity and
 * oci-keymanagement 2.139.1: compartments, tenancy, user, vaults whose management endpoint is the emulator,
 * keys listed through that endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { quietSdkRetryWarnings, sdkClients, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();

describe('emulator: identity and KMS', () => {
  let emu: TestEmulator;
  let c: Awaited<ReturnType<typeof sdkClients>>;
  before(async () => {
    emu = await startTestEmulator({ region: 'eu-frankfurt-1' });
    c = await sdkClients(emu.info);
  });
  after(async () => emu.close());

  it('ListCompartments under the tenancy returns the emulator compartment', async () => {
    const r = await c.identity.listCompartments({ compartmentId: emu.info.tenancyId });
    assert.equal(r.items.length, 1);
    assert.equal(r.items[0].id, emu.info.compartmentId);
    assert.equal(r.items[0].compartmentId, emu.info.tenancyId);
    assert.equal(r.items[0].lifecycleState, 'ACTIVE');
    const all: string[] = [];
    for await (const x of c.identity.listCompartmentsRecordIterator({ compartmentId: emu.info.tenancyId, compartmentIdInSubtree: true })) all.push(x.id);
    assert.deepEqual(all, [emu.info.compartmentId]);
    const got = await c.identity.getCompartment({ compartmentId: emu.info.compartmentId });
    assert.equal(got.compartment.name, 'vaultmcp-emulator');
  });

  it('GetTenancy, GetUser, ListRegionSubscriptions', async () => {
    const t = await c.identity.getTenancy({ tenancyId: emu.info.tenancyId });
    assert.equal(t.tenancy.id, emu.info.tenancyId);
    assert.equal(t.tenancy.homeRegionKey, 'FRA');
    const user = (emu.emulator.ids as { userId: string }).userId;
    const u = await c.identity.getUser({ userId: user });
    assert.equal(u.user.lifecycleState, 'ACTIVE');
    const subs = await c.identity.listRegionSubscriptions({ tenancyId: emu.info.tenancyId });
    assert.equal(subs.items[0].regionName, 'eu-frankfurt-1');
    await assert.rejects(c.identity.getTenancy({ tenancyId: 'ocid1.tenancy.oc1..other' }), (e: { statusCode: number }) => e.statusCode === 404);
  });

  it('ListVaults/GetVault: ACTIVE DEFAULT vault whose endpoints are the emulator; keys via managementEndpoint', async () => {
    assert.match(emu.info.vaultId, /^ocid1\.vault\.oc1\.eu-frankfurt-1\./);
    const vaults = await c.kmsVault.listVaults({ compartmentId: emu.info.compartmentId });
    assert.equal(vaults.items.length, 1);
    const v = vaults.items[0];
    assert.equal(v.id, emu.info.vaultId);
    assert.equal(v.lifecycleState, 'ACTIVE');
    assert.equal(v.managementEndpoint, emu.info.endpoint);
    assert.equal(v.cryptoEndpoint, emu.info.endpoint);
    const got = await c.kmsVault.getVault({ vaultId: emu.info.vaultId });
    assert.equal(got.vault.vaultType, 'DEFAULT');
    assert.deepEqual((await c.kmsVault.listVaults({ compartmentId: 'ocid1.compartment.oc1..other' })).items, []);

    c.kmsManagement.endpoint = v.managementEndpoint;
    const keys = await c.kmsManagement.listKeys({ compartmentId: emu.info.compartmentId });
    assert.equal(keys.items.length, 1);
    assert.equal(keys.items[0].id, emu.info.keyId);
    assert.equal(keys.items[0].protectionMode, 'SOFTWARE');
    assert.equal(keys.items[0].algorithm, 'AES');
    assert.equal(keys.items[0].vaultId, emu.info.vaultId);
    const key = await c.kmsManagement.getKey({ keyId: emu.info.keyId });
    assert.equal(key.key.keyShape.algorithm, 'AES');
    assert.equal(key.key.lifecycleState, 'ENABLED');
    await assert.rejects(c.kmsManagement.getKey({ keyId: 'ocid1.key.oc1..nope' }), (e: { statusCode: number }) => e.statusCode === 404);
  });

  it('ListCompartments without compartmentId → 400 MissingParameter', async () => {
    await assert.rejects(c.identity.listCompartments({ compartmentId: '' }), (e: { statusCode: number; serviceCode: string }) => e.statusCode === 400 && e.serviceCode === 'MissingParameter');
  });
});
