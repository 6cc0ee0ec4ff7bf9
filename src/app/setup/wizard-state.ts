import type { AuthMethod } from '../../core/config/settings/schema.js';
import type { CompartmentChoice, KeyChoice, VaultChoice } from '../../core/vault/discovery.js';
import type { NewOciProfile, OciConfigFileInfo, OciProfileInfo } from './oci-config.js';
import type { PluginInstallPlan } from './plugin-install.js';
import type { SetupAnswers } from './resolver-file.js';

/**
 * The setup wizard as a pure state machine: `reduceWizard(state, event) → state` (no I/O, no React, no Ink) and
 * `wizardEffect(state)`, the one piece of I/O the current state waits for (a live list, the test call, a write).
 * The Ink wizard (src/ui/setup/wizard.tsx) renders the state, performs the effect (wizard-effects.ts) and reports
 * its outcome back as an event carrying the effect's `id`; outcomes of effects the user has left behind (Esc
 * while loading) are ignored.
 */

export type WizardStep =
  | 'profile'
  | 'new-file'
  | 'new-name'
  | 'new-tenancy'
  | 'new-user'
  | 'new-key'
  | 'new-region'
  | 'new-confirm'
  | 'auth'
  | 'region'
  | 'passphrase'
  | 'compartment'
  | 'vault'
  | 'key'
  | 'test'
  | 'store-pass'
  | 'review'
  | 'plugin'
  | 'doctor';

/** Steps whose content is a live list or the test call, loaded on entry (and again after Esc back into them). */
const LOADING_STEPS = new Set<WizardStep>(['compartment', 'vault', 'key', 'test']);

/** What the wizard starts from (discovered files, flags as defaults); never changes. */
export interface WizardConfig {
  configs: OciConfigFileInfo[];
  /** flags given as defaults (`--profile`, `--region`, …) */
  defaults: Partial<SetupAnswers>;
  /** `--endpoint` (emulator or private endpoint) */
  endpoint?: string;
  resolverFile: string;
  existingResolver?: string;
  pluginPlan: PluginInstallPlan;
}

/** The answers so far. `passphrase` is held in memory only (never in a message or an effect's description). */
export interface WizardDraft {
  configFile?: string;
  profile?: string;
  authMethod?: AuthMethod;
  region?: string;
  keyFile?: string;
  /** true when the key file is an encrypted PEM */
  keyEncrypted?: boolean;
  profileFingerprint?: string;
  /** true when the profile itself has `pass_phrase` */
  profileHasPassphrase?: boolean;
  passphrase?: string;
  storePass?: boolean;
  compartment?: CompartmentChoice;
  vault?: VaultChoice;
  /** null: the user chose "(none)" */
  key?: KeyChoice | null;
  newFile?: string;
  newName?: string;
  newTenancy?: string;
  newUser?: string;
  newKeyFile?: string;
  newFingerprint?: string;
  /**
   * A new profile confirmed but not yet added to `newFile` (it is added at the last step): a private temporary OCI
   * config file with only that profile, which the live lists and the test call sign with meanwhile.
   */
  stagedConfigFile?: string;
  /** the resolver.yaml text confirmed at the review step, written once the new profile is added */
  resolverText?: string;
}

/** A line of the wizard's log (shown at the end; the last failed one also under the current step). */
export interface WizardNote {
  text: string;
  ok: boolean;
}

/** The live content of a loading step. */
export type WizardLoad =
  | { status: 'loading'; attempt: number }
  | { status: 'loaded'; attempt: number; value: unknown }
  | { status: 'failed'; attempt: number; error: unknown };

/** An action the user confirmed, under way. */
export type WizardAction =
  | { kind: 'stage-profile'; name: string; profile: NewOciProfile }
  | { kind: 'append-profile'; file: string; name: string; profile: NewOciProfile }
  | { kind: 'write-resolver'; file: string; text: string }
  | { kind: 'store-passphrase'; profile: string; passphrase: string }
  | { kind: 'install-plugin'; source: string; target: string };

