import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp client list [--json]`: each supported MCP client, whether it is installed and its config exists,
 * and per MCP server entry whether it starts through us or holds plaintext credentials in `env` (names only).
 * Reads files only. Exit 0.
 */
export default class ClientList extends BaseCommand {
  static summary = 'Show the MCP clients, their config files and which entries start through docker vaultmcp';
  static description =
    'User-scope files per OS, and project files (.mcp.json, .cursor/mcp.json, .vscode/mcp.json, .gemini/settings.json) ' +
    'in the current directory when they exist. An entry whose env holds plaintext credentials can be moved to the ' +
    'vault with `client import`. Values are never shown.';
  static examples = ['<%= config.bin %> client list', '<%= config.bin %> client list --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(ClientList);
    const { listClients } = await import('../../../app/clients/list.js');
    const rows = await listClients(this.ctx);
    if (flags.json) {
      this.out.json(rows);
      return;
    }
    const table: string[][] = [['CLIENT', 'SCOPE', 'STATUS', 'ENTRIES', 'FILE']];
    for (const r of rows) {
      const status = r.error ? 'error' : r.exists ? 'configured' : r.installed ? 'installed' : 'not found';
      const entries = r.error
        ? r.error
        : r.entries
            .map((e) => (e.ours ? `${e.name} (vaultmcp${e.service && e.service !== e.name ? `: ${e.service}` : ''})` : e.plaintextSecrets.length ? `${e.name} (plaintext: ${e.plaintextSecrets.join(', ')})` : e.name))
            .join(', ');
      table.push([r.client, r.scope, status, entries, r.file]);
    }
    this.out.table(table);
    if (rows.some((r) => r.entries.some((e) => e.plaintextSecrets.length > 0))) {
      this.out.info('entries marked plaintext keep credentials in the client config: `docker vaultmcp client import CLIENT` moves them to the vault');
    }
  }
}
