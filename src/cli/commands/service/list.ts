import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp service list [--json]`: every service definition the plugin can run (user dir, system dir,
 * built-in templates) with where it comes from and whether a higher-priority one hides it. Reads files only;
 * no vault call. Exit 0 (a malformed file is listed with its error, not fatal).
 */
export default class ServiceList extends BaseCommand {
  static summary = 'List the MCP service definitions (user, system, built-in)';
  static description =
    'Service files are looked up in ~/.config/oci-vault-mcp/services/, then /etc/oci-vault-mcp/services/, then the ' +
    'built-in templates; a name found earlier shadows the same name later. Nothing is read from the current directory.';
  static examples = ['<%= config.bin %> service list', '<%= config.bin %> service list --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(ServiceList);
    // nothing here reads settings, but a wrong --config path must not pass silently
    if (flags.config) await this.factory.settings(flags.config);
    const { listServices } = await import('../../../core/config/services/index.js');
    const rows = await listServices(this.ctx);
    if (flags.json) {
      const out = rows.map((r) => ({
        name: r.name,
        description: r.description ?? null,
        source: r.source,
        origin: r.origin,
        shadowed: r.shadowedBy !== undefined,
        ...(r.shadowedBy ? { shadowedBy: r.shadowedBy } : {}),
        ...(r.error ? { error: r.error } : {}),
      }));
      this.out.json(out);
      return;
    }
    this.out.table([
      ['NAME', 'SOURCE', 'DESCRIPTION'],
      ...rows.map((r) => {
        let text = r.error ? `ERROR: ${r.error}` : (r.description ?? '');
        if (r.shadowedBy) text = `(shadowed by ${r.shadowedBy}) ${text}`;
        return [r.name, r.source, oneLine(text)];
      }),
    ]);
    if (flags.verbose) {
      const { serviceDirs } = await import('../../../core/config/services/index.js');
      this.ctx.stderr.write(`searched: ${serviceDirs(this.ctx).map((d) => d.dir).join(', ')}, built-in templates\n`);
    }
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