export interface WizardState {
  readonly config: WizardConfig;
  step: WizardStep;
  /** steps to return to with Esc, most recent last */
  history: WizardStep[];
  draft: WizardDraft;
  /** the list or test call of a loading step */
  load?: WizardLoad;
  /** a confirmed action under way */
  action?: WizardAction;
  /** id of the effect the state waits for; outcomes with another id are stale */
  seq: number;
  notes: WizardNote[];
  written: boolean;
  backup?: string;
  /** the doctor run at the end finished (its report is the UI's) */
  doctorDone: boolean;
  /** set when the wizard is over: `finished` (result reported) or `cancelled` (nothing reported) */
  outcome?: 'finished' | 'cancelled';
}

/** Partial answers for SDK clients of the live lists (draftSettings). */
export type DraftAnswers = Partial<SetupAnswers> & Pick<SetupAnswers, 'configFile' | 'profile' | 'authMethod'>;

/** The I/O the current state needs; `id` goes back in the outcome event. */
export type WizardEffect =
  | { id: number; kind: 'load-compartments'; answers: DraftAnswers; passphrase?: string }
  | { id: number; kind: 'load-vaults'; answers: DraftAnswers; passphrase?: string; compartmentId: string }
  | { id: number; kind: 'load-keys'; answers: DraftAnswers; passphrase?: string; managementEndpoint: string; compartmentId: string }
  | { id: number; kind: 'test-call'; answers: DraftAnswers; passphrase?: string; vaultId: string }
  | ({ id: number } & WizardAction)
  /** `configFile`: the file just written (doctor reads it first), when the wizard wrote one */
  | { id: number; kind: 'run-doctor'; configFile?: string };

export type WizardEvent =
  /** a profile of an existing config file; `keyEncrypted` says whether its key file is an encrypted PEM */
  | { type: 'profileChosen'; configFile: string; profile: OciProfileInfo; keyEncrypted: boolean }
  | { type: 'newProfileChosen' }
  /** a typed answer: new-file (path, `~` expanded), new-name, new-tenancy, new-user, new-region, region */
  | { type: 'answer'; value: string }
  /** the new profile's key was read (and decrypted with `passphrase` when encrypted) */
  | { type: 'newKeyRead'; keyFile: string; fingerprint: string; passphrase?: string }
  | { type: 'authChosen'; method: AuthMethod }
  | { type: 'passphraseEntered'; passphrase: string }
  | { type: 'compartmentChosen'; compartment: CompartmentChoice }
  | { type: 'vaultChosen'; vault: VaultChoice }
  | { type: 'keyChosen'; key: KeyChoice | null }
  /** an OCID typed by hand at the compartment, vault or key step (when the list fails, or instead of picking) */
  | { type: 'ocidTyped'; id: string }
  /** Enter after the test call */
  | { type: 'continue' }
  /** a yes/no answer: new-confirm, store-pass, review (with the previewed `text`), plugin */
  | { type: 'confirmed'; yes: boolean; text?: string }
  | { type: 'listLoaded'; id: number; value: unknown }
  | { type: 'listFailed'; id: number; error: unknown }
  | { type: 'retry' }
  | { type: 'profileStaged'; id: number; file: string }
  | { type: 'profileStageFailed'; id: number; message: string }
  | { type: 'profileAppended'; id: number }
  | { type: 'profileAppendFailed'; id: number; message: string }
  | { type: 'resolverWritten'; id: number; backup?: string }
  | { type: 'resolverWriteFailed'; id: number; message: string }
  | { type: 'passphraseStored'; id: number }
  | { type: 'passphraseStoreFailed'; id: number; message: string }
  | { type: 'pluginInstalled'; id: number }
  | { type: 'pluginInstallFailed'; id: number; code: string }
  | { type: 'doctorFinished'; id: number }
  /** Enter on the final screen */
  | { type: 'exit' }
  /** Esc: one step back (nothing on the first step) */
  | { type: 'back' }
  /** quit without a result (nothing written by the wizard after this) */
  | { type: 'cancel' };

/** The state the wizard starts in: the profile step, nothing answered. */
export function initialWizardState(config: WizardConfig): WizardState {
  return { config, step: 'profile', history: [], draft: {}, seq: 0, notes: [], written: false, doctorDone: false };
}

