/**
 * src/core/secret-admin (vault-ops, verify helpers) against fake SDK clients: pagination, create vs new version,
 * tag merge, missing settings, the deletion stage rule, error classification, spec matching for --verify;
 * plus the argv refusal of src/cli/commands/secret/common.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, UsageError, VaultError } from '../../src/core/errors.js';
import { parseSecretRef, formatSecretRef } from '../../src/core/vault/refs.js';
import {
  SecretAdmin,
  splitSpecsForSecret,
  type RawSecret,
  type RawSecretVersion,
  type SecretInfo,
  type VaultScope,
} from '../../src/app/secrets/index.js';
import { createVaultAccess } from '../../src/core/vault/access.js';
import { createVaultPolicies } from '../../src/core/vault/policy.js';
import { refuseValueInArgv } from '../../src/cli/commands/secret/common.js';
import { formatTable } from '../../src/cli/output.js';

// The slices of the SDK clients the fakes implement (oci-vault / oci-secrets 2.139.1).
/** The VaultsClient methods we call (oci-vault 2.139.1). */
interface VaultManagementApi {
  createSecret(req: { createSecretDetails: Record<string, unknown> }): Promise<{ secret: RawSecret }>;
  updateSecret(req: { secretId: string; updateSecretDetails: Record<string, unknown> }): Promise<{ secret: RawSecret }>;
  getSecret(req: { secretId: string }): Promise<{ secret: RawSecret }>;
  listSecrets(req: { compartmentId: string; vaultId?: string; name?: string; page?: string; limit?: number }): Promise<{ items: RawSecret[]; opcNextPage?: string }>;
  listSecretVersions(req: { secretId: string; page?: string; limit?: number }): Promise<{ items: RawSecretVersion[]; opcNextPage?: string }>;
  getSecretVersion(req: { secretId: string; secretVersionNumber: number }): Promise<{ secretVersion: RawSecretVersion }>;
  scheduleSecretDeletion(req: { secretId: string; scheduleSecretDeletionDetails: { timeOfDeletion?: Date } }): Promise<unknown>;
  cancelSecretDeletion(req: { secretId: string }): Promise<unknown>;
  scheduleSecretVersionDeletion(req: {
    secretId: string;
    secretVersionNumber: number;
    scheduleSecretVersionDeletionDetails: { timeOfDeletion?: Date };
  }): Promise<unknown>;
  cancelSecretVersionDeletion(req: { secretId: string; secretVersionNumber: number }): Promise<unknown>;
}

/** The SecretsClient methods we call (oci-secrets 2.139.1). */
interface SecretRetrievalApi {
  getSecretBundle(req: { secretId: string; versionNumber?: number; stage?: string }): Promise<{ secretBundle: { secretId: string; versionNumber: number; stages?: string[]; secretBundleContent?: { content?: string } } }>;
  getSecretBundleByName(req: { secretName: string; vaultId: string; versionNumber?: number; stage?: string }): Promise<{ secretBundle: { secretId: string; versionNumber: number; stages?: string[]; secretBundleContent?: { content?: string } } }>;
}


const VAULT = 'ocid1.vault.oc1.iad.v1';
const COMP = 'ocid1.compartment.oc1..c1';
const KEY = 'ocid1.key.oc1.iad.k1';

function raw(name: string, n: number, extra: Partial<RawSecret> = {}): RawSecret {
  return { id: `ocid1.vaultsecret.oc1.iad.${name}`, secretName: name, compartmentId: COMP, vaultId: VAULT, lifecycleState: 'ACTIVE', timeCreated: '2026-01-01T00:00:00Z', currentVersionNumber: n, ...extra };
}

