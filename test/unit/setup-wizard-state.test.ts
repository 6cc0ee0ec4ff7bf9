/**
 * The setup wizard's step reducer (src/app/setup/wizard-state.ts) without Ink: the happy path, Esc back, cancel,
 * a failed list load and its retry, the passphrase step only for encrypted keys, a new profile; and setup's
 * discovery on the vault layer (src/core/vault/discovery.ts) against fake clients: a repeated page token ends a
 * listing with an error instead of a hang.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OciProfileInfo } from '../../src/app/setup/oci-config.js';
import { performWizardEffect } from '../../src/app/setup/wizard-effects.js';
import { initialWizardState, reduceWizard, wizardEffect, type WizardConfig, type WizardEvent, type WizardState } from '../../src/app/setup/wizard-state.js';
import { VaultError } from '../../src/core/errors.js';
import { createVaultAccess } from '../../src/core/vault/access.js';
import { listCompartments, listVaults, testSignedCall } from '../../src/core/vault/discovery.js';
import { createVaultPolicies } from '../../src/core/vault/policy.js';

const config: WizardConfig = {
  configs: [],
  defaults: {},
  endpoint: 'http://127.0.0.1:9443',
  resolverFile: '/home/u/.config/oci-vault-mcp/resolver.yaml',
  pluginPlan: { action: 'install', source: '/tmp/bin', target: '/home/u/.docker/cli-plugins/docker-vaultmcp' },
};
const profile: OciProfileInfo = { name: 'DEFAULT', keyFile: '/home/u/.oci/key.pem', region: 'us-ashburn-1', fingerprint: 'aa:bb', hasPassphrase: false, hasSessionToken: false };
const compartment = { id: 'ocid1.compartment.oc1..c', name: 'c', path: 'acme / c', isRoot: false };
const vault = { id: 'ocid1.vault.oc1.iad.v', displayName: 'v', lifecycleState: 'ACTIVE', managementEndpoint: 'https://mgmt' };
const key = { id: 'ocid1.key.oc1.iad.k', displayName: 'k', lifecycleState: 'ENABLED' };

const run = (events: WizardEvent[], from = initialWizardState(config)): WizardState => events.reduce(reduceWizard, from);
/** The outcome of the effect the state waits for, as the UI would report it. */
const loaded = (s: WizardState, value: unknown): WizardState => reduceWizard(s, { type: 'listLoaded', id: wizardEffect(s)!.id, value });

function toTest(keyEncrypted = false): WizardState {
  let s = run([{ type: 'profileChosen', configFile: '/home/u/.oci/config', profile, keyEncrypted }, { type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }]);
  if (keyEncrypted) s = reduceWizard(s, { type: 'passphraseEntered', passphrase: 'pw' });
  s = reduceWizard(loaded(s, [compartment]), { type: 'compartmentChosen', compartment });
  s = reduceWizard(loaded(s, [vault]), { type: 'vaultChosen', vault });
  return reduceWizard(loaded(s, [key]), { type: 'keyChosen', key });
}

