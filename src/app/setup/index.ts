export { isEncryptedPem, keyFingerprint } from './api-key.js';
export { listCompartments, listKeys, listVaults, testSignedCall, type CompartmentChoice, type KeyChoice, type VaultChoice } from '../../core/vault/discovery.js';
export {
  appendOciProfile,
  discoverOciConfigs,
  parseOciConfig,
  renderOciProfile,
  type NewOciProfile,
  type OciConfigFileInfo,
  type OciProfileInfo,
} from './oci-config.js';
export { installPlugin, planPluginInstall, runningAsCompiledBinary, type PluginInstallPlan } from './plugin-install.js';
export { backupPath, draftSettings, readExistingResolver, renderResolverYaml, resolverFilePath, writeResolverYaml, type SetupAnswers } from './resolver-file.js';
export { storePassphrase } from './passphrase.js';
export {
  initialWizardState,
  newProfileOf,
  reduceWizard,
  wizardAnswers,
  wizardEffect,
  type DraftAnswers,
  type WizardConfig,
  type WizardDraft,
  type WizardEffect,
  type WizardEvent,
  type WizardState,
  type WizardStep,
} from './wizard-state.js';
export { keyFileIsEncrypted, performWizardEffect, type WizardEffectDeps } from './wizard-effects.js';