/**
 * The next state after `event` (pure; `state` is not modified). Events that make no sense in the current step,
 * and outcomes of effects the state no longer waits for, leave the state as it is.
 */
export function reduceWizard(state: WizardState, event: WizardEvent): WizardState {
  if (state.outcome) return state;
  const { draft, config } = state;
  switch (event.type) {
    case 'cancel':
      return { ...state, outcome: 'cancelled', action: undefined };
    case 'back':
      return state.action || state.step === 'doctor' || state.step === 'plugin' ? state : back(state);
    case 'profileChosen':
      if (state.step !== 'profile') return state;
      return go(state, 'auth', {
        configFile: event.configFile,
        profile: event.profile.name,
        region: config.defaults.region ?? event.profile.region,
        keyFile: event.profile.keyFile,
        keyEncrypted: event.keyEncrypted,
        profileFingerprint: event.profile.fingerprint,
        profileHasPassphrase: event.profile.hasPassphrase,
        authMethod: config.defaults.authMethod ?? (event.profile.hasSessionToken && !event.profile.user ? 'session_token' : 'api_key'),
        passphrase: undefined,
        stagedConfigFile: undefined,
      });
    case 'newProfileChosen':
      return state.step === 'profile' ? go(state, 'new-file') : state;
    case 'answer':
      switch (state.step) {
        case 'new-file':
          return go(state, 'new-name', { newFile: event.value });
        case 'new-name':
          return go(state, 'new-tenancy', { newName: event.value });
        case 'new-tenancy':
          return go(state, 'new-user', { newTenancy: event.value });
        case 'new-user':
          return go(state, 'new-key', { newUser: event.value });
        case 'new-region':
          return go(state, 'new-confirm', { region: event.value });
        case 'region': {
          const d = { ...draft, region: event.value };
          return go(state, needsPassphrase(d) ? 'passphrase' : 'compartment', { region: event.value });
        }
        default:
          return state;
      }
    case 'newKeyRead':
      if (state.step !== 'new-key') return state;
      return go(state, 'new-region', { newKeyFile: event.keyFile, newFingerprint: event.fingerprint, passphrase: event.passphrase });
    case 'authChosen':
      return state.step === 'auth' ? go(state, 'region', { authMethod: event.method }) : state;
    case 'passphraseEntered':
      return state.step === 'passphrase' ? go(state, 'compartment', { passphrase: event.passphrase }) : state;
    case 'compartmentChosen':
      return state.step === 'compartment' && state.load?.status === 'loaded' ? go(state, 'vault', { compartment: event.compartment }) : state;
    case 'vaultChosen':
      return state.step === 'vault' && state.load?.status === 'loaded' ? go(state, 'key', { vault: event.vault }) : state;
    case 'keyChosen':
      return state.step === 'key' && state.load?.status === 'loaded' ? go(state, 'test', { key: event.key }) : state;
    case 'continue':
      return state.step === 'test' && state.load?.status === 'loaded' ? go(state, draft.passphrase ? 'store-pass' : 'review') : state;
    case 'confirmed':
      if (state.action) return state;
      switch (state.step) {
        case 'new-confirm':
          if (!event.yes) return back(state);
          // nothing is written to the user's OCI config until the last step: a private staged copy signs meanwhile
          return act(state, { kind: 'stage-profile', name: draft.newName!, profile: newProfileOf(draft) });
        case 'store-pass':
          return go(state, 'review', { storePass: event.yes });
        case 'review':
          if (!event.yes) return { ...note(state, `${config.resolverFile} left unchanged`, false), outcome: 'finished' };
          if (event.text === undefined) return state;
          if (draft.stagedConfigFile) {
            const s = { ...state, draft: { ...draft, resolverText: event.text } };
            return act(s, { kind: 'append-profile', file: draft.newFile!, name: draft.newName!, profile: newProfileOf(draft) });
          }
          return act(state, { kind: 'write-resolver', file: config.resolverFile, text: event.text });
        case 'plugin': {
          const plan = config.pluginPlan;
          if (!event.yes || plan.action === 'skip') return go(note(state, 'Docker plugin not installed', false), 'doctor');
          return act(state, { kind: 'install-plugin', source: plan.source, target: plan.target });
        }
        default:
          return state;
      }
    case 'listLoaded':
      if (event.id !== state.seq || state.load?.status !== 'loading') return state;
      return { ...state, load: { status: 'loaded', attempt: state.load.attempt, value: event.value } };
    case 'listFailed':
      if (event.id !== state.seq || state.load?.status !== 'loading') return state;
      return { ...state, load: { status: 'failed', attempt: state.load.attempt, error: event.error } };
    case 'retry':
      if (state.load?.status !== 'failed') return state;
      return { ...state, load: { status: 'loading', attempt: state.load.attempt + 1 }, seq: state.seq + 1 };
    case 'ocidTyped': {
      const typed = state.load?.status === 'loaded' || state.load?.status === 'failed';
      if (!typed) return state;
      if (state.step === 'compartment') return go(state, 'vault', { compartment: { id: event.id, name: event.id, path: event.id, isRoot: false } });
      // the management endpoint of a typed vault is read with GetVault when its keys are listed (wizard-effects.ts)
      if (state.step === 'vault') return go(state, 'key', { vault: { id: event.id, displayName: event.id, lifecycleState: 'UNKNOWN', managementEndpoint: '' } });
      if (state.step === 'key') return go(state, 'test', { key: { id: event.id, displayName: event.id, lifecycleState: 'UNKNOWN' } });
      return state;
    }
    case 'profileAppended': {
      if (!awaits(state, event.id, 'append-profile')) return state;
      const s = note(done(state), `added profile [${draft.newName}] to ${draft.newFile}`);
      return act({ ...s, draft: { ...draft, stagedConfigFile: undefined, resolverText: undefined } }, { kind: 'write-resolver', file: config.resolverFile, text: draft.resolverText! });
    }
    case 'profileStaged':
      if (!awaits(state, event.id, 'stage-profile')) return state;
      return go(note(done(state), `profile [${draft.newName}] will be added to ${draft.newFile} at the last step`), 'auth', {
        stagedConfigFile: event.file,
        configFile: draft.newFile,
        profile: draft.newName,
        keyFile: draft.newKeyFile,
        keyEncrypted: draft.passphrase !== undefined,
        profileFingerprint: draft.newFingerprint,
        profileHasPassphrase: false,
        authMethod: 'api_key',
      });
    case 'profileStageFailed':
      return awaits(state, event.id, 'stage-profile') ? note(done(state), `could not prepare the profile: ${event.message}`, false) : state;
    case 'profileAppendFailed':
      // resolver.yaml is not written either: it would name a profile that does not exist
      return awaits(state, event.id, 'append-profile') ? note(done(state), `could not add the profile to ${draft.newFile}: ${event.message}; ${config.resolverFile} not written`, false) : state;
    case 'resolverWritten': {
      if (!awaits(state, event.id, 'write-resolver')) return state;
      const s = note({ ...done(state), written: true, backup: event.backup }, `wrote ${config.resolverFile}${event.backup ? ` (previous version kept as ${event.backup})` : ''}`);
      if (draft.storePass && draft.passphrase) return act(s, { kind: 'store-passphrase', profile: draft.profile!, passphrase: draft.passphrase });
      return afterWrite(s);
    }
    case 'resolverWriteFailed':
      return awaits(state, event.id, 'write-resolver') ? note(done(state), `could not write ${config.resolverFile}: ${event.message}`, false) : state;
    case 'passphraseStored':
      return awaits(state, event.id, 'store-passphrase') ? afterWrite(note(done(state), `stored the passphrase in the OS keychain (oci-passphrase:${draft.profile})`)) : state;
    case 'passphraseStoreFailed':
      return awaits(state, event.id, 'store-passphrase') ? afterWrite(note(done(state), `could not store the passphrase: ${event.message}`, false)) : state;
    case 'pluginInstalled':
      return awaits(state, event.id, 'install-plugin') ? go(note(done(state), `installed the Docker plugin as ${config.pluginPlan.target}`), 'doctor') : state;
    case 'pluginInstallFailed':
      return awaits(state, event.id, 'install-plugin') ? go(note(done(state), `could not install the Docker plugin (${event.code})`, false), 'doctor') : state;
    case 'doctorFinished':
      return state.step === 'doctor' && event.id === state.seq ? { ...state, doctorDone: true } : state;
    case 'exit':
      return state.step === 'doctor' && state.doctorDone ? { ...state, outcome: 'finished' } : state;
  }
}