describe('setup wizard reducer', () => {
  it('happy path: profile → auth → region → lists → test → review → write → plugin → doctor', () => {
    let s = run([{ type: 'profileChosen', configFile: '/home/u/.oci/config', profile, keyEncrypted: false }]);
    assert.equal(s.step, 'auth');
    assert.equal(s.draft.region, 'us-ashburn-1');
    s = run([{ type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }], s);
    assert.equal(s.step, 'compartment', 'no passphrase step for a plain key');
    const e = wizardEffect(s);
    assert.equal(e?.kind, 'load-compartments');
    assert.deepEqual(e && 'answers' in e ? e.answers.endpoint : undefined, 'http://127.0.0.1:9443');
    s = toTest();
    assert.equal(s.step, 'test');
    const test = wizardEffect(s);
    assert.equal(test?.kind, 'test-call');
    assert.equal(test?.kind === 'test-call' && test.vaultId, vault.id);
    assert.equal(test?.kind === 'test-call' && test.answers.compartmentId, compartment.id);
    assert.equal(reduceWizard(s, { type: 'continue' }), s, 'Enter before the test call answered does nothing');
    s = reduceWizard(loaded(s, 'api_key (profile DEFAULT): signed requests accepted'), { type: 'continue' });
    assert.equal(s.step, 'review', 'no store-pass step without a passphrase');
    s = reduceWizard(s, { type: 'confirmed', yes: true, text: 'vault: {}\n' });
    const write = wizardEffect(s);
    assert.deepEqual(write, { id: s.seq, kind: 'write-resolver', file: config.resolverFile, text: 'vault: {}\n' });
    s = reduceWizard(s, { type: 'resolverWritten', id: write!.id, backup: undefined });
    assert.equal(s.written, true);
    assert.equal(s.step, 'plugin');
    s = reduceWizard(s, { type: 'confirmed', yes: true });
    const install = wizardEffect(s)!;
    assert.equal(install.kind, 'install-plugin');
    s = reduceWizard(s, { type: 'pluginInstalled', id: install.id });
    assert.equal(s.step, 'doctor');
    const doctor = wizardEffect(s)!;
    assert.deepEqual(doctor, { id: s.seq, kind: 'run-doctor', configFile: config.resolverFile });
    assert.equal(reduceWizard(s, { type: 'exit' }).outcome, undefined, 'Enter before doctor finished does nothing');
    s = run([{ type: 'doctorFinished', id: doctor.id }, { type: 'exit' }], s);
    assert.equal(s.outcome, 'finished');
    assert.deepEqual(s.notes.map((n) => n.text), [`wrote ${config.resolverFile}`, `installed the Docker plugin as ${config.pluginPlan.target}`]);
  });

  it('Esc goes back one step and reloads the list; nothing on the first step; stale outcomes are ignored', () => {
    const first = initialWizardState(config);
    assert.equal(reduceWizard(first, { type: 'back' }), first);
    let s = toTest();
    const staleId = wizardEffect(s)!.id;
    s = reduceWizard(s, { type: 'back' });
    assert.equal(s.step, 'key');
    assert.equal(s.load?.status, 'loading');
    assert.equal(s.draft.key?.id, key.id, 'the earlier answer is kept as the default');
    assert.equal(reduceWizard(s, { type: 'listLoaded', id: staleId, value: 'late test result' }), s);
    s = run([{ type: 'back' }, { type: 'back' }], s);
    assert.equal(s.step, 'compartment');
    assert.equal(wizardEffect(s)?.kind, 'load-compartments');
    s = run([{ type: 'back' }, { type: 'back' }, { type: 'back' }], s);
    assert.equal(s.step, 'profile');
  });

  it('cancel ends the wizard without a result; no effect afterwards', () => {
    const s = run([{ type: 'profileChosen', configFile: '/c', profile, keyEncrypted: false }, { type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }, { type: 'cancel' }]);
    assert.equal(s.outcome, 'cancelled');
    assert.equal(wizardEffect(s), undefined);
    assert.equal(s.written, false);
    assert.equal(reduceWizard(s, { type: 'back' }), s);
  });

  it('a failed list load shows the error, retries on request, Esc still goes back', () => {
    let s = run([{ type: 'profileChosen', configFile: '/c', profile, keyEncrypted: false }, { type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }]);
    const error = new VaultError('not authorized (403) for the compartment list', { kind: 'forbidden' });
    s = reduceWizard(s, { type: 'listFailed', id: wizardEffect(s)!.id, error });
    assert.deepEqual(s.load, { status: 'failed', attempt: 0, error });
    assert.equal(wizardEffect(s), undefined, 'no reload until asked');
    assert.equal(reduceWizard(s, { type: 'compartmentChosen', compartment }).step, 'compartment', 'nothing to choose from');
    const retried = reduceWizard(s, { type: 'retry' });
    assert.equal(retried.load?.status, 'loading');
    assert.equal(wizardEffect(retried)?.kind, 'load-compartments');
    assert.notEqual(wizardEffect(retried)!.id, s.seq);
    assert.equal(reduceWizard(s, { type: 'back' }).step, 'region');
  });

  it('asks the passphrase only for an encrypted key, and offers to store it', () => {
    const base: WizardEvent[] = [{ type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }];
    assert.equal(run([{ type: 'profileChosen', configFile: '/c', profile, keyEncrypted: true }, ...base]).step, 'passphrase');
    assert.equal(run([{ type: 'profileChosen', configFile: '/c', profile: { ...profile, hasPassphrase: true }, keyEncrypted: true }, ...base]).step, 'compartment', 'pass_phrase in the profile');
    assert.equal(run([{ type: 'profileChosen', configFile: '/c', profile, keyEncrypted: true }, { type: 'authChosen', method: 'instance_principal' }, { type: 'answer', value: 'us-ashburn-1' }]).step, 'compartment');
    let s = toTest(true);
    const test = wizardEffect(s)!;
    assert.equal(test.kind === 'test-call' && test.passphrase, 'pw', 'the lists and test sign with the typed passphrase');
    s = reduceWizard(loaded(s, 'ok'), { type: 'continue' });
    assert.equal(s.step, 'store-pass');
    s = run([{ type: 'confirmed', yes: true }, { type: 'confirmed', yes: true, text: 'x' }], s);
    s = reduceWizard(s, { type: 'resolverWritten', id: wizardEffect(s)!.id });
    const store = wizardEffect(s)!;
    assert.deepEqual(store, { id: s.seq, kind: 'store-passphrase', profile: 'DEFAULT', passphrase: 'pw' });
    s = reduceWizard(s, { type: 'passphraseStoreFailed', id: store.id, message: 'the keychain is locked' });
    assert.equal(s.step, 'plugin');
    assert.ok(s.notes.every((n) => !n.text.includes('pw')), 'no passphrase in a message');
    assert.deepEqual(s.notes.at(-1), { text: 'could not store the passphrase: the keychain is locked', ok: false });
  });

  it('creates a new profile: asks every value, stages it, and adds it to the OCI config only at the last step', () => {
    let s = run([
      { type: 'newProfileChosen' },
      { type: 'answer', value: '/home/u/.oci/config' },
      { type: 'answer', value: 'VAULTMCP' },
      { type: 'answer', value: 'ocid1.tenancy.oc1..t' },
      { type: 'answer', value: 'ocid1.user.oc1..u' },
      { type: 'newKeyRead', keyFile: '/home/u/.oci/k.pem', fingerprint: '11:22' },
      { type: 'answer', value: 'eu-frankfurt-1' },
    ]);
    assert.equal(s.step, 'new-confirm');
    assert.equal(reduceWizard(s, { type: 'confirmed', yes: false }).step, 'new-region', 'No goes back');
    s = reduceWizard(s, { type: 'confirmed', yes: true });
    const profileValues = { tenancy: 'ocid1.tenancy.oc1..t', user: 'ocid1.user.oc1..u', fingerprint: '11:22', keyFile: '/home/u/.oci/k.pem', region: 'eu-frankfurt-1' };
    const stage = wizardEffect(s)!;
    assert.deepEqual(stage, { id: s.seq, kind: 'stage-profile', name: 'VAULTMCP', profile: profileValues }, 'a private staged copy, not the user\'s file');
    const failed = reduceWizard(s, { type: 'profileStageFailed', id: stage.id, message: 'ENOSPC' });
    assert.equal(failed.step, 'new-confirm');
    s = reduceWizard(s, { type: 'profileStaged', id: stage.id, file: '/tmp/staging/config-7' });
    assert.equal(s.step, 'auth');
    assert.equal(s.draft.profile, 'VAULTMCP');
    assert.equal(s.draft.configFile, '/home/u/.oci/config', 'resolver.yaml will name the real file');
    s = run([{ type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'eu-frankfurt-1' }], s);
    assert.equal(s.step, 'compartment');
    const list = wizardEffect(s)!;
    assert.equal(list.kind === 'load-compartments' && list.answers.configFile, '/tmp/staging/config-7', 'the lists sign with the staged profile');
    s = reduceWizard(loaded(s, [compartment]), { type: 'compartmentChosen', compartment });
    s = reduceWizard(loaded(s, [vault]), { type: 'vaultChosen', vault });
    s = reduceWizard(loaded(s, [key]), { type: 'keyChosen', key });
    s = reduceWizard(loaded(s, 'ok'), { type: 'continue' });
    assert.equal(s.step, 'review');
    s = reduceWizard(s, { type: 'confirmed', yes: true, text: 'auth: { profile: VAULTMCP }\n' });
    const append = wizardEffect(s)!;
    assert.deepEqual(append, { id: s.seq, kind: 'append-profile', file: '/home/u/.oci/config', name: 'VAULTMCP', profile: profileValues }, 'the profile first');
    const appendFailed = reduceWizard(s, { type: 'profileAppendFailed', id: append.id, message: 'EACCES' });
    assert.equal(wizardEffect(appendFailed), undefined, 'no resolver.yaml naming a profile that was not added');
    assert.match(appendFailed.notes.at(-1)!.text, /could not add the profile to \/home\/u\/\.oci\/config: EACCES; .*resolver\.yaml not written/);
    s = reduceWizard(s, { type: 'profileAppended', id: append.id });
    assert.deepEqual(wizardEffect(s), { id: s.seq, kind: 'write-resolver', file: config.resolverFile, text: 'auth: { profile: VAULTMCP }\n' }, 'then resolver.yaml');
  });

  it('an encrypted new key: its passphrase is not asked again', () => {
    const s = run([
      { type: 'newProfileChosen' },
      { type: 'answer', value: '/c' },
      { type: 'answer', value: 'P' },
      { type: 'answer', value: 'ocid1.tenancy.oc1..t' },
      { type: 'answer', value: 'ocid1.user.oc1..u' },
      { type: 'newKeyRead', keyFile: '/k.pem', fingerprint: '11:22', passphrase: 'pw' },
      { type: 'answer', value: 'eu-frankfurt-1' },
      { type: 'confirmed', yes: true },
    ]);
    const after = run([{ type: 'profileStaged', id: wizardEffect(s)!.id, file: '/tmp/s/config-1' }, { type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'eu-frankfurt-1' }], s);
    assert.equal(after.step, 'compartment');
    assert.equal(after.draft.passphrase, 'pw');
  });

  it('an OCID typed by hand when a list fails (or a vault list is empty) moves on with it', () => {
    let s = run([{ type: 'profileChosen', configFile: '/home/u/.oci/config', profile, keyEncrypted: false }, { type: 'authChosen', method: 'api_key' }, { type: 'answer', value: 'us-ashburn-1' }]);
    assert.equal(reduceWizard(s, { type: 'ocidTyped', id: compartment.id }), s, 'not while the list is loading');
    s = reduceWizard(s, { type: 'listFailed', id: wizardEffect(s)!.id, error: new Error('timed out') });
    s = reduceWizard(s, { type: 'ocidTyped', id: compartment.id });
    assert.equal(s.step, 'vault');
    assert.equal(s.draft.compartment?.id, compartment.id);
    s = reduceWizard(loaded(s, []), { type: 'ocidTyped', id: vault.id });
    assert.equal(s.step, 'key');
    const keys = wizardEffect(s)!;
    assert.ok(keys.kind === 'load-keys' && keys.managementEndpoint === '' && keys.answers.vaultId === vault.id, 'endpoint read with GetVault');
    s = reduceWizard(reduceWizard(s, { type: 'listFailed', id: keys.id, error: new Error('x') }), { type: 'ocidTyped', id: key.id });
    assert.equal(s.step, 'test');
    assert.equal(s.draft.key?.id, key.id);
  });

  it('declining to replace resolver.yaml finishes with nothing written', () => {
    const s = run([{ type: 'continue' }, { type: 'confirmed', yes: false }], loaded(toTest(), 'ok'));
    assert.equal(s.outcome, 'finished');
    assert.equal(s.written, false);
    assert.deepEqual(s.notes, [{ text: `${config.resolverFile} left unchanged`, ok: false }]);
  });
});

