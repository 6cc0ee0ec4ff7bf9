import { readFile } from 'node:fs/promises';
import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import type { AppContext } from '../../core/context.js';
import { buildDoctorChecks, runChecks, summarize, type DoctorReport } from '../../app/doctor/index.js';
import { isVaultMcpError } from '../../core/errors.js';
import type { AuthMethod } from '../../core/config/settings/index.js';
import {
  initialWizardState,
  isEncryptedPem,
  keyFileIsEncrypted,
  keyFingerprint,
  newProfileOf,
  performWizardEffect,
  reduceWizard,
  renderOciProfile,
  renderResolverYaml,
  resolverFilePath,
  wizardAnswers,
  wizardEffect,
  type CompartmentChoice,
  type KeyChoice,
  type OciConfigFileInfo,
  type OciProfileInfo,
  type PluginInstallPlan,
  type SetupAnswers,
  type VaultChoice,
  type WizardStep,
} from '../../app/setup/index.js';
import type { WizardConfig } from '../../app/setup/wizard-state.js';
import { Confirm } from '../components/confirm.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { TextPrompt } from '../components/text-prompt.js';
import Spinner from 'ink-spinner';
import { ChecklistFeed, LiveChecklist } from '../doctor/live.js';

/** What the wizard starts from (discovered files, flags given on the command line as defaults). */
export interface WizardProps extends WizardConfig {
  ctx: AppContext;
  version: string;
  /** per-check limit for the final doctor run and each live list or test call, ms */
  doctorTimeoutMs: number;
  /** private temporary directory for a new profile until the last step writes it (the caller removes it) */
  stagingDir?: string;
  onDone: (result: WizardResult) => void;
}

/** How the wizard ended. `written` false when the user declined to replace an existing file. */
export interface WizardResult {
  written: boolean;
  file: string;
  backup?: string;
  doctor?: DoctorReport;
  messages: string[];
}

const TITLES: Record<WizardStep, string> = {
  profile: 'OCI config profile',
  'new-file': 'New profile: OCI config file',
  'new-name': 'New profile: name',
  'new-tenancy': 'New profile: tenancy OCID',
  'new-user': 'New profile: user OCID',
  'new-key': 'New profile: API private key',
  'new-region': 'New profile: region',
  'new-confirm': 'New profile: confirm',
  auth: 'Authentication method',
  region: 'Region',
  passphrase: 'API key passphrase',
  compartment: 'Compartment',
  vault: 'Vault',
  key: 'Master encryption key',
  test: 'Test a signed call',
  'store-pass': 'Store the passphrase',
  review: 'Write resolver.yaml',
  plugin: 'Docker CLI plugin',
  doctor: 'Doctor',
};

const LOADING_WHAT: Partial<Record<WizardStep, string>> = { compartment: 'compartments', vault: 'vaults', key: 'keys', test: 'a signed call' };
/** Steps whose choice can also be typed as an OCID, and the OCID kind. */
const OCID_KIND: Partial<Record<WizardStep, 'compartment' | 'vault' | 'key'>> = { compartment: 'compartment', vault: 'vault', key: 'key' };

const OCID = (kind: string) => new RegExp(`^ocid1\\.${kind}\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+$`);
const REGION = /^[a-z]+(-[a-z0-9]+)+-\d+$/;

/**
 * The interactive setup wizard (Ink): renders the state of the step reducer (app/setup/wizard-state.ts), turns
 * keys into its events and performs the effect the state asks for (app/setup/wizard-effects.ts). Nothing is
 * written before the final confirmed step: a new OCI config profile is kept in a private staging file (which the
 * live lists sign with) and added to the user's OCI config only then, just before resolver.yaml.
 * Esc goes back one step; Ctrl-C quits (Ink's exitOnCtrlC).
 */
