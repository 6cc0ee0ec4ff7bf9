import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';

/** `docker vaultmcp gateway map show [--env E] [--json]`: the gateway map's references for an environment. */
export default class GatewayMapShow extends BaseCommand {
  static summary = 'Show which OCI Vault secret backs each gateway catalog secret (references, never values)';
  static usage = 'gateway map show [--env ENV] [--map FILE] [--json]';
  static flags = {
    env: Flags.string({ char: 'e', description: 'environment whose references to show', helpValue: 'ENV' }),
    map: Flags.string({ description: 'gateway map file (default: ~/.config/oci-vault-mcp/gateway.yaml)', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayMapShow);
    const { showMap } = await import('../../../../app/gateway/map.js');
    const shown = await showMap(this.ctx, { file: flags.map, env: flags.env ?? this.ctx.env.OCI_VAULT_ENVIRONMENT });
    for (const w of shown.warnings) this.out.warn(w);
    if (flags.json) {
      this.out.json({ file: shown.file, environment: shown.environment, secrets: shown.rows });
      return;
    }
    if (shown.rows.length === 0) {
      this.out.result(`${shown.file}: no mappings (add one with \`docker vaultmcp gateway map add CATALOG_SECRET REFERENCE\`)`);
      return;
    }
    this.ctx.stdout.write(`${shown.file} (environment ${shown.environment})\n`);
    this.out.table([['CATALOG SECRET', 'REFERENCE', 'REQUIRED'], ...shown.rows.map((r) => [r.name, r.reference, r.required ? 'yes' : 'no'])]);
  }
}