/**
 * The I/O the state waits for, if any: the current loading step's list or test call (while `loading`), a
 * confirmed action, or the final doctor run. The same state always yields the same effect (same `id`).
 */
export function wizardEffect(state: WizardState): WizardEffect | undefined {
  if (state.outcome) return undefined;
  const id = state.seq;
  if (state.action) return { id, ...state.action };
  const { draft } = state;
  if (state.step === 'doctor') {
    return state.doctorDone ? undefined : { id, kind: 'run-doctor', configFile: state.written ? state.config.resolverFile : undefined };
  }
  if (state.load?.status !== 'loading') return undefined;
  const answers = draftAnswers(state);
  const passphrase = draft.passphrase;
  switch (state.step) {
    case 'compartment':
      return { id, kind: 'load-compartments', answers, passphrase };
    case 'vault':
      return { id, kind: 'load-vaults', answers, passphrase, compartmentId: draft.compartment!.id };
    case 'key':
      return { id, kind: 'load-keys', answers, passphrase, managementEndpoint: draft.vault!.managementEndpoint, compartmentId: draft.compartment!.id };
    case 'test':
      return { id, kind: 'test-call', answers, passphrase, vaultId: draft.vault!.id };
    default:
      return undefined;
  }
}

/** The answers as resolver.yaml takes them (review step; compartment and vault empty until chosen). */
export function wizardAnswers(state: WizardState): SetupAnswers {
  const d = state.draft;
  return {
    configFile: d.configFile!,
    profile: d.profile!,
    authMethod: d.authMethod!,
    region: d.region,
    compartmentId: d.compartment?.id ?? '',
    vaultId: d.vault?.id ?? '',
    keyId: d.key?.id,
    endpoint: state.config.endpoint,
  };
}

