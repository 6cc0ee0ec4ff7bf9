import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp audit show --service S [--lines N] [--json]`: one service's audit records, oldest first (never
 * values). `--json` prints them as one JSON array. Exit 0; 2 when the audit file is off.
 */
export default class AuditShow extends BaseCommand {
  static summary = "Show one service's audit records: which secret versions it got, from where, and how it ended";
  static examples = ['<%= config.bin %> audit show --service github', '<%= config.bin %> audit show --service github --json'];
  static flags = {
    service: Flags.string({ char: 's', description: 'the service name (as in `service list`)', required: true, helpValue: 'NAME' }),
    lines: Flags.integer({ char: 'n', description: 'only the newest N records', min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditShow);
    const { listAuditRecords } = await import('../../../app/audit/index.js');
    const { formatAuditRecord } = await import('../../../ui/audit/text.js');
    const settings = await this.factory.settings(flags.config);
    const records = await listAuditRecords(settings, { service: flags.service, ...(flags.lines !== undefined ? { limit: flags.lines } : {}) });
    if (flags.json) this.out.json(records);
    else if (records.length === 0) this.out.info(`no audit records for service '${flags.service}'`);
    else for (const r of records) this.out.result(formatAuditRecord(r));
  }
}
