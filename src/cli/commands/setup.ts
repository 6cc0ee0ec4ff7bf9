import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import type { AuthMethod } from '../../core/config/settings/index.js';
import { checkOcidFlag } from './secret/common.js';
import { COMPARTMENT_OCID, KEY_OCID, VAULT_OCID } from '../../core/vault/refs.js';

// The settings schema's AUTH_METHODS, repeated so `--help` does not load zod and yaml.
const AUTH_METHODS = ['api_key', 'session_token', 'instance_principal', 'resource_principal'] as const satisfies readonly AuthMethod[];

/** Exit code when the user quits the wizard with Ctrl-C (nothing written). */
const EXIT_CANCELLED = 130;

/**
 * `docker vaultmcp setup`: from nothing to a working `run`. On a terminal (stdin and stdout TTYs) an Ink wizard:
 * OCI config profile (or a new one from an existing API key), auth method, region, compartment, vault and master
 * key from live lists, a signed test call, resolver.yaml (shown first; an existing one is replaced only when you
 * say so, with a backup), the key's passphrase into the OS keychain, the Docker plugin, then doctor.
 * Without a TTY (or with --yes) every answer comes from flags.
 *
 * Exit codes: 0 written · 1 not written (declined to replace) · 2 usage (missing flags, existing file without
 * --force, invalid values) · 3 vault/auth (the test call failed) · 130 cancelled with Ctrl-C (nothing written).
 */