/** The new profile's values as entered so far (new-confirm step). */
export function newProfileOf(d: WizardDraft): NewOciProfile {
  return { tenancy: d.newTenancy!, user: d.newUser!, fingerprint: d.newFingerprint!, keyFile: d.newKeyFile!, region: d.region! };
}

function draftAnswers(state: WizardState): DraftAnswers {
  const d = state.draft;
  return { ...wizardAnswers(state), configFile: d.stagedConfigFile ?? d.configFile!, compartmentId: d.compartment?.id, vaultId: d.vault?.id };
}

/** The passphrase step: an encrypted key of a config-file method whose passphrase is not known yet. */
function needsPassphrase(d: WizardDraft): boolean {
  return (d.authMethod === 'api_key' || d.authMethod === 'session_token') && !!d.keyFile && !!d.keyEncrypted && !d.profileHasPassphrase && d.passphrase === undefined;
}

function enter(state: WizardState, step: WizardStep): WizardState {
  return { ...state, step, load: LOADING_STEPS.has(step) ? { status: 'loading', attempt: 0 } : undefined, seq: state.seq + 1 };
}

function go(state: WizardState, next: WizardStep, patch: Partial<WizardDraft> = {}): WizardState {
  return { ...enter(state, next), draft: { ...state.draft, ...patch }, history: [...state.history, state.step] };
}

function back(state: WizardState): WizardState {
  const previous = state.history[state.history.length - 1];
  if (previous === undefined) return state;
  return { ...enter(state, previous), history: state.history.slice(0, -1) };
}

function act(state: WizardState, action: WizardAction): WizardState {
  return { ...state, action, seq: state.seq + 1 };
}

function done(state: WizardState): WizardState {
  return { ...state, action: undefined };
}

function awaits(state: WizardState, id: number, kind: WizardAction['kind']): boolean {
  return state.action?.kind === kind && state.seq === id;
}

function note(state: WizardState, text: string, ok = true): WizardState {
  return { ...state, notes: [...state.notes, { text, ok }] };
}

function afterWrite(state: WizardState): WizardState {
  return go(state, state.config.pluginPlan.action === 'skip' ? 'doctor' : 'plugin');
}