describe('setup discovery on the vault layer', () => {
  const accessWith = (clients: object) =>
    createVaultAccess({
      settings: {} as never,
      env: { env: {}, homeDir: '/nonexistent' },
      policies: createVaultPolicies({ timeoutMs: 2000, retries: 0, breakerThreshold: 100, breakerResetMs: 60_000 }),
      clients: async () => clients as never,
    });

  it('a repeated page token ends the vault list with an error, not a hang', async () => {
    let calls = 0;
    const kmsVaults = {
      async listVaults(req: { page?: string }) {
        calls++;
        return { items: [{ id: `v${calls}`, displayName: 'v', lifecycleState: 'ACTIVE', managementEndpoint: 'https://m' }], opcNextPage: req.page ? 'same' : 'same' };
      },
    };
    await assert.rejects(listVaults(accessWith({ kmsVaults: async () => kmsVaults }), 'ocid1.compartment.oc1..c'), (e: unknown) => e instanceof VaultError && /repeated a page token/.test(e.message));
    assert.ok(calls <= 3, `stopped after ${calls} pages`);
  });

  it('the compartment list follows pages, builds paths, and stops on a repeated token', async () => {
    const pages: Record<string, { items: object[]; opcNextPage?: string }> = {
      '': { items: [{ id: 'a', name: 'dev', compartmentId: 't' }], opcNextPage: 'p2' },
      p2: { items: [{ id: 'b', name: 'mcp', compartmentId: 'a' }] },
    };
    const identity = { getTenancy: async () => ({ tenancy: { name: 'acme' } }), listCompartments: async (req: { page?: string }) => pages[req.page ?? '']! };
    const list = await listCompartments(accessWith({ identity: async () => identity }), 't');
    assert.deepEqual(list.map((c) => c.path), ['acme (root)', 'acme / dev', 'acme / dev / mcp']);
    pages.p2!.opcNextPage = 'p2';
    await assert.rejects(listCompartments(accessWith({ identity: async () => identity }), 't'), /repeated a page token/);
  });

  it('the test call takes a 404 on the probe secret as an accepted signature and names the auth', async () => {
    const clients = {
      auth: { description: 'api_key (profile DEFAULT)' },
      secrets: async () => ({ getSecretBundleByName: async () => Promise.reject(Object.assign(new Error('nf'), { statusCode: 404 })) }),
      kmsVaults: async () => ({ getVault: async () => ({ vault: { displayName: 'v', lifecycleState: 'ACTIVE' } }) }),
    };
    assert.match(await testSignedCall(accessWith(clients), 'ocid1.vault.oc1.iad.v'), /^api_key \(profile DEFAULT\): signed requests accepted; vault 'v' is ACTIVE \(\d+ ms\)$/);
  });
});

