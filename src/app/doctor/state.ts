import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ConfigError } from '../../core/errors.js';
import { loadSettings, type LoadedSettings } from '../../core/config/settings/index.js';
import { loadService, selectEnvironment, type ServiceDefinition, type ServiceSelection } from '../../core/config/services/index.js';
import type { Keychain } from '../../core/keychain.js';
import type { VaultAccess } from '../../core/vault/access.js';
import { parseOciConfigProfile } from '../../core/vault/auth.js';
import type { ResolutionReport } from '../../core/resolve/resolver.js';
import { planRun, type RunPlan } from '../run/plan.js';
import type { CheckOutcome } from './runner.js';

/** Options of a doctor run. */
export interface DoctorOptions {
  /** `--config FILE` */
  configFile?: string;
  /** services to check (`--service`, repeatable): names or paths */
  services?: string[];
  /** environment for the services' secrets (`--env`, else OCI_VAULT_ENVIRONMENT) */
  environment?: string;
  /** time limit of the MCP handshake per service, ms (servers started through npx may download first) */
  handshakeTimeoutMs?: number;
  /** our version, sent as the MCP client version */
  version?: string;
  /** clock-skew thresholds in seconds (default warn 60, fail 300: OCI rejects beyond 5 minutes) */
  skewWarnSeconds?: number;
  skewFailSeconds?: number;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail, hint: '' });
export const warn = (detail: string, hint: string): CheckOutcome => ({ status: 'warn', detail, hint });
export const fail = (detail: string, hint: string): CheckOutcome => ({ status: 'fail', detail, hint });
export const skip = (detail: string): CheckOutcome => ({ status: 'skip', detail, hint: '' });

/** A service as doctor sees it: its definition and environment, and (when the settings load) run's plan of it. */
export interface DoctorService {
  def: ServiceDefinition;
  sel: ServiceSelection;
  plan?: RunPlan;
}

/**
 * What doctor's checks share, each loaded once on first use: settings, the OCI config profile, the keychain, one
 * VaultAccess (every OCI call of doctor goes through it), the vault's management endpoint, the services' plans and
 * their resolved secrets. Secret values stay here, in memory, for the MCP handshake; no check result carries them.
 */
export class DoctorState {
  private loadedP?: Promise<LoadedSettings>;
  private accessP?: Promise<VaultAccess>;
  private keychainP?: Promise<Keychain>;
  private profileP?: Promise<Record<string, string>>;
  /** set by the vault check, read by the master-key check */
  managementEndpoint?: string;
  private services = new Map<string, Promise<DoctorService>>();
  /** per service: the resolver's report (values included; never printed) */
  readonly resolved = new Map<string, ResolutionReport>();

  constructor(
    readonly ctx: AppContext,
    readonly options: DoctorOptions,
  ) {}

  /** Settings as `run` loads them. @throws ConfigError */
  loaded(): Promise<LoadedSettings> {
    return (this.loadedP ??= loadSettings(this.ctx, { configFile: this.options.configFile }));
  }

  /** Settings, or undefined when they cannot be loaded (the settings check reports why). */
  loadedOrUndefined(): Promise<LoadedSettings | undefined> {
    return this.loaded().catch(() => undefined);
  }

  /** The OS keychain (the addon is loaded on first use). */
  keychain(): Promise<Keychain> {
    return (this.keychainP ??= import('../../core/keychain.js').then((m) => m.sharedKeychain()));
  }

  /** The passphrase of an encrypted API key stored by setup, or undefined (no keychain, nothing stored). */
  async passphraseFromKeychain(profile: string): Promise<string | undefined> {
    try {
      const { passphraseAccount } = await import('../../core/keychain.js');
      return (await (await this.keychain()).get(passphraseAccount(profile))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The one vault access of this doctor run (core/vault/access.ts): clients built on first call, every call
   * under a call profile (doctor uses `probe`: one look, no retry). @throws ConfigError when settings do not load
   */
  access(): Promise<VaultAccess> {
    return (this.accessP ??= this.loaded().then(async ({ settings }) => {
      const { createVaultAccess } = await import('../../core/vault/access.js');
      return createVaultAccess({ settings, env: this.ctx, lookupPassphrase: (profile) => this.passphraseFromKeychain(profile) });
    }));
  }

  /** The keys of the configured OCI config profile (DEFAULT's as defaults). @throws ConfigError */
  profile(): Promise<Record<string, string>> {
    return (this.profileP ??= this.loaded().then(async ({ settings }) => {
      const text = await readFile(settings.auth.config_file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new ConfigError(`cannot read the OCI config file (${err.code})`, {
          file: settings.auth.config_file,
          hint: 'run `docker vaultmcp setup` or `oci setup config`, or set auth.config_file / OCI_CONFIG_FILE',
        });
      });
      return parseOciConfigProfile(text, settings.auth.profile, settings.auth.config_file);
    }));
  }

  expandHome(p: string): string {
    return p.startsWith('~/') ? path.join(this.ctx.homeDir, p.slice(2)) : p;
  }

  /**
   * A service: with settings loaded, exactly run's plan of it (src/app/run/plan.ts: environment, working directory,
   * base environment, executable); without, only its definition and environment.
   * @throws ConfigError/UsageError for a bad definition or working directory
   */
  service(name: string): Promise<DoctorService> {
    let p = this.services.get(name);
    if (!p) {
      p = (async () => {
        const loaded = await this.loadedOrUndefined();
        if (loaded) {
          const plan = await planRun(this.ctx, { service: name, env: this.options.environment }, { settings: loaded });
          return { def: plan.service, sel: plan.selection, plan };
        }
        const def = await loadService(name, this.ctx);
        return { def, sel: selectEnvironment(def, this.options.environment) };
      })();
      this.services.set(name, p);
    }
    return p;
  }

  /** run's plan of a service. @throws what `run` would throw before reading secrets (settings, service, cwd) */
  async plan(name: string): Promise<RunPlan> {
    const s = await this.service(name);
    return s.plan ?? planRun(this.ctx, { service: name, env: this.options.environment, config: this.options.configFile });
  }
}
