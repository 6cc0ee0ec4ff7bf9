import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { warn } from '../../../core/context.js';

/**
 * `docker vaultmcp service show NAME|PATH [--env E] [--json]`: what `run` would do for that environment —
 * the secret reference per environment variable, required flag, target command, overrides, passthrough
 * variables and known environments. References only: no vault call, never a value.
 * Exit 0; 2 unknown service or malformed file.
 */
export default class ServiceShow extends BaseCommand {
  static summary = 'Show a service definition: references per variable, command, environments (no values)';
  static examples = [
    '<%= config.bin %> service show github',
    '<%= config.bin %> service show github --env production --json',
    '<%= config.bin %> service show ./my-server.yaml',
  ];
  static args = {
    service: Args.string({ description: 'service name or path to a service file', required: true }),
  };
  static flags = {
    env: Flags.string({ char: 'e', description: 'environment (default: OCI_VAULT_ENVIRONMENT, else the default names)', helpValue: 'ENV' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ServiceShow);
    // a wrong --config path must not pass silently; without --config, settings only add `environments:` names, and a
    // broken settings file must not hide a service definition
    const settings = flags.config ? await this.factory.settings(flags.config) : await this.factory.settings().catch(() => undefined);
    const { loadService, selectEnvironment, knownEnvironments } = await import('../../../core/config/services/index.js');
    const { DEFAULT_PASSTHROUGH } = await import('../../../core/launcher/env.js');
    const service = await loadService(args.service, this.ctx);
    const selection = selectEnvironment(service, flags.env ?? (this.ctx.env.OCI_VAULT_ENVIRONMENT || undefined), { declared: settings?.environments });
    for (const w of selection.warnings) warn(this.ctx, w);

    const secrets = selection.specs.map((s) => {
      const decl = service.secrets[s.envVar];
      return {
        envVar: s.envVar,
        reference: s.reference,
        required: s.required,
        ...(s.ref.versionNumber !== undefined ? { versionNumber: s.ref.versionNumber } : {}),
        ...(s.ref.stage !== undefined ? { stage: s.ref.stage } : {}),
        ...(typeof decl === 'object' && decl.description ? { description: decl.description } : {}),
      };
    });
    const view = {
      name: service.name,
      description: service.description ?? null,
      source: service.source,
      origin: service.origin,
      environment: selection.environment,
      knownEnvironments: knownEnvironments(service),
      targetCommand: service.target_command,
      secrets,
      overrides: selection.overrides,
      passthrough: service.passthrough_env,
      defaultPassthrough: DEFAULT_PASSTHROUGH,
    };
    if (flags.json) {
      this.out.json(view);
      return;
    }
    const out: string[] = [];
    out.push(`service:      ${view.name} (${view.origin})`);
    if (view.description) out.push(`description:  ${view.description}`);
    out.push(`environment:  ${view.environment}` + (view.knownEnvironments.length ? ` (known: ${view.knownEnvironments.join(', ')})` : ' (no other environments)'));
    out.push(`command:      ${view.targetCommand.map(quote).join(' ')}`);
    if (secrets.length === 0) out.push('secrets:      none');
    else {
      out.push('secrets:');
      const w = Math.max(...secrets.map((s) => s.envVar.length));
      for (const s of secrets) out.push(`  ${s.envVar.padEnd(w)}  ${s.reference}${s.required ? '' : '  (optional)'}`);
    }
    const overrideNames = Object.keys(view.overrides);
    if (overrideNames.length > 0) {
      out.push('overrides:');
      for (const name of overrideNames) out.push(`  ${name}=${view.overrides[name]}`);
    }
    out.push(`passthrough:  ${view.passthrough.length ? view.passthrough.join(', ') + ' + ' : ''}the default set (docker vaultmcp run --help)`);
    this.ctx.stdout.write(out.join('\n') + '\n');
  }
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
