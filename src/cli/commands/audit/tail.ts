import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp audit tail [--lines N] [--follow] [--json]`: the newest records of the audit trail (launches,
 * exits, revalidations, leak-guard findings; never values). `--json` prints one JSON object per line (the file's
 * own format), so `--follow --json` can be piped. Exit 0; 2 when the audit file is off.
 */
export default class AuditTail extends BaseCommand {
  static summary = 'Show the newest audit records (launches, exits, leak-guard findings; never values)';
  static description =
    'The audit trail is a JSON-lines file under the state dir ($XDG_STATE_HOME/oci-vault-mcp/audit.jsonl), ' +
    'rotated by size (audit.max_bytes, audit.keep). With --follow, new records are printed as they are written ' +
    'until interrupted. With --json, each record is printed as one JSON line.';
  static examples = ['<%= config.bin %> audit tail', '<%= config.bin %> audit tail --follow --json'];
  static flags = {
    lines: Flags.integer({ char: 'n', description: 'how many of the newest records to show', default: 20, min: 0 }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing new records until interrupted', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditTail);
    const { listAuditRecords, followAuditRecords } = await import('../../../app/audit/index.js');
    const { formatAuditRecord } = await import('../../../ui/audit/text.js');
    const settings = await this.factory.settings(flags.config);
    const print = (r: Parameters<typeof formatAuditRecord>[0]) =>
      this.out.result(flags.json ? JSON.stringify(r) : formatAuditRecord(r));
    for (const r of await listAuditRecords(settings, { limit: flags.lines })) print(r);
    if (!flags.follow) return;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);
    await followAuditRecords(this.ctx, settings, print, stop.signal);
  }
}