export default class Setup extends BaseCommand {
  static summary = 'Set up OCI Vault access interactively (or from flags) and write resolver.yaml';
  static description =
    'Interactive on a terminal: pick an OCI config profile (or create one from an existing API key), the auth ' +
    'method, region, compartment, vault and master key from live lists; setup tests a signed call, shows the ' +
    'resolver.yaml it will write to ~/.config/oci-vault-mcp/ (XDG_CONFIG_HOME honoured) and asks before replacing ' +
    'an existing one (a backup resolver.yaml.bak-<timestamp> is kept), offers to store an encrypted key\'s ' +
    'passphrase in the OS keychain and to install the Docker plugin, and finishes with doctor. Keys: arrows, type ' +
    'to filter, Enter, Esc back, Ctrl-C quit (nothing is written until the final confirmation, a new OCI config ' +
    'profile included). A list that cannot be loaded within --timeout-ms offers r (retry) and o (type the OCID). ' +
    'For scripts: pass --vault-id, --compartment-id and --yes (plus --profile, --region, … as needed); an existing ' +
    'resolver.yaml is replaced only with --force. See docs/doctor-and-setup.md.';
  static examples = [
    '<%= config.bin %> setup',
    '<%= config.bin %> setup --profile DEFAULT --region eu-frankfurt-1 --compartment-id ocid1.compartment.oc1..x --vault-id ocid1.vault.oc1.eu-frankfurt-1.x --yes',
    '<%= config.bin %> setup --endpoint http://127.0.0.1:9443   # against `docker vaultmcp dev vault`',
  ];
  static flags = {
    // setup writes its --config file rather than reading it: say so in --help
    config: Flags.string({ description: 'resolver.yaml to write (default: ~/.config/oci-vault-mcp/resolver.yaml)', helpValue: 'FILE' }),
    profile: Flags.string({ description: 'OCI config profile (default DEFAULT)', helpValue: 'NAME' }),
    region: Flags.string({ description: 'region of the vault (default: the profile\'s region)', helpValue: 'REGION' }),
    'compartment-id': Flags.string({ description: 'compartment OCID of the vault', helpValue: 'OCID' }),
    'vault-id': Flags.string({ description: 'vault OCID', helpValue: 'OCID' }),
    'key-id': Flags.string({ description: 'master encryption key OCID (for `secret upload`)', helpValue: 'OCID' }),
    'config-file': Flags.string({ description: 'OCI config file (default: $OCI_CONFIG_FILE, ~/.oci/config, ~/.oraclebmc/config)', helpValue: 'FILE' }),
    'auth-method': Flags.string({ description: 'authentication method: api_key (default), session_token, instance_principal or resource_principal', options: [...AUTH_METHODS], helpValue: 'METHOD' }),
    endpoint: Flags.string({ description: 'vault endpoint override, for the local emulator or private endpoints (written to vault.endpoint)', helpValue: 'URL' }),
    yes: Flags.boolean({ char: 'y', description: 'non-interactive: take every answer from flags and write without asking', default: false }),
    force: Flags.boolean({ description: 'with --yes: replace an existing resolver.yaml (a backup is kept)', default: false }),
    'timeout-ms': Flags.integer({ description: 'time limit of each live list, the test call and each doctor check of the wizard, ms', default: 15_000, min: 100, hidden: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Setup);
    const ctx = this.ctx;
    if (flags.endpoint && !/^https?:\/\/[^/?#\s]+\/?$/.test(flags.endpoint)) {
      throw new UsageError(`--endpoint must be an http(s) base URL such as http://127.0.0.1:9443, got '${flags.endpoint}'`);
    }
    // a mistyped OCID is named by its flag before anything is discovered, tested or written
    checkOcidFlag('vault-id', flags['vault-id'], VAULT_OCID);
    checkOcidFlag('compartment-id', flags['compartment-id'], COMPARTMENT_OCID);
    checkOcidFlag('key-id', flags['key-id'], KEY_OCID);
    const setup = await import('../../app/setup/index.js');
    const configs = await setup.discoverOciConfigs(ctx, flags['config-file']);
    // --config names the file to write instead of the user's resolver.yaml (e.g. a project-specific one)
    const resolverFile = flags.config ? (await import('../../core/config/paths.js')).expandPath(flags.config, ctx) : setup.resolverFilePath(ctx);
    const existing = await setup.readExistingResolver(resolverFile);
    const defaults = {
      profile: flags.profile,
      region: flags.region,
      compartmentId: flags['compartment-id'],
      vaultId: flags['vault-id'],
      keyId: flags['key-id'],
      configFile: flags['config-file'] ? configs[0]?.file : undefined,
      authMethod: flags['auth-method'] as AuthMethod | undefined,
    };
    const interactive = !flags.yes && !flags.json && !!ctx.stdin.isTTY && !!ctx.stdout.isTTY;

    if (interactive) {
      const { runSetupWizard } = await import('../../ui/setup/run-wizard.js');
      const plan = await setup.planPluginInstall(ctx, process.execPath);
      // a new profile lives here (0700, removed below) until the last step adds it to the user's OCI config
      const { mkdtemp, rm } = await import('node:fs/promises');
      const os = await import('node:os');
      const pathModule = await import('node:path');
      const stagingDir = await mkdtemp(pathModule.join(os.tmpdir(), 'vaultmcp-setup-'));
      const result = await runSetupWizard({
        stagingDir,
        ctx,
        configs,
        defaults,
        endpoint: flags.endpoint,
        resolverFile,
        existingResolver: existing,
        pluginPlan: plan,
        version: this.config.version,
        doctorTimeoutMs: flags['timeout-ms'],
      }).finally(() => rm(stagingDir, { recursive: true, force: true }));
      if (!result) {
        ctx.stderr.write(`setup cancelled: ${resolverFile} was not written\n`);
        process.exitCode = EXIT_CANCELLED;
        return;
      }
      if (!result.written) ctx.stderr.write(`setup: ${resolverFile} left unchanged (nothing written)\n`);
      process.exitCode = result.written ? 0 : 1;
      return;
    }

    // Non-interactive: every answer from flags.
    const authMethod = (flags['auth-method'] as AuthMethod | undefined) ?? 'api_key';
    const usesConfig = authMethod === 'api_key' || authMethod === 'session_token';
    const configFile = flags['config-file'] ? configs[0]!.file : (configs.find((c) => c.exists) ?? configs[0]!).file;
    const profileName = flags.profile ?? 'DEFAULT';
    const cfg = configs.find((c) => c.file === configFile);
    const profile = cfg?.profiles.find((p) => p.name === profileName);
    const region = flags.region ?? (usesConfig ? profile?.region : undefined);
    const missing = [
      !flags['vault-id'] && '--vault-id',
      !flags['compartment-id'] && '--compartment-id',
      !region && !flags.endpoint && '--region',
      !flags.yes && '--yes',
    ].filter(Boolean) as string[];
    if (missing.length) {
      throw new UsageError(
        `setup without the wizard needs these flags: ${missing.join(', ')}`,
        'pass them (see `docker vaultmcp setup --help`), or run `docker vaultmcp setup` without --yes/--json in a terminal for the wizard',
      );
    }
    if (usesConfig && !cfg?.exists) {
      throw new ConfigError('OCI config file not found', { file: configFile, hint: 'pass --config-file, or run `docker vaultmcp setup` in a terminal to create a profile' });
    }
    if (usesConfig && !profile) {
      throw new ConfigError(`no profile named [${profileName}]`, { file: configFile, hint: `use --profile with one of: ${cfg!.profiles.map((p) => p.name).join(', ') || '(none)'}` });
    }
    const answers = {
      configFile,
      profile: profileName,
      authMethod,
      region,
      compartmentId: flags['compartment-id']!,
      vaultId: flags['vault-id']!,
      keyId: flags['key-id'],
      endpoint: flags.endpoint,
    };
    const text = setup.renderResolverYaml(answers, existing);
    if (existing !== undefined && !flags.force) {
      throw new UsageError(`${resolverFile} already exists`, 'pass --force to replace it (a backup is kept), or run setup in a terminal');
    }
    const { createVaultAccess } = await import('../../core/vault/access.js');
    const access = createVaultAccess({ settings: setup.draftSettings(answers), env: ctx });
    const tested = await setup.testSignedCall(access, answers.vaultId, AbortSignal.timeout(flags['timeout-ms']));
    const { backup } = await setup.writeResolverYaml(resolverFile, text);
    if (flags.json) {
      this.out.json({ written: true, file: resolverFile, backup: backup ?? null, test: tested });
    } else {
      ctx.stdout.write(`${tested}\nwrote ${resolverFile}${backup ? ` (previous version kept as ${backup})` : ''}\nnext: docker vaultmcp doctor\n`);
    }
  }
}
