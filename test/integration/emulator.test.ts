/**
 * The emulator's Secrets and Vault APIs, exercised with the real OCI SDK clients (oci-api.md §1, §2, §7).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { quietSdkRetryWarnings, sdkClients, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

quietSdkRetryWarnings();

type Clients = Awaited<ReturnType<typeof sdkClients>>;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const value = (bundle: { secretBundleContent?: unknown }): string =>
  Buffer.from((bundle.secretBundleContent as { content: string }).content, 'base64').toString('utf8');

/** Asserts the promise rejects with an OciError of this status and service code. */
async function rejectsWith(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (err: { statusCode?: number; serviceCode?: string; message?: string }) => {
    assert.equal(err.statusCode, status, `status (${err.serviceCode}: ${err.message})`);
    assert.equal(err.serviceCode, code);
    return true;
  });
}

describe('emulator: secrets retrieval and management through the OCI SDK', () => {
  let emu: TestEmulator;
  let c: Clients;
  before(async () => {
    emu = await startTestEmulator({ seed: { 'github-token': 'ghp_seeded', 'db-password': 'pw1' } });
    // This file checks wire semantics one call at a time; paging is checked where it says so (the emulator's default
    // page of 3 items makes every other client page, test/integration/vault-id-only.test.ts).
    emu.emulator.paging.maxPageSize = 1000;
    c = await sdkClients(emu.info);
  });
  after(async () => emu.close());

  const create = async (name: string, content: string) =>
    (
      await c.vaults.createSecret({
        createSecretDetails: {
          compartmentId: emu.info.compartmentId,
          vaultId: emu.info.vaultId,
          keyId: emu.info.keyId,
          secretName: name,
          secretContent: { contentType: 'BASE64', content: b64(content) } as never,
        },
      })
    ).secret;
  const update = async (id: string, content: string, extra: Record<string, unknown> = {}) =>
    (await c.vaults.updateSecret({ secretId: id, updateSecretDetails: { secretContent: { contentType: 'BASE64', content: b64(content), ...extra } as never } })).secret;
  const stagesOf = async (id: string): Promise<Record<number, string[]>> => {
    const r = await c.vaults.listSecretVersions({ secretId: id });
    return Object.fromEntries(r.items.map((v) => [v.versionNumber, [...(v.stages ?? [])].sort()]));
  };

  it('reads a seeded secret by name (POST getByName, no body) and by OCID', async () => {
    const byName = await c.secrets.getSecretBundleByName({ secretName: 'github-token', vaultId: emu.info.vaultId });
    assert.equal(value(byName.secretBundle), 'ghp_seeded');
    assert.equal(byName.secretBundle.versionNumber, 1);
    assert.deepEqual(byName.secretBundle.stages, ['CURRENT', 'LATEST']);
    assert.equal(byName.secretBundle.secretBundleContent?.contentType, 'BASE64');
    assert.ok(byName.opcRequestId);
    assert.equal(typeof byName.secretBundle.timeCreated, 'string');
    const byId = await c.secrets.getSecretBundle({ secretId: byName.secretBundle.secretId });
    assert.equal(value(byId.secretBundle), 'ghp_seeded');
    assert.ok(byId.etag, 'GetSecretBundle returns an etag');
  });

  it('unknown names and OCIDs → 404 NotAuthorizedOrNotFound; missing vaultId → 400', async () => {
    await rejectsWith(c.secrets.getSecretBundleByName({ secretName: 'nope', vaultId: emu.info.vaultId }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.secrets.getSecretBundleByName({ secretName: 'github-token', vaultId: 'ocid1.vault.oc1..other' }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.secrets.getSecretBundle({ secretId: 'ocid1.vaultsecret.oc1..missing' }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.secrets.getSecretBundleByName({ secretName: 'github-token', vaultId: '' }), 400, 'MissingParameter');
  });

  it('create → update → update: stage transitions, versionNumber and every stage selector', async () => {
    const s = await create('rotating', 'v1');
    assert.equal(s.lifecycleState, 'ACTIVE');
    assert.equal(s.currentVersionNumber, 1);
    assert.match(s.id, /^ocid1\.vaultsecret\.oc1\.us-ashburn-1\./);
    assert.deepEqual(await stagesOf(s.id), { 1: ['CURRENT', 'LATEST'] });

    const u2 = await update(s.id, 'v2');
    assert.equal(u2.currentVersionNumber, 2);
    assert.deepEqual(await stagesOf(s.id), { 1: ['PREVIOUS'], 2: ['CURRENT', 'LATEST'] });

    await update(s.id, 'v3');
    assert.deepEqual(await stagesOf(s.id), { 1: ['DEPRECATED'], 2: ['PREVIOUS'], 3: ['CURRENT', 'LATEST'] });

    await update(s.id, 'v4-pending', { stage: 'PENDING', name: 'next' });
    assert.deepEqual(await stagesOf(s.id), { 1: ['DEPRECATED'], 2: ['PREVIOUS'], 3: ['CURRENT'], 4: ['LATEST', 'PENDING'] });

    const get = async (q: Record<string, unknown>) => value((await c.secrets.getSecretBundle({ secretId: s.id, ...q })).secretBundle);
    assert.equal(await get({}), 'v3');
    assert.equal(await get({ stage: 'CURRENT' }), 'v3');
    assert.equal(await get({ stage: 'PREVIOUS' }), 'v2');
    assert.equal(await get({ stage: 'DEPRECATED' }), 'v1');
    assert.equal(await get({ stage: 'PENDING' }), 'v4-pending');
    assert.equal(await get({ stage: 'LATEST' }), 'v4-pending');
    assert.equal(await get({ versionNumber: 1 }), 'v1');
    assert.equal(await get({ versionNumber: 2 }), 'v2');
    assert.equal(await get({ secretVersionName: 'next' }), 'v4-pending');
    const byName = await c.secrets.getSecretBundleByName({ secretName: 'rotating', vaultId: emu.info.vaultId, versionNumber: 2 });
    assert.equal(value(byName.secretBundle), 'v2');
    const byNameStage = await c.secrets.getSecretBundleByName({ secretName: 'rotating', vaultId: emu.info.vaultId, stage: 'PREVIOUS' as never });
    assert.equal(value(byNameStage.secretBundle), 'v2');
    await rejectsWith(c.secrets.getSecretBundle({ secretId: s.id, versionNumber: 99 }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.secrets.getSecretBundle({ secretId: s.id, stage: 'BOGUS' as never }), 400, 'InvalidParameter');

    // Promote the PENDING version: it becomes CURRENT, the old CURRENT becomes PREVIOUS, the old PREVIOUS DEPRECATED.
    const promoted = await c.vaults.updateSecret({ secretId: s.id, updateSecretDetails: { currentVersionNumber: 4 } });
    assert.equal(promoted.secret.currentVersionNumber, 4);
    assert.deepEqual(await stagesOf(s.id), { 1: ['DEPRECATED'], 2: ['DEPRECATED'], 3: ['PREVIOUS'], 4: ['CURRENT', 'LATEST'] });
    assert.equal(await get({}), 'v4-pending');
    await rejectsWith(c.secrets.getSecretBundle({ secretId: s.id, stage: 'PENDING' as never }), 404, 'NotAuthorizedOrNotFound');

    // content and currentVersionNumber together are refused.
    await rejectsWith(
      c.vaults.updateSecret({ secretId: s.id, updateSecretDetails: { currentVersionNumber: 3, secretContent: { contentType: 'BASE64', content: b64('x') } as never } }),
      400,
      'InvalidParameter',
    );
    await rejectsWith(c.vaults.updateSecret({ secretId: s.id, updateSecretDetails: { currentVersionNumber: 42 } }), 400, 'InvalidParameter');
  });

  it('ListSecretBundleVersions and ListSecretVersions: bare arrays, DESC by default, paginated', async () => {
    const s = await create('paged-versions', 'a');
    await update(s.id, 'b');
    await update(s.id, 'c');
    const all = await c.secrets.listSecretBundleVersions({ secretId: s.id });
    assert.deepEqual(all.items.map((v) => v.versionNumber), [3, 2, 1]);
    assert.equal(all.opcNextPage, undefined);
    assert.equal((all.items[0] as Record<string, unknown>).secretBundleContent, undefined, 'summaries carry no content');
    const p1 = await c.secrets.listSecretBundleVersions({ secretId: s.id, limit: 2, sortOrder: 'ASC' as never });
    assert.deepEqual(p1.items.map((v) => v.versionNumber), [1, 2]);
    assert.ok(p1.opcNextPage);
    const p2 = await c.secrets.listSecretBundleVersions({ secretId: s.id, limit: 2, sortOrder: 'ASC' as never, page: p1.opcNextPage });
    assert.deepEqual(p2.items.map((v) => v.versionNumber), [3]);
    assert.equal(p2.opcNextPage, undefined);
    const iterated: number[] = [];
    for await (const v of c.secrets.listSecretBundleVersionsRecordIterator({ secretId: s.id, limit: 1 })) iterated.push(v.versionNumber);
    assert.deepEqual(iterated, [3, 2, 1]);

    const versions = await c.vaults.listSecretVersions({ secretId: s.id, limit: 2 });
    assert.deepEqual(versions.items.map((v) => v.versionNumber), [3, 2]);
    assert.ok(versions.opcNextPage);
    const v1 = await c.vaults.getSecretVersion({ secretId: s.id, secretVersionNumber: 1 });
    assert.equal(v1.secretVersion.versionNumber, 1);
    assert.deepEqual(v1.secretVersion.stages, ['DEPRECATED']);
    assert.equal((v1.secretVersion as Record<string, unknown>).content, undefined);
    assert.ok(v1.etag);
    await rejectsWith(c.vaults.getSecretVersion({ secretId: s.id, secretVersionNumber: 9 }), 404, 'NotAuthorizedOrNotFound');
  });

  it('ListSecrets: compartmentId required, filters, limit=2 over 5 secrets gives 3 pages', async () => {
    // a second vault of the compartment, filled through the store: CreateSecret only accepts the emulator's own vault
    const vault = 'ocid1.vault.oc1.us-ashburn-1.pagination';
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      emu.emulator.store.upsert({ compartmentId: emu.info.compartmentId, vaultId: vault, keyId: emu.info.keyId }, n, b64(n));
    }
    const pages: string[][] = [];
    let page: string | undefined;
    do {
      const r = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, vaultId: vault, limit: 2, page, sortBy: 'NAME' as never });
      pages.push(r.items.map((s) => s.secretName));
      page = r.opcNextPage;
    } while (page);
    assert.deepEqual(pages, [['p1', 'p2'], ['p3', 'p4'], ['p5']]);
    emu.emulator.paging.maxPageSize = 3; // the default: a page holds at most 3 items whatever limit (or none) asks
    const capped = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, vaultId: vault, limit: 100, sortBy: 'NAME' as never });
    assert.deepEqual([capped.items.map((s) => s.secretName), capped.opcNextPage], [['p1', 'p2', 'p3'], '3']);
    emu.emulator.paging.maxPageSize = 1000;
    const desc = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, vaultId: vault, sortBy: 'NAME' as never, sortOrder: 'DESC' as never });
    assert.deepEqual(desc.items.map((s) => s.secretName), ['p5', 'p4', 'p3', 'p2', 'p1']);
    const byTime = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, vaultId: vault });
    assert.deepEqual(byTime.items.map((s) => s.secretName), ['p5', 'p4', 'p3', 'p2', 'p1'], 'TIMECREATED defaults to DESC');
    const named = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, name: 'github-token' });
    assert.equal(named.items.length, 1);
    assert.equal(named.items[0].vaultId, emu.info.vaultId);
    assert.equal((named.items[0] as Record<string, unknown>).currentVersionNumber, undefined, 'SecretSummary has no currentVersionNumber');
    const active = await c.vaults.listSecrets({ compartmentId: emu.info.compartmentId, lifecycleState: 'active' as never, vaultId: vault });
    assert.equal(active.items.length, 5);
    const other = await c.vaults.listSecrets({ compartmentId: 'ocid1.compartment.oc1..other' });
    assert.deepEqual(other.items, []);
    await rejectsWith(c.vaults.listSecrets({ compartmentId: '' }), 400, 'MissingParameter');
  });

  it('CreateSecret validation: 25 KB limit, name rule, duplicate name, retry token idempotency', async () => {
    await rejectsWith(create('too-big', 'x'.repeat(25 * 1024 + 1)), 400, 'InvalidParameter');
    const exact = await create('just-fits', 'x'.repeat(25 * 1024));
    assert.equal(exact.lifecycleState, 'ACTIVE');
    await rejectsWith(create('bad name!', 'x'), 400, 'InvalidParameter');
    await rejectsWith(create('a&b', 'x'), 400, 'InvalidParameter');
    await rejectsWith(create('n'.repeat(256), 'x'), 400, 'InvalidParameter');
    await rejectsWith(create('github-token', 'again'), 409, 'Conflict');
    await rejectsWith(update(exact.id, 'y'.repeat(25 * 1024 + 1)), 400, 'InvalidParameter');

    const details = {
      compartmentId: emu.info.compartmentId,
      vaultId: emu.info.vaultId,
      keyId: emu.info.keyId,
      secretName: 'idempotent',
      secretContent: { contentType: 'BASE64', content: b64('once') } as never,
    };
    const first = await c.vaults.createSecret({ createSecretDetails: details, opcRetryToken: 'token-1' });
    const again = await c.vaults.createSecret({ createSecretDetails: details, opcRetryToken: 'token-1' });
    assert.equal(again.secret.id, first.secret.id);
    await rejectsWith(c.vaults.createSecret({ createSecretDetails: { ...details, secretName: 'other' }, opcRetryToken: 'token-1' }), 409, 'InvalidatedRetryToken');
    await rejectsWith(c.vaults.createSecret({ createSecretDetails: details }), 409, 'Conflict');
  });

  it('GetSecret, if-match → 412 NoEtagMatch, etags change on update', async () => {
    const s = await create('etagged', 'v1');
    const got = await c.vaults.getSecret({ secretId: s.id });
    assert.equal(got.secret.secretName, 'etagged');
    assert.ok(got.etag);
    await rejectsWith(
      c.vaults.updateSecret({ secretId: s.id, ifMatch: 'stale', updateSecretDetails: { description: 'x' } }),
      412,
      'NoEtagMatch',
    );
    const ok = await c.vaults.updateSecret({ secretId: s.id, ifMatch: got.etag, updateSecretDetails: { description: 'updated' } });
    assert.equal(ok.secret.description, 'updated');
    assert.notEqual(ok.etag, got.etag);
    await rejectsWith(c.vaults.scheduleSecretDeletion({ secretId: s.id, ifMatch: got.etag, scheduleSecretDeletionDetails: {} }), 412, 'NoEtagMatch');
  });

  it('schedule/cancel secret deletion: window 1–30 days, PENDING_DELETION hides the bundle, cancel restores', async () => {
    const s = await create('doomed', 'bye');
    const day = 24 * 3600 * 1000;
    await rejectsWith(
      c.vaults.scheduleSecretDeletion({ secretId: s.id, scheduleSecretDeletionDetails: { timeOfDeletion: new Date(Date.now() + 3600 * 1000) } }),
      400,
      'InvalidParameter',
    );
    await rejectsWith(
      c.vaults.scheduleSecretDeletion({ secretId: s.id, scheduleSecretDeletionDetails: { timeOfDeletion: new Date(Date.now() + 31 * day) } }),
      400,
      'InvalidParameter',
    );
    const when = new Date(Date.now() + 7 * day);
    const scheduled = await c.vaults.scheduleSecretDeletion({ secretId: s.id, scheduleSecretDeletionDetails: { timeOfDeletion: when } });
    assert.ok(scheduled.etag);
    const pending = await c.vaults.getSecret({ secretId: s.id });
    assert.equal(pending.secret.lifecycleState, 'PENDING_DELETION');
    assert.equal(new Date(pending.secret.timeOfDeletion as unknown as string).getTime(), when.getTime());
    await rejectsWith(c.secrets.getSecretBundleByName({ secretName: 'doomed', vaultId: emu.info.vaultId }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(update(s.id, 'nope'), 409, 'IncorrectState');
    await rejectsWith(c.vaults.scheduleSecretDeletion({ secretId: s.id, scheduleSecretDeletionDetails: {} }), 409, 'IncorrectState');
    await c.vaults.cancelSecretDeletion({ secretId: s.id });
    const back = await c.vaults.getSecret({ secretId: s.id });
    assert.equal(back.secret.lifecycleState, 'ACTIVE');
    assert.equal(back.secret.timeOfDeletion, undefined);
    await rejectsWith(c.vaults.cancelSecretDeletion({ secretId: s.id }), 409, 'IncorrectState');

    // Default window: 30 days.
    await c.vaults.scheduleSecretDeletion({ secretId: s.id, scheduleSecretDeletionDetails: {} });
    const def = await c.vaults.getSecret({ secretId: s.id });
    const days = (Date.parse(def.secret.timeOfDeletion as unknown as string) - Date.now()) / day;
    assert.ok(days > 29.9 && days <= 30, `default window ${days} days`);
  });

  it('schedule/cancel version deletion: only DEPRECATED versions (else 409 IncorrectState)', async () => {
    const s = await create('versions-doomed', 'v1');
    await update(s.id, 'v2');
    await rejectsWith(c.vaults.scheduleSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 1, scheduleSecretVersionDeletionDetails: {} }), 409, 'IncorrectState');
    await rejectsWith(c.vaults.scheduleSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 2, scheduleSecretVersionDeletionDetails: {} }), 409, 'IncorrectState');
    await update(s.id, 'v3');
    await c.vaults.scheduleSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 1, scheduleSecretVersionDeletionDetails: {} });
    const v1 = await c.vaults.getSecretVersion({ secretId: s.id, secretVersionNumber: 1 });
    assert.ok(v1.secretVersion.timeOfDeletion);
    await rejectsWith(c.secrets.getSecretBundle({ secretId: s.id, versionNumber: 1 }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.vaults.scheduleSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 1, scheduleSecretVersionDeletionDetails: {} }), 409, 'IncorrectState');
    await c.vaults.cancelSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 1 });
    assert.equal(value((await c.secrets.getSecretBundle({ secretId: s.id, versionNumber: 1 })).secretBundle), 'v1');
    await rejectsWith(c.vaults.cancelSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 1 }), 409, 'IncorrectState');
    await rejectsWith(
      c.vaults.scheduleSecretVersionDeletion({
        secretId: s.id,
        secretVersionNumber: 1,
        scheduleSecretVersionDeletionDetails: { timeOfDeletion: new Date(Date.now() + 40 * 24 * 3600 * 1000) },
      }),
      400,
      'InvalidParameter',
    );
    await rejectsWith(c.vaults.scheduleSecretVersionDeletion({ secretId: s.id, secretVersionNumber: 7, scheduleSecretVersionDeletionDetails: {} }), 404, 'NotAuthorizedOrNotFound');
  });

  it('admin secret deletion makes later reads 404; admin put adds versions', async () => {
    const put = await emu.admin.putSecret('admin-made', 'one');
    assert.equal(put.versionNumber, 1);
    assert.equal((await emu.admin.putSecret('admin-made', 'two')).versionNumber, 2);
    assert.equal((await emu.admin.putSecret('admin-made', 'two')).versionNumber, 2, 'same value: no new version');
    const got = await c.secrets.getSecretBundleByName({ secretName: 'admin-made', vaultId: emu.info.vaultId });
    assert.equal(value(got.secretBundle), 'two');
    await emu.admin.deleteSecret('admin-made');
    await rejectsWith(c.secrets.getSecretBundleByName({ secretName: 'admin-made', vaultId: emu.info.vaultId }), 404, 'NotAuthorizedOrNotFound');
    await rejectsWith(c.secrets.getSecretBundle({ secretId: put.id }), 404, 'NotAuthorizedOrNotFound');
    await assert.rejects(emu.admin.deleteSecret('admin-made'), /404/);
  });
});