describe('setup effects: list deadline', () => {
  it('a list that never answers ends at --timeout-ms with "timed out after N ms" and its calls aborted', async () => {
    let aborted = false;
    const kmsVaults = { listVaults: () => new Promise(() => {}) };
    const access = createVaultAccess({
      settings: {} as never,
      env: { env: {}, homeDir: '/nonexistent' },
      policies: createVaultPolicies({ timeoutMs: 60_000, retries: 0, breakerThreshold: 100, breakerResetMs: 60_000 }),
      clients: async () => ({ kmsVaults: async () => kmsVaults }) as never,
    });
    const outer = new AbortController();
    const event = await performWizardEffect(
      { id: 3, kind: 'load-vaults', answers: { configFile: '/c', profile: 'P', authMethod: 'api_key' }, compartmentId: 'ocid1.compartment.oc1..c' },
      {
        ctx: { env: {}, homeDir: '/nonexistent' },
        errorText: String,
        // the access as the effect uses it, noting when the list's signal aborts
        access: () => ({
          ...access,
          list: (profile, what, page, hooks) => {
            hooks?.signal?.addEventListener('abort', () => (aborted = true));
            return access.list(profile, what, page, hooks);
          },
        }),
        timeoutMs: 40,
      },
      outer.signal,
    );
    assert.equal(event.type, 'listFailed');
    const error = (event as { error: VaultError }).error;
    assert.ok(error instanceof VaultError && error.kind === 'timeout', String(error));
    assert.equal(error.message, 'loading the vaults timed out after 40 ms');
    assert.ok(aborted, 'the hung call was aborted');
  });
});
