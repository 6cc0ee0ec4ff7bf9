import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ConfigError, isVaultMcpError, VaultError } from '../../core/errors.js';
import { buildChildEnv } from '../../core/launcher/env.js';
import { resolveExecutable } from '../../core/launcher/executable.js';
import { serverWorkingDirectory } from '../../core/launcher/workdir.js';
import { classifyOciError, createOciClients, parseOciConfigProfile, withCallSignal, type OciClients } from '../../core/vault/index.js';
import { loadSettings, type LoadedSettings } from '../../core/config/settings/index.js';
import { loadService, selectEnvironment, type ServiceDefinition, type ServiceSelection } from '../../core/config/services/index.js';
import { isEncryptedPem, keyFingerprint } from '../setup/api-key.js';
import type { Keychain } from '../../core/keychain.js';
import { mcpHandshake } from '../../core/mcp/probe.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fetchSecretBundle, type ProbedSecret } from './vault-probe.js';

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

/** Clock skew thresholds, seconds. */
export const SKEW_WARN_SECONDS = 60;
export const SKEW_FAIL_SECONDS = 300;

/**
 * Builds doctor's checks for this context as data (see runner.ts). Checks share lazily loaded state (settings,
 * SDK clients, the vault's management endpoint, the services' secrets) so nothing is loaded twice; secret values
 * stay in memory for the MCP handshake and are never part of any result.
 *
 * Check ids: settings, oci-config, key-file, key-fingerprint, auth, clock-skew, vault, master-key, keychain,
 * cache, service:<name>:definition, service:<name>:command, service:<name>:secrets, service:<name>:handshake,
 * docker-cli, docker-plugin.
 */
export function buildDoctorChecks(ctx: AppContext, options: DoctorOptions = {}): DoctorCheck[] {
  const state = new DoctorState(ctx, options);
  const checks: DoctorCheck[] = [
    { id: 'settings', title: 'Settings found and valid', run: () => state.checkSettings() },
    { id: 'oci-config', title: 'OCI config file and profile', needs: ['settings'], runAfterFailure: true, run: () => state.checkOciConfig() },
    { id: 'key-file', title: 'API key file readable, mode 0600', needs: ['oci-config'], run: () => state.checkKeyFile() },
    { id: 'key-fingerprint', title: 'Fingerprint in the profile matches the key', needs: ['key-file'], run: () => state.checkFingerprint() },
    { id: 'auth', title: 'Authentication (a signed vault call)', needs: ['settings'], runAfterFailure: true, run: (s) => state.checkAuth(s) },
    { id: 'clock-skew', title: 'Clock skew against the vault', needs: ['settings'], runAfterFailure: true, run: (s) => state.checkClockSkew(s) },
    { id: 'vault', title: 'Vault reachable', needs: ['auth'], run: (s) => state.checkVault(s) },
    { id: 'master-key', title: 'Master encryption key usable for upload', needs: ['vault'], run: (s) => state.checkMasterKey(s) },
    { id: 'keychain', title: 'OS keychain available and unlocked', run: () => state.checkKeychain() },
    { id: 'cache', title: 'Secret cache directory and entries', needs: ['settings'], runAfterFailure: true, run: () => state.checkCache() },
  ];
  for (const name of options.services ?? []) {
    const id = (part: string) => `service:${name}:${part}`;
    checks.push(
      { id: id('definition'), title: `Service '${name}': definition valid`, run: () => state.checkServiceDefinition(name) },
      { id: id('command'), title: `Service '${name}': server command on PATH`, needs: [id('definition')], run: () => state.checkServiceCommand(name) },
      { id: id('secrets'), title: `Service '${name}': secrets resolvable`, needs: [id('definition'), 'auth'], run: (s) => state.checkServiceSecrets(name, s) },
      {
        id: id('handshake'),
        title: `Service '${name}': MCP handshake`,
        needs: [id('command'), id('secrets')],
        timeoutMs: options.handshakeTimeoutMs,
        timeoutHint: `the server did not finish initialize + tools/list in time (npx may still be downloading it): start it once by hand, or rerun with a larger --timeout-ms`,
        run: (s) => state.checkHandshake(name, s),
      },
    );
  }
  checks.push(
    { id: 'docker-cli', title: 'Docker CLI present', run: (s) => state.checkDockerCli(s) },
    { id: 'docker-plugin', title: 'Docker CLI plugin installed', run: (s) => state.checkDockerPlugin(s) },
  );
  return checks;
}