/** A fake VaultsClient recording calls; list results are paged by 2. */
function fakeVault(secrets: RawSecret[], versions: Record<string, RawSecretVersion[]> = {}) {
  const calls: Array<{ op: string; req: unknown }> = [];
  const page = <T>(items: T[], token?: string) => {
    const start = token ? Number(token) : 0;
    return { items: items.slice(start, start + 2), opcNextPage: start + 2 < items.length ? String(start + 2) : undefined };
  };
  const api: VaultManagementApi = {
    async createSecret(req) {
      calls.push({ op: 'createSecret', req });
      const d = req.createSecretDetails as Record<string, string>;
      const s = raw(d.secretName!, 1);
      secrets.push(s);
      return { secret: s };
    },
    async updateSecret(req) {
      calls.push({ op: 'updateSecret', req });
      const s = secrets.find((x) => x.id === req.secretId)!;
      if ((req.updateSecretDetails as { secretContent?: unknown }).secretContent) s.currentVersionNumber = (s.currentVersionNumber ?? 0) + 1;
      const cvn = (req.updateSecretDetails as { currentVersionNumber?: number }).currentVersionNumber;
      if (cvn) s.currentVersionNumber = cvn;
      return { secret: { ...s } };
    },
    async getSecret(req) {
      calls.push({ op: 'getSecret', req });
      const s = secrets.find((x) => x.id === req.secretId);
      if (!s) throw Object.assign(new Error('not found'), { statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound' });
      return { secret: { ...s } };
    },
    async listSecrets(req) {
      calls.push({ op: 'listSecrets', req });
      // SecretSummary has no currentVersionNumber
      const items = secrets
        .filter((s) => s.compartmentId === req.compartmentId && (!req.vaultId || s.vaultId === req.vaultId) && (!req.name || s.secretName === req.name))
        .map(({ currentVersionNumber: _c, ...rest }) => rest as RawSecret);
      return page(items, req.page);
    },
    async listSecretVersions(req) {
      calls.push({ op: 'listSecretVersions', req });
      return page(versions[req.secretId] ?? [], req.page);
    },
    async getSecretVersion(req) {
      calls.push({ op: 'getSecretVersion', req });
      const v = (versions[req.secretId] ?? []).find((x) => x.versionNumber === req.secretVersionNumber);
      if (!v) throw Object.assign(new Error('nf'), { statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound' });
      return { secretVersion: v };
    },
    async scheduleSecretDeletion(req) {
      calls.push({ op: 'scheduleSecretDeletion', req });
      return {};
    },
    async cancelSecretDeletion(req) {
      calls.push({ op: 'cancelSecretDeletion', req });
      return {};
    },
    async scheduleSecretVersionDeletion(req) {
      calls.push({ op: 'scheduleSecretVersionDeletion', req });
      return {};
    },
    async cancelSecretVersionDeletion(req) {
      calls.push({ op: 'cancelSecretVersionDeletion', req });
      return {};
    },
  };
  return { api, calls, ops: () => calls.map((c) => c.op) };
}

const noBundles: SecretRetrievalApi = {
  async getSecretBundle() {
    throw Object.assign(new Error('nf'), { statusCode: 404 });
  },
  async getSecretBundleByName() {
    throw Object.assign(new Error('nf'), { statusCode: 404 });
  },
};

/** A SecretAdmin on the fakes, through the real vault access and policies (no backoff wait). */
function adminWith(api: VaultManagementApi, scope: VaultScope, secrets: SecretRetrievalApi, retries: number) {
  const policies = createVaultPolicies({ timeoutMs: 5000, retries, breakerThreshold: 100, breakerResetMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 1 });
  const kmsVaults = { getVault: async (req: { vaultId: string }) => ({ vault: { id: req.vaultId, compartmentId: COMP } }) };
  const clients = async () => ({ vaults: async () => api, secrets: async () => secrets, kmsVaults: async () => kmsVaults }) as never;
  const access = createVaultAccess({ settings: {} as never, env: { env: {}, homeDir: '/nonexistent' }, policies, clients });
  return new SecretAdmin({ access, scope, now: () => Date.parse('2026-06-01T00:00:00Z'), sleep: async () => {} });
}

function admin(api: VaultManagementApi, scope: VaultScope = { vaultId: VAULT, compartmentId: COMP, keyId: KEY }, secrets: SecretRetrievalApi = noBundles) {
  return adminWith(api, scope, secrets, 0);
}

describe('SecretAdmin.list', () => {
  it('reads every page and fills the current version with GetSecret', async () => {
    const f = fakeVault([raw('c', 3), raw('a', 1), raw('b', 2), raw('d', 4, { vaultId: 'ocid1.vault.oc1.iad.other' }), raw('e', 5)]);
    const list = await admin(f.api).list();
    assert.deepEqual(list.map((s) => [s.name, s.currentVersionNumber]), [['a', 1], ['b', 2], ['c', 3], ['e', 5]]);
    assert.equal(f.ops().filter((o) => o === 'listSecrets').length, 2);
    assert.ok((f.calls[0]!.req as { vaultId?: string }).vaultId === VAULT, 'filtered by the vault');
  });
  it('names the missing setting (exit 2)', async () => {
    const f = fakeVault([]);
    await assert.rejects(admin(f.api, { compartmentId: COMP }).list(), (e: unknown) => e instanceof ConfigError && /vault\.vault_id/.test(e.message) && /--vault-id/.test(e.hint ?? ''));
    assert.equal(f.calls.length, 0);
  });
  it('with only vault.vault_id, lists in the vault\'s own compartment (GetVault), reading no value', async () => {
    const f = fakeVault([raw('a', 1), raw('b', 2)]);
    const names = (await admin(f.api, { vaultId: VAULT }).list()).map((s) => s.name);
    assert.deepEqual(names, ['a', 'b']);
    assert.equal((f.calls.find((c) => c.op === 'listSecrets')?.req as { compartmentId: string }).compartmentId, COMP);
  });
});

describe('SecretAdmin.upload', () => {
  it('creates a new secret with base64 of the exact bytes', async () => {
    const f = fakeVault([]);
    const bytes = Buffer.from([0, 255, 10, 13]);
    const r = await admin(f.api).upload('new-one', bytes, { description: 'd', tags: { team: 'x' } });
    assert.equal(r.created, true);
    assert.equal(r.versionNumber, 1);
    const d = (f.calls.find((c) => c.op === 'createSecret')!.req as { createSecretDetails: Record<string, unknown> }).createSecretDetails;
    assert.deepEqual(d, {
      compartmentId: COMP,
      vaultId: VAULT,
      keyId: KEY,
      secretName: 'new-one',
      description: 'd',
      freeformTags: { team: 'x' },
      secretContent: { contentType: 'BASE64', content: bytes.toString('base64'), stage: 'CURRENT' },
    });
  });
  it('adds a CURRENT version to an existing secret, merging tags', async () => {
    const f = fakeVault([raw('gh', 2, { freeformTags: { owner: 'me' } })]);
    const r = await admin(f.api).upload('gh', Buffer.from('v3'), { tags: { team: 'x' } });
    assert.equal(r.created, false);
    assert.equal(r.versionNumber, 3);
    assert.equal(r.previousVersionNumber, 2);
    const d = (f.calls.find((c) => c.op === 'updateSecret')!.req as { updateSecretDetails: Record<string, unknown> }).updateSecretDetails;
    assert.deepEqual(d.freeformTags, { owner: 'me', team: 'x' });
    assert.deepEqual(d.secretContent, { contentType: 'BASE64', content: Buffer.from('v3').toString('base64'), stage: 'CURRENT' });
    assert.ok(!f.ops().includes('createSecret'));
  });
  it('prepareUpload: a new secret needs the key setting, a pending deletion is refused before any write', async () => {
    const f = fakeVault([raw('gone', 1, { lifecycleState: 'PENDING_DELETION', timeOfDeletion: '2026-07-01T00:00:00Z' })]);
    await assert.rejects(admin(f.api, { vaultId: VAULT, compartmentId: COMP }).prepareUpload('fresh'), (e: unknown) => e instanceof ConfigError && /vault\.key_id/.test(e.message));
    await assert.rejects(admin(f.api).prepareUpload('gone'), (e: unknown) => e instanceof UsageError && /scheduled for deletion/.test(e.message) && /restore/.test(e.hint ?? ''));
    assert.ok(!f.ops().some((o) => o === 'updateSecret' || o === 'createSecret'));
  });
  it('finds the new version when UpdateSecret answers with the old number (UPDATING)', async () => {
    const f = fakeVault([raw('slow', 4)], {
      'ocid1.vaultsecret.oc1.iad.slow': [
        { secretId: 'x', versionNumber: 4, stages: ['CURRENT'] },
        { secretId: 'x', versionNumber: 5, stages: ['LATEST'] },
      ],
    });
    f.api.updateSecret = async (req) => ({ secret: { ...raw('slow', 4), lifecycleState: 'UPDATING' } });
    const r = await admin(f.api).addVersion((await admin(f.api).findByName('slow'))!, Buffer.from('x'));
    assert.equal(r.versionNumber, 5);
    assert.equal(r.previousVersionNumber, 4);
  });
});

describe('SecretAdmin deletion', () => {
  const id = 'ocid1.vaultsecret.oc1.iad.s';
  const versions = {
    [id]: [
      { secretId: id, versionNumber: 1, stages: ['DEPRECATED'] },
      { secretId: id, versionNumber: 2, stages: ['PREVIOUS'] },
      { secretId: id, versionNumber: 3, stages: ['CURRENT', 'LATEST'] },
    ],
  };
  const info: SecretInfo = { id, name: 's', vaultId: VAULT, compartmentId: COMP, state: 'ACTIVE' };

  it('refuses CURRENT and PREVIOUS versions with an explanation, before any write', async () => {
    const f = fakeVault([raw('s', 3)], versions);
    await assert.rejects(admin(f.api).scheduleVersionDeletion(info, 3, 30), (e: unknown) => e instanceof UsageError && /CURRENT/.test(e.message) && /only deletes DEPRECATED/.test(e.message) && /rotate twice/.test(e.hint ?? ''));
    await assert.rejects(admin(f.api).scheduleVersionDeletion(info, 2, 30), /PREVIOUS version, kept for rollback/);
    assert.ok(!f.ops().includes('scheduleSecretVersionDeletion'));
  });
  it('schedules a DEPRECATED version N days ahead', async () => {
    const f = fakeVault([raw('s', 3)], versions);
    await admin(f.api).scheduleVersionDeletion(info, 1, 7);
    const req = f.calls.find((c) => c.op === 'scheduleSecretVersionDeletion')!.req as { scheduleSecretVersionDeletionDetails: { timeOfDeletion: Date } };
    assert.equal(req.scheduleSecretVersionDeletionDetails.timeOfDeletion.toISOString(), '2026-06-08T00:00:00.000Z');
  });
  it('keeps --days inside 1..30 with a minute of margin at the edges', () => {
    const a = admin(fakeVault([]).api);
    assert.equal(a.deletionTime(1).toISOString(), '2026-06-02T00:01:00.000Z');
    assert.equal(a.deletionTime(30).toISOString(), '2026-06-30T23:59:00.000Z');
    for (const d of [0, 31, 2.5]) assert.throws(() => a.deletionTime(d), UsageError);
  });
});

describe('SecretAdmin errors', () => {
  it('turns SDK errors into VaultError without the SDK message', async () => {
    const f = fakeVault([]);
    f.api.listSecrets = async () => {
      throw Object.assign(new Error('Signature keyId="ST$eyJhbGciOi..." is an invalid header value'), { statusCode: 401, serviceCode: 'NotAuthenticated' });
    };
    await assert.rejects(admin(f.api).list(), (e: unknown) => e instanceof VaultError && e.exitCode === 3 && e.kind === 'auth' && !/ST\$/.test(e.message));
  });
  it('retries transient read failures but never writes', async () => {
    const f = fakeVault([raw('a', 1)]);
    let n = 0;
    const orig = f.api.getSecret;
    f.api.getSecret = async (req) => {
      if (n++ === 0) throw Object.assign(new Error('x'), { statusCode: 503 });
      return orig(req);
    };
    const a = adminWith(f.api, { vaultId: VAULT, compartmentId: COMP }, noBundles, 2);
    assert.equal((await a.get('ocid1.vaultsecret.oc1.iad.a')).name, 'a');
    let updates = 0;
    f.api.updateSecret = async () => {
      updates++;
      throw Object.assign(new Error('x'), { statusCode: 503 });
    };
    await assert.rejects(a.promote('ocid1.vaultsecret.oc1.iad.a', 1), (e: unknown) => e instanceof VaultError && e.kind === 'server');
    assert.equal(updates, 1, 'UpdateSecret tried once');
  });
  it('locate: a missing secret is exit 3 with a hint', async () => {
    const f = fakeVault([]);
    await assert.rejects(admin(f.api).locate('nope'), (e: unknown) => e instanceof VaultError && e.kind === 'not_found' && /secret list/.test(e.hint ?? ''));
  });
});

describe('splitSpecsForSecret', () => {
  const secret: SecretInfo = { id: 'ocid1.vaultsecret.oc1.iad.tok', name: 'tok', vaultId: VAULT, compartmentId: COMP, state: 'ACTIVE' };
  const spec = (envVar: string, ref: string) => {
    const r = parseSecretRef(ref);
    return { envVar, ref: r, reference: formatSecretRef(r), required: true };
  };
  it('targets every reference to the secret at CURRENT; pinned versions and other secrets stay', () => {
    const { target, others } = splitSpecsForSecret(
      [
        spec('A', 'tok'),
        spec('B', `oci-vault://${VAULT}/tok`),
        spec('C', 'ocid1.vaultsecret.oc1.iad.tok'),
        spec('D', 'tok?version=1'),
        spec('E', 'tok?stage=PREVIOUS'),
        spec('F', 'other'),
        spec('G', 'tok?stage=CURRENT'),
      ],
      secret,
      VAULT,
    );
    assert.deepEqual(target.map((s) => s.envVar), ['A', 'B', 'C', 'G']);
    assert.deepEqual(others.map((s) => s.envVar), ['D', 'E', 'F']);
  });
});

describe('refuseValueInArgv', () => {
  it('refuses a value after the name without repeating it', () => {
    const value = 'ghp_SuperSecretValue123';
    assert.throws(
      () => refuseValueInArgv([value], 'secret upload'),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && !e.message.includes(value) && !(e.hint ?? '').includes(value) && /shell history/.test(e.message),
    );
    refuseValueInArgv([], 'secret upload');
  });
  it('reports unknown flags by name only', () => {
    assert.throws(() => refuseValueInArgv(['--descripton=secret-ish'], 'secret upload'), (e: unknown) => e instanceof UsageError && /--descripton/.test(e.message) && !/secret-ish/.test(e.message));
  });
});

describe('formatTable', () => {
  it('aligns columns and shows empty cells as -', () => {
    assert.equal(formatTable([['A', 'BB'], ['ccc', undefined]]), 'A    BB\nccc  -\n');
  });
});
