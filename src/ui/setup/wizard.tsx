import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppContext } from '../../core/context.js';
import { buildDoctorChecks, runChecks, summarize, type DoctorReport } from '../../app/doctor/index.js';
import { isVaultMcpError } from '../../core/errors.js';
import { createOciClients, type OciClients } from '../../core/vault/index.js';
import type { AuthMethod } from '../../core/config/settings/index.js';
import {
  appendOciProfile,
  draftSettings,
  installPlugin,
  isEncryptedPem,
  keyFingerprint,
  listCompartments,
  listKeys,
  listVaults,
  renderOciProfile,
  renderResolverYaml,
  resolverFilePath,
  storePassphrase,
  testSignedCall,
  writeResolverYaml,
  type CompartmentChoice,
  type KeyChoice,
  type OciConfigFileInfo,
  type PluginInstallPlan,
  type SetupAnswers,
  type VaultChoice,
} from '../../app/setup/index.js';
import { Confirm } from '../components/confirm.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { TextPrompt } from '../components/text-prompt.js';
import { ChecklistFeed, LiveChecklist } from '../doctor/live.js';

/** What the wizard starts from (discovered files, flags given on the command line as defaults). */
export interface WizardProps {
  ctx: AppContext;
  configs: OciConfigFileInfo[];
  /** flags given as defaults (`--profile`, `--region`, …) */
  defaults: Partial<SetupAnswers>;
  /** `--endpoint` (emulator or private endpoint) */
  endpoint?: string;
  resolverFile: string;
  existingResolver?: string;
  pluginPlan: PluginInstallPlan;
  version: string;
  /** per-check limit for the final doctor run, ms */
  doctorTimeoutMs: number;
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

type Step =
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

const TITLES: Record<Step, string> = {
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

interface Draft {
  configFile?: string;
  profile?: string;
  authMethod?: AuthMethod;
  region?: string;
  keyFile?: string;
  profileFingerprint?: string;
  profileHasPassphrase?: boolean;
  passphrase?: string;
  storePass?: boolean;
  compartment?: CompartmentChoice;
  vault?: VaultChoice;
  key?: KeyChoice | null;
  // new profile
  newFile?: string;
  newName?: string;
  newTenancy?: string;
  newUser?: string;
  newKeyFile?: string;
  newFingerprint?: string;
}

const OCID = (kind: string) => new RegExp(`^ocid1\\.${kind}\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+$`);
const REGION = /^[a-z]+(-[a-z0-9]+)+-\d+$/;

/**
 * The interactive setup wizard (Ink). Nothing is written before the final confirmed step, except a new OCI
 * config profile, which has its own confirmation. Esc goes back one step; Ctrl-C quits (Ink's exitOnCtrlC).
 */
export function SetupWizard(props: WizardProps) {
  const { ctx } = props;
  const { exit } = useApp();
  const [step, setStep] = useState<Step>('profile');
  const [history, setHistory] = useState<Step[]>([]);
  const [draft, setDraft] = useState<Draft>({});
  const [messages, setMessages] = useState<Array<{ text: string; ok: boolean }>>([]);
  const result = useRef<WizardResult>({ written: false, file: props.resolverFile, messages: [] });

  const go = (next: Step, patch: Partial<Draft> = {}) => {
    setDraft((d) => ({ ...d, ...patch }));
    setHistory((h) => [...h, step]);
    setStep(next);
  };
  const back = () => {
    setHistory((h) => {
      if (h.length === 0) return h;
      setStep(h[h.length - 1]!);
      return h.slice(0, -1);
    });
  };
  const note = (m: string, ok = true) => {
    result.current.messages.push(m);
    setMessages((ms) => [...ms, { text: m, ok }]);
  };
  const finish = () => {
    props.onDone(result.current);
    exit();
  };

  const answers = (d: Draft): SetupAnswers => ({
    configFile: d.configFile!,
    profile: d.profile!,
    authMethod: d.authMethod!,
    region: d.region,
    compartmentId: d.compartment?.id ?? '',
    vaultId: d.vault?.id ?? '',
    keyId: d.key?.id,
    endpoint: props.endpoint,
  });

  const clientsFor = (d: Draft): Promise<OciClients> =>
    createOciClients(draftSettings({ ...answers(d), compartmentId: d.compartment?.id, vaultId: d.vault?.id }), ctx, {
      lookupPassphrase: async () => d.passphrase,
    });

  const afterAuth = (d: Draft): Step => (d.authMethod === 'api_key' || d.authMethod === 'session_token') && d.keyFile && !d.profileHasPassphrase && needsPassphrase(d.keyFile) ? 'passphrase' : 'compartment';

  let body: ReactNode;
  switch (step) {
    case 'profile': {
      const items: Choice<{ file: string; profile?: string } | 'new'>[] = [];
      for (const cfg of props.configs) {
        for (const p of cfg.profiles) {
          items.push({ label: `${p.name}`, description: `${cfg.file}${p.region ? `  ${p.region}` : ''}${p.hasSessionToken ? '  session token' : ''}`, value: { file: cfg.file, profile: p.name } });
        }
      }
      items.push({ label: '+ Create a profile from an existing API key', value: 'new' });
      const initial = Math.max(0, items.findIndex((i) => i.value !== 'new' && i.value.profile === props.defaults.profile && (!props.defaults.configFile || i.value.file === props.defaults.configFile)));
      body = (
        <Box flexDirection="column">
          {items.length === 1 ? <Text>No OCI config profile found in {props.configs.map((c) => c.file).join(', ')}.</Text> : <Text>Which OCI config profile should sign requests?</Text>}
          <SelectList
            items={items}
            initialIndex={initial}
            onSelect={(v) => {
              if (v === 'new') return go('new-file');
              const cfg = props.configs.find((c) => c.file === v.file)!;
              const p = cfg.profiles.find((x) => x.name === v.profile)!;
              go('auth', {
                configFile: v.file,
                profile: p.name,
                region: props.defaults.region ?? p.region,
                keyFile: p.keyFile,
                profileFingerprint: p.fingerprint,
                profileHasPassphrase: p.hasPassphrase,
                authMethod: props.defaults.authMethod ?? (p.hasSessionToken && !p.user ? 'session_token' : 'api_key'),
                passphrase: undefined,
              });
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
          onSubmit={(v) => go('new-name', { newFile: expandHome(v, ctx.homeDir) })}
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
          onSubmit={(v) => go('new-tenancy', { newName: v })}
          onBack={back}
        />
      );
      break;
    }
    case 'new-tenancy':
      body = <TextPrompt label="Tenancy OCID" initial={draft.newTenancy} validate={(v) => (OCID('tenancy').test(v) ? undefined : 'expected ocid1.tenancy.oc1..…')} onSubmit={(v) => go('new-user', { newTenancy: v })} onBack={back} />;
      break;
    case 'new-user':
      body = <TextPrompt label="User OCID" initial={draft.newUser} validate={(v) => (OCID('user').test(v) ? undefined : 'expected ocid1.user.oc1..…')} onSubmit={(v) => go('new-key', { newUser: v })} onBack={back} />;
      break;
    case 'new-key':
      body = <NewKeyStep homeDir={ctx.homeDir} initial={draft.newKeyFile} onBack={back} onDone={(file, fp, pass) => go('new-region', { newKeyFile: file, newFingerprint: fp, passphrase: pass })} />;
      break;
    case 'new-region':
      body = <TextPrompt label="Home region (e.g. eu-frankfurt-1)" initial={draft.region ?? props.defaults.region ?? ''} validate={(v) => (REGION.test(v) ? undefined : 'expected a region identifier such as eu-frankfurt-1')} onSubmit={(v) => go('new-confirm', { region: v })} onBack={back} />;
      break;
    case 'new-confirm': {
      const profileText = renderOciProfile(draft.newName!, { tenancy: draft.newTenancy!, user: draft.newUser!, fingerprint: draft.newFingerprint!, keyFile: draft.newKeyFile!, region: draft.region! });
      body = (
        <Box flexDirection="column">
          <Text>{`This profile will be appended to ${draft.newFile} (nothing else in it changes):`}</Text>
          <Box borderStyle="round" paddingX={1}>
            <Text>{profileText.trimEnd()}</Text>
          </Box>
          <Confirm
            question="Add it?"
            defaultYes
            onBack={back}
            onAnswer={(yes) => {
              if (!yes) return back();
              appendOciProfile(draft.newFile!, draft.newName!, { tenancy: draft.newTenancy!, user: draft.newUser!, fingerprint: draft.newFingerprint!, keyFile: draft.newKeyFile!, region: draft.region! }, ctx.homeDir)
                .then(() => {
                  note(`added profile [${draft.newName}] to ${draft.newFile}`);
                  go('auth', { configFile: draft.newFile, profile: draft.newName, keyFile: draft.newKeyFile, profileFingerprint: draft.newFingerprint, profileHasPassphrase: false, authMethod: 'api_key' });
                })
                .catch((err) => note(`could not add the profile: ${errText(err)}`, false));
            }}
          />
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
          <SelectList items={methods} initialIndex={Math.max(0, methods.findIndex((m) => m.value === draft.authMethod))} onSelect={(m) => go('region', { authMethod: m })} onBack={back} />
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
          onSubmit={(v) => {
            const d = { ...draft, region: v };
            go(afterAuth(d), { region: v });
          }}
          onBack={back}
        />
      );
      break;
    case 'passphrase':
      body = (
        <Box flexDirection="column">
          <Text>{`${draft.keyFile} is encrypted. Its passphrase is used in memory for this setup (you can store it in the OS keychain later).`}</Text>
          <PassphraseStep keyFile={draft.keyFile!} onBack={back} onDone={(p) => go('compartment', { passphrase: p })} />
        </Box>
      );
      break;
    case 'compartment':
      body = (
        <Loader
          what="compartments"
          load={async () => {
            const clients = await clientsFor(draft);
            const tenancy = clients.auth.tenancyId ?? (await tenancyOf(draft));
            if (!tenancy) throw new Error('the tenancy OCID is not known for this auth method');
            return listCompartments(clients, tenancy);
          }}
          onBack={back}
          render={(items: CompartmentChoice[]) => (
            <Box flexDirection="column">
              <Text>Which compartment holds the vault?</Text>
              <SelectList
                items={items.map((c) => ({ label: c.path, description: short(c.id), value: c }))}
                initialIndex={Math.max(0, items.findIndex((c) => c.id === (draft.compartment?.id ?? props.defaults.compartmentId)))}
                onSelect={(c) => go('vault', { compartment: c })}
                onBack={back}
              />
            </Box>
          )}
        />
      );
      break;
    case 'vault':
      body = (
        <Loader
          what="vaults"
          load={async () => listVaults(await clientsFor(draft), draft.compartment!.id)}
          onBack={back}
          render={(items: VaultChoice[]) =>
            items.length === 0 ? (
              <Box flexDirection="column">
                <Text color="yellow">{`No vault in ${draft.compartment!.path}. Create one in the OCI console (Identity & Security → Vault) or pick another compartment.`}</Text>
                <BackOnly onBack={back} />
              </Box>
            ) : (
              <Box flexDirection="column">
                <Text>Which vault stores the MCP secrets?</Text>
                <SelectList
                  items={items.map((v) => ({ label: v.displayName, description: `${v.lifecycleState}  ${short(v.id)}`, value: v, disabled: v.lifecycleState !== 'ACTIVE' }))}
                  initialIndex={Math.max(0, items.findIndex((v) => v.id === (draft.vault?.id ?? props.defaults.vaultId)))}
                  onSelect={(v) => go('key', { vault: v })}
                  onBack={back}
                />
              </Box>
            )
          }
        />
      );
      break;
    case 'key':
      body = (
        <Loader
          what="keys"
          load={async () => listKeys(await clientsFor(draft), draft.vault!.managementEndpoint, draft.compartment!.id)}
          onBack={back}
          render={(items: KeyChoice[]) => {
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
                  onSelect={(k) => go('test', { key: k })}
                  onBack={back}
                />
              </Box>
            );
          }}
        />
      );
      break;
    case 'test':
      body = (
        <Loader
          what="a signed call"
          load={async () => testSignedCall(await clientsFor(draft), draft.vault!.id)}
          onBack={back}
          render={(detail: string) => (
            <Box flexDirection="column">
              <Text color="green">{`✔ ${detail}`}</Text>
              <ContinueOnly onBack={back} onContinue={() => go(draft.passphrase ? 'store-pass' : 'review')} />
            </Box>
          )}
        />
      );
      break;
    case 'store-pass':
      body = (
        <Confirm
          question={`Store the passphrase in the OS keychain (service docker-vaultmcp, account oci-passphrase:${draft.profile})?`}
          defaultYes
          onBack={back}
          onAnswer={(yes) => go('review', { storePass: yes })}
        />
      );
      break;
    case 'review': {
      let text: string;
      try {
        text = renderResolverYaml(answers(draft), props.existingResolver);
      } catch (err) {
        body = (
          <Box flexDirection="column">
            <Text color="red">{errText(err)}</Text>
            <BackOnly onBack={back} />
          </Box>
        );
        break;
      }
      const replacing = props.existingResolver !== undefined;
      body = (
        <Box flexDirection="column">
          <Text>{`${replacing ? 'New content for' : 'This will be written to'} ${props.resolverFile}:`}</Text>
          <Box borderStyle="round" paddingX={1}>
            <Text>{text.trimEnd()}</Text>
          </Box>
          <Confirm
            question={replacing ? `${props.resolverFile} exists. Replace it (a backup is kept)?` : 'Write it?'}
            defaultYes={!replacing}
            onBack={back}
            onAnswer={(yes) => {
              if (!yes) {
                note(`${props.resolverFile} left unchanged`, false);
                return finish();
              }
              void (async () => {
                try {
                  const { backup } = await writeResolverYaml(props.resolverFile, text);
                  result.current.written = true;
                  result.current.backup = backup;
                  note(`wrote ${props.resolverFile}${backup ? ` (previous version kept as ${backup})` : ''}`);
                  if (draft.storePass && draft.passphrase) {
                    await storePassphrase(draft.profile!, draft.passphrase).then(
                      () => note(`stored the passphrase in the OS keychain (oci-passphrase:${draft.profile})`),
                      (err) => note(`could not store the passphrase: ${errText(err)}`, false),
                    );
                  }
                  go(props.pluginPlan.action === 'skip' ? 'doctor' : 'plugin');
                } catch (err) {
                  note(`could not write ${props.resolverFile}: ${errText(err)}`, false);
                }
              })();
            }}
          />
        </Box>
      );
      break;
    }
    case 'plugin': {
      const plan = props.pluginPlan as Extract<PluginInstallPlan, { source: string }>;
      body = (
        <Confirm
          question={plan.action === 'replace' ? `Replace the Docker plugin at ${plan.target} with this binary?` : `Install this binary as the Docker plugin ${plan.target} (so \`docker vaultmcp\` works)?`}
          defaultYes={plan.action === 'install'}
          onAnswer={(yes) => {
            if (!yes) {
              note('Docker plugin not installed', false);
              return go('doctor');
            }
            installPlugin(plan.source, plan.target).then(
              () => {
                note(`installed the Docker plugin as ${plan.target}`);
                go('doctor');
              },
              (err) => {
                note(`could not install the Docker plugin (${(err as NodeJS.ErrnoException).code ?? 'error'})`, false);
                go('doctor');
              },
            );
          }}
        />
      );
      break;
    }
    case 'doctor':
      body = <DoctorStep ctx={ctx} configFile={result.current.written && props.resolverFile !== resolverFilePath(ctx) ? props.resolverFile : undefined} timeoutMs={props.doctorTimeoutMs} version={props.version} onDone={(report) => (result.current.doctor = report)} onExit={finish} />;
      break;
  }

  const done = step === 'doctor';
  return (
    <Box flexDirection="column">
      <Text bold color="cyan">{`docker vaultmcp setup · ${TITLES[step]}`}</Text>
      {done ? messages.map((m, i) => <Text key={i} color={m.ok ? 'green' : 'yellow'}>{`${m.ok ? '✔' : '•'} ${m.text}`}</Text>) : null}
      <Box key={step} marginTop={1} flexDirection="column">
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

function Loader<T>({ what, load, render, onBack }: { what: string; load: () => Promise<T>; render: (value: T) => ReactNode; onBack: () => void }) {
  const [state, setState] = useState<{ value?: T; error?: unknown; done: boolean }>({ done: false });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ done: false });
    load().then(
      (value) => live && setState({ value, done: true }),
      (error) => live && setState({ error, done: true }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt]);
  useInput(
    (input, key) => {
      if (key.escape) onBack();
      else if (input === 'r' && state.done && state.error !== undefined) setAttempt((a) => a + 1);
    },
    { isActive: !state.done || state.error !== undefined },
  );
  if (!state.done) return <Text>{`Loading ${what}…`}</Text>;
  if (state.error !== undefined) {
    const e = state.error;
    return (
      <Box flexDirection="column">
        <Text color="red">{`✖ ${errText(e)}`}</Text>
        {isVaultMcpError(e) && e.hint ? <Text color="yellow">{`  Try: ${e.hint}`}</Text> : null}
        <Text dimColor>r retry · Esc back</Text>
      </Box>
    );
  }
  return <>{render(state.value as T)}</>;
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

function needsPassphrase(keyFile: string): boolean {
  try {
    return isEncryptedPem(readFileSync(keyFile, 'utf8'));
  } catch {
    return false;
  }
}

async function tenancyOf(d: Draft): Promise<string | undefined> {
  if (!d.configFile) return undefined;
  const text = await readFile(d.configFile, 'utf8').catch(() => '');
  return /^\s*tenancy\s*=\s*(\S+)/m.exec(text)?.[1];
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