const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail, hint: '' });
const warn = (detail: string, hint: string): CheckOutcome => ({ status: 'warn', detail, hint });
const fail = (detail: string, hint: string): CheckOutcome => ({ status: 'fail', detail, hint });
const skip = (detail: string): CheckOutcome => ({ status: 'skip', detail, hint: '' });

const SETTING_KEYS_SHOWN = ['vault.vault_id', 'vault.region', 'vault.endpoint', 'auth.method', 'auth.config_file', 'auth.profile'];

class DoctorState {
  private loadedP?: Promise<LoadedSettings>;
  private clientsP?: Promise<OciClients>;
  private keychainP?: Promise<Keychain>;
  private profileP?: Promise<Record<string, string>>;
  private managementEndpoint?: string;
  private services = new Map<string, Promise<{ def: ServiceDefinition; sel: ServiceSelection }>>();
  private secrets = new Map<string, Map<string, ProbedSecret>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: DoctorOptions,
  ) {}

  private loaded(): Promise<LoadedSettings> {
    return (this.loadedP ??= loadSettings(this.ctx, { configFile: this.options.configFile }));
  }

  private keychain(): Promise<Keychain> {
    return (this.keychainP ??= import('../../core/keychain.js').then((m) => m.sharedKeychain()));
  }

  private async passphraseFromKeychain(profile: string): Promise<string | undefined> {
    try {
      const { passphraseAccount } = await import('../../core/keychain.js');
      return (await (await this.keychain()).get(passphraseAccount(profile))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private clients(): Promise<OciClients> {
    return (this.clientsP ??= this.loaded().then((l) =>
      createOciClients(l.settings, this.ctx, {
        lookupPassphrase: (profile) => this.passphraseFromKeychain(profile),
      }),
    ));
  }

  private profile(): Promise<Record<string, string>> {
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

  private expandHome(p: string): string {
    return p.startsWith('~/') ? path.join(this.ctx.homeDir, p.slice(2)) : p;
  }

  async checkSettings(): Promise<CheckOutcome> {
    const { settings, sources, files, warnings } = await this.loaded();
    const bySource = new Map<string, string[]>();
    for (const k of SETTING_KEYS_SHOWN) {
      if (sources[k] && sources[k] !== 'default') bySource.set(sources[k], [...(bySource.get(sources[k]) ?? []), k]);
    }
    const from = [...bySource].map(([source, keys]) => `${keys.join(', ')} from ${source}`);
    const detail = `${files.length ? `read ${files.join(', ')}` : 'no resolver.yaml found'}${from.length ? `; ${from.join('; ')}` : ''}`;
    if (!settings.vault.vault_id) {
      return fail(`vault.vault_id is not set (${detail})`, 'run `docker vaultmcp setup`, or set vault.vault_id in resolver.yaml or OCI_VAULT_ID');
    }
    if (warnings.length) return warn(`${detail}; ${warnings.length} warning(s): ${warnings[0]}`, 'remove the keys named in the warning');
    return pass(detail);
  }

  /** Settings, or undefined when they cannot be loaded (the settings check reports why). */
  private async loadedOrUndefined(): Promise<LoadedSettings | undefined> {
    return this.loaded().catch(() => undefined);
  }

  async checkOciConfig(): Promise<CheckOutcome> {
    const loaded = await this.loadedOrUndefined();
    if (!loaded) return skip('skipped: the settings could not be loaded');
    const { settings } = loaded;
    const { method, config_file: file, profile } = settings.auth;
    if (method === 'instance_principal' || method === 'resource_principal') return skip(`auth.method is ${method}: no OCI config file is used`);
    const values = await this.profile();
    const required = method === 'session_token' ? ['tenancy', 'key_file', 'security_token_file'] : ['tenancy', 'user', 'fingerprint', 'key_file'];
    const missing = required.filter((k) => !values[k]);
    if (missing.length) return fail(`${file} [${profile}] has no ${missing.join(', ')}`, `add ${missing.map((k) => `${k}=`).join(' ')} to [${profile}] or run \`docker vaultmcp setup\``);
    const region = settings.vault.region ?? values.region;
    if (!region && !settings.vault.endpoint) return fail(`${file} [${profile}]: no region`, `add region= to [${profile}] or set vault.region`);
    return pass(`${file} [${profile}], ${method}, region ${region ?? '(endpoint override)'}`);
  }

  async checkKeyFile(): Promise<CheckOutcome> {
    const { settings } = await this.loaded();
    const values = await this.profile();
    const keyFile = this.expandHome(values.key_file!);
    let st;
    try {
      st = await stat(keyFile);
      await access(keyFile, constants.R_OK);
    } catch (err) {
      return fail(`cannot read the API key file ${keyFile} (${(err as NodeJS.ErrnoException).code})`, `fix key_file= in [${settings.auth.profile}] of ${settings.auth.config_file}`);
    }
    const mode = st.mode & 0o777;
    const octal = mode.toString(8).padStart(4, '0');
    if (process.platform !== 'win32') {
      if (mode & 0o007) return fail(`${keyFile} has mode ${octal}: other users can read the private key`, `chmod 600 ${keyFile}`);
      if (mode & 0o070) return warn(`${keyFile} has mode ${octal}: the group can read the private key`, `chmod 600 ${keyFile}`);
    }
    return pass(`${keyFile}, mode ${octal}`);
  }

  async checkFingerprint(): Promise<CheckOutcome> {
    const { settings } = await this.loaded();
    const values = await this.profile();
    const keyFile = this.expandHome(values.key_file!);
    const pem = await readFile(keyFile, 'utf8');
    let passphrase = values.pass_phrase || undefined;
    if (isEncryptedPem(pem) && !passphrase) {
      passphrase = await this.passphraseFromKeychain(settings.auth.profile);
      passphrase ??= this.ctx.env.OCI_CLI_PASSPHRASE || undefined;
      if (!passphrase) {
        return fail(`${keyFile} is encrypted and no passphrase was found (profile, keychain, OCI_CLI_PASSPHRASE)`, 'store the passphrase in the keychain with `docker vaultmcp setup`');
      }
    }
    const actual = keyFingerprint(pem, passphrase);
    const declared = (values.fingerprint ?? '').toLowerCase();
    if (settings.auth.method === 'session_token' && !declared) return pass(`session key ${actual}`);
    if (actual !== declared) {
      return fail(`fingerprint= says ${declared || '(none)'} but ${keyFile} has ${actual}`, `set fingerprint=${actual} in [${settings.auth.profile}] if that is the key uploaded to OCI, else fix key_file=`);
    }
    return pass(`${actual}${isEncryptedPem(pem) ? ' (encrypted key, passphrase found)' : ''}`);
  }

  async checkAuth(signal: AbortSignal): Promise<CheckOutcome> {
    const loaded = await this.loadedOrUndefined();
    if (!loaded) return skip('skipped: the settings could not be loaded');
    const { settings } = loaded;
    if (!settings.vault.vault_id) return skip('vault.vault_id is not set');
    const clients = await this.clients();
    const probe = `vaultmcp-doctor-probe-${randomBytes(4).toString('hex')}`;
    try {
      await withCallSignal(signal, async () => (await clients.secrets()).getSecretBundleByName({ secretName: probe, vaultId: settings.vault.vault_id! }));
      return pass(`${clients.auth.description}: signed request accepted`);
    } catch (err) {
      const e = classifyOciError(err, 'a probe secret');
      if (e.kind === 'not_found') return pass(`${clients.auth.description}: signed request accepted (404 for a probe name, as expected)`);
      if (e.kind === 'forbidden') return warn(`${clients.auth.description}: authenticated, but not authorized (403)`, e.hint ?? '');
      if (e.kind === 'auth') {
        return fail(`the vault rejected the signature of ${clients.auth.description} (401)`, 'check that the API key (key_file) is the one uploaded for this user, the fingerprint, and the clock (see clock-skew)');
      }
      return fail(e.message, e.hint ?? '');
    }
  }

  /** Base URL of the Secrets API: vault.endpoint, else the SDK's regional endpoint. */
  private async secretsEndpoint(): Promise<string | undefined> {
    const { settings } = await this.loaded();
    if (settings.vault.endpoint) return settings.vault.endpoint;
    try {
      return (await (await this.clients()).secrets()).endpoint.replace(/\/20190301\/?$/, '');
    } catch {
      return settings.vault.region ? `https://secrets.vaults.${settings.vault.region}.oci.oraclecloud.com` : undefined;
    }
  }

  async checkClockSkew(signal: AbortSignal): Promise<CheckOutcome> {
    if (!(await this.loadedOrUndefined())) return skip('skipped: the settings could not be loaded');
    const endpoint = await this.secretsEndpoint();
    if (!endpoint) return skip('no vault endpoint known (no region)');
    const t0 = Date.now();
    let dateHeader: string | null;
    try {
      // Unsigned: any answer (401 included) carries the server's Date header.
      const res = await fetch(`${endpoint}/20190301/secretbundles/doctor-clock-probe`, { signal });
      await res.body?.cancel();
      dateHeader = res.headers.get('date');
    } catch {
      return fail(`cannot reach ${endpoint}`, 'check the network, proxy settings and vault.region / vault.endpoint');
    }
    const t1 = Date.now();
    const server = dateHeader ? Date.parse(dateHeader) : NaN;
    if (Number.isNaN(server)) return skip(`${endpoint} sent no Date header`);
    // The Date header has 1 s resolution: allow for it and for the round trip.
    const local = (t0 + t1) / 2;
    const skewS = Math.max(0, Math.abs(server - local) - 1000 - (t1 - t0) / 2) / 1000;
    const dir = server > local ? 'behind' : 'ahead of';
    const detail = `local clock is ${skewS.toFixed(0)} s ${dir} the vault`;
    const warnAt = this.options.skewWarnSeconds ?? SKEW_WARN_SECONDS;
    const failAt = this.options.skewFailSeconds ?? SKEW_FAIL_SECONDS;
    if (skewS > failAt) return fail(`${detail}: OCI rejects signatures beyond 5 minutes`, 'synchronise the system clock (e.g. `sudo timedatectl set-ntp true`)');
    if (skewS > warnAt) return warn(detail, 'synchronise the system clock (e.g. `sudo timedatectl set-ntp true`) before it reaches 5 minutes');
    return pass(skewS < 1 ? 'within 1 s' : detail);
  }

  async checkVault(signal: AbortSignal): Promise<CheckOutcome> {
    const { settings } = await this.loaded();
    const clients = await this.clients();
    const vaultId = settings.vault.vault_id!;
    const t0 = performance.now();
    try {
      const { vault } = await withCallSignal(signal, async () => (await clients.kmsVaults()).getVault({ vaultId }));
      const ms = Math.round(performance.now() - t0);
      this.managementEndpoint = vault.managementEndpoint;
      if (vault.lifecycleState !== 'ACTIVE') {
        return fail(`vault '${vault.displayName}' is ${vault.lifecycleState}`, 'use an ACTIVE vault: run `docker vaultmcp setup` to pick one');
      }
      return pass(`'${vault.displayName}' ACTIVE, ${ms} ms`);
    } catch (err) {
      const e = classifyOciError(err, `vault ${vaultId}`);
      if (e.kind === 'not_found' || e.kind === 'forbidden') {
        return fail(`vault ${vaultId} not found or not authorized (${e.status})`, 'check vault.vault_id and vault.region (`docker vaultmcp setup` lists your vaults), or grant "read vaults" on its compartment');
      }
      return fail(e.message, e.hint ?? '');
    }
  }

  async checkMasterKey(signal: AbortSignal): Promise<CheckOutcome> {
    const { settings } = await this.loaded();
    const keyId = settings.vault.key_id;
    if (!keyId) return skip('vault.key_id is not set: only `secret upload` of new secrets needs it');
    if (!this.managementEndpoint && !settings.vault.endpoint) return skip('the vault did not report a management endpoint');
    const clients = await this.clients();
    try {
      const { key } = await withCallSignal(signal, async () => (await clients.kmsManagement(this.managementEndpoint ?? '')).getKey({ keyId }));
      if (key.lifecycleState !== 'ENABLED') return fail(`key '${key.displayName}' is ${key.lifecycleState}`, 'enable the key in the OCI console or pick another with `docker vaultmcp setup`');
      return pass(`'${key.displayName}' ENABLED`);
    } catch (err) {
      const e = classifyOciError(err, `key ${keyId}`);
      if (e.kind === 'not_found' || e.kind === 'forbidden') {
        return fail(`key ${keyId} not found in the vault or not authorized (${e.status})`, 'check vault.key_id (`docker vaultmcp setup` lists the vault\'s keys), or grant "use keys"');
      }
      return fail(e.message, e.hint ?? '');
    }
  }

  async checkKeychain(): Promise<CheckOutcome> {
    let status;
    try {
      status = await (await this.keychain()).status();
    } catch (err) {
      status = { available: false, locked: false, detail: `the keychain could not be loaded${isVaultMcpError(err) ? `: ${err.message}` : ''}`, hint: isVaultMcpError(err) ? err.hint : undefined };
    }
    if (status.available) return pass(status.detail);
    const hint =
      status.hint ??
      (status.locked
        ? 'unlock the login keyring (log in to the desktop session, or `gnome-keyring-daemon --unlock`)'
        : 'on Linux, run a Secret Service (gnome-keyring-daemon) on the session D-Bus');
    // Without a keychain the cache has no key (unless VAULTMCP_CACHE_KEY) and a stored passphrase cannot be read.
    const settings = await this.loaded().then((l) => l.settings).catch(() => undefined);
    const needed = (settings?.cache.enabled ?? true) && !this.ctx.env.VAULTMCP_CACHE_KEY;
    if (!needed) return warn(`${status.detail} (not needed: the cache key comes from VAULTMCP_CACHE_KEY or the cache is off)`, hint);
    return fail(`${status.detail}${status.locked ? ' (locked)' : ''}: the secret cache is off and stored passphrases cannot be read`, hint);
  }

  async checkCache(): Promise<CheckOutcome> {
    const loaded = await this.loadedOrUndefined();
    if (!loaded) return skip('skipped: the settings could not be loaded');
    const { settings } = loaded;
    if (!settings.cache.enabled) return skip('cache.enabled is false');
    const dir = settings.cache.dir;
    let st;
    try {
      st = await stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return pass(`${dir} not created yet (created 0700 on first use)`);
      return fail(`cannot read ${dir} (${(err as NodeJS.ErrnoException).code})`, `fix the permissions of ${dir} or set cache.dir`);
    }
    const mode = st.mode & 0o777;
    const octal = mode.toString(8).padStart(4, '0');
    if (process.platform !== 'win32' && mode & 0o077) return fail(`${dir} has mode ${octal}`, `chmod 700 ${dir}`);
    const { openSecretCacheDetailed } = await import('../../core/cache/secret-cache.js');
    const opened = await openSecretCacheDetailed(settings, this.ctx);
    if (!opened.cache) return warn(`${dir}, mode ${octal}; the disk cache is off for this run: no cache key (see the keychain check)`, 'fix the keychain check, or set VAULTMCP_CACHE_KEY to a base64 32-byte key');
    const entries = await opened.cache.entries();
    const bad = entries.filter((e) => e.valid === false).length;
    if (bad) return warn(`${dir}: ${bad} of ${entries.length} entries cannot be decrypted (they are ignored)`, '`docker vaultmcp cache clear` removes them');
    return pass(`${dir}, mode ${octal}, ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} decryptable (key from ${opened.cache.keySource})`);
  }

  private service(name: string): Promise<{ def: ServiceDefinition; sel: ServiceSelection }> {
    let p = this.services.get(name);
    if (!p) {
      p = (async () => {
        const def = await loadService(name, this.ctx);
        const env = this.options.environment ?? (await this.loaded().then((l) => l.environment).catch(() => undefined));
        return { def, sel: selectEnvironment(def, env) };
      })();
      this.services.set(name, p);
    }
    return p;
  }

  async checkServiceDefinition(name: string): Promise<CheckOutcome> {
    const { def, sel } = await this.service(name);
    const detail = `${def.origin}: ${sel.specs.length} secret(s), environment ${sel.environment}, command ${def.target_command[0]}`;
    if (sel.warnings.length) return warn(`${detail}; ${sel.warnings[0]}`, 'pass a known --env, or add the environment to the service definition');
    return pass(detail);
  }

  private childEnv(def: ServiceDefinition, secrets?: Record<string, string>): Record<string, string> {
    return buildChildEnv({ parent: this.ctx.env, passthrough: def.passthrough_env, overrides: def.env_overrides, secrets }).env;
  }

  async checkServiceCommand(name: string): Promise<CheckOutcome> {
    const { def } = await this.service(name);
    const file = resolveExecutable(def.target_command[0]!, this.childEnv(def), this.ctx.cwd);
    return pass(file);
  }

  async checkServiceSecrets(name: string, signal: AbortSignal): Promise<CheckOutcome> {
    const { sel } = await this.service(name);
    const { settings } = await this.loaded();
    const clients = await this.clients();
    if (sel.specs.length === 0) return pass('the service declares no secrets');
    const found = new Map<string, ProbedSecret>();
    const failures: string[] = [];
    const optionalFailures: string[] = [];
    let hint = '';
    await Promise.all(
      sel.specs.map(async (spec) => {
        try {
          const s = await fetchSecretBundle(clients, settings, spec.ref, signal);
          found.set(spec.envVar, s);
        } catch (err) {
          const e = err instanceof VaultError ? err : classifyOciError(err, spec.reference);
          const why = e.kind === 'not_found' ? 'not found' : e.kind === 'auth' ? 'authentication failed' : e.kind === 'forbidden' ? 'not authorized' : e.message;
          (spec.required ? failures : optionalFailures).push(`${spec.envVar} (${spec.reference}): ${why}`);
          if (spec.required && !hint) hint = e.kind === 'not_found' ? `upload it with \`docker vaultmcp secret upload ${spec.reference.replace(/\?.*$/, '')}\`, or fix the reference in the service definition` : (e.hint ?? '');
        }
      }),
    );
    this.secrets.set(name, found);
    const ok = sel.specs
      .filter((s) => found.has(s.envVar))
      .map((s) => `${s.envVar} ← ${s.reference} v${found.get(s.envVar)!.versionNumber ?? '?'}`);
    if (failures.length) return fail(`${failures.join('; ')}`, hint);
    if (optionalFailures.length) return warn(`${ok.join('; ')}; optional: ${optionalFailures.join('; ')}`, 'optional secrets are left out of the environment');
    return pass(ok.join('; '));
  }

  async checkHandshake(name: string, signal: AbortSignal): Promise<CheckOutcome> {
    const { def } = await this.service(name);
    const probed = this.secrets.get(name) ?? new Map<string, ProbedSecret>();
    const secretEnv = Object.fromEntries([...probed].map(([k, v]) => [k, v.value]));
    const env = this.childEnv(def, secretEnv);
    const cwd = await serverWorkingDirectory(this.ctx, def.cwd);
    const file = resolveExecutable(def.target_command[0]!, env, cwd);
    try {
      const r = await mcpHandshake(
        { file, args: def.target_command.slice(1) },
        { env, cwd, secretValues: Object.values(secretEnv), signal, clientVersion: this.options.version ?? '0.0.0' },
      );
      const who = `${r.serverName ?? 'server'}${r.serverVersion ? ` ${r.serverVersion}` : ''}`;
      const detail = `${who}${r.protocolVersion ? ` (protocol ${r.protocolVersion})` : ''}: initialize + tools/list OK, ${r.toolCount} tool(s) in ${r.ms} ms`;
      if (r.banner !== undefined) return fail(`server printed a banner on stdout: ${r.banner}`, 'stdout must carry only JSON-RPC: make the server log to stderr (check its flags/LOG settings in env_overrides)');
      return pass(detail);
    } catch (err) {
      const message = err instanceof Error ? err.message : 'the MCP handshake failed';
      if ((err as { banner?: string }).banner !== undefined) {
        return fail(message, 'stdout must carry only JSON-RPC: make the server log to stderr (check its flags/LOG settings in env_overrides)');
      }
      return fail(message, `run \`docker vaultmcp run ${name} --test\` and the server command by hand to see its own error output`);
    }
  }

  async checkDockerCli(signal: AbortSignal): Promise<CheckOutcome> {
    try {
      const out = await execText('docker', ['--version'], this.ctx.env, signal);
      return pass(out.trim().split('\n')[0] ?? 'docker');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return warn('docker is not on PATH', 'install Docker (MCP clients can still start the binary directly)');
      return warn('`docker --version` failed', 'check the Docker installation');
    }
  }

  async checkDockerPlugin(signal: AbortSignal): Promise<CheckOutcome> {
    const dirs = dockerPluginDirs(this.ctx);
    let found: string | undefined;
    for (const dir of dirs) {
      const p = path.join(dir, process.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp');
      try {
        await stat(p);
        found = p;
        break;
      } catch {
        /* next */
      }
    }
    if (!found) return warn(`not installed in ${dirs[0]}`, `install it with \`docker vaultmcp setup\`, or copy the binary to ${path.join(dirs[0]!, 'docker-vaultmcp')}`);
    try {
      await access(found, constants.X_OK);
    } catch {
      return fail(`${found} is not executable`, `chmod 755 ${found}`);
    }
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(await execText(found, ['docker-cli-plugin-metadata'], this.ctx.env, signal));
    } catch {
      return fail(`${found} did not print valid plugin metadata`, `reinstall it: copy the current binary to ${found}`);
    }
    if (meta.SchemaVersion !== '0.1.0' || typeof meta.Vendor !== 'string' || !meta.Vendor) {
      return fail(`${found}: metadata has SchemaVersion ${String(meta.SchemaVersion)}, Vendor ${String(meta.Vendor)}`, `reinstall it: copy the current binary to ${found}`);
    }
    return pass(`${found} (version ${String(meta.Version ?? '?')})`);
  }
}

/**
 * Docker's CLI plugin directories in its search order (reference/docker-plugin-and-gateway.md §1.2):
 * `${DOCKER_CONFIG:-~/.docker}/cli-plugins`, then the system directories.
 */
export function dockerPluginDirs(ctx: Pick<AppContext, 'env' | 'homeDir'>): string[] {
  const configDir = ctx.env.DOCKER_CONFIG || path.join(ctx.homeDir, '.docker');
  return [
    path.join(configDir, 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
}

function execText(file: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, signal, timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
  });
}
