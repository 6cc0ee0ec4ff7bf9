import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ConfigError, VaultError } from '../../core/errors.js';
import { createVaultAccess, type VaultAccess } from '../../core/vault/access.js';
import { listCompartments, listKeys, listVaults, testSignedCall, vaultManagementEndpoint } from '../../core/vault/discovery.js';
import { isEncryptedPem } from './api-key.js';
import { appendOciProfile } from './oci-config.js';
import { storePassphrase } from './passphrase.js';
import { installPlugin } from './plugin-install.js';
import { draftSettings, writeResolverYaml } from './resolver-file.js';
import type { DraftAnswers, WizardEffect, WizardEvent } from './wizard-state.js';

/** What performing the wizard's effects needs from outside. */
export interface WizardEffectDeps {
  ctx: Pick<AppContext, 'env' | 'homeDir'>;
  /** renders a failure for a message (never a secret value) */
  errorText: (err: unknown) => string;
  /** builds the vault access of the answers so far (default: createVaultAccess over draftSettings) */
  access?: (answers: DraftAnswers, passphrase: string | undefined) => VaultAccess;
  /**
   * A private (0700) temporary directory for a new profile until the last step writes it to the user's OCI config
   * (the caller creates and removes it); without it a new profile cannot be used before the last step.
   */
  stagingDir?: string;
  /** deadline of a live list or the test call (ms), like each doctor check's; default 10 000 */
  timeoutMs?: number;
}

/**
 * Performs one effect of the setup wizard (wizard-state.ts) and returns its outcome as the event to dispatch.
 * Live lists and the test call go through the vault layer (`probe` calls, the pager); the access signs with the
 * answers so far and the passphrase typed in this session. `run-doctor` is the UI's (it is not handled here).
 * @param signal cancels a list or test call (the user left the step)
 * @returns the outcome event (failures become `…Failed` events; this function does not throw)
 */
export async function performWizardEffect(effect: Exclude<WizardEffect, { kind: 'run-doctor' }>, deps: WizardEffectDeps, signal?: AbortSignal): Promise<WizardEvent> {
  const { id } = effect;
  const accessFor = (answers: DraftAnswers, passphrase: string | undefined): VaultAccess =>
    deps.access?.(answers, passphrase) ??
    createVaultAccess({ settings: draftSettings(answers), env: deps.ctx, lookupPassphrase: async () => passphrase });
  const timeoutMs = deps.timeoutMs ?? 10_000;
  // Each live list or test call has one deadline, like each doctor check: at it the calls are aborted and the step
  // shows "timed out after N ms" with retry and the OCID typed by hand.
  const load = async (what: string, run: (signal: AbortSignal) => Promise<unknown>): Promise<WizardEvent> => {
    const controller = new AbortController();
    const cancel = () => controller.abort();
    signal?.addEventListener('abort', cancel);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<WizardEvent>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({
          type: 'listFailed',
          id,
          error: new VaultError(`loading ${what} timed out after ${timeoutMs} ms`, { kind: 'timeout', hint: 'check the network and the region (or --endpoint); setup --timeout-ms sets the limit' }),
        });
      }, timeoutMs);
    });
    const work = run(controller.signal).then(
      (value): WizardEvent => ({ type: 'listLoaded', id, value }),
      (error): WizardEvent => ({ type: 'listFailed', id, error }),
    );
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  };
  switch (effect.kind) {
    case 'load-compartments':
      return load('the compartments', async (signal) => {
        const access = accessFor(effect.answers, effect.passphrase);
        const tenancy = (await access.clients()).auth?.tenancyId ?? (await tenancyOf(effect.answers.configFile));
        if (!tenancy) throw new ConfigError('the tenancy OCID is not known for this auth method');
        return listCompartments(access, tenancy, signal);
      });
    case 'load-vaults':
      return load('the vaults', (signal) => listVaults(accessFor(effect.answers, effect.passphrase), effect.compartmentId, signal));
    case 'load-keys':
      return load('the keys', async (signal) => {
        const access = accessFor(effect.answers, effect.passphrase);
        // a vault typed by hand: its management endpoint (where keys are listed) comes from GetVault
        const endpoint = effect.managementEndpoint || (await vaultManagementEndpoint(access, effect.answers.vaultId!, signal));
        return listKeys(access, endpoint, effect.compartmentId, signal);
      });
    case 'test-call':
      return load('a signed call', (signal) => testSignedCall(accessFor(effect.answers, effect.passphrase), effect.vaultId, signal));
    case 'stage-profile': {
      if (!deps.stagingDir) return { type: 'profileStageFailed', id, message: 'no private directory for the new profile' };
      const file = path.join(deps.stagingDir, `config-${id}`);
      return appendOciProfile(file, effect.name, effect.profile, deps.ctx.homeDir).then(
        (): WizardEvent => ({ type: 'profileStaged', id, file }),
        (err): WizardEvent => ({ type: 'profileStageFailed', id, message: deps.errorText(err) }),
      );
    }
    case 'append-profile':
      return appendOciProfile(effect.file, effect.name, effect.profile, deps.ctx.homeDir).then(
        (): WizardEvent => ({ type: 'profileAppended', id }),
        (err): WizardEvent => ({ type: 'profileAppendFailed', id, message: deps.errorText(err) }),
      );
    case 'write-resolver':
      return writeResolverYaml(effect.file, effect.text).then(
        ({ backup }): WizardEvent => ({ type: 'resolverWritten', id, backup }),
        (err): WizardEvent => ({ type: 'resolverWriteFailed', id, message: deps.errorText(err) }),
      );
    case 'store-passphrase':
      return storePassphrase(effect.profile, effect.passphrase).then(
        (): WizardEvent => ({ type: 'passphraseStored', id }),
        (err): WizardEvent => ({ type: 'passphraseStoreFailed', id, message: deps.errorText(err) }),
      );
    case 'install-plugin':
      return installPlugin(effect.source, effect.target).then(
        (): WizardEvent => ({ type: 'pluginInstalled', id }),
        (err): WizardEvent => ({ type: 'pluginInstallFailed', id, code: (err as NodeJS.ErrnoException).code ?? 'error' }),
      );
  }
}

/**
 * True when `keyFile` holds an encrypted PEM (the wizard then asks for its passphrase); false when it is not
 * encrypted or cannot be read (auth reports that later).
 */
export async function keyFileIsEncrypted(keyFile: string | undefined): Promise<boolean> {
  if (!keyFile) return false;
  return readFile(keyFile, 'utf8').then(isEncryptedPem, () => false);
}

/** The `tenancy` of the first profile line in an OCI config file (for auth methods that do not name one). */
async function tenancyOf(configFile: string | undefined): Promise<string | undefined> {
  if (!configFile) return undefined;
  const text = await readFile(configFile, 'utf8').catch(() => '');
  return /^\s*tenancy\s*=\s*(\S+)/m.exec(text)?.[1];
}
