import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';

/**
 * `docker vaultmcp gateway map add CATALOG_SECRET REFERENCE [--env E] [--optional]`: maps a catalog secret name
 * to a vault reference in the gateway map (src/app/gateway/map.ts). References only; never values.
 */
export default class GatewayMapAdd extends BaseCommand {
  static summary = 'Map a gateway catalog secret (e.g. github.personal_access_token) to an OCI Vault secret';
  static description =
    'Adds or replaces an entry of the gateway map. Without --env the reference is the default; with --env it is used ' +
    'for that environment only (the default stays). REFERENCE is a secret name, an OCID or an oci-vault:// URL, ' +
    'optionally with ?version=N or ?stage=S. The map never holds values.';
  static examples = [
    '<%= config.bin %> gateway map add github.personal_access_token github-token',
    '<%= config.bin %> gateway map add github.personal_access_token github-token-prod --env production',
  ];
  static usage = 'gateway map add CATALOG_SECRET REFERENCE [--env ENV] [--optional] [--map FILE] [--json]';
  static args = {
    name: Args.string({ description: 'catalog secret name, as in the catalog entry\'s secrets[].name', required: true }),
    reference: Args.string({ description: 'vault reference: name, OCID or oci-vault:// URL', required: true }),
  };
  static flags = {
    env: Flags.string({ char: 'e', description: 'set the reference for this environment only', helpValue: 'ENV' }),
    optional: Flags.boolean({ description: 'a failure to resolve it only warns (required by default)', default: false }),
    map: Flags.string({ description: 'gateway map file (default: ~/.config/oci-vault-mcp/gateway.yaml)', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GatewayMapAdd);
    const { addMapping } = await import('../../../../app/gateway/map.js');
    const r = await addMapping(this.ctx, { file: flags.map, name: args.name, reference: args.reference, env: flags.env, optional: flags.optional });
    if (flags.json) this.out.json({ file: r.file, name: args.name, action: r.action, entry: r.entry });
    else this.out.result(`${r.action === 'added' ? 'Added' : 'Updated'} ${args.name} → ${args.reference}${flags.env ? ` (environment ${flags.env})` : ''} in ${r.file}`);
  }
}