export function SetupWizard(props: WizardProps) {
  const { ctx } = props;
  const { exit } = useApp();
  const [state, dispatch] = useReducer(reduceWizard, props, (p) =>
    initialWizardState({ configs: p.configs, defaults: p.defaults, endpoint: p.endpoint, resolverFile: p.resolverFile, existingResolver: p.existingResolver, pluginPlan: p.pluginPlan }),
  );
  const { step, draft, load } = state;
  // the OCID-by-hand input of a list step (UI state only: leaving it or the step forgets it)
  const [typingOcid, setTypingOcid] = useState(false);
  useEffect(() => setTypingOcid(false), [step, state.seq]);
  const doctorReport = useRef<DoctorReport>(undefined);
  const effect = wizardEffect(state);

  useEffect(() => {
    if (!effect || effect.kind === 'run-doctor') return;
    const controller = new AbortController();
    let live = true;
    void performWizardEffect(effect, { ctx, errorText: errText, stagingDir: props.stagingDir, timeoutMs: props.doctorTimeoutMs }, controller.signal).then((event) => live && dispatch(event));
    return () => {
      live = false;
      controller.abort();
    };
    // one run per effect id (the reducer ignores stale outcomes anyway)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [effect?.id]);

  useEffect(() => {
    if (state.outcome === 'finished') {
      props.onDone({ written: state.written, file: props.resolverFile, backup: state.backup, doctor: doctorReport.current, messages: state.notes.map((n) => n.text) });
      exit();
    } else if (state.outcome === 'cancelled') {
      exit();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.outcome]);

  const back = () => dispatch({ type: 'back' });
  // the resolver.yaml preview, rendered once per visit of the review step, so the text confirmed is the text shown
  const preview = useMemo(() => {
    if (step !== 'review') return undefined;
    try {
      return { text: renderResolverYaml(wizardAnswers(state), props.existingResolver) };
    } catch (err) {
      return { error: errText(err) };
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, state.seq]);
  const messages = state.notes;

  let body: ReactNode;
  switch (step) {
    case 'profile': {
      const items: Choice<{ file: string; profile: OciProfileInfo } | 'new'>[] = [];
      for (const cfg of props.configs) {
        for (const p of cfg.profiles) {
          items.push({ label: `${p.name}`, description: `${cfg.file}${p.region ? `  ${p.region}` : ''}${p.hasSessionToken ? '  session token' : ''}`, value: { file: cfg.file, profile: p } });
        }
      }
      items.push({ label: '+ Create a profile from an existing API key', value: 'new' });
      const initial = Math.max(0, items.findIndex((i) => i.value !== 'new' && i.value.profile.name === props.defaults.profile && (!props.defaults.configFile || i.value.file === props.defaults.configFile)));
      body = (
        <Box flexDirection="column">
          {items.length === 1 ? <Text>No OCI config profile found in {props.configs.map((c) => c.file).join(', ')}.</Text> : <Text>Which OCI config profile should sign requests?</Text>}
          <SelectList
            items={items}
            initialIndex={initial}
            onSelect={(v) => {
              if (v === 'new') return dispatch({ type: 'newProfileChosen' });
              void keyFileIsEncrypted(v.profile.keyFile).then((keyEncrypted) => dispatch({ type: 'profileChosen', configFile: v.file, profile: v.profile, keyEncrypted }));
            }}
            onBack={back}
          />
        </Box>
      );
      break;
    }
    case 'new-file':
      body = (
        <TextPrompt
          label="OCI config file to add the profile to"
          initial={props.configs.find((c) => c.exists)?.file ?? props.configs.find((c) => c.origin === '~/.oci/config')?.file ?? ''}
          validate={(v) => (v ? undefined : 'enter a path')}
          onSubmit={(v) => dispatch({ type: 'answer', value: expandHome(v, ctx.homeDir) })}
          onBack={back}
        />
      );
      break;
    case 'new-name': {
      const taken = new Set(props.configs.find((c) => c.file === draft.newFile)?.profiles.map((p) => p.name) ?? []);
      body = (
        <TextPrompt
          label="Profile name"
          initial={taken.has('DEFAULT') ? 'VAULTMCP' : 'DEFAULT'}
          validate={(v) => (!/^[A-Za-z0-9_.-]+$/.test(v) ? 'letters, digits, _ . - only' : taken.has(v) ? `profile [${v}] already exists in ${draft.newFile}: choose another name` : undefined)}
          onSubmit={(v) => dispatch({ type: 'answer', value: v })}
          onBack={back}
        />
      );
      break;
    }
    case 'new-tenancy':
      body = <TextPrompt label="Tenancy OCID" initial={draft.newTenancy} validate={(v) => (OCID('tenancy').test(v) ? undefined : 'expected ocid1.tenancy.oc1..…')} onSubmit={(v) => dispatch({ type: 'answer', value: v })} onBack={back} />;
      break;
    case 'new-user':
      body = <TextPrompt label="User OCID" initial={draft.newUser} validate={(v) => (OCID('user').test(v) ? undefined : 'expected ocid1.user.oc1..…')} onSubmit={(v) => dispatch({ type: 'answer', value: v })} onBack={back} />;
      break;
    case 'new-key':
      body = (
        <NewKeyStep
          homeDir={ctx.homeDir}
          initial={draft.newKeyFile}
          onBack={back}
          onDone={(keyFile, fingerprint, passphrase) => dispatch({ type: 'newKeyRead', keyFile, fingerprint, passphrase })}
        />
      );
      break;
    case 'new-region':
      body = <TextPrompt label="Home region (e.g. eu-frankfurt-1)" initial={draft.region ?? props.defaults.region ?? ''} validate={(v) => (REGION.test(v) ? undefined : 'expected a region identifier such as eu-frankfurt-1')} onSubmit={(v) => dispatch({ type: 'answer', value: v })} onBack={back} />;
      break;
    case 'new-confirm': {
      const profileText = renderOciProfile(draft.newName!, newProfileOf(draft));
      body = (
        <Box flexDirection="column">
          <Text>{`This profile will be appended to ${draft.newFile} (nothing else in it changes):`}</Text>
          <Box borderStyle="round" paddingX={1}>
            <Text>{profileText.trimEnd()}</Text>
          </Box>
          <Confirm question="Add it?" defaultYes onBack={back} onAnswer={(yes) => dispatch({ type: 'confirmed', yes })} />
        </Box>
      );
      break;
    }
    case 'auth': {
      const methods: Choice<AuthMethod>[] = [
        { label: 'api_key', description: 'API signing key from the OCI config profile', value: 'api_key' },
        { label: 'session_token', description: 'token from `oci session authenticate` (expires)', value: 'session_token' },
        { label: 'instance_principal', description: 'on an OCI compute instance (dynamic group)', value: 'instance_principal' },
        { label: 'resource_principal', description: 'inside OCI Functions / Data Flow', value: 'resource_principal' },
      ];
      body = (
        <Box flexDirection="column">
          <Text>How should docker vaultmcp authenticate?</Text>
          <SelectList items={methods} initialIndex={Math.max(0, methods.findIndex((m) => m.value === draft.authMethod))} onSelect={(method) => dispatch({ type: 'authChosen', method })} onBack={back} />
        </Box>
      );
      break;
    }
    case 'region':
      body = (
        <TextPrompt
          label="Region of the vault"
          initial={draft.region ?? ''}
          validate={(v) => (REGION.test(v) ? undefined : 'expected a region identifier such as eu-frankfurt-1')}
          onSubmit={(v) => dispatch({ type: 'answer', value: v })}
          onBack={back}
        />
      );
      break;
    case 'passphrase':
      body = (
        <Box flexDirection="column">
          <Text>{`${draft.keyFile} is encrypted. Its passphrase is used in memory for this setup (you can store it in the OS keychain later).`}</Text>
          <PassphraseStep keyFile={draft.keyFile!} onBack={back} onDone={(passphrase) => dispatch({ type: 'passphraseEntered', passphrase })} />
        </Box>
      );
      break;
    case 'compartment':
    case 'vault':
    case 'key':
    case 'test':
      if (load?.status === 'loading') body = <Loading what={LOADING_WHAT[step]!} onBack={back} />;
      else if (typingOcid && OCID_KIND[step]) body = <OcidEntry kind={OCID_KIND[step]!} onBack={() => setTypingOcid(false)} onSubmit={(id) => { setTypingOcid(false); dispatch({ type: 'ocidTyped', id }); }} />;
      else if (load?.status === 'failed') body = <LoadFailed error={load.error} canType={!!OCID_KIND[step]} onBack={back} onRetry={() => dispatch({ type: 'retry' })} onType={() => setTypingOcid(true)} />;
      else if (load?.status === 'loaded') body = loaded(step, load.value);
      break;
    case 'store-pass':
      body = (
        <Confirm
          question={`Store the passphrase in the OS keychain (service docker-vaultmcp, account oci-passphrase:${draft.profile})?`}
          defaultYes
          onBack={back}
          onAnswer={(yes) => dispatch({ type: 'confirmed', yes })}
        />
      );
      break;
    case 'review':
      body = (
        <ReviewStep
          preview={preview}
          file={props.resolverFile}
          replacing={props.existingResolver !== undefined}
          onBack={back}
          onAnswer={(yes) => dispatch({ type: 'confirmed', yes, text: preview?.text })}
        />
      );
      break;
    case 'plugin': {
      const plan = props.pluginPlan as Extract<PluginInstallPlan, { source: string }>;
      body = (
        <Confirm
          question={plan.action === 'replace' ? `Replace the Docker plugin at ${plan.target} with this binary?` : `Install this binary as the Docker plugin ${plan.target} (so \`docker vaultmcp\` works)?`}
          defaultYes={plan.action === 'install'}
          onAnswer={(yes) => dispatch({ type: 'confirmed', yes })}
        />
      );
      break;
    }
    case 'doctor': {
      const run = effect?.kind === 'run-doctor' ? effect : undefined;
      const configFile = state.written && props.resolverFile !== resolverFilePath(ctx) ? props.resolverFile : undefined;
      body = (
        <DoctorStep
          ctx={ctx}
          configFile={configFile}
          timeoutMs={props.doctorTimeoutMs}
          version={props.version}
          onDone={(report) => {
            doctorReport.current = report;
            if (run) dispatch({ type: 'doctorFinished', id: run.id });
          }}
          onExit={() => dispatch({ type: 'exit' })}
        />
      );
      break;
    }
  }

  function loaded(step: WizardStep, value: unknown): ReactNode {
    switch (step) {
      case 'compartment': {
        const items = value as CompartmentChoice[];
        return (
          <Box flexDirection="column">
            <Text>Which compartment holds the vault?</Text>
            <SelectList
              items={items.map((c) => ({ label: c.path, description: short(c.id), value: c }))}
              initialIndex={Math.max(0, items.findIndex((c) => c.id === (draft.compartment?.id ?? props.defaults.compartmentId)))}
              onSelect={(compartment) => dispatch({ type: 'compartmentChosen', compartment })}
              onBack={back}
            />
          </Box>
        );
      }
      case 'vault': {
        const items = value as VaultChoice[];
        return items.length === 0 ? (
          <Box flexDirection="column">
            <Text color="yellow">{`No vault in ${draft.compartment!.path}. Create one in the OCI console (Identity & Security → Vault), pick another compartment, or type a vault's OCID.`}</Text>
            <TypeOrBack onBack={back} onType={() => setTypingOcid(true)} />
          </Box>
        ) : (
          <Box flexDirection="column">
            <Text>Which vault stores the MCP secrets?</Text>
            <SelectList
              items={items.map((v) => ({ label: v.displayName, description: `${v.lifecycleState}  ${short(v.id)}`, value: v, disabled: v.lifecycleState !== 'ACTIVE' }))}
              initialIndex={Math.max(0, items.findIndex((v) => v.id === (draft.vault?.id ?? props.defaults.vaultId)))}
              onSelect={(vault) => dispatch({ type: 'vaultChosen', vault })}
              onBack={back}
            />
          </Box>
        );
      }
      case 'key': {
        const items = value as KeyChoice[];
        const choices: Choice<KeyChoice | null>[] = [
          ...items.map((k) => ({ label: k.displayName, description: `${k.lifecycleState}${k.algorithm ? ` ${k.algorithm}` : ''}  ${short(k.id)}`, value: k, disabled: k.lifecycleState !== 'ENABLED' })),
          { label: '(none)', description: 'only `secret upload` of new secrets needs a key', value: null },
        ];
        return (
          <Box flexDirection="column">
            <Text>Which master encryption key should new secrets use?</Text>
            <SelectList
              items={choices}
              initialIndex={Math.max(0, choices.findIndex((c) => (draft.key === null ? c.value === null : c.value !== null && c.value.id === (draft.key?.id ?? props.defaults.keyId))))}
              onSelect={(key) => dispatch({ type: 'keyChosen', key })}
              onBack={back}
            />
          </Box>
        );
      }
      default:
        return (
          <Box flexDirection="column">
            <Text color="green">{`✔ ${value as string}`}</Text>
            <ContinueOnly onBack={back} onContinue={() => dispatch({ type: 'continue' })} />
          </Box>
        );
    }
  }

  const done = step === 'doctor';
  return (
    <Box flexDirection="column">
      <Text bold color="cyan">{`docker vaultmcp setup · ${TITLES[step]}`}</Text>
      {done ? messages.map((m, i) => <Text key={i} color={m.ok ? 'green' : 'yellow'}>{`${m.ok ? '✔' : '•'} ${m.text}`}</Text>) : null}
      <Box key={`${step}:${state.seq}`} marginTop={1} flexDirection="column">
        {body}
      </Box>
      {!done && messages.length && !messages[messages.length - 1]!.ok ? <Text color="red">{messages[messages.length - 1]!.text}</Text> : null}
      {done ? null : (
        <Box marginTop={1}>
          <Text dimColor>↑↓ move · type to filter · Enter select · Esc back · Ctrl-C quit (nothing is written until the last step)</Text>
        </Box>
      )}
    </Box>
  );
}

function ReviewStep({ preview, file, replacing, onBack, onAnswer }: { preview?: { text?: string; error?: string }; file: string; replacing: boolean; onBack: () => void; onAnswer: (yes: boolean) => void }) {
  if (preview?.text === undefined) {
    return (
      <Box flexDirection="column">
        <Text color="red">{preview?.error ?? ''}</Text>
        <BackOnly onBack={onBack} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text>{`${replacing ? 'New content for' : 'This will be written to'} ${file}:`}</Text>
      <Box borderStyle="round" paddingX={1}>
        <Text>{preview.text.trimEnd()}</Text>
      </Box>
      <Confirm question={replacing ? `${file} exists. Replace it (a backup is kept)?` : 'Write it?'} defaultYes={!replacing} onBack={onBack} onAnswer={onAnswer} />
    </Box>
  );
}

/** A live list or call under way: a spinner, what is loading and the elapsed time (Esc goes back). */
function Loading({ what, onBack }: { what: string; onBack: () => void }) {
  useInput((_i, key) => key.escape && onBack());
  const [started] = useState(() => performance.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 100);
    return () => clearInterval(timer);
  }, []);
  return (
    <Text>
      <Spinner type="dots" />
      {` Loading ${what}… ${((performance.now() - started) / 1000).toFixed(1)} s`}
    </Text>
  );
}

function LoadFailed({ error, canType, onBack, onRetry, onType }: { error: unknown; canType: boolean; onBack: () => void; onRetry: () => void; onType: () => void }) {
  useInput((input, key) => {
    if (key.escape) onBack();
    else if (input === 'r') onRetry();
    else if (input === 'o' && canType) onType();
  });
  return (
    <Box flexDirection="column">
      <Text color="red">{`✖ ${errText(error)}`}</Text>
      {isVaultMcpError(error) && error.hint ? <Text color="yellow">{`  Try: ${error.hint}`}</Text> : null}
      <Text dimColor>{`r retry${canType ? ' · o type the OCID' : ''} · Esc back`}</Text>
    </Box>
  );
}

/** The OCID of a compartment, vault or key typed by hand (when its list cannot be loaded or does not show it). */
function OcidEntry({ kind, onSubmit, onBack }: { kind: 'compartment' | 'vault' | 'key'; onSubmit: (id: string) => void; onBack: () => void }) {
  const pattern = kind === 'compartment' ? [OCID('compartment'), OCID('tenancy')] : [OCID(kind)];
  return (
    <TextPrompt
      label={`${kind[0]!.toUpperCase()}${kind.slice(1)} OCID (ocid1.${kind}.oc1.…):`}
      validate={(v) => (pattern.some((re) => re.test(v)) ? undefined : `not a ${kind} OCID: expected ocid1.${kind}.oc1.…, as the OCI console shows it`)}
      onSubmit={onSubmit}
      onBack={onBack}
    />
  );
}

function TypeOrBack({ onBack, onType }: { onBack: () => void; onType: () => void }) {
  useInput((input, key) => {
    if (key.escape) onBack();
    else if (input === 'o') onType();
  });
  return <Text dimColor>o type the OCID · Esc back</Text>;
}

function BackOnly({ onBack }: { onBack: () => void }) {
  useInput((_i, key) => key.escape && onBack());
  return <Text dimColor>Esc back</Text>;
}

function ContinueOnly({ onBack, onContinue }: { onBack: () => void; onContinue: () => void }) {
  useInput((_i, key) => {
    if (key.escape) onBack();
    else if (key.return) onContinue();
  });
  return <Text dimColor>Enter continue · Esc back</Text>;
}

function PassphraseStep({ keyFile, onDone, onBack }: { keyFile: string; onDone: (p: string) => void; onBack: () => void }) {
  const [pem, setPem] = useState<string>();
  useEffect(() => {
    readFile(keyFile, 'utf8').then(setPem, () => setPem(''));
  }, [keyFile]);
  return (
    <TextPrompt
      label="Passphrase"
      mask
      validate={(v) => {
        if (!v) return 'enter the passphrase';
        try {
          keyFingerprint(pem ?? '', v);
          return undefined;
        } catch {
          return 'wrong passphrase (the key does not decrypt)';
        }
      }}
      onSubmit={onDone}
      onBack={onBack}
    />
  );
}

function NewKeyStep({ homeDir, initial, onDone, onBack }: { homeDir: string; initial?: string; onDone: (file: string, fingerprint: string, passphrase?: string) => void; onBack: () => void }) {
  const [file, setFile] = useState<string>();
  const [pem, setPem] = useState<string>();
  const [error, setError] = useState<string>();
  if (file && pem !== undefined) {
    return (
      <Box flexDirection="column">
        <Text>{`${file} is encrypted.`}</Text>
        <TextPrompt
          label="Passphrase"
          mask
          validate={(v) => {
            try {
              keyFingerprint(pem, v);
              return undefined;
            } catch {
              return 'wrong passphrase (the key does not decrypt)';
            }
          }}
          onSubmit={(v) => onDone(file, keyFingerprint(pem, v), v)}
          onBack={() => setPem(undefined)}
        />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <TextPrompt
        label="Path of the API private key (PEM)"
        initial={initial ?? '~/.oci/oci_api_key.pem'}
        onSubmit={(v) => {
          const p = expandHome(v, homeDir);
          readFile(p, 'utf8').then(
            (text) => {
              if (isEncryptedPem(text)) {
                setFile(p);
                setPem(text);
                return;
              }
              try {
                onDone(p, keyFingerprint(text));
              } catch (err) {
                setError(errText(err));
              }
            },
            (err: NodeJS.ErrnoException) => setError(`cannot read ${p} (${err.code})`),
          );
        }}
        onBack={onBack}
      />
      {error ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}

function DoctorStep({ ctx, configFile, timeoutMs, version, onDone, onExit }: { ctx: AppContext; configFile?: string; timeoutMs: number; version: string; onDone: (r: DoctorReport) => void; onExit: () => void }) {
  const [feed] = useState(() => {
    // The file just written is read first (it may be a --config file), then the usual sources, as `run` does.
    const checks = buildDoctorChecks(ctx, { configFile, version, handshakeTimeoutMs: timeoutMs });
    return { checks, feed: new ChecklistFeed(checks) };
  });
  const [finished, setFinished] = useState(false);
  useEffect(() => {
    const t0 = performance.now();
    runChecks(feed.checks, { timeoutMs, onStart: feed.feed.start, onResult: feed.feed.result }).then((results) => {
      const report = summarize(results, performance.now() - t0);
      feed.feed.finish(report);
      onDone(report);
      setFinished(true);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const finishedRef = useRef(false);
  finishedRef.current = finished;
  useInput((_i, key) => {
    if (key.return && finishedRef.current) onExit();
  });
  return (
    <Box flexDirection="column">
      <LiveChecklist feed={feed.feed} />
      {finished ? <Text bold>Setup complete. Press Enter to exit.</Text> : null}
    </Box>
  );
}

function short(ocid: string): string {
  return ocid.length > 40 ? `${ocid.slice(0, 24)}…${ocid.slice(-8)}` : ocid;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? `${home}/${p.slice(2)}` : p;
}

function errText(err: unknown): string {
  if (isVaultMcpError(err)) return err.message;
  if (err instanceof Error && /tenancy OCID/.test(err.message)) return err.message;
  return `unexpected error (${err instanceof Error ? err.constructor.name : typeof err})`;
}

